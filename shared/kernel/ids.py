"""Time-ordered ids (UUID version 7 layout) so new rows land at the end of their index."""

from __future__ import annotations

import os
import time
import uuid

_RANDOM_BITS = (1 << 80) - 1
_VERSION_AND_VARIANT_CLEARED = ~((0xF << 76) | (0x3 << 62))
_VERSION_7_RFC_4122 = (0x7 << 76) | (0x2 << 62)


def _uuid7_int() -> int:
    """48 bits of Unix milliseconds, then random bits with the version (7) and the RFC 4122 variant set."""
    millis = time.time_ns() // 1_000_000
    value = (millis & ((1 << 48) - 1)) << 80 | (int.from_bytes(os.urandom(10)) & _RANDOM_BITS)
    return (value & _VERSION_AND_VARIANT_CLEARED) | _VERSION_7_RFC_4122


def new_uuid() -> uuid.UUID:
    """A UUIDv7: sortable by creation time."""
    return uuid.UUID(int=_uuid7_int())


def new_id() -> str:
    """A new id as its canonical string, the form every contract carries (formatted directly: ids are made
    for every event and row, and uuid.UUID's constructor and str() cost more than the random bits)."""
    digits = f"{_uuid7_int():032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def is_valid_id(text: str) -> bool:
    """Whether ``text`` is a canonical UUID string (what every id field must hold)."""
    try:
        return str(uuid.UUID(text)) == text.lower()
    except (ValueError, AttributeError, TypeError):
        return False
