"""Who may see personal data, and how it is masked for everyone else ("138****5678")."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from services.customers.domain.identity import national_digits
from services.customers.domain.model import Customer
from services.customers.domain.values import Address, CustomerKind, CustomerStatus, CustomerTier

# Roles allowed to read PII unmasked. Signed tokens will later decide the role; the rule stays here.
PII_ROLES = frozenset({"cs_supervisor", "admin", "service"})

MASK = "****"


def may_see_pii(role: str) -> bool:
    """Whether a caller acting in ``role`` may read a customer's PII unmasked (exact role names)."""
    return role in PII_ROLES


def mask_phone(phone: str) -> str:
    """Keep the first three and last four digits: "+8613812345678" -> "138****5678".

    Numbers too short to keep seven digits keep only their last two.
    """
    if not phone:
        return ""
    digits = national_digits(phone) if phone.startswith("+") else "".join(ch for ch in phone if ch.isdigit())
    if len(digits) >= 11:
        return f"{digits[:3]}{MASK}{digits[-4:]}"
    if len(digits) >= 4:
        return f"{MASK}{digits[-2:]}"
    return MASK


def mask_email(email: str) -> str:
    """Keep the first character and the domain: "zhang.wei@example.com" -> "z***@example.com"."""
    if not email:
        return ""
    local, _, domain = email.rpartition("@")
    return f"{local[:1]}***@{domain}" if local else "***"


def mask_name(name: str) -> str:
    """Keep the first character (the surname in Chinese): "张小明" -> "张**"."""
    return f"{name[:1]}{'*' * (len(name) - 1)}" if name else ""


def mask_address(address: Address) -> Address:
    """Region stays readable (routing, reports); who and where exactly do not."""
    return replace(
        address,
        recipient=mask_name(address.recipient),
        phone=mask_phone(address.phone),
        detail=MASK if address.detail else "",
    )


def pii_fields(customer: Customer) -> tuple[str, ...]:
    """The PII fields this customer actually holds (what an unmasked read reveals)."""
    present = [("phone", customer.phone), ("email", customer.email)]
    address = customer.address
    present.append(("address", address.recipient or address.phone or address.detail))
    return tuple(name for name, value in present if value)


@dataclass(frozen=True)
class CustomerView:
    """A customer as returned to a caller, masked or not; safe to store as an idempotent result."""

    customer_id: str
    kind: CustomerKind
    status: CustomerStatus
    name: str
    phone: str
    email: str
    tax_id: str
    address: Address
    tier: CustomerTier
    tags: tuple[str, ...]
    channel: str
    pii_masked: bool
    version: int
    created_at: datetime
    updated_at: datetime
    # Defaulted so results remembered before teams existed still decode on replay.
    team: str = ""


def view(customer: Customer, *, masked: bool) -> CustomerView:
    return CustomerView(
        customer_id=customer.customer_id,
        kind=customer.kind,
        status=customer.status,
        name=customer.name,
        phone=mask_phone(customer.phone) if masked else customer.phone,
        email=mask_email(customer.email) if masked else customer.email,
        tax_id=customer.tax_id,
        address=mask_address(customer.address) if masked else customer.address,
        tier=customer.tier,
        tags=customer.tags,
        channel=customer.channel,
        pii_masked=masked,
        version=customer.version,
        created_at=customer.created_at,
        updated_at=customer.updated_at,
        team=customer.team,
    )
