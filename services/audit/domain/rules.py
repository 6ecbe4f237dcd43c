"""Input rules for audit entries: names, lengths and text that PostgreSQL and the hash can keep exactly."""

from __future__ import annotations

import re

from shared.kernel.errors import InvalidArgument

ENTITY_TYPE_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,63}")
MAX_ENTITY_ID = 256
MAX_ACTION = 100
MAX_SUBJECT = 200
MAX_ROLE = 64
MAX_PEER = 256
MAX_FIELD = 200
MAX_NOTE = 2000
MAX_CHANGES = 200
UNKNOWN_ENTITY_TYPE = "unknown"


def check_text(field: str, value: str, limit: int, *, required: bool = True) -> str:
    """``value`` unchanged if it is acceptable; InvalidArgument naming ``field`` otherwise."""
    if required and not value.strip():
        raise InvalidArgument.field(field, "is required")
    if len(value) > limit:
        raise InvalidArgument.field(field, f"must be at most {limit} characters")
    if "\x00" in value:
        raise InvalidArgument.field(field, "must not contain NUL characters")
    return value


def check_entity_type(field: str, value: str) -> str:
    if not ENTITY_TYPE_PATTERN.fullmatch(value):
        raise InvalidArgument.field(field, "must be lower-case letters, digits or '_', starting with a letter")
    return value


def entity_type_of(raw: str) -> str:
    """The chain name for an event's aggregate type, whatever the publisher wrote (an event is never refused)."""
    lowered = re.sub(r"[^a-z0-9_]", "_", raw.strip().lower())
    if lowered and not lowered[0].isalpha():
        lowered = "x" + lowered
    return lowered[:64] or UNKNOWN_ENTITY_TYPE


def clean_text(value: str, limit: int) -> str:
    """Event text made storable: NUL (which PostgreSQL text cannot hold) shown as U+FFFD, capped in length."""
    return value.replace("\x00", "\ufffd")[:limit]
