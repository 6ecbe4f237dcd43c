"""The Idempotency-Key every POST carries: passed through as the upstream request id, never invented here."""

from __future__ import annotations

import re

from shared.kernel.errors import InvalidArgument

HEADER = "Idempotency-Key"
MAX_LENGTH = 128
# Visible ASCII only: a header value survives every proxy unchanged, and the services cap request ids at 128.
PATTERN = r"^[\x21-\x7e]{1,128}$"
_VALID = re.compile(PATTERN)


class IdempotencyKeyRequired(InvalidArgument):
    reason = "IDEMPOTENCY_KEY_REQUIRED"


class InvalidIdempotencyKey(InvalidArgument):
    reason = "INVALID_IDEMPOTENCY_KEY"


def request_id(key: str | None) -> str:
    """The upstream request id of a POST carrying ``key``; the key itself, once checked."""
    if not key:
        raise IdempotencyKeyRequired.field(HEADER, "is required on every POST (a UUID per intended action)")
    if not _VALID.fullmatch(key):
        raise InvalidIdempotencyKey.field(HEADER, f"must be 1 to {MAX_LENGTH} visible ASCII characters")
    return key
