"""Opaque page tokens for the lists: the last id seen (ids are time-ordered) bound to the filter it was issued for."""

from __future__ import annotations

import base64
import binascii
import json

from shared.kernel.errors import InvalidArgument
from shared.kernel.ids import is_valid_id

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
TOKEN_FIELD = "page.page_token"


def page_size(requested: int) -> int:
    if requested < 0:
        raise InvalidArgument.field("page.page_size", "must not be negative")
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def encode(after: str, filter_key: str) -> str:
    plain = json.dumps({"after": after, "filter": filter_key}, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(plain.encode()).decode().rstrip("=")


def decode(token: str, filter_key: str) -> str:
    """The id to continue after ('' for the first page); a foreign token or one of other filters is refused."""
    if not token:
        return ""
    try:
        plain = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        after, issued_for = plain["after"], plain["filter"]
    except (ValueError, KeyError, TypeError, binascii.Error) as error:
        raise InvalidArgument.field(TOKEN_FIELD, "is not a token this service issued") from error
    if not isinstance(after, str) or not is_valid_id(after):
        raise InvalidArgument.field(TOKEN_FIELD, "is not a token this service issued")
    if issued_for != filter_key:
        raise InvalidArgument.field(TOKEN_FIELD, "was issued for other filters")
    return after
