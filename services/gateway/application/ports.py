"""What the use cases need from the upstream services, as protocols over the services' protobuf contracts.

The gateway translates between HTTP and those contracts, so the contracts' messages are its data: a
second model of every message would only be a third copy. Failures arrive as shared.kernel OmsErrors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from oms.inventory.v1 import inventory_pb2
from oms.orders.v1 import orders_pb2
from oms.payments.v1 import payments_pb2
from oms.pricing.v1 import pricing_pb2
from oms.refunds.v1 import refunds_pb2
from oms.saga.v1 import saga_pb2


@dataclass(frozen=True)
class Caller:
    """The authenticated client: forwarded to the services with its token so they can check it again."""

    subject: str
    role: str
    token: str
    channels: tuple[str, ...] = ()


class OrdersPort(Protocol):
    async def get_order(self, order_id: str, caller: Caller) -> orders_pb2.Order: ...

    async def list_orders(
        self, request: orders_pb2.ListOrdersRequest, caller: Caller
    ) -> orders_pb2.ListOrdersResponse: ...


class SagaPort(Protocol):
    async def place_order(self, request: saga_pb2.PlaceOrderRequest, caller: Caller) -> saga_pb2.PlaceOrderResponse: ...

    async def cancel_order(
        self, request: saga_pb2.CancelOrderRequest, caller: Caller
    ) -> saga_pb2.CancelOrderResponse: ...

    async def saga_of_order(self, order_id: str, caller: Caller) -> saga_pb2.Saga | None:
        """The placement saga of the order, or None when the order was not placed through a saga."""
        ...


class PaymentsPort(Protocol):
    async def payments_of_order(self, order_id: str, caller: Caller) -> list[payments_pb2.Payment]: ...


class InventoryPort(Protocol):
    async def reservations_of_order(self, order_id: str, caller: Caller) -> list[inventory_pb2.Reservation]: ...

    async def availability(self, skus: Sequence[str], caller: Caller) -> list[inventory_pb2.SkuAvailability]: ...


class PricingPort(Protocol):
    async def quote(self, request: pricing_pb2.QuoteRequest, caller: Caller) -> pricing_pb2.PriceQuote: ...


class RefundsPort(Protocol):
    async def request_refund(self, request: refunds_pb2.RequestRefundRequest, caller: Caller) -> refunds_pb2.Refund: ...

    async def refunds_of_order(self, order_id: str, caller: Caller) -> list[refunds_pb2.Refund]: ...


class HealthPort(Protocol):
    async def readiness(self) -> Mapping[str, str]:
        """Each upstream's health status ("SERVING" when ready, otherwise why not)."""
        ...


@dataclass(frozen=True)
class Upstreams:
    """Every service the gateway fronts."""

    orders: OrdersPort
    saga: SagaPort
    payments: PaymentsPort
    inventory: InventoryPort
    pricing: PricingPort
    health: HealthPort
    # None while the deployment has no refunds service: refund routes answer 503, panoramas say so.
    refunds: RefundsPort | None = None
