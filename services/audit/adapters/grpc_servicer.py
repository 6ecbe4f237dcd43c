"""The gRPC face of audit: proto -> command -> handler -> proto, nothing else (errors map in the interceptor)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import grpc
from oms.audit.v1 import audit_pb2, audit_pb2_grpc
from opentelemetry import trace

from services.audit.adapters import protos
from services.audit.adapters.unit_of_work import AuditUnitOfWork
from services.audit.application import handlers
from services.audit.application.commands import AppendEntry, CallOrigin, EntryFilter, QueryEntries, VerifyChains
from services.audit.domain.model import Actor
from shared.context import current_call
from shared.db import utc_now

SERVICE_NAME = audit_pb2.DESCRIPTOR.services_by_name["AuditService"].full_name


def _trace_id() -> str:
    context = trace.get_current_span().get_span_context()
    return f"{context.trace_id:032x}" if context.is_valid else ""


def append_command(request: audit_pb2.AppendRequest) -> AppendEntry:
    call = current_call.get()
    named = Actor(request.actor.subject, request.actor.role) if request.HasField("actor") else None
    actor = handlers.acting_actor(named, request.peer_address, Actor(call.subject, call.role))
    return AppendEntry(
        request_id=request.request_id,
        actor_subject=actor.subject,
        actor_role=actor.role,
        peer_address=request.peer_address,
        entity_type=request.entity_type,
        entity_id=request.entity_id,
        action=request.action,
        changes=protos.changes_in(request.changes),
        occurred_at=protos.instant_in(request.occurred_at, "occurred_at") if request.HasField("occurred_at") else None,
        note=request.note,
    )


def entry_filter(request: audit_pb2.QueryEntriesRequest) -> EntryFilter:
    return EntryFilter(
        entity_type=request.entity_type,
        entity_id=request.entity_id,
        actor_subject=request.actor_subject,
        occurred_after=(
            protos.instant_in(request.occurred_after, "occurred_after") if request.HasField("occurred_after") else None
        ),
        occurred_before=(
            protos.instant_in(request.occurred_before, "occurred_before")
            if request.HasField("occurred_before")
            else None
        ),
        newest_first=request.newest_first,
    )


class AuditServicer(audit_pb2_grpc.AuditServiceServicer):
    def __init__(self, unit_of_work: Callable[[], AuditUnitOfWork], clock: Callable[[], datetime] = utc_now) -> None:
        self._uow = unit_of_work
        self._clock = clock

    async def Append(
        self, request: audit_pb2.AppendRequest, context: grpc.aio.ServicerContext
    ) -> audit_pb2.AppendResponse:
        origin = CallOrigin(peer_address=current_call.get().peer, trace_id=_trace_id())
        entry = await handlers.append_entry(append_command(request), origin, self._uow(), now=self._clock())
        return audit_pb2.AppendResponse(entry=protos.entry_out(entry))

    async def QueryEntries(
        self, request: audit_pb2.QueryEntriesRequest, context: grpc.aio.ServicerContext
    ) -> audit_pb2.QueryEntriesResponse:
        query = QueryEntries(entry_filter(request), request.page.page_size, request.page.page_token)
        page = await handlers.query_entries(query, self._uow())
        response = audit_pb2.QueryEntriesResponse(entries=[protos.entry_out(e) for e in page.entries])
        response.page.next_page_token = page.next_page_token
        return response

    async def GetEntry(
        self, request: audit_pb2.GetEntryRequest, context: grpc.aio.ServicerContext
    ) -> audit_pb2.GetEntryResponse:
        entry = await handlers.get_entry(request.entry_id, self._uow())
        return audit_pb2.GetEntryResponse(entry=protos.entry_out(entry))

    async def Verify(
        self, request: audit_pb2.VerifyRequest, context: grpc.aio.ServicerContext
    ) -> audit_pb2.VerifyResponse:
        command = VerifyChains(request.chain, request.from_sequence, request.to_sequence)
        return protos.report_out(await handlers.verify_chains(command, self._uow()))
