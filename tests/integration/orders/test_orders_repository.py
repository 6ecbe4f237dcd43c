"""The orders handlers on the real unit of work: ties in created_at, the guarded update, stored values."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from services.orders.adapters.unit_of_work import OrdersUnitOfWork
from services.orders.application import handlers
from services.orders.application.commands import CreateOrder, GetOrder, ListOrders, OrderFilter
from services.orders.domain.model import OrderDraft
from services.orders.domain.values import Actor, Address, Channel, LineInput, OrderStatus
from shared.kernel.errors import Aborted
from shared.kernel.ids import new_id
from shared.kernel.money import Money
from shared.runtime import Infrastructure
from shared.settings import ServiceSettings

ACTOR = Actor("tester", "operations")
# Every order of these tests is created at the very same microsecond, so only order_id breaks ties.
FROZEN = datetime(2025, 11, 11, 0, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture(scope="module")
async def infra(service_database, redis_url, stream_prefix) -> AsyncIterator[Infrastructure]:
    url = await service_database("orders")
    settings = ServiceSettings(
        service_name="orders", database_url=url, redis_url=redis_url, stream_prefix=stream_prefix
    )
    infrastructure = Infrastructure.connect(settings)
    yield infrastructure
    await infrastructure.close()


def draft(customer_id: str, **overrides: object) -> OrderDraft:
    base = OrderDraft(
        channel=Channel.SHOPIFY,
        channel_order_id=f"SH-{new_id()}",
        customer_id=customer_id,
        lines=tuple(LineInput(f"SKU-{i}", i + 1, Money(1_999, "USD"), Money(i, "USD")) for i in range(5)),
        total=Money(1_999 * 15 - 10, "USD"),
        discount_total=Money(10, "USD"),
        shipping_address=Address(recipient="𠮷", country="US", postal_code="94105"),
    )
    return replace(base, **overrides)


async def create_frozen(infra: Infrastructure, customer_id: str) -> str:
    uow = infra.unit_of_work(OrdersUnitOfWork)()
    command = CreateOrder(new_id(), draft(customer_id), ACTOR)
    result = await handlers.create_order(command, uow, clock=lambda: FROZEN, new_id=new_id)
    return result.order.order_id


async def test_pages_over_orders_created_in_the_same_microsecond_return_each_once(infra) -> None:
    customer = new_id()
    created = {await create_frozen(infra, customer) for _ in range(40)}
    for oldest_first in (False, True):
        seen: list[str] = []
        token = ""
        while True:
            query = ListOrders(OrderFilter(customer_id=customer, oldest_first=oldest_first), 6, token)
            page = await handlers.list_orders(query, infra.unit_of_work(OrdersUnitOfWork)())
            seen += [o.order_id for o in page.orders]
            if not (token := page.next_page_token):
                break
        assert len(seen) == len(created) == len(set(seen))
        assert set(seen) == created
        assert seen == sorted(seen, reverse=not oldest_first)


async def test_stored_order_equals_the_created_one(infra) -> None:
    uow = infra.unit_of_work(OrdersUnitOfWork)
    result = await handlers.create_order(
        CreateOrder(new_id(), draft(new_id()), ACTOR), uow(), clock=lambda: FROZEN, new_id=new_id
    )
    assert result.order.status is OrderStatus.PENDING_PAYMENT
    assert await handlers.get_order(GetOrder(result.order.order_id), uow()) == result.order


async def test_an_update_from_a_stale_state_writes_nothing(infra) -> None:
    uow = infra.unit_of_work(OrdersUnitOfWork)
    order_id = await create_frozen(infra, new_id())
    async with uow() as work:
        order = await work.orders.get(order_id, lock=True)
        assert order is not None
        paid, _ = order.mark_paid("p-1", order.total, FROZEN, ACTOR)
        await work.orders.update(order, paid)
        # A second change computed from the pre-payment state must not land on top of the first.
        cancelled, _ = order.cancel("stale", FROZEN, ACTOR)
        with pytest.raises(Aborted):
            await work.orders.update(order, cancelled)
    async with uow() as work:
        unchanged = await work.orders.get(order_id)
    assert unchanged is not None and unchanged.status is OrderStatus.PENDING_PAYMENT  # never committed
