"""Opaque keyset page tokens for the channel listings: the last position plus the filter they belong to."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

from shared.kernel import codec
from shared.kernel.errors import InvalidArgument

TOKEN_FIELD = "page.page_token"


def _scope(query: Any) -> str:
    return hashlib.sha256(codec.dumps(query).encode()).hexdigest()[:16]


def encode(position: list[str], query: Any) -> str:
    plain = {"p": position, "f": _scope(query)}
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(token: str, query: Any, size: int) -> list[str] | None:
    """The position of ``token`` (None for the first page); a token that is not ours is INVALID_ARGUMENT."""
    if not token:
        return None
    try:
        plain = json.loads(base64.urlsafe_b64decode((token + "=" * (-len(token) % 4)).encode("ascii")))
        position, scope = plain["p"], plain["f"]
        if not isinstance(position, list) or len(position) != size or not all(isinstance(p, str) for p in position):
            raise ValueError("malformed position")
    except (ValueError, KeyError, TypeError, UnicodeError, binascii.Error) as error:
        raise InvalidArgument.field(TOKEN_FIELD, "is not a page token issued by this listing") from error
    if scope != _scope(query):
        raise InvalidArgument.field(TOKEN_FIELD, "was issued for other filters; start again without it")
    return position
