"""The HTTP edge over in-memory upstreams: auth, validation, problem+json, limits, CORS, tracing, OpenAPI."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from services.gateway.adapters.app import OPENAPI_PATH, HttpPolicy, create_app, openapi_text
from services.gateway.domain.rate_limit import BucketPolicy, RateLimiter
from shared.auth import Principal, TokenAuthority
from shared.kernel import errors
from shared.kernel.ids import new_id
from tests.unit.gateway.gateway_fakes import World, fake_upstreams

SECRET = "unit-test-secret-of-the-gateway-0123456789"
AUTHORITY = TokenAuthority(SECRET)
ORIGIN = "https://shop.example"


def token(subject: str = "agent-7", role: str = "customer_service", **scope: Any) -> str:
    return AUTHORITY.issue(Principal(subject=subject, role=role, **scope))


def auth(subject: str = "agent-7", role: str = "customer_service") -> dict[str, str]:
    return {"Authorization": f"Bearer {token(subject, role)}"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
async def client(world: World, clock: Clock, spans: InMemorySpanExporter) -> AsyncIterator[httpx.AsyncClient]:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    app = create_app(
        fake_upstreams(world),
        AUTHORITY,
        RateLimiter(BucketPolicy(rate_per_second=1.0, burst=5)),
        HttpPolicy(max_body_bytes=2048, cors_origins=(ORIGIN,)),
        tracer_provider=provider,
        clock=clock,
    )
    # A bug must still answer (500 problem); the exception itself goes on to the server, which logs it.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=("203.0.113.9", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        yield http


def placement(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer": {"name": "张伟𠮷", "phone": "13800138000"},
        "lines": [{"sku": "SKU-1", "quantity": 2}],
        "shipping_address": {"recipient": "张伟", "province": "浙江省", "city": "嘉兴", "detail": "1号"},
        "payment_method": {"provider": "sandbox", "token": "tok_ok"},
        "channel": "tmall",
    }
    body.update(overrides)
    return body


def assert_problem(response: httpx.Response, status: int, reason: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert set(problem) == {"type", "title", "status", "detail", "reason", "violations", "metadata"}
    assert (problem["status"], problem["reason"]) == (status, reason)
    assert problem["type"] == "urn:oms:problem:" + reason.lower().replace("_", "-")
    return problem


# Authentication


async def test_a_call_without_a_token_is_401_problem(client: httpx.AsyncClient, world: World) -> None:
    response = await client.get(f"/v1/orders/{new_id()}")

    assert_problem(response, 401, "TOKEN_MISSING")
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert world.calls == []


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (f"Basic {token()}", "TOKEN_INVALID"),
        ("Bearer not-a-jwt", "TOKEN_INVALID"),
        (
            f"Bearer {TokenAuthority('another-secret-of-32-characters-at-least').issue(Principal('x', 'admin'))}",
            "TOKEN_INVALID",
        ),
        (
            "Bearer " + AUTHORITY.issue(Principal("x", "admin"), now=datetime.now(UTC) - timedelta(days=1)),
            "TOKEN_EXPIRED",
        ),
    ],
)
async def test_a_bad_token_is_401_with_its_reason(client: httpx.AsyncClient, header: str, reason: str) -> None:
    assert_problem(await client.get(f"/v1/orders/{new_id()}", headers={"Authorization": header}), 401, reason)


async def test_the_caller_is_forwarded_to_the_services(client: httpx.AsyncClient, world: World) -> None:
    order = world.add_order()
    bearer = token("agent-9", "cs_supervisor")

    await client.get(f"/v1/orders/{order.order_id}", headers={"Authorization": f"Bearer {bearer}"})

    [(_, _, caller)] = world.calls
    assert (caller.subject, caller.role, caller.token) == ("agent-9", "cs_supervisor", bearer)


async def test_a_role_that_may_not_act_is_403(client: httpx.AsyncClient, world: World) -> None:
    response = await client.post(
        "/v1/orders", json=placement(), headers={**auth(role="warehouse"), "Idempotency-Key": new_id()}
    )

    problem = assert_problem(response, 403, "ROLE_NOT_ALLOWED")
    assert problem["metadata"] == {"role": "warehouse", "operation": "place_order"}
    assert world.calls == []


# Placing, reading, validation


async def test_placing_an_order_answers_201_with_its_location(client: httpx.AsyncClient, world: World) -> None:
    key = new_id()

    response = await client.post("/v1/orders", json=placement(), headers={**auth(), "Idempotency-Key": key})

    assert response.status_code == 201, response.text
    placed = response.json()
    assert response.headers["location"] == f"/v1/orders/{placed['order_id']}"
    assert placed["saga"]["request_id"] == key and placed["saga"]["state"] == "succeeded"
    assert placed["total"] == {"amount_minor": 20_800, "currency": "CNY"}
    [sent] = world.called("place_order")
    assert sent.customer.name == "张伟𠮷" and sent.channel == "tmall"  # type: ignore[attr-defined]
    assert sent.order_type == 1  # type: ignore[attr-defined]  # regular by default


async def test_an_order_reads_with_exact_money_utc_times_and_lower_case_names(
    client: httpx.AsyncClient, world: World
) -> None:
    order = world.add_order()

    body = (await client.get(f"/v1/orders/{order.order_id}", headers=auth())).json()

    assert body["order_id"] == order.order_id
    assert (body["channel"], body["status"], body["order_type"]) == ("tmall", "paid", "rush")
    assert body["total"] == {"amount_minor": 20_800, "currency": "CNY"}
    assert body["lines"][0]["line_total"] == {"amount_minor": 20_000, "currency": "CNY"}
    assert body["customer_name"] == "张伟𠮷"
    assert body["created_at"] == "2025-10-09T08:53:20Z"
    assert [(h["from_status"], h["to_status"]) for h in body["history"]] == [
        (None, "pending_payment"),
        ("pending_payment", "paid"),
    ]


async def test_an_unknown_order_is_404_with_the_upstream_reason(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get(f"/v1/orders/{new_id()}", headers=auth()), 404, "ORDER_NOT_FOUND")


async def test_a_post_without_idempotency_key_is_refused_on_the_header(client: httpx.AsyncClient, world: World) -> None:
    problem = assert_problem(
        await client.post("/v1/orders", json=placement(), headers=auth()), 400, "IDEMPOTENCY_KEY_REQUIRED"
    )

    assert [v["field"] for v in problem["violations"]] == ["Idempotency-Key"]
    assert world.calls == []


async def test_a_malformed_idempotency_key_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/orders", json=placement(), headers={**auth(), "Idempotency-Key": "k" * 129})

    assert_problem(response, 400, "INVALID_IDEMPOTENCY_KEY")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (placement(lines=[{"sku": "SKU-1", "quantity": 0}]), "lines[0].quantity"),
        (placement(lines=[{"sku": "SKU-1", "quantity": 2**70}]), "lines[0].quantity"),
        (placement(lines=[]), "lines"),
        (placement(channel="ebay"), "channel"),
        (placement(customer={"name": "\ud800", "phone": "1"}), "customer.name"),
        (placement(surprise=1), "surprise"),
        (placement(currency="cny"), "currency"),
        ({k: v for k, v in placement().items() if k != "payment_method"}, "payment_method"),
    ],
)
async def test_bad_input_is_400_naming_the_field(
    client: httpx.AsyncClient, world: World, body: dict[str, Any], field: str
) -> None:
    response = await client.post(
        "/v1/orders",
        content=json.dumps(body),
        headers={**auth(), "Idempotency-Key": new_id(), "Content-Type": "application/json"},
    )

    problem = assert_problem(response, 400, "INVALID_ARGUMENT")
    assert field in [v["field"] for v in problem["violations"]]
    assert world.called("place_order") == []


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/orders",
        content=b'{"customer": ',
        headers={**auth(), "Idempotency-Key": new_id(), "Content-Type": "application/json"},
    )

    problem = assert_problem(response, 400, "MALFORMED_JSON")
    assert problem["violations"] == [{"field": "body", "description": "is not valid JSON"}]


async def test_query_and_path_parameters_are_checked(client: httpx.AsyncClient) -> None:
    bad_id = assert_problem(await client.get("/v1/orders/42", headers=auth()), 400, "INVALID_ARGUMENT")
    naive = assert_problem(
        await client.get("/v1/orders", params={"created_after": "2026-01-01T00:00:00"}, headers=auth()),
        400,
        "INVALID_ARGUMENT",
    )
    too_many = assert_problem(
        await client.get("/v1/orders", params={"limit": 201}, headers=auth()), 400, "INVALID_ARGUMENT"
    )

    assert [v["field"] for v in bad_id["violations"]] == ["order_id"]
    assert [v["field"] for v in naive["violations"]] == ["created_after"]
    assert [v["field"] for v in too_many["violations"]] == ["limit"]


async def test_upstream_failures_map_to_their_http_status(client: httpx.AsyncClient, world: World) -> None:
    order = world.add_order()
    world.failures["get_order"] = errors.Unavailable("orders is restarting")

    response = await client.get(f"/v1/orders/{order.order_id}", headers=auth())

    assert_problem(response, 503, "UNAVAILABLE")
    assert response.headers["retry-after"] == "1"


async def test_a_bug_is_a_500_problem_that_reveals_nothing(client: httpx.AsyncClient, world: World) -> None:
    world.failures["get_order"] = RuntimeError("secret internals")  # type: ignore[assignment]

    response = await client.get(f"/v1/orders/{new_id()}", headers=auth())

    problem = assert_problem(response, 500, "INTERNAL")
    assert "secret" not in response.text and problem["metadata"] == {}


async def test_unknown_routes_and_methods_are_problems_too(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/v2/orders", headers=auth()), 404, "ROUTE_NOT_FOUND")
    assert_problem(await client.delete(f"/v1/orders/{new_id()}", headers=auth()), 405, "METHOD_NOT_ALLOWED")


# Limits


async def test_a_body_over_the_limit_is_413_before_it_is_read(client: httpx.AsyncClient, world: World) -> None:
    big = placement(buyer_remark="x" * 4096)

    response = await client.post("/v1/orders", json=big, headers={**auth(), "Idempotency-Key": new_id()})

    problem = assert_problem(response, 413, "PAYLOAD_TOO_LARGE")
    assert problem["metadata"] == {"max_body_bytes": "2048"}
    assert world.calls == []


async def test_a_streamed_body_over_the_limit_is_413(client: httpx.AsyncClient, world: World) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"customer": {"name": "'
        for _ in range(10):
            yield b"x" * 512
        yield b'"}}'

    response = await client.post(
        "/v1/orders",
        content=chunks(),
        headers={**auth(), "Idempotency-Key": new_id(), "Content-Type": "application/json"},
    )

    assert "content-length" not in response.request.headers
    assert_problem(response, 413, "PAYLOAD_TOO_LARGE")
    assert world.calls == []


async def test_a_client_over_its_rate_is_429_with_retry_after(
    client: httpx.AsyncClient, world: World, clock: Clock
) -> None:
    order = world.add_order()
    statuses = [(await client.get(f"/v1/orders/{order.order_id}", headers=auth("busy"))).status_code for _ in range(6)]
    limited = await client.get(f"/v1/orders/{order.order_id}", headers=auth("busy"))
    other = await client.get(f"/v1/orders/{order.order_id}", headers=auth("calm"))
    probe = await client.get("/healthz")
    clock.now += 1.0
    later = await client.get(f"/v1/orders/{order.order_id}", headers=auth("busy"))

    assert statuses == [200] * 5 + [429]
    problem = assert_problem(limited, 429, "RATE_LIMITED")
    assert limited.headers["retry-after"] == "1" and problem["metadata"] == {"retry_after_seconds": "1"}
    assert other.status_code == 200 and probe.status_code == 200
    assert later.status_code == 200
    assert len(world.called("get_order")) == 7


async def test_callers_without_a_valid_token_share_their_address_bucket(client: httpx.AsyncClient) -> None:
    statuses = [(await client.get(f"/v1/orders/{new_id()}")).status_code for _ in range(6)]

    assert statuses == [401] * 5 + [429]


# CORS, probes, tracing, OpenAPI


async def test_a_configured_origin_may_call_from_a_browser(client: httpx.AsyncClient) -> None:
    preflight = await client.options(
        "/v1/orders",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, idempotency-key, content-type",
        },
    )
    refused = await client.get(f"/v1/orders/{new_id()}", headers={"Origin": ORIGIN})
    stranger = await client.get(f"/v1/orders/{new_id()}", headers={"Origin": "https://evil.example"})

    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert "idempotency-key" in preflight.headers["access-control-allow-headers"].lower()
    assert refused.headers["access-control-allow-origin"] == ORIGIN  # even a 401 is readable by the page
    assert "access-control-allow-origin" not in stranger.headers


async def test_readiness_reflects_every_upstream(client: httpx.AsyncClient, world: World) -> None:
    ready = await client.get("/readyz")
    world.readiness["saga"] = "UNAVAILABLE"
    not_ready = await client.get("/readyz")

    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    problem = assert_problem(not_ready, 503, "UPSTREAM_NOT_READY")
    assert problem["metadata"]["saga"] == "UNAVAILABLE"
    assert (await client.get("/healthz")).json() == {"status": "ok"}


async def test_each_request_is_a_server_span_and_upstream_calls_run_inside_it(
    client: httpx.AsyncClient, world: World, spans: InMemorySpanExporter
) -> None:
    order = world.add_order()
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

    await client.get(f"/v1/orders/{order.order_id}", headers={**auth(), "traceparent": parent})
    await client.get(f"/v1/orders/{new_id()}", headers=auth())

    found, missing = spans.get_finished_spans()
    assert found.name == "GET /v1/orders/{order_id}"
    assert found.attributes is not None and missing.attributes is not None
    assert found.attributes["http.route"] == "/v1/orders/{order_id}"
    assert found.attributes["http.response.status_code"] == 200
    assert found.attributes["oms.order.id"] == order.order_id
    assert found.context.trace_id == 0x0AF7651916CD43DD8448EB211C80319C
    assert world.spans[0].span_id == found.context.span_id
    assert missing.attributes["oms.error.reason"] == "ORDER_NOT_FOUND"


async def test_the_served_document_is_the_one_kept_in_the_repository(client: httpx.AsyncClient) -> None:
    served = await client.get("/openapi.json")

    assert served.status_code == 200
    kept = OPENAPI_PATH.read_text(encoding="utf-8")
    assert served.json() == json.loads(kept)
    assert openapi_text() == kept, "docs/openapi.json is stale: run python -m services.gateway --write-openapi"
