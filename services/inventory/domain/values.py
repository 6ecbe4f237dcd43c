"""Validation of the values every inventory request carries: SKUs, quantities, ids and free text."""

from __future__ import annotations

import re
import unicodedata
import uuid

from shared.kernel.errors import InvalidArgument

MAX_SKU_LENGTH = 64
MAX_QUANTITY = 1_000_000_000
MAX_REASON_LENGTH = 500
MAX_REFERENCE_LENGTH = 200
WAREHOUSE_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")
# Free text may span lines; every other control character (NUL above all, which PostgreSQL text refuses)
# is bad input rather than a crash further down.
_ALLOWED_CONTROLS = frozenset("\t\n\r")


def _has_forbidden_character(text: str, allowed: frozenset[str] = frozenset()) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in allowed for ch in text)


def sku(value: str, field: str = "sku") -> str:
    """A SKU exactly as given: 1-64 characters, no control characters, no surrounding spaces."""
    if not value:
        raise InvalidArgument.field(field, "is required")
    if len(value) > MAX_SKU_LENGTH:
        raise InvalidArgument.field(field, f"must be at most {MAX_SKU_LENGTH} characters")
    if value != value.strip() or _has_forbidden_character(value):
        raise InvalidArgument.field(field, "must not contain control characters or surrounding spaces")
    return value


def quantity(value: int, field: str = "quantity") -> int:
    """A positive number of units, at most a billion."""
    if value <= 0:
        raise InvalidArgument.field(field, "must be positive")
    if value > MAX_QUANTITY:
        raise InvalidArgument.field(field, f"must be at most {MAX_QUANTITY}")
    return value


def non_negative(value: int, field: str) -> int:
    if value < 0:
        raise InvalidArgument.field(field, "must not be negative")
    if value > MAX_QUANTITY:
        raise InvalidArgument.field(field, f"must be at most {MAX_QUANTITY}")
    return value


def entity_id(value: str, field: str) -> str:
    """A required id: a UUID, returned in canonical lower-case form."""
    if not value:
        raise InvalidArgument.field(field, "is required")
    try:
        parsed = uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise InvalidArgument.field(field, "must be a UUID") from None
    if str(parsed) != value.lower():
        raise InvalidArgument.field(field, "must be a UUID in canonical form")
    return str(parsed)


def optional_id(value: str, field: str) -> str | None:
    """An optional id: None when empty, else as :func:`entity_id`."""
    return entity_id(value, field) if value else None


def text(value: str, field: str, *, max_length: int, required: bool = False) -> str:
    """Free text (UTF-8, any plane): trimmed, bounded, without control characters other than line breaks."""
    trimmed = value.strip()
    if required and not trimmed:
        raise InvalidArgument.field(field, "is required")
    if len(trimmed) > max_length:
        raise InvalidArgument.field(field, f"must be at most {max_length} characters")
    if _has_forbidden_character(trimmed, _ALLOWED_CONTROLS):
        raise InvalidArgument.field(field, "must not contain control characters")
    return trimmed


def name(value: str, field: str, *, max_length: int) -> str:
    """A one-line label: required, trimmed, no control characters at all."""
    trimmed = value.strip()
    if not trimmed:
        raise InvalidArgument.field(field, "is required")
    if len(trimmed) > max_length:
        raise InvalidArgument.field(field, f"must be at most {max_length} characters")
    if _has_forbidden_character(trimmed):
        raise InvalidArgument.field(field, "must not contain control characters")
    return trimmed


def warehouse_code(value: str, field: str = "code") -> str:
    if not WAREHOUSE_CODE.fullmatch(value):
        raise InvalidArgument.field(field, "must be 1-32 letters, digits, '-' or '_'")
    return value
