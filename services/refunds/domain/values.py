"""Value objects shared by refunds and exceptions (actor, item) and the checks of free input."""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from shared.kernel.errors import InvalidArgument
from shared.kernel.ids import is_valid_id

MAX_ITEMS = 500
MAX_SKU_LENGTH = 64
MAX_QUANTITY = 1_000_000
# Control characters a PostgreSQL text column refuses (NUL) or a log line garbles; tab and newlines are fine
# in free text. Lone surrogates cannot be encoded as UTF-8 at all.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class RefundKind(enum.Enum):
    """Decides stock movement, whether goods come back, and the target time."""

    FULL_BEFORE_SHIPMENT = "FULL_BEFORE_SHIPMENT"
    FULL_AFTER_SHIPMENT = "FULL_AFTER_SHIPMENT"
    PARTIAL = "PARTIAL"
    COMPENSATION = "COMPENSATION"


class RefundReason(enum.Enum):
    QUALITY_PROBLEM = "QUALITY_PROBLEM"
    CHANGED_MIND = "CHANGED_MIND"
    WRONG_ITEM = "WRONG_ITEM"
    DAMAGED = "DAMAGED"
    SHORT_SHIPPED = "SHORT_SHIPPED"
    CARRIER_PROBLEM = "CARRIER_PROBLEM"
    PRICE_ADJUSTMENT = "PRICE_ADJUSTMENT"
    OTHER = "OTHER"


class OrderType(enum.Enum):
    REGULAR = "REGULAR"
    RUSH = "RUSH"
    SAMPLE = "SAMPLE"


class RefundStatus(enum.Enum):
    PENDING_APPROVAL = "PENDING_APPROVAL"
    AWAITING_RETURN = "AWAITING_RETURN"
    READY_FOR_EXECUTION = "READY_FOR_EXECUTION"
    EXECUTING = "EXECUTING"
    COMPLETED = "COMPLETED"
    REJECTED = "REJECTED"
    FAILED = "FAILED"


class ReturnStatus(enum.Enum):
    NOT_REQUIRED = "NOT_REQUIRED"
    AWAITING = "AWAITING"
    RECEIVED = "RECEIVED"
    QC_PASSED = "QC_PASSED"
    QC_FAILED = "QC_FAILED"


class StockAction(enum.Enum):
    NONE = "NONE"
    RELEASE_RESERVATION = "RELEASE_RESERVATION"
    RESTOCK = "RESTOCK"


class ExceptionType(enum.Enum):
    SHORT_SHIPPED = "SHORT_SHIPPED"
    WRONG_ITEM = "WRONG_ITEM"
    DAMAGED = "DAMAGED"
    CARRIER_PROBLEM = "CARRIER_PROBLEM"


class Responsibility(enum.Enum):
    WAREHOUSE = "WAREHOUSE"
    CARRIER = "CARRIER"
    SUPPLIER = "SUPPLIER"


class Remedy(enum.Enum):
    RESHIP = "RESHIP"
    REFUND = "REFUND"
    GIFT = "GIFT"


class ExceptionStatus(enum.Enum):
    OPEN = "OPEN"
    RESOLVED = "RESOLVED"


@dataclass(frozen=True)
class Actor:
    """Who did something: an authenticated subject and the role it acted in."""

    subject: str
    role: str


@dataclass(frozen=True)
class Item:
    """Units of one SKU (refunded, returned or to be reshipped)."""

    sku: str
    quantity: int


@dataclass(frozen=True)
class Approval:
    """One signature on a refund request."""

    approver: Actor
    comment: str
    approved_at: datetime


def checked_text(value: str, field: str, *, max_length: int, required: bool = False) -> str:
    """``value`` without surrounding blanks, refused when missing (if required), too long or unstorable.

    Length counts code points, so "𠮷" is one character like any other.
    """
    text = value.strip()
    if required and not text:
        raise InvalidArgument.field(field, "is required")
    if len(text) > max_length:
        raise InvalidArgument.field(field, f"must be at most {max_length} characters")
    if _FORBIDDEN.search(text):
        raise InvalidArgument.field(field, "must not contain control characters")
    return unicodedata.normalize("NFC", text)


def checked_id(value: str, field: str) -> str:
    if not value:
        raise InvalidArgument.field(field, "is required")
    if not is_valid_id(value):
        raise InvalidArgument.field(field, "must be a UUID")
    return value.lower()


def checked_items(items: Sequence[Item], field: str, *, required: bool) -> tuple[Item, ...]:
    """Items with valid SKUs and positive quantities, each SKU once."""
    if required and not items:
        raise InvalidArgument.field(field, "must name at least one item")
    if len(items) > MAX_ITEMS:
        raise InvalidArgument.field(field, f"must hold at most {MAX_ITEMS} items")
    seen: set[str] = set()
    checked: list[Item] = []
    for index, item in enumerate(items):
        sku = checked_text(item.sku, f"{field}[{index}].sku", max_length=MAX_SKU_LENGTH, required=True)
        if any(character.isspace() for character in sku):
            raise InvalidArgument.field(f"{field}[{index}].sku", "must not contain spaces")
        if sku in seen:
            raise InvalidArgument.field(f"{field}[{index}].sku", f"{sku} appears more than once")
        if not 0 < item.quantity <= MAX_QUANTITY:
            raise InvalidArgument.field(f"{field}[{index}].quantity", f"must be between 1 and {MAX_QUANTITY}")
        seen.add(sku)
        checked.append(Item(sku, item.quantity))
    return tuple(checked)
