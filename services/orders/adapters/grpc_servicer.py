"""The gRPC face of orders: proto -> command -> handler -> proto, nothing else (errors map in the interceptor)."""

from __future__ import annotations

from collections.abc import Callable

import grpc
from oms.common.v1 import common_pb2
from oms.orders.v1 import orders_pb2, orders_pb2_grpc
from opentelemetry import trace

from services.orders.adapters import protos
from services.orders.adapters.channel_servicer import ChannelRpcs
from services.orders.adapters.fulfilment_servicer import FulfilmentRpcs
from services.orders.adapters.unit_of_work import OrdersUnitOfWork
from services.orders.application import handlers
from services.orders.application.channel_ingest import IngestContext
from services.orders.application.commands import (
    CancelOrder,
    CreateOrder,
    GetOrder,
    ListOrders,
    MarkOrderPaid,
    OrderFilter,
    TransitionOrder,
)
from services.orders.application.fulfilment import FulfilmentContext
from services.orders.application.ports import Clock, IdFactory
from services.orders.application.rule_sets import RuleBook
from services.orders.application.sla import SlaContext
from services.orders.domain.model import Order, OrderDraft
from services.orders.domain.values import LineInput
from shared.context import current_call
from shared.db import utc_now
from shared.kernel.errors import InvalidArgument
from shared.kernel.ids import new_id
from shared.telemetry import attributes

SERVICE_NAME = orders_pb2.DESCRIPTOR.services_by_name["OrdersService"].full_name


def _tag(order: Order) -> None:
    span = trace.get_current_span()
    span.set_attribute(attributes.ORDER_ID, order.order_id)
    span.set_attribute(attributes.CHANNEL, order.channel.value)


def caller_channels() -> tuple[str, ...]:
    """The channels the authenticated caller is limited to (empty: no limit)."""
    return current_call.get().channels


def create_command(request: orders_pb2.CreateOrderRequest) -> CreateOrder:
    lines = tuple(
        LineInput(
            sku=line.sku,
            quantity=line.quantity,
            unit_price=protos.money_in(line.unit_price, f"lines[{i}].unit_price", present=line.HasField("unit_price")),
            discount=protos.money_in(line.discount, f"lines[{i}].discount", present=line.HasField("discount")),
        )
        for i, line in enumerate(request.lines)
    )
    draft = OrderDraft(
        channel=protos.channel_in(request.channel),
        channel_order_id=request.channel_order_id,
        customer_id=request.customer_id,
        lines=lines,
        total=protos.money_in(request.total, "total", present=request.HasField("total")),
        shipping_fee=protos.money_in(request.shipping_fee, "shipping_fee", present=request.HasField("shipping_fee")),
        discount_total=protos.money_in(
            request.discount_total, "discount_total", present=request.HasField("discount_total")
        ),
        subtotal=protos.money_in(request.subtotal, "subtotal", present=request.HasField("subtotal")),
        customer_tier=request.customer_tier,
        customer_name=request.customer_name,
        order_type=protos.order_type_in(request.order_type),
        shipping_address=protos.address_in(request.shipping_address),
        buyer_remark=request.buyer_remark,
        seller_remark=request.seller_remark,
        quote_id=request.quote_id,
    )
    return CreateOrder(
        request.request_id, draft, protos.actor_in(request.actor, request.HasField("actor")), caller_channels()
    )


def list_query(request: orders_pb2.ListOrdersRequest) -> ListOrders:
    criteria = OrderFilter(
        statuses=tuple(dict.fromkeys(protos.status_in(s, f"statuses[{i}]") for i, s in enumerate(request.statuses))),
        channel=protos.channel_in(request.channel) if request.channel else None,
        customer_id=request.customer_id or None,
        created_after=(
            protos.instant_in(request.created_after, "created_after") if request.HasField("created_after") else None
        ),
        created_before=(
            protos.instant_in(request.created_before, "created_before") if request.HasField("created_before") else None
        ),
        oldest_first=request.oldest_first,
    )
    return ListOrders(criteria, request.page.page_size, request.page.page_token, caller_channels())


