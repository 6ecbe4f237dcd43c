"""The audit service over real gRPC and PostgreSQL: Append, GetEntry, QueryEntries, Verify; bad input,
idempotent replay, and appends racing on one chain."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta

import grpc
import oms_client
import pytest
from google.protobuf import struct_pb2
from google.protobuf.timestamp_pb2 import Timestamp
from oms.audit.v1 import audit_pb2
from oms.common.v1 import common_pb2
from sqlalchemy import text

from services.audit.domain.model import GENESIS_HASH
from shared.kernel.ids import new_id
from tests.integration.audit.conftest import append_request, chain_name

CALLER = (("x-oms-subject", "wang.fang"), ("x-oms-role", "finance"))


def value(**kind) -> struct_pb2.Value:
    return struct_pb2.Value(**kind)


def stamp(moment: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(moment)
    return out


async def history(client, entity_type: str, **filters) -> list[audit_pb2.AuditEntry]:
    """Every entry of a query, following the page tokens."""
    found, token = [], ""
    for _ in range(100):
        reply = await client.QueryEntries(
            audit_pb2.QueryEntriesRequest(
                entity_type=entity_type, page=common_pb2.PageRequest(page_size=3, page_token=token), **filters
            )
        )
        found.extend(reply.entries)
        token = reply.page.next_page_token
        if not token:
            return found
    raise AssertionError("pagination did not end")


async def test_append_records_an_operator_action_with_its_provenance(client):
    chain = chain_name("order")
    request = append_request(
        chain,
        entity_id="订单-𠮷-1",
        changes=[
            audit_pb2.FieldChange(field="locked", before=value(bool_value=True), after=value(bool_value=False)),
            audit_pb2.FieldChange(field="remark", after=value(string_value="𠮷野家 收货")),
            audit_pb2.FieldChange(field="total.amount_minor", before=value(number_value=120000)),
        ],
    )
    entry = (await client.Append(request)).entry
    assert (entry.chain, entry.sequence, entry.prev_hash) == (chain, 1, GENESIS_HASH)
    assert len(entry.hash) == 64 and entry.hash != GENESIS_HASH
    assert (entry.actor.subject, entry.actor.role) == ("li.na", "supervisor")
    assert entry.peer_address.startswith("ipv4:127.0.0.1:") or entry.peer_address.startswith("ipv6:")
    assert (entry.entity_type, entry.entity_id, entry.action) == (chain, "订单-𠮷-1", "order.unlock")
    assert entry.request_id == request.request_id
    assert entry.source_event_id == "" and entry.source_event_type == ""
    assert abs(entry.occurred_at.ToDatetime(tzinfo=UTC) - datetime.now(UTC)) < timedelta(minutes=1)
    assert [c.field for c in entry.changes] == ["locked", "remark", "total.amount_minor"]
    assert entry.changes[0].before.bool_value is True and entry.changes[0].after.bool_value is False
    assert not entry.changes[1].HasField("before") and entry.changes[1].after.string_value == "𠮷野家 收货"
    assert entry.changes[2].before.number_value == 120000 and not entry.changes[2].HasField("after")
    assert "𠮷" in entry.payload_json
    fetched = (await client.GetEntry(audit_pb2.GetEntryRequest(entry_id=entry.entry_id))).entry
    assert fetched == entry


async def test_the_actor_is_the_caller(client):
    chain = chain_name("customer")
    entry = (await client.Append(append_request(chain, actor=None), metadata=CALLER)).entry
    assert (entry.actor.subject, entry.actor.role) == ("wang.fang", "finance")
    assert entry.peer_address.startswith(("ipv4:127.0.0.1:", "ipv6:"))
    same = append_request(chain, actor=common_pb2.Actor(subject="wang.fang", role="finance"))
    assert (await client.Append(same, metadata=CALLER)).entry.actor.subject == "wang.fang"


async def test_the_gateway_records_for_its_user_with_the_user_address(client):
    chain = chain_name("customer")
    when = stamp(datetime(2026, 1, 2, tzinfo=UTC))
    request = append_request(chain, peer_address="203.0.113.9", occurred_at=when)
    gateway = (("x-oms-subject", "gateway"), ("x-oms-role", "service"))
    entry = (await client.Append(request, metadata=gateway)).entry
    assert (entry.actor.subject, entry.actor.role) == ("li.na", "supervisor")
    assert entry.peer_address == "203.0.113.9"
    assert entry.occurred_at.ToDatetime(tzinfo=UTC) == datetime(2026, 1, 2, tzinfo=UTC)


async def test_roles_are_held_to_their_duties(client):
    chain = chain_name("order")
    for request in (append_request(chain), append_request(chain, actor=None, peer_address="203.0.113.9")):
        with pytest.raises(oms_client.OmsRpcError) as refused:
            await client.Append(request, metadata=CALLER)
        assert refused.value.code == grpc.StatusCode.PERMISSION_DENIED
        assert refused.value.reason == "ACTOR_NOT_CALLER"
    warehouse = (("x-oms-subject", "picker-7"), ("x-oms-role", "warehouse"))
    for call, request in [
        (client.QueryEntries, audit_pb2.QueryEntriesRequest(entity_type=chain)),
        (client.GetEntry, audit_pb2.GetEntryRequest(entry_id=new_id())),
        (client.Verify, audit_pb2.VerifyRequest(chain=chain)),
    ]:
        with pytest.raises(oms_client.OmsRpcError) as refused:
            await call(request, metadata=warehouse)
        assert refused.value.code == grpc.StatusCode.PERMISSION_DENIED
        assert refused.value.reason == "ROLE_NOT_ALLOWED"
    assert await history(client, chain) == []


async def test_a_replayed_append_returns_the_first_entry_and_records_nothing_more(client):
    chain = chain_name("refund")
    request = append_request(chain)
    first = (await client.Append(request)).entry
    replays = await asyncio.gather(*(client.Append(request) for _ in range(5)))
    assert {r.entry.entry_id for r in replays} == {first.entry_id}
    assert [e.entry_id for e in await history(client, chain)] == [first.entry_id]
    reused = append_request(chain, request_id=request.request_id, action="order.delete")
    with pytest.raises(oms_client.OmsRpcError) as refused:
        await client.Append(reused)
    assert refused.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.reason == "IDEMPOTENCY_KEY_REUSED"
    assert [v.field for v in refused.value.violations] == ["request_id"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"request_id": ""}, "request_id"),
        ({"actor": common_pb2.Actor(subject="", role="admin")}, "actor.subject"),
        ({"entity_type": "Order"}, "entity_type"),
        ({"entity_type": ""}, "entity_type"),
        ({"entity_id": ""}, "entity_id"),
        ({"entity_id": "o\x001"}, "entity_id"),
        ({"action": "a" * 101}, "action"),
        ({"note": "n" * 2001}, "note"),
        ({"changes": [audit_pb2.FieldChange(field="")]}, "changes[0].field"),
        (
            {
                "changes": [
                    audit_pb2.FieldChange(field="a"),
                    audit_pb2.FieldChange(field="b", after=value(number_value=float("nan"))),
                ]
            },
            "changes[1].after",
        ),
        ({"occurred_at": Timestamp(seconds=4_102_444_800)}, "occurred_at"),
        ({"occurred_at": Timestamp(seconds=-70_000_000_000)}, "occurred_at"),
    ],
)
async def test_bad_appends_are_refused_with_the_field_and_write_nothing(client, engine, overrides, field):
    chain = chain_name("bad")
    request = append_request(**{"entity_type": chain, **overrides})
    with pytest.raises(oms_client.OmsRpcError) as refused:
        await client.Append(request)
    assert refused.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.reason == "INVALID_ARGUMENT"
    assert [v.field for v in refused.value.violations] == [field]
    async with engine.connect() as connection:
        written = await connection.scalar(
            text(
                "SELECT (SELECT count(*) FROM audit_entries WHERE entity_type = :c OR request_id = :r)"
                " + (SELECT count(*) FROM idempotency_keys WHERE request_id = :r)"
            ),
            {"c": chain, "r": request.request_id},
        )
    assert written == 0


async def test_get_entry_errors(client):
    with pytest.raises(oms_client.OmsRpcError) as refused:
        await client.GetEntry(audit_pb2.GetEntryRequest(entry_id="not-a-uuid"))
    assert refused.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in refused.value.violations] == ["entry_id"]
    with pytest.raises(oms_client.OmsRpcError) as missing:
        await client.GetEntry(audit_pb2.GetEntryRequest(entry_id=new_id()))
    assert missing.value.code == grpc.StatusCode.NOT_FOUND
    assert missing.value.reason == "AUDIT_ENTRY_NOT_FOUND"


async def test_query_by_entity_actor_and_time_pages_through_each_match_once(client):
    chain = chain_name("order")
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    entity, other = new_id(), new_id()
    appended = []
    for minute in range(7):
        actor = common_pb2.Actor(subject="auditor-a" if minute % 2 else "auditor-b", role="operations")
        request = append_request(
            chain, entity_id=entity, actor=actor, occurred_at=stamp(base + timedelta(minutes=minute))
        )
        appended.append((await client.Append(request)).entry.entry_id)
    await client.Append(append_request(chain, entity_id=other, occurred_at=stamp(base)))

    assert [e.entry_id for e in await history(client, chain, entity_id=entity)] == appended
    newest = await history(client, chain, entity_id=entity, newest_first=True)
    assert [e.entry_id for e in newest] == appended[::-1]
    by_actor = await history(client, chain, actor_subject="auditor-a")
    assert [e.entry_id for e in by_actor] == appended[1::2]
    window = await history(
        client,
        chain,
        entity_id=entity,
        occurred_after=stamp(base + timedelta(minutes=2)),
        occurred_before=stamp(base + timedelta(minutes=5)),
    )
    assert [e.entry_id for e in window] == appended[2:5]
    assert len(await history(client, chain)) == 8


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({"entity_id": "x"}, "entity_type"),
        ({"entity_type": "Bad-Type"}, "entity_type"),
        ({"page": common_pb2.PageRequest(page_size=-1)}, "page.page_size"),
        ({"page": common_pb2.PageRequest(page_token="garbage")}, "page.page_token"),
        (
            {"occurred_after": Timestamp(seconds=2_000_000_000), "occurred_before": Timestamp(seconds=1_000_000_000)},
            "occurred_before",
        ),
    ],
)
async def test_bad_queries_are_refused_with_the_field(client, request_fields, field):
    with pytest.raises(oms_client.OmsRpcError) as refused:
        await client.QueryEntries(audit_pb2.QueryEntriesRequest(**request_fields))
    assert refused.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in refused.value.violations] == [field]


async def test_a_page_token_only_serves_its_own_filter(client):
    chain = chain_name("order")
    for _ in range(3):
        await client.Append(append_request(chain))
    first = await client.QueryEntries(
        audit_pb2.QueryEntriesRequest(entity_type=chain, page=common_pb2.PageRequest(page_size=1))
    )
    assert first.page.next_page_token
    with pytest.raises(oms_client.OmsRpcError) as refused:
        await client.QueryEntries(
            audit_pb2.QueryEntriesRequest(
                entity_type=chain,
                newest_first=True,
                page=common_pb2.PageRequest(page_size=1, page_token=first.page.next_page_token),
            )
        )
    assert [v.field for v in refused.value.violations] == ["page.page_token"]


async def test_appends_racing_on_one_chain_get_consecutive_sequences_and_verify(client):
    orders, payments = chain_name("order"), chain_name("payment")
    requests = [append_request(orders if i % 3 else payments) for i in range(45)]
    replies = await asyncio.gather(*(client.Append(r) for r in requests))
    for chain, count in ((orders, 30), (payments, 15)):
        entries = sorted((r.entry for r in replies if r.entry.chain == chain), key=lambda e: e.sequence)
        assert [e.sequence for e in entries] == list(range(1, count + 1))
        assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(entries))
        report = await client.Verify(audit_pb2.VerifyRequest(chain=chain))
        assert report.intact
        [result] = report.chains
        assert (result.first_sequence, result.last_sequence, result.entries_checked) == (1, count, count)
        assert result.last_hash == entries[-1].hash
        assert not result.HasField("broken")


async def test_verify_checks_a_range_and_refuses_bad_requests(client):
    chain = chain_name("order")
    for _ in range(6):
        await client.Append(append_request(chain))
    ranged = await client.Verify(audit_pb2.VerifyRequest(chain=chain, from_sequence=2, to_sequence=4))
    assert ranged.intact
    assert (ranged.chains[0].first_sequence, ranged.chains[0].last_sequence) == (2, 4)
    everything = await client.Verify(audit_pb2.VerifyRequest())
    assert everything.intact and chain in {c.chain for c in everything.chains}
    for request, field in [
        (audit_pb2.VerifyRequest(chain="No Such"), "chain"),
        (audit_pb2.VerifyRequest(chain=chain, from_sequence=-1), "from_sequence"),
        (audit_pb2.VerifyRequest(chain=chain, from_sequence=5, to_sequence=2), "to_sequence"),
    ]:
        with pytest.raises(oms_client.OmsRpcError) as refused:
            await client.Verify(request)
        assert refused.value.code == grpc.StatusCode.INVALID_ARGUMENT
        assert [v.field for v in refused.value.violations] == [field]
    with pytest.raises(oms_client.OmsRpcError) as missing:
        await client.Verify(audit_pb2.VerifyRequest(chain=chain_name("never")))
    assert missing.value.code == grpc.StatusCode.NOT_FOUND
    assert missing.value.reason == "AUDIT_CHAIN_NOT_FOUND"
