"""The channel RPCs of OrdersService: proto -> command -> handler -> proto, nothing else."""

from __future__ import annotations

from collections.abc import Callable

import grpc
from oms.common.v1 import common_pb2
from oms.orders.v1 import orders_pb2
from opentelemetry import trace

from services.orders.adapters import channel_protos as cp
from services.orders.adapters import protos
from services.orders.adapters.unit_of_work import OrdersUnitOfWork
from services.orders.application import channel_admin, channel_ingest
from services.orders.application.channel_commands import (
    ConfigureChannel,
    IngestChannelOrders,
    ListChannelMappings,
    ListFailedIngests,
    ReceiveWebhook,
    ReleaseChannelSync,
    RetryFailedIngest,
    SetChannelMappings,
)
from services.orders.application.channel_ingest import IngestContext
from services.orders.application.channel_ports import FailedIngestFilter, MappingChange
from services.orders.domain.channels import IngestOutcome
from services.orders.domain.errors_channels import FailedIngestNotFound
from services.orders.domain.values import Channel
from shared.kernel.errors import InvalidArgument
from shared.telemetry import attributes


def _channel(number: int) -> Channel:
    channel = protos.channel_in(number)
    trace.get_current_span().set_attribute(attributes.CHANNEL, channel.value)
    return channel


def _request_id(value: str) -> str:
    if not value:
        raise InvalidArgument.field("request_id", "is required (the idempotency key of a mutating call)")
    return value


