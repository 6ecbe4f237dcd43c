"""Handlers with an in-memory unit of work: dedup, the lost registration race, the PII policy, replay, pages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.customers.application import handlers
from services.customers.application.commands import (
    FindSimilarCustomers,
    GetCustomer,
    ListCustomers,
    MergeCustomers,
    Probe,
    TagCustomer,
    UpsertCustomer,
    UpsertResult,
)
from services.customers.domain import events
from services.customers.domain.errors import CustomerNotFound
from services.customers.domain.model import Customer, Profile
from services.customers.domain.values import Address
from shared.kernel.errors import InvalidArgument
from tests.unit.customers.customers_fakes import FakeUnitOfWork, ids

NOW = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


async def test_upsert_registers_then_returns_and_fills_blanks(uow: FakeUnitOfWork) -> None:
    new_id = ids()
    first = await handlers.upsert_customer(
        UpsertCustomer("r1", "张伟", phone="13800138000"), uow, now=NOW, new_id=new_id
    )
    second = await handlers.upsert_customer(
        UpsertCustomer("r2", "张先生", phone="+86 138 0013 8000", address=Address(city="北京")),
        uow,
        now=NOW,
        new_id=new_id,
    )
    assert first.created and not second.created
    assert second.customer.customer_id == first.customer.customer_id
    assert (second.customer.name, second.customer.address.city, second.customer.version) == ("张伟", "北京", 2)
    assert [type(e) for e in uow.published] == [events.CustomerRegistered, events.CustomerUpdated]


async def test_upsert_that_loses_the_registration_race_returns_the_winner(uow: FakeUnitOfWork) -> None:
    new_id = ids()
    winner = Customer.register("0190c1a2-0000-7000-8000-00000000ffff", _profile("13800138000"), NOW)
    uow.customers.racer = winner
    result = await handlers.upsert_customer(
        UpsertCustomer("r1", "张伟", phone="13800138000"), uow, now=NOW, new_id=new_id
    )
    assert (result.customer.customer_id, result.created) == (winner.customer_id, False)
    assert len(uow.customers.rows) == 1
    assert uow.published == []


def _profile(phone: str) -> Profile:
    return Profile.parse(name="张伟", phone=phone)


async def test_upsert_replay_and_key_reuse(uow: FakeUnitOfWork) -> None:
    command = UpsertCustomer("r1", "张伟", phone="13800138000")
    first = await handlers.upsert_customer(command, uow, now=NOW, new_id=ids())
    assert await handlers.upsert_customer(command, uow, now=NOW, new_id=ids()) == first
    assert isinstance(first, UpsertResult)
    with pytest.raises(InvalidArgument) as caught:
        await handlers.upsert_customer(UpsertCustomer("r1", "李四", phone="13800138000"), uow, now=NOW)
    assert caught.value.reason == "IDEMPOTENCY_KEY_REUSED"


async def test_bad_upsert_touches_nothing(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidArgument):
        await handlers.upsert_customer(
            UpsertCustomer("r1", "张伟", phone="13800138000", address=Address(country="中国")), uow, now=NOW
        )
    assert uow.customers.rows == {} and uow.commits == 0


async def test_get_unmasks_and_audits_only_for_allowed_roles(uow: FakeUnitOfWork) -> None:
    created = await handlers.upsert_customer(
        UpsertCustomer("r1", "张伟", phone="13812345678", email="zw@example.com"), uow, now=NOW, new_id=ids()
    )
    customer_id = created.customer.customer_id
    uow.published.clear()
    masked = await handlers.get_customer(GetCustomer(customer_id, "u-1", "customer_service"), uow, now=NOW)
    assert masked.customer.pii_masked and masked.customer.phone == "138****5678"
    assert uow.published == []
    shown = await handlers.get_customer(GetCustomer(customer_id, "u-2", "cs_supervisor", "ticket"), uow, now=NOW)
    assert not shown.customer.pii_masked and shown.customer.phone == "+8613812345678"
    assert uow.published == [
        events.CustomerPiiViewed(customer_id, "u-2", "cs_supervisor", ("phone", "email"), "ticket", NOW)
    ]
    with pytest.raises(CustomerNotFound):
        await handlers.get_customer(GetCustomer("0190c1a2-0000-7000-8000-0000000000aa"), uow, now=NOW)


async def test_merge_then_get_resolves_the_old_id(uow: FakeUnitOfWork) -> None:
    new_id = ids()
    a = (
        await handlers.upsert_customer(UpsertCustomer("r1", "张伟", phone="13800138000"), uow, now=NOW, new_id=new_id)
    ).customer
    b = (
        await handlers.upsert_customer(
            UpsertCustomer("r2", "张伟_北京", phone="13900139000"), uow, now=NOW, new_id=new_id
        )
    ).customer
    await handlers.tag_customer(TagCustomer("r3", b.customer_id, ("高复购",)), uow, now=NOW)
    merged = await handlers.merge_customers(MergeCustomers("r4", a.customer_id, b.customer_id, "same"), uow, now=NOW)
    assert merged.survivor.tags == ("高复购",)
    read = await handlers.get_customer(GetCustomer(b.customer_id), uow, now=NOW)
    assert (read.customer.customer_id, read.resolved_from_customer_id) == (a.customer_id, b.customer_id)
    again = await handlers.upsert_customer(
        UpsertCustomer("r5", "张伟", phone="13900139000"), uow, now=NOW, new_id=new_id
    )
    assert again.customer.customer_id == a.customer_id


async def test_find_similar_needs_exactly_one_subject_and_scores(uow: FakeUnitOfWork) -> None:
    new_id = ids()
    await handlers.upsert_customer(
        UpsertCustomer("r1", "张伟", phone="13800138000", address=Address(city="北京市")), uow, now=NOW, new_id=new_id
    )
    await handlers.upsert_customer(UpsertCustomer("r2", "李娜", phone="13900139000"), uow, now=NOW, new_id=new_id)
    found = await handlers.find_similar_customers(FindSimilarCustomers(probe=Probe(name="张伟_北京")), uow)
    assert [c.customer.name for c in found.candidates] == ["张伟"]
    assert found.candidates[0].score == 55
    with pytest.raises(InvalidArgument):
        await handlers.find_similar_customers(FindSimilarCustomers(), uow)
    with pytest.raises(InvalidArgument) as caught:
        await handlers.find_similar_customers(FindSimilarCustomers(probe=Probe(city="北京")), uow)
    assert caught.value.violations[0].field == "probe"


async def test_list_pages_and_tokens(uow: FakeUnitOfWork) -> None:
    new_id = ids()
    for i in range(3):
        await handlers.upsert_customer(
            UpsertCustomer(f"r{i}", f"客户{i}", phone=f"1380013800{i}"), uow, now=NOW, new_id=new_id
        )
    first = await handlers.list_customers(ListCustomers(page_size=2), uow)
    rest = await handlers.list_customers(ListCustomers(page_size=2, page_token=first.next_page_token), uow)
    assert [c.name for c in first.customers + rest.customers] == ["客户0", "客户1", "客户2"]
    assert rest.next_page_token == ""
    for query, field in [
        (ListCustomers(page_size=-1), "page.page_size"),
        (ListCustomers(page_token="!!"), "page.page_token"),
    ]:
        with pytest.raises(InvalidArgument) as caught:
            await handlers.list_customers(query, uow)
        assert caught.value.violations[0].field == field
