"""In-memory services answering the report's reads like the real contracts: small pages, NOT_FOUND for a
missing saga, and failures a test can script per method."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import grpc
from oms.common.v1 import common_pb2
from oms.inventory.v1 import inventory_pb2
from oms.orders.v1 import orders_pb2
from oms.payments.v1 import payments_pb2
from oms.refunds.v1 import refunds_pb2
from oms.saga.v1 import saga_pb2
from oms_client import OmsRpcError

from shared.kernel.ids import new_id

CREATED = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def cny(amount: int) -> common_pb2.Money:
    return common_pb2.Money(amount_minor=amount, currency="CNY")


def failure(code: grpc.StatusCode, reason: str = "") -> OmsRpcError:
    return OmsRpcError(code=code, message=f"scripted {code.name}", reason=reason or code.name)


@dataclass
class World:
    """What the services hold, by order, plus scripted failures: ``failures[method]`` raised in turn."""

    page_size: int = 2
    orders: dict[str, orders_pb2.Order] = field(default_factory=dict)
    fresh: dict[str, orders_pb2.Order] = field(default_factory=dict)
    payments: dict[str, list[payments_pb2.Payment]] = field(default_factory=lambda: defaultdict(list))
    reservations: dict[str, list[inventory_pb2.Reservation]] = field(default_factory=lambda: defaultdict(list))
    refunds: dict[str, list[refunds_pb2.Refund]] = field(default_factory=lambda: defaultdict(list))
    sagas: dict[str, saga_pb2.Saga] = field(default_factory=dict)
    failures: dict[str, list[OmsRpcError]] = field(default_factory=lambda: defaultdict(list))
    requests: list[tuple[str, Any]] = field(default_factory=list)
    loop_tokens: bool = False
    # Orders with a read under way, to see how many orders are read at once.
    reading: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    most_orders_at_once: int = 0

    def paid_order(self, total: int = 9_900, sku: str = "SKU-𠮷", quantity: int = 1) -> str:
        """An order placed through the saga and consistent everywhere; returns its id."""
        order_id, payment_id = new_id(), new_id()
        order = orders_pb2.Order(
            order_id=order_id,
            channel=orders_pb2.CHANNEL_OWN_SITE,
            status=orders_pb2.ORDER_STATUS_PAID,
            total=cny(total),
            payment_id=payment_id,
            lines=[orders_pb2.OrderLine(line_no=1, sku=sku, quantity=quantity)],
        )
        order.created_at.FromDatetime(CREATED)
        order.updated_at.FromDatetime(CREATED)
        self.orders[order_id] = order
        self.payments[order_id].append(
            payments_pb2.Payment(
                payment_id=payment_id,
                order_id=order_id,
                status=payments_pb2.PAYMENT_STATUS_CAPTURED,
                amount=cny(total),
                authorized=cny(total),
                captured=cny(total),
            )
        )
        self.reservations[order_id].append(
            inventory_pb2.Reservation(
                reservation_id=new_id(),
                order_id=order_id,
                status=inventory_pb2.RESERVATION_STATUS_COMMITTED,
                lines=[inventory_pb2.ReservationLine(sku=sku, warehouse_id="w1", quantity=quantity)],
            )
        )
        saga = saga_pb2.Saga(
            saga_id=new_id(),
            kind=saga_pb2.SAGA_KIND_PLACE_ORDER,
            state=saga_pb2.SAGA_STATE_SUCCEEDED,
            order_id=order_id,
            payment_id=payment_id,
        )
        saga.created_at.FromDatetime(CREATED)
        self.sagas[order_id] = saga
        return order_id

    def clients(self) -> dict[str, Any]:
        return {name: FakeService(self, name) for name in ("orders", "payments", "inventory", "refunds", "saga")}

    def _page(self, items: Sequence[Any], page: common_pb2.PageRequest) -> tuple[list[Any], common_pb2.PageResponse]:
        start = int(page.page_token or 0)
        end = start + self.page_size
        more = end < len(items)
        token = "" if not more else ("0" if self.loop_tokens else str(end))
        return list(items[start:end]), common_pb2.PageResponse(next_page_token=token)


class FakeService:
    def __init__(self, world: World, name: str) -> None:
        self._world = world
        self._name = name

    def __getattr__(self, method: str) -> Any:
        world = self._world

        async def call(request: Any) -> Any:
            world.requests.append((method, request))
            order_id = getattr(request, "order_id", "")
            world.reading[order_id] += 1
            world.most_orders_at_once = max(world.most_orders_at_once, len(world.reading) - ("" in world.reading))
            try:
                await asyncio.sleep(0)  # let other orders' reads interleave, as over a network
                if world.failures[method]:
                    raise world.failures[method].pop(0)
                return getattr(self, f"_{method}")(request)
            finally:
                world.reading[order_id] -= 1
                if not world.reading[order_id]:
                    del world.reading[order_id]

        return call

    def _ListOrders(self, request: orders_pb2.ListOrdersRequest) -> orders_pb2.ListOrdersResponse:
        orders, page = self._world._page(list(self._world.orders.values()), request.page)
        return orders_pb2.ListOrdersResponse(orders=orders, page=page)

    def _GetOrder(self, request: orders_pb2.GetOrderRequest) -> orders_pb2.GetOrderResponse:
        world = self._world
        order = world.fresh.get(request.order_id) or world.orders.get(request.order_id)
        if order is None:
            raise failure(grpc.StatusCode.NOT_FOUND, "ORDER_NOT_FOUND")
        return orders_pb2.GetOrderResponse(order=order)

    def _ListPaymentsByOrder(self, request: payments_pb2.ListPaymentsByOrderRequest) -> Any:
        payments, page = self._world._page(self._world.payments.get(request.order_id, []), request.page)
        return payments_pb2.ListPaymentsByOrderResponse(payments=payments, page=page)

    def _ListReservations(self, request: inventory_pb2.ListReservationsRequest) -> Any:
        reservations, page = self._world._page(self._world.reservations.get(request.order_id, []), request.page)
        return inventory_pb2.ListReservationsResponse(reservations=reservations, page=page)

    def _ListRefunds(self, request: refunds_pb2.ListRefundsRequest) -> Any:
        refunds, page = self._world._page(self._world.refunds.get(request.order_id, []), request.page)
        return refunds_pb2.ListRefundsResponse(refunds=refunds, page=page)

    def _GetSaga(self, request: saga_pb2.GetSagaRequest) -> saga_pb2.GetSagaResponse:
        saga = self._world.sagas.get(request.order_id)
        if saga is None:
            raise failure(grpc.StatusCode.NOT_FOUND, "SAGA_NOT_FOUND")
        return saga_pb2.GetSagaResponse(saga=saga)
