"""Page tokens of QueryEntries: an opaque keyset cursor (occurred_at, entry_id) bound to the filter it serves."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import UTC, datetime, timedelta

from services.audit.application.commands import EntryFilter
from shared.kernel import codec
from shared.kernel.errors import InvalidArgument
from shared.kernel.ids import is_valid_id

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
TOKEN_FIELD = "page.page_token"
SIZE_FIELD = "page.page_size"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def page_size(requested: int) -> int:
    if requested < 0:
        raise InvalidArgument.field(SIZE_FIELD, "must not be negative")
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def _bound_to(query: EntryFilter) -> str:
    # Resuming under other filters (or another order) would skip or repeat entries, so the token says which.
    return hashlib.sha256(codec.dumps(query).encode()).hexdigest()[:16]


def encode(occurred_at: datetime, entry_id: str, query: EntryFilter) -> str:
    plain = {"at": (occurred_at - _EPOCH) // _MICROSECOND, "id": entry_id, "q": _bound_to(query)}
    raw = json.dumps(plain, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str, query: EntryFilter) -> tuple[datetime, str] | None:
    """The cursor in ``token`` (None for the first page); anything not issued by us is INVALID_ARGUMENT."""
    if not token:
        return None
    try:
        plain = json.loads(base64.urlsafe_b64decode((token + "=" * (-len(token) % 4)).encode("ascii")))
        micros, entry_id, bound = plain["at"], plain["id"], plain["q"]
        if type(micros) is not int or not isinstance(entry_id, str) or not is_valid_id(entry_id):
            raise ValueError("not a cursor")
        occurred_at = _EPOCH + micros * _MICROSECOND
    except (ValueError, KeyError, TypeError, UnicodeError, binascii.Error, OverflowError) as error:
        raise InvalidArgument.field(TOKEN_FIELD, "is not a page token issued by QueryEntries") from error
    if bound != _bound_to(query):
        raise InvalidArgument.field(TOKEN_FIELD, "was issued for other filters; start again without it")
    return occurred_at, entry_id
