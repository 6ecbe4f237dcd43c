"""Channel-limited callers over real gRPC with signed tokens: another channel's order is NOT_FOUND, lists hide it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import grpc
import oms_client
import pytest
from oms.common.v1 import common_pb2
from oms.orders.v1 import orders_pb2
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from services.orders.adapters.fulfilment_repository import SqlShipmentRepository
from services.orders.bootstrap import Settings, build
from services.orders.domain.shipments import Shipment, ShipmentLine, ShipmentStatus
from shared.auth import Principal, TokenAuthority
from shared.kernel.ids import new_id
from tests.harness import running_service

pb = orders_pb2
ST = orders_pb2.OrderStatus
SECRET = "orders-access-test-secret-0123456789abcdef"
AUTHORITY = TokenAuthority(SECRET)
NOW = datetime.now(UTC)


def bearer(principal: Principal) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {AUTHORITY.issue(principal)}"),)


# The role allows every RPC; only the channel limit differs, so a refusal can only come from it.
TMALL_OPERATOR = bearer(Principal("tmall-shop-ops", "admin", channels=("TMALL",)))
ADMIN = bearer(Principal("admin-1", "admin"))
SERVICE = bearer(Principal("svc:saga", "service"))


@pytest.fixture(scope="module")
async def database_url(service_database) -> str:
    return await service_database("orders")


@pytest.fixture(scope="module")
async def channel(database_url: str, redis_url: str, stream_prefix: str) -> AsyncIterator[grpc.aio.Channel]:
    settings = Settings(
        service_name="orders",
        database_url=database_url,
        redis_url=redis_url,
        stream_prefix=stream_prefix,
        auth_secret=SECRET,
        auth_required=True,
        auto_review=False,
    )
    async with running_service(settings, build) as served:
        yield served


def client(channel: grpc.aio.Channel, metadata: tuple[tuple[str, str], ...]) -> Any:
    return oms_client.ServiceClient.for_service(channel, "orders", metadata=metadata, timeout=30)


def cny(amount: int) -> common_pb2.Money:
    return common_pb2.Money(amount_minor=amount, currency="CNY")


async def create(admin: Any, channel: int, prefix: str) -> pb.Order:
    request = pb.CreateOrderRequest(
        request_id=new_id(),
        channel=channel,
        channel_order_id=f"{prefix}-{new_id()}",
        customer_id=new_id(),
        customer_name="𠮷田",
        lines=[pb.OrderLineInput(sku="SKU-LAMP", quantity=1, unit_price=cny(5_000))],
        shipping_fee=cny(800),
        total=cny(5_800),
        shipping_address=common_pb2.Address(
            recipient="𠮷田", phone="13800000000", country="CN", province="浙江省", city="嘉兴", detail="1 号"
        ),
    )
    return (await admin.CreateOrder(request)).order


async def advance(admin: Any, order: pb.Order, *targets: int) -> pb.Order:
    for target in targets:
        request = pb.TransitionOrderRequest(request_id=new_id(), order_id=order.order_id, target_status=target)
        order = (await admin.TransitionOrder(request)).order
    return order


async def paid(admin: Any, order: pb.Order) -> pb.Order:
    request = pb.MarkOrderPaidRequest(
        request_id=new_id(), order_id=order.order_id, payment_id="pay-1", paid_amount=order.total
    )
    return (await admin.MarkOrderPaid(request)).order


async def add_shipment(database_url: str, order: pb.Order, status: ShipmentStatus) -> str:
    """A shipment of the order written as allocation would (allocation itself needs the inventory service)."""
    shipment = Shipment(
        shipment_id=new_id(),
        warehouse_code="WH-HZ",
        status=status,
        lines=(ShipmentLine(order.order_id, 1, "SKU-LAMP", 1),),
        rush=False,
        paid_at=NOW,
        merge_key=None,
        created_at=NOW,
        updated_at=NOW,
    )
    engine = create_async_engine(database_url)
    try:
        async with AsyncSession(engine) as session, session.begin():
            await SqlShipmentRepository(session).add(shipment)
    finally:
        await engine.dispose()
    return shipment.shipment_id


@pytest.fixture(scope="module")
async def world(channel: grpc.aio.Channel, database_url: str) -> dict[str, Any]:
    """Per channel (TMALL, JD): orders in each state an id-taking RPC needs, and a pending shipment."""
    admin = client(channel, ADMIN)
    found: dict[str, Any] = {}
    for name, value in (("TMALL", pb.CHANNEL_TMALL), ("JD", pb.CHANNEL_JD)):
        pending = await create(admin, value, name)
        to_cancel = await create(admin, value, name)
        to_review = await paid(admin, await create(admin, value, name))
        approved = await advance(
            admin,
            await paid(admin, await create(admin, value, name)),
            ST.ORDER_STATUS_UNDER_REVIEW,
            ST.ORDER_STATUS_APPROVED,
        )
        allocated = await advance(
            admin,
            await paid(admin, await create(admin, value, name)),
            ST.ORDER_STATUS_UNDER_REVIEW,
            ST.ORDER_STATUS_APPROVED,
            ST.ORDER_STATUS_ALLOCATED,
        )
        shipped = await advance(
            admin,
            await paid(admin, await create(admin, value, name)),
            ST.ORDER_STATUS_UNDER_REVIEW,
            ST.ORDER_STATUS_APPROVED,
            ST.ORDER_STATUS_ALLOCATED,
        )
        to_confirm = await add_shipment(database_url, shipped, ShipmentStatus.PENDING)
        await admin.ClaimShipment(pb.ClaimShipmentRequest(request_id=new_id(), shipment_id=to_confirm))
        found[name] = {
            "pending": pending,
            "to_cancel": to_cancel,
            "to_review": to_review,
            "approved": approved,
            "allocated": allocated,
            "to_claim": await add_shipment(database_url, allocated, ShipmentStatus.PENDING),
            "to_confirm": to_confirm,
        }
    return found


def calls(orders: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    """Each id-taking RPC with a request naming an order (or shipment) of ``orders``' channel."""
    return {
        "GetOrder": ("GetOrder", pb.GetOrderRequest(order_id=orders["pending"].order_id)),
        "GetOrderSla": ("GetOrderSla", pb.GetOrderSlaRequest(order_id=orders["pending"].order_id)),
        "MarkOrderPaid": (
            "MarkOrderPaid",
            pb.MarkOrderPaidRequest(
                request_id=new_id(),
                order_id=orders["pending"].order_id,
                payment_id="pay-9",
                paid_amount=orders["pending"].total,
            ),
        ),
        "CancelOrder": (
            "CancelOrder",
            pb.CancelOrderRequest(request_id=new_id(), order_id=orders["to_cancel"].order_id, reason="buyer asked"),
        ),
        "TransitionOrder": (
            "TransitionOrder",
            pb.TransitionOrderRequest(
                request_id=new_id(), order_id=orders["to_review"].order_id, target_status=ST.ORDER_STATUS_UNDER_REVIEW
            ),
        ),
        "AllocateOrder": (
            "AllocateOrder",
            pb.AllocateOrderRequest(request_id=new_id(), order_id=orders["approved"].order_id),
        ),
        "ClaimShipment": (
            "ClaimShipment",
            pb.ClaimShipmentRequest(request_id=new_id(), shipment_id=orders["to_claim"]),
        ),
        "ConfirmShipment": (
            "ConfirmShipment",
            pb.ConfirmShipmentRequest(request_id=new_id(), shipment_id=orders["to_confirm"], tracking_number="SF1"),
        ),
    }


