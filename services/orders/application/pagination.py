"""Opaque page tokens for ListOrders: the keyset cursor plus a fingerprint of the filter it belongs to."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import UTC, datetime, timedelta

from services.orders.application.commands import OrderFilter
from services.orders.application.ports import Cursor
from shared.kernel import codec
from shared.kernel.errors import InvalidArgument
from shared.kernel.ids import is_valid_id

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
TOKEN_FIELD = "page.page_token"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def page_size(requested: int) -> int:
    if requested < 0:
        raise InvalidArgument.field("page.page_size", "must not be negative")
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def _filter_key(query: OrderFilter) -> str:
    # A token only makes sense with the filter it was issued for: another filter would skip or repeat rows.
    return hashlib.sha256(codec.dumps(query).encode()).hexdigest()[:16]


def encode(cursor: Cursor, query: OrderFilter) -> str:
    micros = (cursor.created_at - EPOCH) // MICROSECOND
    plain = {"t": micros, "id": cursor.order_id, "f": _filter_key(query)}
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(token: str, query: OrderFilter) -> Cursor | None:
    """The cursor of ``token`` (None for the first page); a token that is not ours is INVALID_ARGUMENT."""
    if not token:
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        plain = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        micros, order_id, key = plain["t"], plain["id"], plain["f"]
        if type(micros) is not int or not isinstance(order_id, str) or not is_valid_id(order_id):
            raise ValueError("malformed cursor")
        created_at = EPOCH + micros * MICROSECOND
    except (ValueError, KeyError, TypeError, UnicodeError, binascii.Error, OverflowError, OSError) as error:
        raise InvalidArgument.field(TOKEN_FIELD, "is not a page token issued by ListOrders") from error
    if key != _filter_key(query):
        raise InvalidArgument.field(TOKEN_FIELD, "was issued for other filters; start again without it")
    return Cursor(created_at, order_id)
