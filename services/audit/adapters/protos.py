"""Conversions between the audit contract's messages and the audit domain's values."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.protobuf import json_format, struct_pb2
from google.protobuf.timestamp_pb2 import Timestamp
from oms.audit.v1 import audit_pb2
from oms.common.v1 import common_pb2

from services.audit.application.commands import VerificationReport
from services.audit.domain.chain import BreakKind, ChainVerification
from services.audit.domain.model import AuditEntry, Change
from shared.grpc.convert import timestamp_out as instant_out
from shared.kernel.errors import InvalidArgument

# Integers travel as doubles in google.protobuf.Value; beyond 2**53 they would not be exact anyway.
EXACT_INTEGER = 2**53


def instant_in(message: Timestamp, field: str) -> datetime:
    try:
        return message.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError) as error:
        raise InvalidArgument.field(field, "is not a valid timestamp") from error


def _plain(value: Any) -> Any:
    """Whole numbers as ints (1 not 1.0), so the recorded JSON reads as the caller meant it."""
    if isinstance(value, float) and value.is_integer() and abs(value) < EXACT_INTEGER:
        return int(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def value_in(message: audit_pb2.FieldChange, side: str, field: str) -> Any:
    if not message.HasField(side):
        return None
    try:
        return _plain(json_format.MessageToDict(getattr(message, side)))
    except ValueError as error:
        # NaN and infinities have no JSON form, so no canonical (hashable) one either.
        raise InvalidArgument.field(field, "must hold finite numbers only") from error


def changes_in(changes: Any) -> tuple[Change, ...]:
    return tuple(
        Change(c.field, value_in(c, "before", f"changes[{i}].before"), value_in(c, "after", f"changes[{i}].after"))
        for i, c in enumerate(changes)
    )


def _value_out(value: Any) -> struct_pb2.Value:
    out = struct_pb2.Value()
    json_format.ParseDict(value, out)
    return out


def change_out(change: Change) -> audit_pb2.FieldChange:
    out = audit_pb2.FieldChange(field=change.field)
    if change.before is not None:
        out.before.CopyFrom(_value_out(change.before))
    if change.after is not None:
        out.after.CopyFrom(_value_out(change.after))
    return out


def entry_out(entry: AuditEntry) -> audit_pb2.AuditEntry:
    return audit_pb2.AuditEntry(
        entry_id=entry.entry_id,
        chain=entry.chain,
        sequence=entry.sequence,
        actor=common_pb2.Actor(subject=entry.actor.subject, role=entry.actor.role),
        peer_address=entry.peer_address,
        occurred_at=instant_out(entry.occurred_at),
        recorded_at=instant_out(entry.recorded_at),
        entity_type=entry.entity_type,
        entity_id=entry.entity_id,
        action=entry.action,
        changes=[change_out(c) for c in entry.changes],
        trace_id=entry.trace_id,
        request_id=entry.request_id,
        source_event_id=entry.source_event_id,
        source_event_type=entry.source_event_type,
        payload_json=entry.payload_json,
        prev_hash=entry.prev_hash,
        hash=entry.hash,
    )


BREAK_KINDS = {kind: audit_pb2.BreakKind.Value(f"BREAK_KIND_{kind.value}") for kind in BreakKind}


def chain_out(result: ChainVerification) -> audit_pb2.ChainVerification:
    out = audit_pb2.ChainVerification(
        chain=result.chain,
        first_sequence=result.first_sequence,
        last_sequence=result.last_sequence,
        entries_checked=result.entries_checked,
        last_hash=result.last_hash,
    )
    if result.broken is not None:
        out.broken.CopyFrom(
            audit_pb2.BrokenLink(
                kind=BREAK_KINDS[result.broken.kind],
                entry_id=result.broken.entry_id,
                sequence=result.broken.sequence,
                expected=result.broken.expected,
                found=result.broken.found,
                detail=result.broken.detail,
            )
        )
    return out


def report_out(report: VerificationReport) -> audit_pb2.VerifyResponse:
    return audit_pb2.VerifyResponse(intact=report.intact, chains=[chain_out(c) for c in report.chains])