RPCS = [
    "GetOrder",
    "GetOrderSla",
    "MarkOrderPaid",
    "CancelOrder",
    "TransitionOrder",
    "AllocateOrder",
    "ClaimShipment",
    "ConfirmShipment",
]
SHIPMENT_RPCS = {"ClaimShipment", "ConfirmShipment"}


@pytest.mark.parametrize("rpc", RPCS)
async def test_another_channels_order_answers_as_a_missing_one(channel, world, rpc: str) -> None:
    limited = client(channel, TMALL_OPERATOR)
    method, request = calls(world["JD"])[rpc]
    with pytest.raises(oms_client.OmsRpcError) as refused:
        await getattr(limited, method)(request)
    # A missing id gets the very same answer, so the answer tells nothing of the JD order's existence.
    missing = type(request)()
    missing.CopyFrom(request)
    if rpc in SHIPMENT_RPCS:
        missing.shipment_id = new_id()
    else:
        missing.order_id = new_id()
    with pytest.raises(oms_client.OmsRpcError) as absent:
        await getattr(limited, method)(missing)
    expected = "SHIPMENT_NOT_FOUND" if rpc in SHIPMENT_RPCS else "ORDER_NOT_FOUND"
    assert (refused.value.code, refused.value.reason) == (grpc.StatusCode.NOT_FOUND, expected)
    assert (absent.value.code, absent.value.reason) == (refused.value.code, refused.value.reason)


