"""Unit tests of the id factory: canonical UUIDv7 strings, ordered by creation time."""

from __future__ import annotations

import os
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


def test_a_forked_child_draws_other_random_bits_than_its_parent() -> None:
    new_id()  # the pool now holds bits the child would inherit
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:
        os.write(writer, new_id().encode())
        os._exit(0)
    os.close(writer)
    parent_id = new_id()
    with os.fdopen(reader, "rb") as pipe:
        child_id = pipe.read().decode()
    os.waitpid(child, 0)
    random_bits = (1 << 74) - 1
    assert uuid.UUID(child_id).int & random_bits != uuid.UUID(parent_id).int & random_bits
