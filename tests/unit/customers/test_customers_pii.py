"""The PII policy: who may see it, and what everyone else sees."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.customers.domain.model import Customer, Profile
from services.customers.domain.pii import mask_email, mask_phone, may_see_pii, pii_fields, view
from services.customers.domain.values import Address

NOW = datetime(2025, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("cs_supervisor", True),
        ("admin", True),
        ("service", True),
        ("customer_service", False),
        ("", False),
        ("ADMIN", False),
        (" admin", False),
    ],
)
def test_may_see_pii(role: str, allowed: bool) -> None:
    assert may_see_pii(role) is allowed


def test_masks() -> None:
    assert mask_phone("+8613812345678") == "138****5678"
    assert mask_phone("138-1234-5678") == "138****5678"
    assert mask_phone("+14155550100") == "141****0100"
    assert mask_phone("+861012345678") == "****78"
    assert mask_phone("") == ""
    assert mask_email("zhang.wei@example.com") == "z***@example.com"
    assert mask_email("") == ""


def test_view_masks_only_pii() -> None:
    address = Address.parse(recipient="张小明", phone="13812345678", city="北京市", detail="朝阳路 1 号")
    customer = Customer.register(
        "c-1", Profile.parse(name="张小明", phone="13812345678", email="zx@example.com", address=address), NOW
    )
    masked = view(customer, masked=True)
    assert (masked.name, masked.phone, masked.email) == ("张小明", "138****5678", "z***@example.com")
    assert (masked.address.recipient, masked.address.phone, masked.address.detail) == ("张**", "138****5678", "****")
    assert masked.address.city == "北京市"
    assert masked.pii_masked is True
    clear = view(customer, masked=False)
    assert (clear.phone, clear.address.detail, clear.pii_masked) == ("+8613812345678", "朝阳路 1 号", False)
    assert pii_fields(customer) == ("phone", "email", "address")