class OrdersServicer(ChannelRpcs, FulfilmentRpcs, orders_pb2_grpc.OrdersServiceServicer):
    def __init__(
        self,
        unit_of_work: Callable[[], OrdersUnitOfWork],
        *,
        clock: Clock = utc_now,
        ids: IdFactory = new_id,
        ingest: IngestContext | None = None,
        fulfilment: FulfilmentContext | None = None,
        sla: SlaContext | None = None,
        review: RuleBook | None = None,
    ) -> None:
        """``review``: the active review rules decide every payment; None leaves paid orders PAID."""
        self._uow = unit_of_work
        self._clock = clock
        self._ids = ids
        self._ingest = ingest or IngestContext(clock=clock, new_id=ids)
        self._fulfilment = fulfilment or FulfilmentContext(clock=clock, new_id=ids)
        self._sla = sla or SlaContext(clock=clock)
        self._review = review

    async def CreateOrder(
        self, request: orders_pb2.CreateOrderRequest, context: grpc.aio.ServicerContext
    ) -> orders_pb2.CreateOrderResponse:
        result = await handlers.create_order(create_command(request), self._uow(), clock=self._clock, new_id=self._ids)
        _tag(result.order)
        return orders_pb2.CreateOrderResponse(order=protos.order_out(result.order), created=result.created)

    async def GetOrder(
        self, request: orders_pb2.GetOrderRequest, context: grpc.aio.ServicerContext
    ) -> orders_pb2.GetOrderResponse:
        order = await handlers.get_order(GetOrder(request.order_id, caller_channels()), self._uow())
        _tag(order)
        return orders_pb2.GetOrderResponse(order=protos.order_out(order))

    async def ListOrders(
        self, request: orders_pb2.ListOrdersRequest, context: grpc.aio.ServicerContext
    ) -> orders_pb2.ListOrdersResponse:
        page = await handlers.list_orders(list_query(request), self._uow())
        return orders_pb2.ListOrdersResponse(
            orders=[protos.order_out(order) for order in page.orders],
            page=common_pb2.PageResponse(next_page_token=page.next_page_token),
        )

    async def MarkOrderPaid(
        self, request: orders_pb2.MarkOrderPaidRequest, context: grpc.aio.ServicerContext
    ) -> orders_pb2.MarkOrderPaidResponse:
        paid_amount = protos.money_in(request.paid_amount, "paid_amount", present=request.HasField("paid_amount"))
        if paid_amount is None:
            raise InvalidArgument.field("paid_amount", "is required")
        command = MarkOrderPaid(
            request.request_id,
            request.order_id,
            request.payment_id,
            paid_amount,
            protos.actor_in(request.actor, request.HasField("actor")),
            caller_channels(),
        )
        order = await handlers.mark_order_paid(command, self._uow(), clock=self._clock, review=self._review)
        _tag(order)
        return orders_pb2.MarkOrderPaidResponse(order=protos.order_out(order))

    async def CancelOrder(
        self, request: orders_pb2.CancelOrderRequest, context: grpc.aio.ServicerContext
    ) -> orders_pb2.CancelOrderResponse:
        command = CancelOrder(
            request.request_id,
            request.order_id,
            request.reason,
            protos.actor_in(request.actor, request.HasField("actor")),
            caller_channels(),
        )
        order = await handlers.cancel_order(command, self._uow(), clock=self._clock)
        _tag(order)
        return orders_pb2.CancelOrderResponse(order=protos.order_out(order))

    async def TransitionOrder(
        self, request: orders_pb2.TransitionOrderRequest, context: grpc.aio.ServicerContext
    ) -> orders_pb2.TransitionOrderResponse:
        command = TransitionOrder(
            request.request_id,
            request.order_id,
            protos.status_in(request.target_status, "target_status"),
            request.reason,
            request.tracking_number,
            protos.actor_in(request.actor, request.HasField("actor")),
            caller_channels(),
        )
        order = await handlers.transition_order(
            command, self._uow(), clock=self._clock, stock_wanted=self._ingest.stock_wanted
        )
        _tag(order)
        return orders_pb2.TransitionOrderResponse(order=protos.order_out(order))
