"""Time-ordered ids (UUID version 7 layout) so new rows land at the end of their index."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator

_VERSION_AND_VARIANT_CLEARED = ~((0xF << 76) | (0x3 << 62))
_VERSION_7_RFC_4122 = (0x7 << 76) | (0x2 << 62)
_RANDOM_BYTES = 10
_POOL_SIZE = 1024
# Random bits for the next ids, drawn from os.urandom a thousand at a time (one system call each, not one per
# id). A list iterator's next() is atomic under the GIL, so threads never get the same bits; a forked child
# starts a pool of its own.
_pool: Iterator[int] = iter(())


def _refill() -> Iterator[int]:
    global _pool
    entropy = os.urandom(_RANDOM_BYTES * _POOL_SIZE)
    _pool = iter([int.from_bytes(entropy[i : i + _RANDOM_BYTES]) for i in range(0, len(entropy), _RANDOM_BYTES)])
    return _pool


def _forget_pool() -> None:
    global _pool
    _pool = iter(())


os.register_at_fork(after_in_child=_forget_pool)


def _random_80() -> int:
    for bits in _pool:
        return bits
    return next(_refill())


def _uuid7_int() -> int:
    """48 bits of Unix milliseconds, then random bits with the version (7) and the RFC 4122 variant set."""
    millis = time.time_ns() // 1_000_000
    value = (millis & ((1 << 48) - 1)) << 80 | _random_80()
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