async def test_refused_calls_changed_nothing(channel, world) -> None:
    admin = client(channel, ADMIN)
    limited = client(channel, TMALL_OPERATOR)
    jd = world["JD"]
    for name, rpc in calls(jd).values():
        with pytest.raises(oms_client.OmsRpcError):
            await getattr(limited, name)(rpc)
    statuses = {
        key: (await admin.GetOrder(pb.GetOrderRequest(order_id=jd[key].order_id))).order.status
        for key in ("pending", "to_cancel", "to_review", "approved", "allocated")
    }
    assert statuses == {
        "pending": ST.ORDER_STATUS_PENDING_PAYMENT,
        "to_cancel": ST.ORDER_STATUS_PENDING_PAYMENT,
        "to_review": ST.ORDER_STATUS_PAID,
        "approved": ST.ORDER_STATUS_APPROVED,
        "allocated": ST.ORDER_STATUS_ALLOCATED,
    }
    shipments = (await admin.ListShipments(pb.ListShipmentsRequest(order_id=jd["allocated"].order_id))).shipments
    assert [s.status for s in shipments] == [pb.SHIPMENT_STATUS_PENDING]


@pytest.mark.parametrize("rpc", RPCS)
async def test_the_callers_own_channel_is_served(channel, world, rpc: str) -> None:
    limited = client(channel, TMALL_OPERATOR)
    method, request = calls(world["TMALL"])[rpc]
    if rpc in {"AllocateOrder", "ConfirmShipment"}:
        # These ask the inventory service, which is not running here: they get past the access check.
        with pytest.raises(oms_client.OmsRpcError) as stopped:
            await getattr(limited, method)(request)
        assert stopped.value.code != grpc.StatusCode.NOT_FOUND
        return
    reply = await getattr(limited, method)(request)
    assert reply.ByteSize() > 0


async def test_lists_show_only_the_callers_channels(channel, world) -> None:
    limited = client(channel, TMALL_OPERATOR)
    unlimited = client(channel, SERVICE)
    jd_ids = {o.order_id for key, o in world["JD"].items() if isinstance(o, pb.Order)}

    async def channels_of(who: Any, **filters: Any) -> set[int]:
        reply = await who.ListOrders(pb.ListOrdersRequest(page=common_pb2.PageRequest(page_size=500), **filters))
        return {o.channel for o in reply.orders}

    assert await channels_of(limited) == {pb.CHANNEL_TMALL}
    assert await channels_of(limited, channel=pb.CHANNEL_TMALL) == {pb.CHANNEL_TMALL}
    assert await channels_of(limited, channel=pb.CHANNEL_JD) == set()
    assert await channels_of(unlimited) == {pb.CHANNEL_TMALL, pb.CHANNEL_JD}

    shipments = (await limited.ListShipments(pb.ListShipmentsRequest())).shipments
    assert shipments and all(not set(s.order_ids) & jd_ids for s in shipments)
    by_jd_order = pb.ListShipmentsRequest(order_id=world["JD"]["allocated"].order_id)
    assert list((await limited.ListShipments(by_jd_order)).shipments) == []
    assert len((await unlimited.ListShipments(by_jd_order)).shipments) == 1


async def test_pages_of_a_limited_caller_stay_in_its_channels(channel, world) -> None:
    limited = client(channel, TMALL_OPERATOR)
    seen: list[pb.Order] = []
    token = ""
    while True:
        reply = await limited.ListOrders(
            pb.ListOrdersRequest(page=common_pb2.PageRequest(page_size=2, page_token=token))
        )
        seen.extend(reply.orders)
        token = reply.page.next_page_token
        if not token:
            break
    assert seen and {o.channel for o in seen} == {pb.CHANNEL_TMALL}
    assert len({o.order_id for o in seen}) == len(seen)


async def test_a_limited_caller_places_only_its_channels_orders(channel, world) -> None:
    limited = client(channel, TMALL_OPERATOR)
    admin = client(channel, ADMIN)
    jd = world["JD"]["pending"]
    copy = await admin.GetOrder(pb.GetOrderRequest(order_id=jd.order_id))
    # Re-placing the JD order's channel order id would hand back the JD order were it not refused first.
    request = pb.CreateOrderRequest(
        request_id=new_id(),
        channel=pb.CHANNEL_JD,
        channel_order_id=copy.order.channel_order_id,
        customer_id=new_id(),
        lines=[pb.OrderLineInput(sku="SKU-LAMP", quantity=1, unit_price=cny(5_000))],
        shipping_fee=cny(800),
        total=cny(5_800),
    )
    with pytest.raises(oms_client.OmsRpcError) as refused:
        await limited.CreateOrder(request)
    assert (refused.value.code, refused.value.reason) == (grpc.StatusCode.PERMISSION_DENIED, "CHANNEL_NOT_ALLOWED")
    assert jd.order_id not in str(refused.value)
    own = await limited.CreateOrder(
        pb.CreateOrderRequest(
            request_id=new_id(),
            channel=pb.CHANNEL_TMALL,
            channel_order_id=f"TM-{new_id()}",
            customer_id=new_id(),
            lines=[pb.OrderLineInput(sku="SKU-LAMP", quantity=1, unit_price=cny(5_000))],
            shipping_fee=cny(800),
            total=cny(5_800),
        )
    )
    assert own.created and own.order.channel == pb.CHANNEL_TMALL
