"""Plain-data encoding of frozen dataclasses (commands and results) for idempotency records and fingerprints.

Supports what commands and results are made of: dataclasses, Money, enums, str/int/bool/None, datetimes,
UUIDs, tuples, lists, dicts with string keys and Optional/union fields. Decoding is driven by type hints,
so a stored result comes back as the same types it was saved as.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import types
import typing
import uuid
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

import orjson

T = TypeVar("T")


def to_plain(value: Any) -> Any:
    """Turn ``value`` into JSON-compatible data (dicts, lists, strings, numbers)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple | frozenset | set):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_plain(kind: Any, data: Any) -> Any:
    """Rebuild a value of type ``kind`` from what :func:`to_plain` produced."""
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(kind)
        if data is None and type(None) in options:
            return None
        for option in options:
            if option is type(None):
                continue
            try:
                return from_plain(option, data)
            except (TypeError, ValueError, KeyError):
                continue
        raise ValueError(f"{data!r} matches none of {kind}")
    if origin in (list, tuple, set, frozenset):
        args = typing.get_args(kind)
        item_type = args[0] if args else Any
        items = [from_plain(item_type, v) for v in data]
        return origin(items)
    if origin is dict:
        _, value_type = typing.get_args(kind) or (str, Any)
        return {k: from_plain(value_type, v) for k, v in data.items()}
    if kind is Any or kind is None:
        return data
    if isinstance(kind, type):
        if dataclasses.is_dataclass(kind):
            hints = _hints(kind)
            return kind(
                **{f.name: from_plain(hints[f.name], data[f.name]) for f in dataclasses.fields(kind) if f.name in data}
            )
        if issubclass(kind, enum.Enum):
            return kind(data)
        if kind is datetime:
            return datetime.fromisoformat(data)
        if kind is uuid.UUID:
            return uuid.UUID(data)
        if kind in (int, str, bool, float) and not isinstance(data, kind):
            raise TypeError(f"{data!r} is not {kind.__name__}")
    return data


def _plain_default(value: Any) -> Any:
    if isinstance(value, frozenset | set):
        return list(value)
    raise TypeError(f"{type(value).__name__} has no plain form")


def dumps(value: Any) -> str:
    """Deterministic JSON of ``value`` (dict keys sorted, dataclass fields in their declared order, UTF-8 kept
    as is) that :func:`loads` reads back. orjson walks dataclasses, enums, datetimes and UUIDs itself, in C:
    the idempotency record of a batch holds thousands of results."""
    return orjson.dumps(value, default=_plain_default, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS).decode()


def loads(kind: type[T], text: str) -> T:
    return from_plain(kind, orjson.loads(text))


def fingerprint(command: Any, *, ignore: tuple[str, ...] = ("request_id",)) -> str:
    """A stable hash of a command's arguments, leaving out the idempotency key itself."""
    plain = to_plain(command)
    if isinstance(plain, dict):
        plain = {k: v for k, v in plain.items() if k not in ignore}
    canonical = json.dumps(plain, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
