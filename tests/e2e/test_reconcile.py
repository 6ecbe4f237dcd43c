"""`oms reconcile` against the real suite: orders placed, cancelled, declined and refunded through the sagas
show no difference; then a reservation released and a payment refunded behind the sagas' backs are each
named with their order and rule."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from oms.common.v1 import common_pb2
from oms.inventory.v1 import inventory_pb2
from oms.orders.v1 import orders_pb2
from oms.payments.v1 import payments_pb2
from oms.refunds.v1 import refunds_pb2
from oms.saga.v1 import saga_pb2

from shared.embedded import PROJECT_ROOT
from shared.kernel.ids import new_id
from tests.e2e.conftest import Suite, money, stock_sku
from tests.e2e.test_place_order import order_of, order_request, place
from tests.support import eventually

pytestmark = pytest.mark.e2e


async def reconcile(suite: Suite, since: datetime, until: datetime, directory: Path) -> tuple[int, str, dict[str, Any]]:
    """Run the command as an operator would; its exit status, its output and its JSON report."""
    report = directory / "reconcile.json"
    metrics = directory / "reconcile.prom"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tools.reconcile",
        "--state-dir",
        str(suite.stack.state_dir),
        "--since",
        since.isoformat(),
        "--until",
        until.isoformat(),
        "--json",
        str(report),
        "--metrics-file",
        str(metrics),
        "--fail-on-difference",
        cwd=PROJECT_ROOT,
        env={**os.environ, "COLUMNS": "250"},  # one line per difference, to find it in the output
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    text = stdout.decode("utf-8", "replace")
    assert report.is_file(), text
    data = json.loads(report.read_text(encoding="utf-8"))
    data["metrics"] = metrics.read_text(encoding="utf-8")
    return process.returncode or 0, text, data


async def compensated(suite: Suite, order: orders_pb2.Order, amount: int) -> str:
    """A goodwill refund requested, approved and executed through the refunds service and the saga."""
    requested = await suite.client("refunds", role="customer_service").RequestRefund(
        refunds_pb2.RequestRefundRequest(
            request_id=new_id(),
            order_id=order.order_id,
            payment_id=order.payment_id,
            kind=refunds_pb2.REFUND_KIND_COMPENSATION,
            reason=refunds_pb2.REFUND_REASON_PRICE_ADJUSTMENT,
            order_type=refunds_pb2.ORDER_TYPE_REGULAR,
            captured=order.total,
            already_refunded=money(0),
            amount=money(amount),
            shipping_fee=money(0),
            description="价格保护 𠮷",
        )
    )
    refund_id = requested.refund.refund_id
    await suite.client("refunds", role="cs_supervisor").ApproveRefund(
        refunds_pb2.ApproveRefundRequest(request_id=new_id(), refund_id=refund_id)
    )

    async def completed() -> bool:
        reply = await suite.client("refunds").GetRefund(refunds_pb2.GetRefundRequest(refund_id=refund_id))
        return reply.refund.status == refunds_pb2.REFUND_STATUS_COMPLETED

    await eventually(completed, timeout=30, message="the approved refund is executed by the saga")
    return refund_id


async def test_the_report_finds_nothing_after_the_sagas_and_names_what_was_broken_behind_them(
    suite: Suite, tmp_path: Path
):
    sku = await stock_sku(suite, units=10, prefix="RECON")
    since = datetime.now(UTC)
    placed = [await suite.client("saga").PlaceOrder(order_request(sku)) for _ in range(4)]
    released, refunded, compensated_order, cancelled = (p.order_id for p in placed)
    declined = await place(suite, order_request(sku, token="tok_decline"))
    assert not isinstance(declined, saga_pb2.PlaceOrderResponse)
    await suite.client("saga").CancelOrder(
        saga_pb2.CancelOrderRequest(request_id=new_id(), order_id=cancelled, reason="buyer changed mind")
    )
    await compensated(suite, await order_of(suite, compensated_order), 1_000)
    until = datetime.now(UTC)

    status, output, clean = await reconcile(suite, since, until, tmp_path)

    assert status == 0, output
    assert clean["differences"] == [], output
    assert clean["orders"] == {
        "listed": 5,
        "judged": 5,
        "consistent": 5,
        "with_differences": 0,
        "in_flight": 0,
        "unchecked": 0,
    }
    assert clean["health_index"]["cross_system_consistency"] == 1.0
    assert clean["health_index"]["met"] is True
    assert 'oms_order_health_index{component="cross_system_consistency"} 1.0' in clean["metrics"]

    # Behind the sagas' backs: a paid order's stock given back, another's money partly returned by hand.
    await suite.client("inventory").Release(
        inventory_pb2.ReleaseRequest(request_id=new_id(), order_id=released, reason="released by hand 𠮷")
    )
    paid = await order_of(suite, refunded)
    await suite.client("payments", role="finance").Refund(
        payments_pb2.RefundRequest(
            request_id=new_id(),
            payment_id=paid.payment_id,
            amount=common_pb2.Money(amount_minor=500, currency=paid.total.currency),
            reason="goodwill outside the refunds service",
        )
    )

    status, output, broken = await reconcile(suite, since, until, tmp_path)

    assert status == 1, output
    found = {(d["order_id"], d["rule"]) for d in broken["differences"]}
    assert found == {(released, "paid_order_has_stock"), (refunded, "capture_matches_total")}, output
    by_order = {d["order_id"]: d for d in broken["differences"]}
    assert "released by hand 𠮷" in by_order[released]["cause"]
    assert "behind the refunds service" in by_order[refunded]["cause"]
    assert broken["orders"]["consistent"] == 3
    assert broken["health_index"]["cross_system_consistency"] == pytest.approx(3 / 5)
    assert broken["health_index"]["met"] is False
    assert re.search(rf"order {released} \(\w+\) paid_order_has_stock", output)
    assert re.search(rf"order {refunded} \(\w+\) capture_matches_total", output)
