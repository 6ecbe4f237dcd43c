"""What the handlers need from the outside: a repository of orders inside a unit of work, and a clock."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, Self, TypeVar

from services.orders.application.commands import OrderFilter
from services.orders.application.fulfilment_ports import ReviewDecisionRepository, RuleRepository, ShipmentRepository
from services.orders.domain.events import DomainEvent
from services.orders.domain.model import Order
from services.orders.domain.values import Channel

R = TypeVar("R")
Clock = Callable[[], datetime]
IdFactory = Callable[[], str]


@dataclass(frozen=True)
class Cursor:
    """A position in a listing: the (created_at, order_id) of the last order already returned."""

    created_at: datetime
    order_id: str


class OrderRepository(Protocol):
    async def add(self, order: Order) -> bool:
        """Insert a new order with its lines and history; False (and nothing written) when its
        (channel, channel_order_id) already exists."""
        ...

    async def get(self, order_id: str, *, lock: bool = False) -> Order | None:
        """The order with its lines and history; ``lock`` holds its row until the transaction ends."""
        ...

    async def get_many(self, order_ids: Sequence[str], *, lock: bool = False) -> dict[str, Order]:
        """The orders of ``order_ids`` that exist; ``lock`` takes their rows in id order."""
        ...

    async def get_by_channel_order(self, channel: Channel, channel_order_id: str) -> Order | None: ...

    async def update(self, before: Order, after: Order) -> None:
        """Persist a change of ``before`` (as loaded under lock) into ``after``: its status fields and the
        history entries it added."""
        ...

    async def set_hold_reason(self, before: Order, after: Order) -> None:
        """Persist a new hold reason of a held order whose status does not move (no history entry)."""
        ...

    async def list(self, query: OrderFilter, after: Cursor | None, limit: int) -> Sequence[Order]:
        """Up to ``limit`` orders matching ``query`` past ``after``, in listing order, without history."""
        ...


class OrdersUnitOfWork(Protocol):
    orders: OrderRepository
    rules: RuleRepository
    reviews: ReviewDecisionRepository
    shipments: ShipmentRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc_info: object) -> None: ...

    async def commit(self) -> None: ...

    async def replay(self, command: Any, result_type: type[R]) -> R | None: ...

    async def remember(self, command: Any, result: Any) -> None: ...

    def publish(self, order_id: str, events: Sequence[DomainEvent]) -> None:
        """Queue the integration events of ``events`` for the outbox of this transaction."""
        ...

    async def release_stock_hold(self, order_id: str, now: datetime) -> None:
        """If the order holds stock through channel ingest, have it given back (an order without such a hold,
        e.g. an own-site order whose saga manages its reservation, is left alone)."""
        ...
