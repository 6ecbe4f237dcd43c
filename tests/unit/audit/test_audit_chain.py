"""The hash chain: sealing, canonical encoding, and verification finding the first broken link."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.audit.domain.chain import (
    GENESIS,
    Anchor,
    BreakKind,
    ChainVerifier,
    canonical_bytes,
    entry_hash,
    instant,
    seal,
    seal_batch,
)
from services.audit.domain.model import GENESIS_HASH, Actor, ChainHead, Change, EntryDraft
from shared.kernel.ids import new_id

NOW = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)


def draft(entity_type: str = "order", entity_id: str = "o-1", **overrides) -> EntryDraft:
    fields = {
        "entry_id": new_id(),
        "actor": Actor("zhang.wei", "customer_service"),
        "peer_address": "ipv4:10.0.0.7:51234",
        "occurred_at": NOW - timedelta(seconds=3),
        "entity_type": entity_type,
        "entity_id": entity_id,
        "action": "OrderStatusChanged",
        "changes": (Change("status", "PAID", "UNDER_REVIEW"),),
        "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
        "request_id": "req-1",
        "source_event_id": new_id(),
        "source_event_type": "oms.orders.v1.OrderStatusChanged",
        "payload_json": '{"order_id":"o-1"}',
    }
    fields.update(overrides)
    return EntryDraft(**fields)


def chain_of(count: int, chain: str = "order"):
    entries, heads = seal_batch([draft(chain, f"o-{i}") for i in range(count)], {chain: ChainHead(chain)}, NOW)
    return entries, heads[chain]


def verify(entries, head, anchor=GENESIS):
    verifier = ChainVerifier(head.chain, anchor)
    for entry in entries:
        if not verifier.feed(entry):
            break
    verifier.check_head(head)
    return verifier.result()


def test_first_entry_links_to_genesis_and_each_next_to_its_predecessor():
    entries, head = chain_of(3)
    assert [e.sequence for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == GENESIS_HASH
    assert entries[1].prev_hash == entries[0].hash
    assert entries[2].prev_hash == entries[1].hash
    assert head == ChainHead("order", 3, entries[2].hash)
    assert all(len(e.hash) == 64 and e.hash == entry_hash(e) for e in entries)


def test_batch_keeps_one_head_per_chain():
    drafts = [draft("order", "o-1"), draft("payment", "p-1"), draft("order", "o-2")]
    heads = {"order": ChainHead("order", 7, "a" * 64), "payment": ChainHead("payment")}
    entries, moved = seal_batch(drafts, heads, NOW)
    assert [(e.chain, e.sequence) for e in entries] == [("order", 8), ("payment", 1), ("order", 9)]
    assert entries[0].prev_hash == "a" * 64
    assert entries[2].prev_hash == entries[0].hash
    assert moved["order"] == ChainHead("order", 9, entries[2].hash)
    assert moved["payment"] == ChainHead("payment", 1, entries[1].hash)


def test_a_draft_cannot_be_sealed_onto_another_chain():
    with pytest.raises(ValueError):
        seal(draft("order"), ChainHead("payment"), NOW)


@pytest.mark.parametrize(
    "change",
    [
        {"entity_id": "o-forged"},
        {"actor": Actor("mallory", "admin")},
        {"peer_address": "ipv4:6.6.6.6:1"},
        {"occurred_at": NOW - timedelta(days=1)},
        {"recorded_at": NOW + timedelta(microseconds=1)},
        {"changes": (Change("status", "PAID", "CANCELLED"),)},
        {"changes": ()},
        {"payload_json": '{"order_id":"o-2"}'},
        {"trace_id": ""},
        {"request_id": "req-2"},
        {"source_event_id": ""},
        {"action": "OrderCancelled"},
        {"sequence": 5},
        {"chain": "payment"},
        {"entry_id": new_id()},
        {"prev_hash": "f" * 64},
    ],
)
def test_every_field_is_covered_by_the_hash(change):
    entries, _ = chain_of(1)
    assert entry_hash(replace(entries[0], **change)) != entries[0].hash


def test_the_encoding_is_independent_of_the_time_zone_the_entry_was_built_in():
    entries, _ = chain_of(1)
    shanghai = timezone(timedelta(hours=8))
    moved = replace(entries[0], recorded_at=entries[0].recorded_at.astimezone(shanghai))
    assert canonical_bytes(moved) == canonical_bytes(entries[0])
    assert instant(NOW) == "2026-03-01T08:30:15.123456Z"
    with pytest.raises(ValueError):
        instant(datetime(2026, 1, 1))


def test_text_outside_the_bmp_is_hashed_as_utf8():
    entries, head = chain_of(1)
    named = seal(draft(entity_id="张伟-𠮷", changes=(Change("recipient", None, "𠮷野家"),)), head, NOW)
    assert "𠮷".encode() in canonical_bytes(named)
    assert verify([*entries, named], ChainHead("order", 2, named.hash)).intact


def test_an_intact_chain_verifies():
    entries, head = chain_of(5)
    result = verify(entries, head)
    assert result.intact
    assert (result.first_sequence, result.last_sequence, result.entries_checked) == (1, 5, 5)
    assert result.last_hash == head.last_hash


def test_an_altered_entry_is_the_first_broken_link():
    entries, head = chain_of(5)
    entries[2] = replace(entries[2], entity_id="o-forged")
    result = verify(entries, head)
    assert result.broken is not None
    assert result.broken.kind is BreakKind.HASH_MISMATCH
    assert (result.broken.entry_id, result.broken.sequence) == (entries[2].entry_id, 3)
    assert result.broken.found == entries[2].hash
    assert result.broken.expected == entry_hash(entries[2])
    assert result.entries_checked == 2


def test_an_altered_and_rehashed_entry_breaks_the_link_of_the_next():
    entries, head = chain_of(5)
    forged = replace(entries[1], entity_id="o-forged")
    entries[1] = replace(forged, hash=entry_hash(forged))
    result = verify(entries, head)
    assert result.broken is not None
    assert result.broken.kind is BreakKind.PREV_HASH_MISMATCH
    assert result.broken.sequence == 3
    assert result.broken.expected == entries[1].hash
    assert result.broken.found == entries[2].prev_hash


def test_a_removed_entry_is_a_sequence_gap():
    entries, head = chain_of(5)
    del entries[3]
    result = verify(entries, head)
    assert result.broken is not None
    assert result.broken.kind is BreakKind.SEQUENCE_GAP
    assert (result.broken.sequence, result.broken.expected, result.broken.found) == (5, "4", "5")


def test_entries_removed_from_the_end_mismatch_the_head():
    entries, head = chain_of(5)
    result = verify(entries[:3], head)
    assert result.broken is not None
    assert result.broken.kind is BreakKind.HEAD_MISMATCH
    assert result.broken.entry_id == entries[2].entry_id
    assert result.broken.expected == head.last_hash
    assert result.broken.found == entries[2].hash


def test_an_entry_slipped_in_after_the_head_mismatches_it():
    entries, head = chain_of(3)
    extra = seal(draft(), head, NOW)
    assert verify([*entries, extra], head).broken.kind is BreakKind.HEAD_MISMATCH


def test_verification_continues_from_a_checkpoint():
    entries, head = chain_of(6)
    checkpoint = Anchor(entries[2].sequence, entries[2].hash)
    result = verify(entries[3:], head, checkpoint)
    assert result.intact
    assert (result.first_sequence, result.entries_checked) == (4, 3)
    assert verify(entries[4:], head, checkpoint).broken.kind is BreakKind.SEQUENCE_GAP
    wrong = Anchor(3, "e" * 64)
    assert verify(entries[3:], head, wrong).broken.kind is BreakKind.PREV_HASH_MISMATCH


def test_a_missing_range_anchor_is_reported():
    verifier = ChainVerifier("order", GENESIS)
    verifier.missing_start(9)
    result = verifier.result()
    assert result.broken.kind is BreakKind.SEQUENCE_GAP
    assert result.broken.sequence == 9
    assert result.entries_checked == 0
