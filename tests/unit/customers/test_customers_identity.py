"""Normalisation of the identities that deduplicate customers: phone numbers, tax ids, emails."""

from __future__ import annotations

import pytest

from services.customers.domain.identity import normalise_email, normalise_phone, normalise_tax_id
from shared.kernel.errors import InvalidArgument


@pytest.mark.parametrize(
    "raw",
    [
        "+86 138-0013-8000",
        "13800138000",
        "0086 13800138000",
        "86 13800138000",
        "+86 (138) 0013 8000",
        "１３８００１３８０００",
        "138.0013.8000",
        "\u00a0138 0013 8000 ",
    ],
)
def test_every_notation_of_a_mobile_is_one_identity(raw: str) -> None:
    assert normalise_phone(raw) == "+8613800138000"


def test_landlines_drop_the_trunk_prefix() -> None:
    assert normalise_phone("010-1234 5678") == "+861012345678"
    assert normalise_phone("+86 10 1234 5678") == "+861012345678"
    assert normalise_phone("0755-12345678") == "+8675512345678"


def test_foreign_numbers_keep_their_country_code() -> None:
    assert normalise_phone("+1 (415) 555-0100") == "+14155550100"
    assert normalise_phone("0044 20 7946 0018") == "+442079460018"


@pytest.mark.parametrize(
    "raw",
    ["", "abc", "1380013800x", "12800138000", "1380013800", "+0 123456789", "+1234", "12345678", "+86 0"],
)
def test_bad_phones_name_the_field_and_reason(raw: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        normalise_phone(raw, "probe.phone")
    assert caught.value.reason == "INVALID_PHONE"
    assert [v.field for v in caught.value.violations] == ["probe.phone"]


def test_tax_ids_are_upper_cased_without_separators() -> None:
    assert normalise_tax_id(" 9131 0000-ma1fl0000x ") == "91310000MA1FL0000X"
    assert normalise_tax_id("ＤＥ123456789") == "DE123456789"


@pytest.mark.parametrize("raw", ["12345", "9131#0000", "税号91310000MA1FL0000X", "X" * 33])
def test_bad_tax_ids(raw: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        normalise_tax_id(raw)
    assert caught.value.reason == "INVALID_TAX_ID"
    assert caught.value.violations[0].field == "tax_id"


def test_email_domain_is_lower_cased_local_part_kept() -> None:
    assert normalise_email(" Zhang.Wei@Example.COM ") == "Zhang.Wei@example.com"
    assert normalise_email("张伟@例子.中国") == "张伟@例子.中国"


@pytest.mark.parametrize("raw", ["nobody", "@example.com", "a@b", "a b@example.com", "a@example..com", "a@.com"])
def test_bad_emails(raw: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        normalise_email(raw)
    assert caught.value.reason == "INVALID_EMAIL"
    assert caught.value.violations[0].field == "email"
