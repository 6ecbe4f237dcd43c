"""Cursor pagination rules of the HTTP API: page sizes, and cursors bound to the filters they were issued for.

A cursor wraps the upstream's page token together with a fingerprint of the listing's filters, so a
cursor replayed with other filters is refused here, naming the ``cursor`` parameter, instead of
silently paging through another listing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping

from shared.kernel.errors import InvalidArgument

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR_CHARS = 2048
CURSOR_VERSION = 1


class InvalidCursor(InvalidArgument):
    reason = "INVALID_CURSOR"


def filters_fingerprint(filters: Mapping[str, object]) -> str:
    """A short digest of the filters of a listing; the order of keys and of list values does not matter."""
    canonical = {
        key: sorted(str(v) for v in value) if isinstance(value, list | tuple | set | frozenset) else str(value)
        for key, value in filters.items()
        if value not in (None, "", [], ())
    }
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def encode_cursor(upstream_token: str, fingerprint: str) -> str | None:
    """The cursor of the next page, or None when the upstream says this was the last page."""
    if not upstream_token:
        return None
    payload = json.dumps({"v": CURSOR_VERSION, "t": upstream_token, "f": fingerprint}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, fingerprint: str) -> str:
    """The upstream page token inside ``cursor`` (empty for the first page); InvalidCursor if it is not ours
    or was issued for other filters."""
    if not cursor:
        return ""
    if len(cursor) > MAX_CURSOR_CHARS:
        raise InvalidCursor.field("cursor", "is not a cursor this API issued")
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise InvalidCursor.field("cursor", "is not a cursor this API issued") from error
    if not isinstance(payload, dict) or payload.get("v") != CURSOR_VERSION or not isinstance(payload.get("t"), str):
        raise InvalidCursor.field("cursor", "is not a cursor this API issued")
    if payload.get("f") != fingerprint:
        raise InvalidCursor.field("cursor", "was issued for other filters; start again without a cursor")
    token: str = payload["t"]
    return token
