"""A Locust version of ``oms load``'s scenarios, for those who prefer Locust's web UI and distributed workers.

Locust is not a dependency of the project (install it yourself: ``pip install locust``); this file is not part
of the test suite. It follows Locust's documented gRPC pattern (a User with an intercepted channel that fires
``environment.events.request``, gevent-compatible gRPC). Run against a stack started with ``oms up``:

    OMS_STATE_DIR=.oms locust -f benchmarks/locustfile.py --headless -u 200 -r 50 -t 60s

Mind the difference: each Locust user waits for its answer before its next task (a closed loop), so when the
suite slows down Locust sends less and its latency figures look better than the truth. ``constant_throughput``
keeps each user's pace while answers are quick, but only ``oms load`` (arrivals on the clock, latency from the
scheduled time) gives figures to compare with the targets, and only it runs the correctness checks.

Scenario weights come from OMS_LOAD_MIX (same syntax as ``oms load --mix``); the flash sale's units from
OMS_LOAD_FLASH_UNITS.
"""

from __future__ import annotations

import contextlib
import os
import random
import secrets
import threading
import time
from pathlib import Path
from typing import Any

import grpc
import grpc.experimental.gevent as grpc_gevent
from locust import User, between, constant_throughput, events, task  # type: ignore[import-not-found]
from oms.common.v1 import common_pb2
from oms.inventory.v1 import inventory_pb2, inventory_pb2_grpc
from oms.orders.v1 import orders_pb2, orders_pb2_grpc
from oms.pricing.v1 import pricing_pb2, pricing_pb2_grpc
from oms.refunds.v1 import refunds_pb2, refunds_pb2_grpc
from oms.saga.v1 import saga_pb2, saga_pb2_grpc

from shared.embedded import default_state_dir
from shared.kernel.ids import new_id
from tools.load.catalogue import Catalogue, run_skus
from tools.load.config import DEFAULT_MIX, parse_mix
from tools.load.scenarios import CANCEL_REASON, REFUND_DESCRIPTION, place_request
from tools.load.target import Credentials, addresses_from_state, secret_of_stack
from tools.oms.demo import CATALOGUE, LIMITED_SKU, money

grpc_gevent.init_gevent()  # gRPC's sync API must cooperate with Locust's gevent workers

MIX = parse_mix(os.environ.get("OMS_LOAD_MIX", DEFAULT_MIX))
FLASH_UNITS = int(os.environ.get("OMS_LOAD_FLASH_UNITS", "1000"))
RUN_ID = os.environ.get("OMS_LOAD_RUN_ID") or secrets.token_hex(4)
STOCK = 1_000_000

_catalogue: Catalogue | None = None
# Orders a later cancellation or refund may take, as (order id, payment id); gevent runs one thread.
_placed: list[tuple[str, str]] = []
_numbers = iter(range(10**9))
_numbers_lock = threading.Lock()


STATE_DIR = Path(os.environ.get("OMS_STATE_DIR") or default_state_dir())
# Tokens signed with the stack's secret (OMS_AUTH_SECRET for a stack elsewhere), as `oms load` calls.
CREDENTIALS = Credentials(os.environ.get("OMS_AUTH_SECRET") or secret_of_stack(STATE_DIR))
OPERATOR = CREDENTIALS.metadata("operations")
SERVICE = CREDENTIALS.metadata("service")
REQUESTER = CREDENTIALS.metadata("customer_service")
APPROVER = CREDENTIALS.metadata("cs_supervisor")
REFUND_MINOR = int(os.environ.get("OMS_LOAD_REFUND_MINOR", "1000"))


def addresses() -> dict[str, str]:
    return addresses_from_state(STATE_DIR)


def seed(found: dict[str, str]) -> Catalogue:
    """The run's SKUs, priced and stocked, as ``oms load`` seeds them (sync stubs: Locust runs on gevent)."""
    regular, hot = run_skus(RUN_ID)
    demo = [value for sku, value in CATALOGUE.items() if sku != LIMITED_SKU]
    prices = {sku: demo[i] for i, sku in enumerate(regular)} | {hot: CATALOGUE[LIMITED_SKU]}
    with grpc.insecure_channel(found["pricing"]) as channel:
        pricing_pb2_grpc.PricingServiceStub(channel).SetPrices(
            pricing_pb2.SetPricesRequest(
                request_id=f"locust-{RUN_ID}-prices",
                prices=[
                    pricing_pb2.SkuPrice(sku=sku, unit_price=money(p), cost=money(c), floor=money(f))
                    for sku, (p, c, f) in prices.items()
                ],
            ),
            timeout=10,
            metadata=OPERATOR,
        )
    with grpc.insecure_channel(found["inventory"]) as channel:
        inventory = inventory_pb2_grpc.InventoryServiceStub(channel)
        warehouse = inventory.UpsertWarehouse(
            inventory_pb2.UpsertWarehouseRequest(
                request_id=f"locust-{RUN_ID}-warehouse", code=f"LOCUST-{RUN_ID}", name=f"locust {RUN_ID}"
            ),
            timeout=10,
            metadata=OPERATOR,
        ).warehouse
        for sku in (*regular, hot):
            inventory.ReceiveStock(
                inventory_pb2.ReceiveStockRequest(
                    request_id=f"locust-{RUN_ID}-stock-{sku}",
                    warehouse_id=warehouse.warehouse_id,
                    sku=sku,
                    quantity=FLASH_UNITS if sku == hot else STOCK,
                    reference=f"locust {RUN_ID}",
                ),
                timeout=10,
                metadata=OPERATOR,
            )
    return Catalogue(RUN_ID, warehouse.warehouse_id, tuple(regular), hot, {s: p for s, (p, _, _) in prices.items()})


