"""Unit tests of the id factory: canonical UUIDv7 strings, ordered by creation time."""

from __future__ import annotations

import time
import uuid

from shared.kernel.ids import is_valid_id, new_id, new_uuid


def test_a_new_id_is_a_canonical_version_7_uuid() -> None:
    for _ in range(1000):
        text = new_id()
        parsed = uuid.UUID(text)
        assert str(parsed) == text and is_valid_id(text)
        assert parsed.version == 7 and parsed.variant == uuid.RFC_4122


def test_ids_carry_their_millisecond_and_sort_by_it() -> None:
    before = time.time_ns() // 1_000_000
    first = new_uuid()
    ids = [new_id() for _ in range(2000)]
    after = time.time_ns() // 1_000_000
    assert before <= first.int >> 80 <= after
    millis = [uuid.UUID(text).int >> 80 for text in ids]
    assert millis == sorted(millis) and before <= millis[0] and millis[-1] <= after
    assert len(set(ids)) == len(ids)


def test_only_canonical_strings_are_valid_ids() -> None:
    text = new_id()
    assert not is_valid_id(text.upper().replace("-", ""))
    assert not is_valid_id(text[:-1])
    assert not is_valid_id("")
