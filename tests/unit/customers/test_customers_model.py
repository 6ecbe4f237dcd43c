"""The Customer aggregate: validated profiles, filling blanks, tiers, tags and merging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.customers.domain import events
from services.customers.domain.errors import CustomerMerged, TooManyTags
from services.customers.domain.identity import Identity, IdentityKind
from services.customers.domain.model import MAX_TAGS_PER_CUSTOMER, Customer, Profile, parse_tags
from services.customers.domain.values import Address, CustomerKind, CustomerStatus, CustomerTier
from shared.kernel.errors import InvalidArgument

NOW = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)


def person(customer_id: str = "c-1", **overrides: object) -> Customer:
    values: dict = {"name": "张伟", "phone": "13800138000"} | overrides
    customer = Customer.register(customer_id, Profile.parse(**values), NOW)
    customer.events.clear()
    return customer


def test_profile_normalises_identities_in_lookup_order() -> None:
    profile = Profile.parse(name=" 𠮷田 花子 ", phone="+86 138-0013-8000", tax_id="91310000ma1fl0000x")
    assert profile.name == "𠮷田 花子"
    assert profile.identities == (
        Identity(IdentityKind.TAX_ID, "91310000MA1FL0000X"),
        Identity(IdentityKind.PHONE, "+8613800138000"),
    )


def test_profile_needs_a_name_and_an_identity() -> None:
    with pytest.raises(InvalidArgument) as caught:
        Profile.parse(name="  ", phone="13800138000")
    assert caught.value.violations[0].field == "name"
    with pytest.raises(InvalidArgument) as caught:
        Profile.parse(name="张伟", email="zw@example.com")
    assert caught.value.reason == "IDENTITY_REQUIRED"
    assert caught.value.violations[0].field == "phone"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": "张\x00伟"}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"channel": "c" * 65}, "channel"),
        ({"email": "not-an-email"}, "email"),
    ],
)
def test_profile_rejects_bad_fields(values: dict, field: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        Profile.parse(**({"name": "张伟", "phone": "13800138000"} | values))
    assert caught.value.violations[0].field == field


def test_address_checks_each_part() -> None:
    address = Address.parse(city="北京市", detail="朝阳区𠮷祥路 1 号", country="cn")
    assert (address.country, address.detail) == ("CN", "朝阳区𠮷祥路 1 号")
    with pytest.raises(InvalidArgument) as caught:
        Address.parse(country="CHN")
    assert caught.value.violations[0].field == "address.country"
    with pytest.raises(InvalidArgument) as caught:
        Address.parse(detail="x" * 501)
    assert caught.value.violations[0].field == "address.detail"


def test_register_makes_an_active_regular_customer_and_an_event() -> None:
    customer = Customer.register("c-1", Profile.parse(name="张伟", tax_id="91310000MA1FL0000X"), NOW)
    assert customer.kind is CustomerKind.COMPANY
    assert (customer.status, customer.tier, customer.version) == (CustomerStatus.ACTIVE, CustomerTier.REGULAR, 1)
    assert [type(e) for e in customer.events] == [events.CustomerRegistered]


def test_fill_blanks_never_overwrites() -> None:
    customer = person(email="first@example.com")
    profile = Profile.parse(
        name="另一个名字", phone="13800138000", email="second@example.com", address=Address.parse(city="上海")
    )
    assert customer.blanks_in(profile) == ("address",)
    assert customer.fill_blanks(profile, LATER) == ("address",)
    assert (customer.name, customer.email, customer.address.city) == ("张伟", "first@example.com", "上海")
    assert customer.version == 2
    assert customer.events == [events.CustomerUpdated("c-1", ("address",), 2, LATER)]
    assert customer.fill_blanks(profile, LATER) == ()
    assert customer.version == 2


def test_filling_a_tax_id_makes_a_company() -> None:
    customer = person()
    customer.fill_blanks(Profile.parse(name="张伟", phone="13800138000", tax_id="91310000MA1FL0000X"), LATER)
    assert customer.kind is CustomerKind.COMPANY


def test_set_tier_changes_once() -> None:
    customer = person()
    assert customer.set_tier(CustomerTier.VIP, "spent 50k", LATER) is True
    assert customer.set_tier(CustomerTier.VIP, "again", LATER) is False
    assert customer.events == [
        events.CustomerTierChanged("c-1", CustomerTier.REGULAR, CustomerTier.VIP, "spent 50k", LATER)
    ]


def test_tags_are_added_and_removed_as_a_diff() -> None:
    customer = person()
    assert customer.add_tags(["高复购", "vip"], NOW) == ("高复购", "vip")
    assert customer.add_tags(["vip", "price_sensitive"], NOW) == ("price_sensitive",)
    assert customer.tags == ("price_sensitive", "vip", "高复购")
    assert customer.remove_tags(["vip", "absent"], NOW) == ("vip",)
    assert customer.remove_tags(["absent"], NOW) == ()
    assert customer.tags == ("price_sensitive", "高复购")
    assert [type(e) for e in customer.events] == [
        events.CustomerTagged,
        events.CustomerTagged,
        events.CustomerUntagged,
    ]


def test_tag_limit() -> None:
    customer = person()
    customer.tags = tuple(f"t{i:03d}" for i in range(MAX_TAGS_PER_CUSTOMER - 1))
    customer.add_tags(["last"], NOW)
    with pytest.raises(TooManyTags):
        customer.add_tags(["one-too-many"], NOW)


def test_parse_tags_normalises_and_names_the_bad_one() -> None:
    assert parse_tags([" ＶＩＰ ", "VIP", "高复购"]) == ("VIP", "高复购")
    with pytest.raises(InvalidArgument) as caught:
        parse_tags(["ok", " "])
    assert caught.value.violations[0].field == "tags[1]"
    with pytest.raises(InvalidArgument) as caught:
        parse_tags([])
    assert caught.value.violations[0].field == "tags"
    with pytest.raises(InvalidArgument):
        parse_tags([f"t{i}" for i in range(21)])


def test_absorb_keeps_both_histories() -> None:
    survivor = person("c-1", email="")
    survivor.add_tags(["a"], NOW)
    survivor.events.clear()
    other = person("c-2", name="张伟_北京", phone="13900139000", email="zw@example.com")
    other.set_tier(CustomerTier.GOLD, "", NOW)
    other.add_tags(["a", "b"], NOW)
    filled, gained = survivor.absorb(other, "same person", LATER)
    assert filled == ("email",)
    assert gained == ("b",)
    assert (survivor.phone, survivor.email, survivor.tier) == ("+8613800138000", "zw@example.com", CustomerTier.GOLD)
    assert survivor.tags == ("a", "b")
    assert (other.status, other.merged_into) == (CustomerStatus.MERGED, "c-1")
    assert [type(e) for e in survivor.events] == [events.CustomersMerged, events.CustomerTierChanged]
    with pytest.raises(CustomerMerged) as caught:
        other.set_tier(CustomerTier.VIP, "", LATER)
    assert caught.value.metadata == {"customer_id": "c-2", "survivor_customer_id": "c-1"}


def test_absorb_refuses_itself_and_merged_records() -> None:
    survivor = person("c-1")
    with pytest.raises(InvalidArgument):
        survivor.absorb(survivor, "", NOW)
    other = person("c-2")
    survivor.absorb(other, "", NOW)
    with pytest.raises(CustomerMerged):
        person("c-3").absorb(other, "", NOW)
