"""Reading rules stored as JSON: every value is read with its path, so a refusal names the exact spot
(``rules_json.rules[2].when.total_below``) instead of failing somewhere later."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from services.orders.domain.rules import check_text
from shared.kernel.errors import InvalidArgument

MAX_JSON_CHARS = 64 * 1024
MAX_RULES = 200
MAX_LIST = 1000
RULE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")


class Node:
    """A decoded JSON value and where it sits."""

    def __init__(self, value: Any, path: str) -> None:
        self.value = value
        self.path = path

    def refuse(self, description: str) -> InvalidArgument:
        return InvalidArgument.field(self.path, description)

    def object(self, allowed: frozenset[str] | set[str], required: tuple[str, ...] = ()) -> dict[str, Node]:
        """The members of a JSON object; a member not in ``allowed`` is refused (a typo must not pass as
        a rule that never matches)."""
        if not isinstance(self.value, dict):
            raise self.refuse("must be a JSON object")
        for key in self.value:
            if key not in allowed:
                raise InvalidArgument.field(f"{self.path}.{key}", f"is not one of {', '.join(sorted(allowed))}")
        for key in required:
            if key not in self.value:
                raise InvalidArgument.field(f"{self.path}.{key}", "is required")
        return {key: Node(value, f"{self.path}.{key}") for key, value in self.value.items()}

    def items(self, max_items: int = MAX_LIST) -> Iterator[Node]:
        if not isinstance(self.value, list):
            raise self.refuse("must be a JSON array")
        if len(self.value) > max_items:
            raise self.refuse(f"must hold at most {max_items} entries")
        for index, value in enumerate(self.value):
            yield Node(value, f"{self.path}[{index}]")

    def text(self, max_length: int, *, required: bool = False) -> str:
        if not isinstance(self.value, str):
            raise self.refuse("must be a string")
        check_text(self.path, self.value, max_length, required=required)
        return self.value

    def texts(self, max_length: int, *, required: bool = True) -> tuple[str, ...]:
        """A list of non-empty strings (duplicates dropped, order kept)."""
        return tuple(dict.fromkeys(item.text(max_length, required=required).strip() for item in self.items()))

    def integer(self, minimum: int, maximum: int) -> int:
        # bool is an int in Python but never a count in a rule.
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise self.refuse("must be a whole number")
        if not minimum <= self.value <= maximum:
            raise self.refuse(f"must be between {minimum} and {maximum}")
        return self.value

    def boolean(self) -> bool:
        if not isinstance(self.value, bool):
            raise self.refuse("must be true or false")
        return self.value

    def choice(self, allowed: tuple[str, ...]) -> str:
        if not isinstance(self.value, str) or self.value not in allowed:
            raise self.refuse(f"must be one of {', '.join(allowed)}")
        return self.value

    def rule_id(self) -> str:
        if not isinstance(self.value, str) or not RULE_ID.fullmatch(self.value):
            raise self.refuse("must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit")
        return self.value


def decode(text: str, field: str) -> Node:
    """The JSON document of ``text`` (a request field) as the root node."""
    if not text.strip():
        raise InvalidArgument.field(field, "is required")
    if len(text) > MAX_JSON_CHARS:
        raise InvalidArgument.field(field, f"must be at most {MAX_JSON_CHARS} characters")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise InvalidArgument.field(field, f"is not valid JSON: {error}") from error
    return Node(value, field)


def unique_ids(rules: list[tuple[str, Node]]) -> None:
    seen: set[str] = set()
    for rule_id, node in rules:
        if rule_id in seen:
            raise node.refuse(f"repeats the rule id {rule_id!r}")
        seen.add(rule_id)