class ChannelRpcs:
    """Mixed into OrdersServicer; needs a unit-of-work factory and the ingest context."""

    _uow: Callable[[], OrdersUnitOfWork]
    _ingest: IngestContext

    async def IngestChannelOrders(
        self, request: orders_pb2.IngestChannelOrdersRequest, context: grpc.aio.ServicerContext
    ) -> orders_pb2.IngestChannelOrdersResponse:
        command = IngestChannelOrders(
            _request_id(request.request_id), _channel(request.channel), tuple(request.records)
        )
        result = await channel_ingest.ingest_channel_orders(command, self._uow(), self._ingest)
        return orders_pb2.IngestChannelOrdersResponse(
            results=[cp.result_out(r) for r in result.results],
            created=result.count(IngestOutcome.CREATED),
            updated=result.count(IngestOutcome.UPDATED),
            unchanged=result.count(IngestOutcome.UNCHANGED),
            failed=result.count(IngestOutcome.FAILED),
        )

    async def ReceiveChannelWebhook(
        self, request: orders_pb2.ReceiveChannelWebhookRequest, context: grpc.aio.ServicerContext
    ) -> orders_pb2.ReceiveChannelWebhookResponse:
        command = ReceiveWebhook(
            _request_id(request.request_id), _channel(request.channel), request.payload, request.signature
        )
        result = await channel_ingest.receive_webhook(command, self._uow(), self._ingest)
        return orders_pb2.ReceiveChannelWebhookResponse(result=cp.result_out(result))

    async def ConfigureChannel(
        self, request: orders_pb2.ConfigureChannelRequest, context: grpc.aio.ServicerContext
    ) -> orders_pb2.ConfigureChannelResponse:
        command = ConfigureChannel(_request_id(request.request_id), _channel(request.channel), cp.settings_in(request))
        status = await channel_admin.configure_channel(command, self._uow(), clock=self._ingest.clock)
        return orders_pb2.ConfigureChannelResponse(status=cp.status_out(status))

    async def GetChannelStatus(
        self, request: orders_pb2.GetChannelStatusRequest, context: grpc.aio.ServicerContext
    ) -> orders_pb2.GetChannelStatusResponse:
        status = await channel_admin.channel_status(_channel(request.channel), self._uow(), clock=self._ingest.clock)
        return orders_pb2.GetChannelStatusResponse(status=cp.status_out(status))

    async def ListChannelStatuses(
        self, request: orders_pb2.ListChannelStatusesRequest, context: grpc.aio.ServicerContext
    ) -> orders_pb2.ListChannelStatusesResponse:
        statuses = await channel_admin.channel_statuses(self._uow(), clock=self._ingest.clock)
        return orders_pb2.ListChannelStatusesResponse(statuses=[cp.status_out(s) for s in statuses])

    async def ReleaseChannelSync(
        self, request: orders_pb2.ReleaseChannelSyncRequest, context: grpc.aio.ServicerContext
    ) -> orders_pb2.ReleaseChannelSyncResponse:
        command = ReleaseChannelSync(
            _request_id(request.request_id),
            _channel(request.channel),
            request.note,
            protos.actor_in(request.actor, request.HasField("actor")),
        )
        status = await channel_admin.release_channel_sync(command, self._uow(), clock=self._ingest.clock)
        return orders_pb2.ReleaseChannelSyncResponse(status=cp.status_out(status))

    async def SetChannelMappings(
        self, request: orders_pb2.SetChannelMappingsRequest, context: grpc.aio.ServicerContext
    ) -> orders_pb2.SetChannelMappingsResponse:
        changes = tuple(
            MappingChange(cp.mapping_kind_in(c.kind, f"changes[{i}].kind"), c.key, c.value, c.remove)
            for i, c in enumerate(request.changes)
        )
        command = SetChannelMappings(
            _request_id(request.request_id),
            _channel(request.channel),
            changes,
            protos.actor_in(request.actor, request.HasField("actor")),
        )
        result = await channel_admin.set_channel_mappings(command, self._uow(), clock=self._ingest.clock)
        return orders_pb2.SetChannelMappingsResponse(mapping_version=result.mapping_version)

    async def ListChannelMappings(
        self, request: orders_pb2.ListChannelMappingsRequest, context: grpc.aio.ServicerContext
    ) -> orders_pb2.ListChannelMappingsResponse:
        kind = cp.mapping_kind_in(request.kind, "kind") if request.kind else None
        query = ListChannelMappings(_channel(request.channel), kind, request.page.page_size, request.page.page_token)
        page = await channel_admin.list_channel_mappings(query, self._uow())
        return orders_pb2.ListChannelMappingsResponse(
            mappings=[cp.mapping_out(row.entry, row.updated_at, row.updated_by) for row in page.mappings],
            page=common_pb2.PageResponse(next_page_token=page.next_page_token),
        )

    async def ListFailedIngests(
        self, request: orders_pb2.ListFailedIngestsRequest, context: grpc.aio.ServicerContext
    ) -> orders_pb2.ListFailedIngestsResponse:
        criteria = FailedIngestFilter(
            channel=_channel(request.channel) if request.channel else None,
            state=cp.failed_state_in(request.state, "state") if request.state else None,
        )
        page = await channel_admin.list_failed_ingests(
            ListFailedIngests(criteria, request.page.page_size, request.page.page_token), self._uow()
        )
        return orders_pb2.ListFailedIngestsResponse(
            failed_ingests=[cp.failed_out(view) for view in page.failed_ingests],
            page=common_pb2.PageResponse(next_page_token=page.next_page_token),
        )

    async def RetryFailedIngest(
        self, request: orders_pb2.RetryFailedIngestRequest, context: grpc.aio.ServicerContext
    ) -> orders_pb2.RetryFailedIngestResponse:
        command = RetryFailedIngest(_request_id(request.request_id), request.failed_ingest_id)
        outcome = await channel_ingest.retry_failed_ingest(command, self._uow(), self._ingest)
        async with self._uow() as uow:
            view = await uow.ingest.failed(outcome.failed_ingest_id)
        if view is None:
            raise FailedIngestNotFound(outcome.failed_ingest_id)
        response = orders_pb2.RetryFailedIngestResponse(failed_ingest=cp.failed_out(view))
        if outcome.result is not None:
            response.result.CopyFrom(cp.result_out(outcome.result))
        return response
