"""Time-ordered ids (UUID version 7 layout) so new rows land at the end of their index."""

from __future__ import annotations

import os
import time
import uuid


def new_uuid() -> uuid.UUID:
    """A UUIDv7: 48 bits of Unix milliseconds, then random bits; sortable by creation time."""
    millis = time.time_ns() // 1_000_000
    value = (millis & ((1 << 48) - 1)) << 80 | int.from_bytes(os.urandom(10), "big")
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    return uuid.UUID(int=value)


def new_id() -> str:
    """A new id as its canonical string, the form every contract carries."""
    return str(new_uuid())


def is_valid_id(text: str) -> bool:
    """Whether ``text`` is a canonical UUID string (what every id field must hold)."""
    try:
        return str(uuid.UUID(text)) == text.lower()
    except (ValueError, AttributeError, TypeError):
        return False
