"""The gateway in-process over the real services (PostgreSQL, Redis, gRPC): every route, the error mapping,
idempotent replays and the problem+json shape."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.gateway.domain.rate_limit import BucketPolicy, RateLimiter
from shared.kernel.ids import new_id
from tests.integration.gateway.conftest import Suite, bearer, gateway_client

AGENT = bearer()
SUPERVISOR = bearer("lead-2", "cs_supervisor")


def sku(label: str = "") -> str:
    return f"GW-{label}{new_id()[-12:]}"


def phone() -> str:
    return f"139{secrets.randbelow(10**8):08d}"


def placement(*lines: tuple[str, int], buyer_phone: str | None = None, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer": {"name": "张伟𠮷", "phone": buyer_phone or phone()},
        "lines": [{"sku": code, "quantity": quantity} for code, quantity in lines],
        "shipping_address": {
            "recipient": "张伟",
            "phone": "13800138000",
            "country": "CN",
            "province": "浙江省",
            "city": "嘉兴",
            "detail": "南湖区 1 号",
        },
        "payment_method": {"provider": "sandbox", "token": "tok_ok"},
        "channel": "tmall",
    }
    body.update(overrides)
    return body


async def place(gateway: httpx.AsyncClient, body: dict[str, Any], key: str | None = None) -> httpx.Response:
    return await gateway.post("/v1/orders", json=body, headers={**AGENT, "Idempotency-Key": key or new_id()})


def assert_problem(response: httpx.Response, status: int, reason: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert set(problem) == {"type", "title", "status", "detail", "reason", "violations", "metadata"}
    assert (problem["status"], problem["reason"]) == (status, reason)
    assert problem["type"] == "urn:oms:problem:" + reason.lower().replace("_", "-")
    assert problem["title"] and problem["detail"]
    return problem


async def test_an_order_placed_through_the_gateway_reads_back_in_full(gateway: httpx.AsyncClient, suite: Suite) -> None:
    code = sku("𠮷")
    await suite.stock(code, quantity=10, unit_price=12_000)

    response = await place(gateway, placement((code, 2)))

    assert response.status_code == 201, response.text
    placed = response.json()
    order_id = placed["order_id"]
    assert response.headers["location"] == f"/v1/orders/{order_id}"
    assert placed["total"] == {"amount_minor": 24_000, "currency": "CNY"}
    assert placed["saga"]["state"] == "succeeded"

    order = (await gateway.get(f"/v1/orders/{order_id}", headers=AGENT)).json()
    assert order["status"] == "paid" and order["channel"] == "tmall"
    assert order["customer_name"] == "张伟𠮷"
    assert order["lines"] == [
        {
            "line_no": 1,
            "sku": code,
            "quantity": 2,
            "unit_price": {"amount_minor": 12_000, "currency": "CNY"},
            "discount": {"amount_minor": 0, "currency": "CNY"},
            "line_total": {"amount_minor": 24_000, "currency": "CNY"},
        }
    ]
    assert [h["to_status"] for h in order["history"]] == ["pending_payment", "paid"]

    panorama = (await gateway.get(f"/v1/orders/{order_id}/panorama", headers=AGENT)).json()
    assert panorama["order"] == order
    [payment] = panorama["payments"]
    assert payment["payment_id"] == placed["payment_id"] and payment["status"] == "captured"
    assert payment["captured"] == {"amount_minor": 24_000, "currency": "CNY"}
    [reservation] = panorama["reservations"]
    assert reservation["reservation_id"] == placed["reservation_id"]
    assert reservation["status"] == "committed" and reservation["committed_at"]  # a paid order's hold is firm
    assert reservation["lines"] == [{"sku": code, "warehouse_id": suite.warehouse_id, "quantity": 2}]
    assert panorama["saga"]["saga_id"] == placed["saga"]["saga_id"]
    assert [step["status"] for step in panorama["saga"]["steps"]] == ["succeeded"] * len(panorama["saga"]["steps"])
    assert panorama["refunds"] == []
    assert panorama["incomplete"] == []


async def test_a_post_repeated_with_its_key_returns_the_first_answer_and_places_one_order(
    gateway: httpx.AsyncClient, suite: Suite
) -> None:
    code = sku()
    await suite.stock(code, quantity=10, unit_price=5_000)
    body = placement((code, 1))
    key = new_id()

    first, again = await place(gateway, body, key), await place(gateway, body, key)
    racing = await asyncio.gather(*(place(gateway, body, key) for _ in range(3)))

    assert first.status_code == again.status_code == 201
    assert again.json()["order_id"] == first.json()["order_id"]
    assert {r.json()["order_id"] for r in racing} == {first.json()["order_id"]}
    customer_id = (await gateway.get(f"/v1/orders/{first.json()['order_id']}", headers=AGENT)).json()["customer_id"]
    listed = (await gateway.get("/v1/orders", params={"customer_id": customer_id}, headers=AGENT)).json()
    assert [o["order_id"] for o in listed["orders"]] == [first.json()["order_id"]]
    availability = (await gateway.get("/v1/availability", params={"sku": code}, headers=AGENT)).json()
    assert availability["items"][0]["reserved"] == 1


async def test_a_key_reused_with_another_body_is_refused_on_the_header(
    gateway: httpx.AsyncClient, suite: Suite
) -> None:
    code = sku()
    await suite.stock(code, quantity=10, unit_price=5_000)
    key = new_id()
    assert (await place(gateway, placement((code, 1)), key)).status_code == 201

    problem = assert_problem(await place(gateway, placement((code, 2)), key), 400, "IDEMPOTENCY_KEY_REUSED")

    assert [v["field"] for v in problem["violations"]] == ["Idempotency-Key"]


async def test_an_upstream_field_violation_names_the_body_field(gateway: httpx.AsyncClient) -> None:
    body = placement(("SKU-A", 1), ("SKU-A", 2))

    problem = assert_problem(await place(gateway, body), 400, "INVALID_ARGUMENT")

    assert [v["field"] for v in problem["violations"]] == ["lines[1].sku"]


async def test_an_unknown_order_is_404(gateway: httpx.AsyncClient) -> None:
    order_id = new_id()

    for path in (f"/v1/orders/{order_id}", f"/v1/orders/{order_id}/panorama"):
        assert_problem(await gateway.get(path, headers=AGENT), 404, "ORDER_NOT_FOUND")


async def test_too_little_stock_is_409_naming_the_sku(gateway: httpx.AsyncClient, suite: Suite) -> None:
    code = sku()
    await suite.stock(code, quantity=1, unit_price=5_000)

    problem = assert_problem(await place(gateway, placement((code, 3))), 409, "INSUFFICIENT_STOCK")

    assert problem["metadata"]["sku"] == code
    assert problem["metadata"]["saga_id"]


async def test_a_declined_payment_is_422(gateway: httpx.AsyncClient, suite: Suite) -> None:
    code = sku()
    await suite.stock(code, quantity=5, unit_price=5_000)
    body = placement((code, 1), payment_method={"provider": "sandbox", "token": "tok_decline"})

    assert_problem(await place(gateway, body), 422, "PAYMENT_DECLINED")

    availability = (await gateway.get("/v1/availability", params={"sku": code}, headers=AGENT)).json()
    assert availability["items"][0]["reserved"] == 0  # the saga gave the stock back


async def test_a_sku_without_a_price_is_404(gateway: httpx.AsyncClient) -> None:
    problem = assert_problem(await place(gateway, placement((sku("unpriced-"), 1))), 404, "SKU_NOT_PRICED")

    assert problem["metadata"]["sku"].startswith("GW-unpriced-")


async def test_calls_without_a_valid_token_are_401_and_roles_are_checked(gateway: httpx.AsyncClient) -> None:
    assert_problem(await gateway.get(f"/v1/orders/{new_id()}"), 401, "TOKEN_MISSING")
    assert_problem(
        await gateway.get(f"/v1/orders/{new_id()}", headers={"Authorization": "Bearer nope"}), 401, "TOKEN_INVALID"
    )
    warehouse = bearer("picker-1", "warehouse")
    refused = await gateway.post(
        f"/v1/orders/{new_id()}/cancel", json={"reason": "r"}, headers={**warehouse, "Idempotency-Key": new_id()}
    )
    assert_problem(refused, 403, "ROLE_NOT_ALLOWED")


async def test_a_client_over_its_rate_is_429_with_retry_after(suite: Suite) -> None:
    limiter = RateLimiter(BucketPolicy(rate_per_second=0.01, burst=2))
    async with gateway_client(suite, limiter=limiter) as gateway:
        answers = [await gateway.get("/v1/availability", params={"sku": "X"}, headers=AGENT) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert_problem(answers[2], 429, "RATE_LIMITED")
    assert int(answers[2].headers["retry-after"]) >= 1


async def test_a_body_over_the_limit_is_413(suite: Suite) -> None:
    async with gateway_client(suite, max_body_bytes=1024) as gateway:
        response = await place(gateway, placement(("SKU-A", 1), buyer_remark="备注" * 600))

    assert_problem(response, 413, "PAYLOAD_TOO_LARGE")


async def test_orders_list_by_filters_with_cursor_pages(gateway: httpx.AsyncClient, suite: Suite) -> None:
    code = sku()
    await suite.stock(code, quantity=20, unit_price=3_000)
    buyer = phone()
    started = datetime.now(UTC) - timedelta(seconds=1)
    placed = [(await place(gateway, placement((code, 1), buyer_phone=buyer))).json()["order_id"] for _ in range(3)]
    customer_id = (await gateway.get(f"/v1/orders/{placed[0]}", headers=AGENT)).json()["customer_id"]
    await gateway.post(
        f"/v1/orders/{placed[1]}/cancel",
        json={"reason": "买家取消"},
        headers={**SUPERVISOR, "Idempotency-Key": new_id()},
    )
    filters = {"customer_id": customer_id, "channel": "tmall", "created_after": started.isoformat()}

    first = (await gateway.get("/v1/orders", params={**filters, "limit": 2}, headers=AGENT)).json()
    second = (
        await gateway.get("/v1/orders", params={**filters, "limit": 2, "cursor": first["next_cursor"]}, headers=AGENT)
    ).json()
    oldest = (await gateway.get("/v1/orders", params={**filters, "order": "oldest_first"}, headers=AGENT)).json()
    paid = (await gateway.get("/v1/orders", params={**filters, "status": ["paid"]}, headers=AGENT)).json()
    cancelled = (await gateway.get("/v1/orders", params={**filters, "status": "cancelled"}, headers=AGENT)).json()
    elsewhere = (await gateway.get("/v1/orders", params={**filters, "channel": "jd"}, headers=AGENT)).json()
    stale = await gateway.get(
        "/v1/orders", params={**filters, "status": "paid", "cursor": first["next_cursor"]}, headers=AGENT
    )

    assert [o["order_id"] for o in first["orders"] + second["orders"]] == placed[::-1]
    assert second["next_cursor"] is None
    assert [o["order_id"] for o in oldest["orders"]] == placed
    assert {o["order_id"] for o in paid["orders"]} == {placed[0], placed[2]}
    assert [o["order_id"] for o in cancelled["orders"]] == [placed[1]]
    assert elsewhere == {"orders": [], "next_cursor": None}
    assert [v["field"] for v in assert_problem(stale, 400, "INVALID_CURSOR")["violations"]] == ["cursor"]
    assert all(o["history"] == [] for o in first["orders"])


async def test_a_bad_time_range_is_refused_by_the_orders_service_on_its_field(gateway: httpx.AsyncClient) -> None:
    now = datetime.now(UTC)
    params = {"created_after": now.isoformat(), "created_before": (now - timedelta(days=1)).isoformat()}

    problem = assert_problem(await gateway.get("/v1/orders", params=params, headers=AGENT), 400, "INVALID_ARGUMENT")

    assert [v["field"] for v in problem["violations"]] == ["created_before"]


async def test_cancelling_releases_the_stock_and_gives_the_money_back(gateway: httpx.AsyncClient, suite: Suite) -> None:
    code = sku()
    await suite.stock(code, quantity=4, unit_price=8_000)
    order_id = (await place(gateway, placement((code, 3)))).json()["order_id"]
    key = new_id()

    cancelled = await gateway.post(
        f"/v1/orders/{order_id}/cancel", json={"reason": "买家改主意"}, headers={**SUPERVISOR, "Idempotency-Key": key}
    )
    again = await gateway.post(
        f"/v1/orders/{order_id}/cancel", json={"reason": "买家改主意"}, headers={**SUPERVISOR, "Idempotency-Key": key}
    )

    assert cancelled.status_code == 200, cancelled.text
    saga = cancelled.json()["saga"]
    assert (saga["kind"], saga["state"], saga["request_id"]) == ("cancel_order", "succeeded", key)
    assert again.json()["saga"]["saga_id"] == saga["saga_id"]
    panorama = (await gateway.get(f"/v1/orders/{order_id}/panorama", headers=AGENT)).json()
    assert panorama["order"]["status"] == "cancelled"
    assert panorama["reservations"][0]["status"] == "released"
    assert panorama["payments"][0]["status"] in {"refunded", "voided"}
    stock = (await gateway.get("/v1/availability", params={"sku": code}, headers=AGENT)).json()["items"][0]
    assert (stock["reserved"], stock["available"]) == (0, 4)


async def test_availability_reports_each_sku_in_request_order(gateway: httpx.AsyncClient, suite: Suite) -> None:
    stocked, unknown = sku(), sku()
    await suite.stock(stocked, quantity=7, unit_price=1_000)

    response = await gateway.get("/v1/availability", params={"sku": [stocked, unknown]}, headers=AGENT)

    assert response.status_code == 200, response.text
    first, second = response.json()["items"]
    assert (first["sku"], first["on_hand"], first["available"]) == (stocked, 7, 7)
    assert first["warehouses"][0]["warehouse_id"] == suite.warehouse_id
    assert (second["sku"], second["on_hand"], second["warehouses"]) == (unknown, 0, [])
    missing = assert_problem(await gateway.get("/v1/availability", headers=AGENT), 400, "INVALID_ARGUMENT")
    assert [v["field"] for v in missing["violations"]] == ["sku"]


async def test_a_quote_adds_up_exactly_and_its_key_returns_the_same_quote(
    gateway: httpx.AsyncClient, suite: Suite
) -> None:
    code = sku()
    await suite.stock(code, quantity=0, unit_price=33_333)
    body = {"lines": [{"sku": code, "quantity": 3}], "customer_tier": "VIP", "coupon_codes": ["NOPE"]}
    key = new_id()

    first = await gateway.post("/v1/quotes", json=body, headers={**AGENT, "Idempotency-Key": key})
    again = await gateway.post("/v1/quotes", json=body, headers={**AGENT, "Idempotency-Key": key})

    assert first.status_code == 200, first.text
    quote = first.json()
    assert again.json()["quote_id"] == quote["quote_id"]
    assert quote["subtotal"] == {"amount_minor": 99_999, "currency": "CNY"}
    parts = quote["subtotal"]["amount_minor"] + quote["shipping_fee"]["amount_minor"]
    assert quote["total"]["amount_minor"] == parts - quote["discount_total"]["amount_minor"]
    assert [(r["coupon_code"], r["reason"]) for r in quote["rejected"]] == [("NOPE", "coupon_unknown")]
    unpriced = await gateway.post(
        "/v1/quotes", json={"lines": [{"sku": sku(), "quantity": 1}]}, headers={**AGENT, "Idempotency-Key": new_id()}
    )
    assert_problem(unpriced, 404, "SKU_NOT_PRICED")


async def test_a_refund_request_opens_on_the_captured_payment(gateway: httpx.AsyncClient, suite: Suite) -> None:
    code = sku()
    await suite.stock(code, quantity=5, unit_price=15_000)
    placed = (await place(gateway, placement((code, 2)))).json()
    order_id = placed["order_id"]
    body = {
        "kind": "partial",
        "reason": "damaged",
        "amount": {"amount_minor": 15_000, "currency": "CNY"},
        "items": [{"sku": code, "quantity": 1}],
        "description": "一件破损 𠮷",
    }
    key = new_id()

    opened = await gateway.post(f"/v1/orders/{order_id}/refunds", json=body, headers={**AGENT, "Idempotency-Key": key})
    again = await gateway.post(f"/v1/orders/{order_id}/refunds", json=body, headers={**AGENT, "Idempotency-Key": key})
    too_much = await gateway.post(
        f"/v1/orders/{order_id}/refunds",
        json={**body, "amount": {"amount_minor": 20_000, "currency": "CNY"}},
        headers={**AGENT, "Idempotency-Key": new_id()},
    )

    assert opened.status_code == 201, opened.text
    refund = opened.json()
    assert (refund["order_id"], refund["payment_id"]) == (order_id, placed["payment_id"])
    assert (refund["kind"], refund["reason"], refund["status"]) == ("partial", "damaged", "pending_approval")
    assert refund["amount"] == {"amount_minor": 15_000, "currency": "CNY"}
    assert refund["requested_by"] == {"subject": "agent-7", "role": "customer_service"}
    assert refund["required_roles"] and refund["description"] == "一件破损 𠮷"
    assert again.json()["refund_id"] == refund["refund_id"]
    problem = assert_problem(too_much, 409, "REFUND_EXCEEDS_CAPTURED")
    assert problem["metadata"]["refundable_minor"] == "15000"
    panorama = (await gateway.get(f"/v1/orders/{order_id}/panorama", headers=AGENT)).json()
    assert [r["refund_id"] for r in panorama["refunds"]] == [refund["refund_id"]]


async def test_a_refund_of_an_unknown_order_is_404(gateway: httpx.AsyncClient, suite: Suite) -> None:
    body = {"kind": "compensation", "reason": "other", "amount": {"amount_minor": 100, "currency": "CNY"}}

    response = await gateway.post(
        f"/v1/orders/{new_id()}/refunds", json=body, headers={**AGENT, "Idempotency-Key": new_id()}
    )

    assert_problem(response, 404, "ORDER_NOT_FOUND")


async def test_without_a_refunds_service_a_refund_request_is_503(suite: Suite) -> None:
    body = {"kind": "compensation", "reason": "damaged", "amount": {"amount_minor": 100, "currency": "CNY"}}
    async with gateway_client(suite, with_refunds=False) as gateway:
        response = await gateway.post(
            f"/v1/orders/{new_id()}/refunds", json=body, headers={**AGENT, "Idempotency-Key": new_id()}
        )
        panorama = await gateway.get(f"/v1/orders/{new_id()}/panorama", headers=AGENT)

    assert_problem(response, 503, "REFUNDS_NOT_CONFIGURED")
    assert response.headers["retry-after"] == "1"
    assert_problem(panorama, 404, "ORDER_NOT_FOUND")


async def test_readiness_sees_every_upstream_serving(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/readyz")

    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "ready",
        "upstreams": {name: "SERVING" for name in ("inventory", "orders", "payments", "pricing", "refunds", "saga")},
    }


@pytest.mark.parametrize("path", ["/healthz", "/openapi.json"])
async def test_probes_and_the_document_need_no_token(gateway: httpx.AsyncClient, path: str) -> None:
    assert (await gateway.get(path)).status_code == 200
