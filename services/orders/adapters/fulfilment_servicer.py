"""The review, routing, shipment and SLA RPCs of OrdersService: proto -> command -> handler -> proto."""

from __future__ import annotations

from collections.abc import Callable

import grpc
from oms.common.v1 import common_pb2
from oms.orders.v1 import orders_pb2
from opentelemetry import trace

from services.orders.adapters import fulfilment_protos as fp
from services.orders.adapters import protos
from services.orders.adapters.unit_of_work import OrdersUnitOfWork
from services.orders.application import fulfilment, rule_sets, sla
from services.orders.application.fulfilment import FulfilmentContext
from services.orders.application.fulfilment_commands import (
    ActivateRules,
    AllocateOrder,
    ClaimShipment,
    ConfirmShipment,
    DryRunReview,
    GetOrderHealth,
    GetOrderSla,
    GetRules,
    ListShipments,
    SetRules,
)
from services.orders.application.fulfilment_ports import RuleKind, ShipmentFilter
from services.orders.application.sla import SlaContext
from services.orders.domain.values import Actor
from shared.context import current_call
from shared.kernel.errors import InvalidArgument
from shared.telemetry import attributes

SERVICE_ROLE = "service"


def _request_id(value: str) -> str:
    if not value:
        raise InvalidArgument.field("request_id", "is required (the idempotency key of a mutating call)")
    return value


def claimant(message: common_pb2.Actor, present: bool) -> Actor:
    """Who takes or ships a shipment: the caller itself. Only a service account (a WMS integration) may act
    for a named warehouse user, so one warehouse cannot pass itself off as another."""
    call = current_call.get()
    if call.role == SERVICE_ROLE or not call.role:
        return protos.actor_in(message, present)
    return Actor(call.subject, call.role)


def _channels() -> tuple[str, ...]:
    # The authenticated caller's channel limits (empty: none); the handlers hide other channels' orders.
    return current_call.get().channels


def _tag_order(order_id: str) -> None:
    trace.get_current_span().set_attribute(attributes.ORDER_ID, order_id)


