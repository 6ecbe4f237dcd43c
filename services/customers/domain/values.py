"""Value objects of the customer model: tier, kind, status and a validated postal address."""

from __future__ import annotations

import enum
from dataclasses import dataclass, fields

from services.customers.domain.text import clean_text
from shared.kernel.errors import InvalidArgument


class CustomerTier(enum.Enum):
    """Tiers from lowest to highest; a merge keeps the higher one."""

    REGULAR = "REGULAR"
    SILVER = "SILVER"
    GOLD = "GOLD"
    VIP = "VIP"

    @property
    def rank(self) -> int:
        return _TIER_ORDER.index(self)


_TIER_ORDER = (CustomerTier.REGULAR, CustomerTier.SILVER, CustomerTier.GOLD, CustomerTier.VIP)


class CustomerKind(enum.Enum):
    """A person is identified by phone, a company by tax id."""

    PERSON = "PERSON"
    COMPANY = "COMPANY"


class CustomerStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    MERGED = "MERGED"


# Longest accepted value per address field, in characters.
_ADDRESS_LIMITS = {
    "recipient": 100,
    "phone": 40,
    "country": 2,
    "province": 64,
    "city": 64,
    "district": 64,
    "detail": 500,
    "postal_code": 16,
}


@dataclass(frozen=True)
class Address:
    """A postal address; recipient, phone and detail are PII."""

    recipient: str = ""
    phone: str = ""
    country: str = ""
    province: str = ""
    city: str = ""
    district: str = ""
    detail: str = ""
    postal_code: str = ""

    @classmethod
    def parse(cls, field: str = "address", **values: str) -> Address:
        """A validated address from raw strings; errors name ``<field>.<part>``."""
        cleaned = {
            name: clean_text(f"{field}.{name}", values.get(name, ""), max_length=limit)
            for name, limit in _ADDRESS_LIMITS.items()
        }
        country = cleaned["country"].upper()
        if country and not (len(country) == 2 and country.isascii() and country.isalpha()):
            raise InvalidArgument.field(f"{field}.country", "must be an ISO 3166-1 alpha-2 code like CN")
        return cls(**{**cleaned, "country": country})

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))
