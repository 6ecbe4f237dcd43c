"""The HTTP gateway as a real process in front of the real services: every route, the error mapping,
idempotent replay, and per-client rate limits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from shared.kernel.ids import new_id
from tests.e2e.conftest import Suite, stock_sku

pytestmark = pytest.mark.e2e


@pytest.fixture
async def gateway(suite: Suite) -> AsyncIterator[httpx.AsyncClient]:
    address = suite.stack.services["gateway"].http_address
    async with httpx.AsyncClient(base_url=f"http://{address}", timeout=30.0) as client:
        yield client


def bearer(suite: Suite, role: str = "customer_service", subject: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {suite.stack.token(role, subject or f'web-{role}-{new_id()[-6:]}')}"}


def order_body(sku: str, quantity: int = 1, token: str = "tok_ok") -> dict[str, Any]:
    return {
        "customer": {"name": "李娜𠮷", "phone": f"137{new_id()[-8:].translate(str.maketrans('abcdef', '123456'))}"},
        "lines": [{"sku": sku, "quantity": quantity}],
        "shipping_address": {
            "recipient": "李娜",
            "phone": "13700137000",
            "country": "CN",
            "province": "上海市",
            "city": "上海",
            "detail": "淮海中路 1 号",
        },
        "payment_method": {"provider": "sandbox", "token": token},
        "channel": "own_site",
    }


def assert_problem(response: httpx.Response, status: int, reason: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert (problem["status"], problem["reason"]) == (status, reason)
    return problem


async def test_place_read_list_and_cancel_an_order(suite: Suite, gateway: httpx.AsyncClient):
    sku = await stock_sku(suite, units=5)
    agent = bearer(suite)
    key = new_id()

    body = order_body(sku, 2)
    placed = await gateway.post("/v1/orders", json=body, headers={**agent, "Idempotency-Key": key})
    replayed = await gateway.post("/v1/orders", json=body, headers={**agent, "Idempotency-Key": key})

    assert placed.status_code == 201, placed.text
    order_id = placed.json()["order_id"]
    assert replayed.status_code in (200, 201) and replayed.json()["order_id"] == order_id
    order = await gateway.get(f"/v1/orders/{order_id}", headers=agent)
    assert order.status_code == 200 and order.json()["status"] in {"paid", "under_review", "approved", "on_hold"}
    panorama = (await gateway.get(f"/v1/orders/{order_id}/panorama", headers=agent)).json()
    assert panorama["payments"] and panorama["reservations"]
    listed = await gateway.get("/v1/orders", params={"status": order.json()["status"], "limit": 5}, headers=agent)
    assert listed.status_code == 200 and listed.json()["orders"]
    availability = await gateway.get("/v1/availability", params={"sku": sku}, headers=agent)
    assert availability.json()["items"][0]["reserved"] == 2

    supervisor = bearer(suite, "cs_supervisor")
    cancelled = await gateway.post(
        f"/v1/orders/{order_id}/cancel",
        json={"reason": "buyer asked"},
        headers={**supervisor, "Idempotency-Key": new_id()},
    )
    assert cancelled.status_code == 200, cancelled.text
    assert (await gateway.get(f"/v1/orders/{order_id}", headers=agent)).json()["status"] == "cancelled"


async def test_quote(suite: Suite, gateway: httpx.AsyncClient):
    sku = await stock_sku(suite, units=1, price=12_800)
    quoted = await gateway.post(
        "/v1/quotes",
        json={"lines": [{"sku": sku, "quantity": 3}]},
        headers={**bearer(suite), "Idempotency-Key": new_id()},
    )
    assert quoted.status_code == 200, quoted.text
    assert quoted.json()["subtotal"] == {"amount_minor": 38_400, "currency": "CNY"}


async def test_errors_map_to_the_statuses_users_expect(suite: Suite, gateway: httpx.AsyncClient):
    agent = bearer(suite)
    assert_problem(await gateway.get(f"/v1/orders/{new_id()}", headers=agent), 404, "ORDER_NOT_FOUND")
    assert_problem(await gateway.get(f"/v1/orders/{new_id()}"), 401, "TOKEN_MISSING")
    bad = await gateway.post(
        "/v1/orders",
        json={**order_body("X-1"), "lines": [{"sku": "X-1", "quantity": 0}]},
        headers={**agent, "Idempotency-Key": new_id()},
    )
    assert bad.status_code in (400, 422) and any("quantity" in v["field"] for v in bad.json()["violations"])
    sold_out = await stock_sku(suite, units=1)
    refused = await gateway.post(
        "/v1/orders", json=order_body(sold_out, 2), headers={**agent, "Idempotency-Key": new_id()}
    )
    assert_problem(refused, 409, "INSUFFICIENT_STOCK")
    declined = await gateway.post(
        "/v1/orders", json=order_body(sold_out, 1, token="tok_decline"), headers={**agent, "Idempotency-Key": new_id()}
    )
    assert_problem(declined, 422, "PAYMENT_DECLINED")
    no_key = await gateway.post("/v1/orders", json=order_body(sold_out), headers=agent)
    assert no_key.status_code == 400


async def test_a_client_over_its_rate_gets_429_with_retry_after(suite: Suite, gateway: httpx.AsyncClient):
    greedy = bearer(suite, subject="greedy-client")
    sku = await stock_sku(suite, units=1)
    answers = await asyncio.gather(
        *(gateway.get("/v1/availability", params={"sku": sku}, headers=greedy) for _ in range(120))
    )
    limited = [a for a in answers if a.status_code == 429]
    assert limited, [a.status_code for a in answers]
    assert int(limited[0].headers["Retry-After"]) >= 1
    assert_problem(limited[0], 429, limited[0].json()["reason"])
    other = await gateway.get("/v1/availability", params={"sku": sku}, headers=bearer(suite, subject="calm-client"))
    assert other.status_code == 200