class FulfilmentRpcs:
    """Mixed into OrdersServicer; needs a unit-of-work factory, the fulfilment and SLA contexts."""

    _uow: Callable[[], OrdersUnitOfWork]
    _fulfilment: FulfilmentContext
    _sla: SlaContext

    async def _set_rules(self, kind: RuleKind, request: orders_pb2.SetReviewRulesRequest) -> orders_pb2.RuleSet:
        command = SetRules(
            _request_id(request.request_id),
            kind,
            request.rules_json,
            request.note,
            protos.actor_in(request.actor, request.HasField("actor")),
        )
        return fp.rule_set_out(await rule_sets.set_rules(command, self._uow(), clock=self._fulfilment.clock))

    async def _activate_rules(
        self, kind: RuleKind, request: orders_pb2.ActivateReviewRulesRequest
    ) -> orders_pb2.RuleSet:
        command = ActivateRules(
            _request_id(request.request_id),
            kind,
            request.version,
            protos.actor_in(request.actor, request.HasField("actor")),
        )
        return fp.rule_set_out(await rule_sets.activate_rules(command, self._uow(), clock=self._fulfilment.clock))

    async def SetReviewRules(
        self, request: orders_pb2.SetReviewRulesRequest, context: grpc.aio.ServicerContext
    ) -> orders_pb2.SetReviewRulesResponse:
        return orders_pb2.SetReviewRulesResponse(rule_set=await self._set_rules(RuleKind.REVIEW, request))

    async def ActivateReviewRules(
        self, request: orders_pb2.ActivateReviewRulesRequest, context: grpc.aio.ServicerContext
    ) -> orders_pb2.ActivateReviewRulesResponse:
        return orders_pb2.ActivateReviewRulesResponse(rule_set=await self._activate_rules(RuleKind.REVIEW, request))

    async def GetReviewRules(
        self, request: orders_pb2.GetReviewRulesRequest, context: grpc.aio.ServicerContext
    ) -> orders_pb2.GetReviewRulesResponse:
        view = await rule_sets.get_rules(GetRules(RuleKind.REVIEW, request.version), self._uow())
        return orders_pb2.GetReviewRulesResponse(**fp.rule_set_view_out(view))

    async def DryRunReviewRules(
        self, request: orders_pb2.DryRunReviewRulesRequest, context: grpc.aio.ServicerContext
    ) -> orders_pb2.DryRunReviewRulesResponse:
        source = request.WhichOneof("rules")
        query = DryRunReview(
            rules_json=request.rules_json if source == "rules_json" else None,
            version=request.version if source == "version" else None,
            created_after=(
                protos.instant_in(request.created_after, "created_after") if request.HasField("created_after") else None
            ),
            created_before=(
                protos.instant_in(request.created_before, "created_before")
                if request.HasField("created_before")
                else None
            ),
        )
        return fp.dry_run_out(await rule_sets.dry_run_review(query, self._uow()))

    async def SetRoutingRules(
        self, request: orders_pb2.SetRoutingRulesRequest, context: grpc.aio.ServicerContext
    ) -> orders_pb2.SetRoutingRulesResponse:
        return orders_pb2.SetRoutingRulesResponse(rule_set=await self._set_rules(RuleKind.ROUTING, request))

    async def ActivateRoutingRules(
        self, request: orders_pb2.ActivateRoutingRulesRequest, context: grpc.aio.ServicerContext
    ) -> orders_pb2.ActivateRoutingRulesResponse:
        return orders_pb2.ActivateRoutingRulesResponse(rule_set=await self._activate_rules(RuleKind.ROUTING, request))

    async def GetRoutingRules(
        self, request: orders_pb2.GetRoutingRulesRequest, context: grpc.aio.ServicerContext
    ) -> orders_pb2.GetRoutingRulesResponse:
        view = await rule_sets.get_rules(GetRules(RuleKind.ROUTING, request.version), self._uow())
        return orders_pb2.GetRoutingRulesResponse(**fp.rule_set_view_out(view))

    async def AllocateOrder(
        self, request: orders_pb2.AllocateOrderRequest, context: grpc.aio.ServicerContext
    ) -> orders_pb2.AllocateOrderResponse:
        command = AllocateOrder(
            _request_id(request.request_id),
            request.order_id,
            protos.actor_in(request.actor, request.HasField("actor")),
            _channels(),
        )
        result = await fulfilment.allocate_order(command, self._uow(), self._fulfilment)
        _tag_order(result.order.order_id)
        return orders_pb2.AllocateOrderResponse(
            order=protos.order_out(result.order), shipments=[fp.shipment_out(s) for s in result.shipments]
        )

    async def ListShipments(
        self, request: orders_pb2.ListShipmentsRequest, context: grpc.aio.ServicerContext
    ) -> orders_pb2.ListShipmentsResponse:
        criteria = ShipmentFilter(
            warehouse_code=request.warehouse_code or None,
            statuses=tuple(
                dict.fromkeys(fp.shipment_status_in(s, f"statuses[{i}]") for i, s in enumerate(request.statuses))
            ),
            order_id=request.order_id or None,
        )
        page = await fulfilment.list_shipments(
            ListShipments(criteria, request.page.page_size, request.page.page_token, _channels()), self._uow()
        )
        return orders_pb2.ListShipmentsResponse(
            shipments=[fp.shipment_out(s) for s in page.shipments],
            page=common_pb2.PageResponse(next_page_token=page.next_page_token),
        )

    async def ClaimShipment(
        self, request: orders_pb2.ClaimShipmentRequest, context: grpc.aio.ServicerContext
    ) -> orders_pb2.ClaimShipmentResponse:
        command = ClaimShipment(
            _request_id(request.request_id),
            request.shipment_id,
            claimant(request.actor, request.HasField("actor")),
            _channels(),
        )
        result = await fulfilment.claim_shipment(command, self._uow(), self._fulfilment)
        return orders_pb2.ClaimShipmentResponse(shipment=fp.shipment_out(result.shipment))

    async def ConfirmShipment(
        self, request: orders_pb2.ConfirmShipmentRequest, context: grpc.aio.ServicerContext
    ) -> orders_pb2.ConfirmShipmentResponse:
        command = ConfirmShipment(
            _request_id(request.request_id),
            request.shipment_id,
            request.tracking_number,
            claimant(request.actor, request.HasField("actor")),
            _channels(),
        )
        result = await fulfilment.confirm_shipment(command, self._uow(), self._fulfilment)
        return orders_pb2.ConfirmShipmentResponse(
            shipment=fp.shipment_out(result.shipment), orders=[protos.order_out(o) for o in result.orders]
        )

    async def GetOrderSla(
        self, request: orders_pb2.GetOrderSlaRequest, context: grpc.aio.ServicerContext
    ) -> orders_pb2.GetOrderSlaResponse:
        found = await sla.order_sla(GetOrderSla(request.order_id, _channels()), self._uow(), self._sla)
        _tag_order(found.clock.order_id)
        return fp.order_sla_out(found)

    async def GetOrderHealth(
        self, request: orders_pb2.GetOrderHealthRequest, context: grpc.aio.ServicerContext
    ) -> orders_pb2.GetOrderHealthResponse:
        query = GetOrderHealth(
            created_after=(
                protos.instant_in(request.created_after, "created_after") if request.HasField("created_after") else None
            ),
            created_before=(
                protos.instant_in(request.created_before, "created_before")
                if request.HasField("created_before")
                else None
            ),
        )
        return fp.health_out(await sla.order_health(query, self._uow(), self._sla))