@events.test_start.add_listener
def on_test_start(environment: Any, **_: Any) -> None:
    global _catalogue
    _catalogue = seed(addresses())


def next_number() -> int:
    with _numbers_lock:
        return next(_numbers)


class LocustInterceptor(grpc.UnaryUnaryClientInterceptor):
    """Reports every call to Locust: its time, and its failure with the suite's stable reason when it has one."""

    def __init__(self, environment: Any) -> None:
        self.environment = environment

    def intercept_unary_unary(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        started = time.perf_counter()
        exception = None
        response = continuation(client_call_details, request)
        try:
            response.result()
        except grpc.RpcError as error:
            exception = error
        self.environment.events.request.fire(
            request_type="grpc",
            name=client_call_details.method.rsplit("/", 1)[-1],
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=exception,
            context={},
        )
        return response


class OrderingUser(User):
    """A buyer at the own site: places orders (some retried, some with a declining card, some in the flash
    sale) and cancels orders placed earlier."""

    wait_time = constant_throughput(1.0) if os.environ.get("OMS_LOAD_PACED", "1") == "1" else between(0.5, 1.5)

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        found = addresses()
        interceptor = LocustInterceptor(environment)
        channel = grpc.intercept_channel(grpc.insecure_channel(self.host or found["saga"]), interceptor)
        self.saga = saga_pb2_grpc.SagaServiceStub(channel)
        self.orders = orders_pb2_grpc.OrdersServiceStub(
            grpc.intercept_channel(grpc.insecure_channel(found["orders"]), interceptor)
        )
        self.refunds = (
            refunds_pb2_grpc.RefundsServiceStub(
                grpc.intercept_channel(grpc.insecure_channel(found["refunds"]), interceptor)
            )
            if "refunds" in found
            else None
        )
        self.rng = random.Random()

    def _place(self, *, token: str = "tok_ok", hot: bool = False, copies: int = 1) -> None:
        assert _catalogue is not None, "the catalogue is seeded at test start"
        request = place_request(_catalogue, next_number(), self.rng, token=token, hot=hot)
        for _ in range(copies):
            try:
                reply = self.saga.PlaceOrder(request, timeout=30, metadata=SERVICE)
            except grpc.RpcError:
                continue  # reported by the interceptor
            if not hot and all(order_id != reply.order_id for order_id, _ in _placed):
                _placed.append((reply.order_id, reply.payment_id))

    @task(round(MIX.weight("place")))
    def place(self) -> None:
        self._place()

    @task(round(MIX.weight("retry")))
    def retry(self) -> None:
        self._place(copies=3)

    @task(round(MIX.weight("decline")))
    def decline(self) -> None:
        self._place(token="tok_decline")

    @task(round(MIX.weight("flash")))
    def flash(self) -> None:
        self._place(hot=True)

    @task(round(MIX.weight("cancel")))
    def cancel(self) -> None:
        if not _placed:
            self._place()
            return
        order_id, _ = _placed.pop(self.rng.randrange(len(_placed)))
        with contextlib.suppress(grpc.RpcError):  # reported by the interceptor
            self.saga.CancelOrder(
                saga_pb2.CancelOrderRequest(request_id=new_id(), order_id=order_id, reason=CANCEL_REASON),
                timeout=30,
                metadata=SERVICE,
            )

    @task(round(MIX.weight("refund")))
    def refund(self) -> None:
        """A partial refund requested by customer service and approved by a supervisor; the refund saga pays
        it in the background (Locust times the two calls, not the payment)."""
        if not _placed or self.refunds is None:
            self._place()
            return
        order_id, payment_id = _placed.pop(self.rng.randrange(len(_placed)))
        with contextlib.suppress(grpc.RpcError):  # reported by the interceptor
            order = self.orders.GetOrder(orders_pb2.GetOrderRequest(order_id=order_id), timeout=30, metadata=SERVICE)
            currency = order.order.total.currency
            refund = self.refunds.RequestRefund(
                refunds_pb2.RequestRefundRequest(
                    request_id=new_id(),
                    order_id=order_id,
                    payment_id=payment_id,
                    kind=refunds_pb2.REFUND_KIND_PARTIAL,
                    reason=refunds_pb2.REFUND_REASON_PRICE_ADJUSTMENT,
                    order_type=refunds_pb2.ORDER_TYPE_REGULAR,
                    captured=order.order.total,
                    already_refunded=common_pb2.Money(amount_minor=0, currency=currency),
                    amount=common_pb2.Money(
                        amount_minor=max(1, min(REFUND_MINOR, order.order.total.amount_minor // 2)), currency=currency
                    ),
                    shipping_fee=order.order.shipping_fee,
                    description=REFUND_DESCRIPTION,
                ),
                timeout=30,
                metadata=REQUESTER,
            ).refund
            self.refunds.ApproveRefund(
                refunds_pb2.ApproveRefundRequest(request_id=new_id(), refund_id=refund.refund_id),
                timeout=30,
                metadata=APPROVER,
            )
