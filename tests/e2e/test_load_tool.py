"""`oms load` against the real suite: a short clean run passes every check, and each check fails when the
system is broken behind the saga's back between the traffic and the verification."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest
from oms.common.v1 import common_pb2
from oms.inventory.v1 import inventory_pb2
from oms.orders.v1 import orders_pb2
from oms.payments.v1 import payments_pb2

from shared.embedded import PROJECT_ROOT
from shared.kernel.ids import new_id
from tests.e2e.conftest import Suite, availability
from tools.load.config import LoadConfig, parse_mix
from tools.load.report import LoadResult
from tools.load.run import LoadRun
from tools.load.scenarios import Attempt
from tools.load.target import Credentials, GatewayTransport, Target

pytestmark = pytest.mark.e2e

# A few seconds of load at a low rate: enough orders for every scenario to happen.
SHORT = {"rate": 12.0, "duration": 2.0, "settle_timeout": 30.0, "saga_sample": 20, "stock": 1_000, "safety_stock": 5}


def addresses(suite: Suite) -> dict[str, str]:
    return {name: service.grpc_address for name, service in suite.stack.services.items()}


def verdicts(result: LoadResult) -> dict[str, str]:
    return {check.name: check.verdict for check in result.checks}


def failing(result: LoadResult) -> set[str]:
    return {check.name for check in result.checks if not check.passed}


class Driven:
    """A short run that has sent its traffic but not verified yet, so a test can break things first."""

    def __init__(self, run: LoadRun, target: Target) -> None:
        self.run = run
        self.target = target

    @property
    def placed(self) -> list[Attempt]:
        assert self.run.traffic is not None
        return [a for a in self.run.traffic.attempts if a.scenario == "place" and a.outcome == "ok"]


async def driven(suite: Suite, **overrides: object) -> Driven:
    values = {**SHORT, "mix": parse_mix("place=1"), **overrides}
    target = Target(addresses(suite), Credentials(suite.stack.auth_secret))
    run = LoadRun(LoadConfig(**values), target, progress=False)  # type: ignore[arg-type]
    await run.prepare()
    await run.drive()
    return Driven(run, target)


async def verified(driven_run: Driven) -> LoadResult:
    try:
        return await driven_run.run.verify()
    finally:
        await driven_run.target.close()


async def test_a_short_clean_run_with_every_scenario_passes_every_check(suite: Suite):
    # 60 arrivals: each scenario of weight 14 or more is missing with a chance of about 1 in 10,000.
    run = await driven(
        suite,
        mix=parse_mix("place=36,cancel=12,refund=12,retry=12,decline=14,flash=14"),
        flash_units=4,
        rate=20.0,
        duration=3.0,
    )

    result = await verified(run)

    assert verdicts(result) == dict.fromkeys(verdicts(result), "PASS"), [c.to_json() for c in result.checks]
    scenarios = {a.scenario for a in result.traffic.attempts}
    assert {"place", "retry", "decline", "flash"} <= scenarios
    refunds = next(c for c in result.checks if c.name == "refunds")
    refunded = [a for a in result.traffic.attempts if a.scenario == "refund" and a.outcome == "ok"]
    assert refunds.figures["refunds_completed"] == len(refunded)
    figures = result.figures()
    assert figures["orders_placed"] > 0
    assert figures["refusals"].get("refused:PAYMENT_DECLINED", 0) > 0
    assert set(result.steps) >= {"reserve_stock", "authorize_payment", "capture_payment"}
    hot = await availability(suite, result.catalogue.hot)
    sold = sum(1 for a in result.traffic.attempts if a.scenario == "flash" and a.outcome == "ok")
    assert hot.reserved == sold


async def test_partial_refunds_are_paid_once_and_the_money_still_adds_up(suite: Suite):
    run = await driven(suite, mix=parse_mix("place=1,refund=1"), refund_minor=700)

    result = await verified(run)

    assert verdicts(result) == dict.fromkeys(verdicts(result), "PASS"), [c.to_json() for c in result.checks]
    refunded = [a for a in result.traffic.attempts if a.scenario == "refund" and a.outcome == "ok"]
    assert refunded, [(a.outcome, a.reason) for a in result.traffic.attempts if a.scenario == "refund"]
    assert all(a.refund_minor == 700 for a in refunded)
    refunds = next(c for c in result.checks if c.name == "refunds")
    assert refunds.figures["refunds_completed"] == len(refunded)
    assert refunds.figures["refunded_minor"] == 700 * len(refunded)


async def test_a_short_run_through_the_gateway_passes_every_check(suite: Suite):
    gateway = suite.stack.services["gateway"]
    transport = GatewayTransport(f"http://{gateway.http_address}", suite.stack.token("service", "oms-load"))
    target = Target(addresses(suite), Credentials(suite.stack.auth_secret))
    config = LoadConfig(**{**SHORT, "mix": parse_mix("place=70,cancel=10,retry=10,decline=10")})  # type: ignore[arg-type]
    try:
        result = await LoadRun(config, target, transport=transport, progress=False).run()
    finally:
        await transport.close()
        await target.close()

    assert verdicts(result) == dict.fromkeys(verdicts(result), "PASS"), [c.to_json() for c in result.checks]
    assert result.figures()["orders_placed"] > 0
    assert result.figures()["refusals"].get("refused:PAYMENT_DECLINED", 0) > 0


async def test_a_reservation_without_an_order_fails_stock_conservation(suite: Suite):
    run = await driven(suite)
    assert run.run.catalogue is not None
    stranger = new_id()
    await run.target.client("inventory").Reserve(
        inventory_pb2.ReserveRequest(
            request_id=new_id(),
            order_id=stranger,
            lines=[inventory_pb2.ReserveLine(sku=run.run.catalogue.regular[0], quantity=3)],
        )
    )

    result = await verified(run)

    assert failing(result) == {"stock"}
    stock = next(c for c in result.checks if c.name == "stock")
    assert any(stranger in example for example in stock.examples)


async def test_a_paid_orders_stock_released_behind_the_sagas_back_fails_stock_conservation(suite: Suite):
    run = await driven(suite)
    victim = run.placed[0].order_id
    await run.target.client("inventory").Release(
        inventory_pb2.ReleaseRequest(request_id=new_id(), order_id=victim, reason="behind the saga's back")
    )

    result = await verified(run)

    assert failing(result) == {"stock"}
    stock = next(c for c in result.checks if c.name == "stock")
    assert stock.figures.get("paid without stock held") == 1
    assert any(victim in example for example in stock.examples)


async def test_a_duplicate_order_for_one_request_fails_the_order_check(suite: Suite):
    run = await driven(suite)
    original = (
        await run.target.client("orders").GetOrder(orders_pb2.GetOrderRequest(order_id=run.placed[0].order_id))
    ).order
    await run.target.client("orders").CreateOrder(
        orders_pb2.CreateOrderRequest(
            request_id=new_id(),
            channel=orders_pb2.CHANNEL_OWN_SITE,
            customer_id=original.customer_id,
            customer_name=original.customer_name,
            lines=[
                orders_pb2.OrderLineInput(sku=line.sku, quantity=line.quantity, unit_price=line.unit_price)
                for line in original.lines
            ],
            shipping_fee=original.shipping_fee,
            discount_total=original.discount_total,
            total=original.total,
            shipping_address=original.shipping_address,
            buyer_remark=original.buyer_remark,
        )
    )

    result = await verified(run)

    assert failing(result) == {"orders"}
    orders = next(c for c in result.checks if c.name == "orders")
    assert orders.figures.get("duplicated") == 1


async def test_money_refunded_from_a_paid_order_behind_the_sagas_back_fails_captured_equals_paid(suite: Suite):
    run = await driven(suite)
    victim = run.placed[0].order_id
    (payment,) = (
        await run.target.client("payments").ListPaymentsByOrder(
            payments_pb2.ListPaymentsByOrderRequest(order_id=victim)
        )
    ).payments
    await run.target.client("payments").Refund(
        payments_pb2.RefundRequest(
            request_id=new_id(),
            payment_id=payment.payment_id,
            amount=common_pb2.Money(amount_minor=100, currency=payment.captured.currency),
            reason="behind the saga's back",
        )
    )

    result = await verified(run)

    assert failing(result) == {"money"}
    money = next(c for c in result.checks if c.name == "money")
    assert any(victim in example for example in money.examples)


async def test_the_command_finds_the_stack_through_stack_json_and_writes_its_results(suite: Suite, tmp_path: Path):
    output = tmp_path / "results"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tools.load",
        "--state-dir",
        str(suite.stack.state_dir),
        "--rate",
        "8",
        "--duration",
        "1.5",
        "--mix",
        "place=3,decline=1",
        "--stock",
        "500",
        "--no-progress",
        "--output",
        str(output),
        cwd=PROJECT_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), timeout=180)
    text = stdout.decode("utf-8", "replace")

    assert process.returncode == 0, text
    assert "all checks PASS" in text
    (result_file,) = output.glob("load-*.json")
    data = json.loads(result_file.read_text(encoding="utf-8"))
    assert data["passed"] is True
    assert data["command"].startswith("oms load --state-dir")
    assert data["figures"]["arrivals"] > 0
    assert (output / result_file.name.replace(".json", ".html")).is_file()


async def test_the_command_refuses_a_bad_option_with_its_field(suite: Suite):
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tools.load",
        "--state-dir",
        str(suite.stack.state_dir),
        "--mix",
        "place=1,teleport=1",
        cwd=PROJECT_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), timeout=60)

    assert process.returncode == 2
    assert "mix[1]" in stdout.decode() and "teleport" in stdout.decode()


async def test_a_short_channel_ingest_run_ingests_each_marketplace_order_exactly_once(suite: Suite):
    # 24 batches of 8 records, the platforms in turn (four batches each), a quarter resent from earlier batches.
    run = await driven(
        suite, mix=parse_mix("place=1,ingest=3"), rate=16.0, duration=2.0, ingest_batch=8, ingest_duplicates=0.25
    )

    result = await verified(run)

    assert verdicts(result) == dict.fromkeys(verdicts(result), "PASS"), [c.to_json() for c in result.checks]
    batches = [a for a in result.traffic.attempts if a.scenario == "ingest"]
    assert {a.channel for a in batches} == {
        "CHANNEL_TMALL",
        "CHANNEL_JD",
        "CHANNEL_DOUYIN",
        "CHANNEL_PINDUODUO",
        "CHANNEL_SHOPIFY",
        "CHANNEL_OWN_SITE",
    }
    ingest = result.figures()["ingest"]
    assert ingest["duplicates_sent"] > 0
    assert ingest["outcomes"].get("UNCHANGED", 0) == ingest["duplicates_sent"]
    check = next(c for c in result.checks if c.name == "ingest")
    assert check.figures["listed"] == check.figures["distinct"] == ingest["orders_ingested"] > 0
    assert ingest["orders_per_s"] > 0
