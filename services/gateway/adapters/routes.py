"""The HTTP routes: /v1 for clients (bearer token required), /healthz and /readyz for probes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, Security
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from oms.orders.v1 import orders_pb2
from pydantic import AfterValidator, AwareDatetime

from services.gateway.adapters import convert
from services.gateway.adapters import schemas as s
from services.gateway.adapters.middleware import AUTH_SCOPE_KEY, Authentication, problem_response
from services.gateway.application import use_cases
from services.gateway.application.ports import Caller, Upstreams
from services.gateway.domain import idempotency
from services.gateway.domain.pagination import DEFAULT_LIMIT, MAX_CURSOR_CHARS, MAX_LIMIT
from services.gateway.domain.problems import PROBLEM_MEDIA_TYPE, TRANSIENT_RETRY_AFTER_SECONDS, Problem
from shared.kernel.errors import Unauthenticated
from shared.telemetry import tag_order

PROBLEM_SCHEMA_REF = "#/components/schemas/ProblemDetails"

_DESCRIPTIONS = {
    400: "The request is malformed; `violations` names the offending fields.",
    401: "No valid bearer token (reason TOKEN_MISSING, TOKEN_INVALID or TOKEN_EXPIRED).",
    403: "The token's role or channel scope does not allow this.",
    404: "Not found (e.g. ORDER_NOT_FOUND, SKU_NOT_PRICED).",
    409: "Conflicts with the current state (e.g. INVALID_TRANSITION, INSUFFICIENT_STOCK, SAGA_IN_PROGRESS).",
    413: "The body is larger than the gateway accepts (PAYLOAD_TOO_LARGE).",
    422: "Well formed but refused for its content (PAYMENT_DECLINED, PRICE_BELOW_FLOOR).",
    429: "Rate limited (RATE_LIMITED); wait Retry-After seconds.",
    502: "An upstream service failed.",
    503: "An upstream service is unavailable; retry with the same Idempotency-Key after Retry-After seconds.",
    504: "An upstream service did not answer in time; retry with the same Idempotency-Key.",
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries of problem+json responses."""
    entries: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {
            "description": _DESCRIPTIONS[status],
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_SCHEMA_REF}}},
        }
        if status in (429, 503):
            entry["headers"] = _RETRY_AFTER
        entries[status] = entry
    return entries


bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A caller token (HS256 JWT issued by shared.auth.TokenAuthority) naming a subject and a role.",
)


def current_caller(
    request: Request, _credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]
) -> Caller:
    """The caller the client gate authenticated; 401 when it could not."""
    authentication: Authentication | None = request.scope.get(AUTH_SCOPE_KEY)
    if authentication is None or authentication.principal is None:
        raise (authentication.error if authentication and authentication.error else Unauthenticated("no caller"))
    principal = authentication.principal
    return Caller(
        subject=principal.subject, role=principal.role, token=authentication.token, channels=principal.channels
    )


def upstreams_of(request: Request) -> Upstreams:
    upstreams: Upstreams = request.app.state.upstreams
    return upstreams


def _utc(moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError as error:
        raise ValueError("is out of the supported range") from error


CallerDep = Annotated[Caller, Depends(current_caller)]
UpstreamsDep = Annotated[Upstreams, Depends(upstreams_of)]
IdempotencyKey = Annotated[
    str,
    Header(
        alias=idempotency.HEADER,
        pattern=idempotency.PATTERN,
        max_length=idempotency.MAX_LENGTH,
        description="Required on every POST; the request id upstream. Repeat it to retry safely (a UUID per action).",
    ),
]
OrderId = Annotated[str, Path(pattern=s.UUID_PATTERN, description="The order's UUID.")]
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_utc)]


def _on_order(order_id: str) -> None:
    """Tag this request's span and baggage with the order, so every upstream hop of the request carries it
    (each request runs in its own task, so the tags end with it)."""
    tag_order(order_id=order_id)


router = APIRouter(prefix="/v1", responses=problems(400, 401, 403, 429, 502, 503, 504))


@router.post(
    "/orders",
    status_code=201,
    response_model=s.PlacedOrder,
    responses={
        **problems(404, 409, 413, 422),
        201: {"headers": {"Location": {"description": "The order.", "schema": {"type": "string"}}}},
    },
    summary="Place an order",
    description="Runs the placement saga (customer, quote, order, stock, payment). The Idempotency-Key is the "
    "saga's request id: repeating the POST with it returns the first outcome and never places a second order.",
    operation_id="placeOrder",
)
async def place_order(
    body: s.PlaceOrderBody, key: IdempotencyKey, caller: CallerDep, upstreams: UpstreamsDep, response: Response
) -> s.PlacedOrder:
    placed = await use_cases.place_order(convert.place_order_request(body), key, caller, upstreams.saga)
    _on_order(placed.order_id)
    response.headers["Location"] = f"/v1/orders/{placed.order_id}"
    return convert.placed_order(placed)


@router.get(
    "/orders",
    response_model=s.OrderList,
    summary="List orders",
    description="Filters combine with AND. Pages are stable under concurrent inserts; a cursor only works with "
    "the filters it was issued for.",
    operation_id="listOrders",
)
async def list_orders(
    caller: CallerDep,
    upstreams: UpstreamsDep,
    status: Annotated[list[s.OrderStatus] | None, Query(description="Any of these statuses.")] = None,  # type: ignore[valid-type]
    channel: s.Channel | None = None,  # type: ignore[valid-type]
    customer_id: Annotated[str | None, Query(pattern=s.UUID_PATTERN)] = None,
    created_after: Annotated[UtcDatetime | None, Query(description="Inclusive, RFC 3339 with an offset.")] = None,
    created_before: Annotated[UtcDatetime | None, Query(description="Exclusive, RFC 3339 with an offset.")] = None,
    order: s.SortOrder = s.SortOrder.NEWEST_FIRST,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=MAX_CURSOR_CHARS)] = None,
) -> s.OrderList:
    query = use_cases.OrderQuery(
        statuses=tuple(convert.enum_value(v, orders_pb2.OrderStatus, "ORDER_STATUS_") for v in status or ()),
        channel=convert.enum_value(channel, orders_pb2.Channel, "CHANNEL_") if channel else 0,
        customer_id=customer_id or "",
        created_after=created_after,
        created_before=created_before,
        oldest_first=order is s.SortOrder.OLDEST_FIRST,
        limit=limit,
        cursor=cursor,
    )
    page = await use_cases.list_orders(query, caller, upstreams.orders)
    return s.OrderList(orders=[convert.order(o) for o in page.orders], next_cursor=page.next_cursor)


@router.get(
    "/orders/{order_id}",
    response_model=s.Order,
    responses=problems(404),
    summary="Get an order",
    description="The order with its lines and its full status history.",
    operation_id="getOrder",
)
async def get_order(order_id: OrderId, caller: CallerDep, upstreams: UpstreamsDep) -> s.Order:
    _on_order(order_id)
    return convert.order(await use_cases.get_order(order_id, caller, upstreams.orders))


@router.get(
    "/orders/{order_id}/panorama",
    response_model=s.Panorama,
    responses=problems(404),
    summary="The full picture of an order",
    description="The order and its status history, payments, stock reservations and placement saga, fetched "
    "concurrently. A part whose service cannot answer is listed in `incomplete` instead of failing the call.",
    operation_id="getOrderPanorama",
)
async def order_panorama(order_id: OrderId, caller: CallerDep, upstreams: UpstreamsDep) -> s.Panorama:
    _on_order(order_id)
    return convert.panorama(await use_cases.order_panorama(order_id, caller, upstreams))


@router.post(
    "/orders/{order_id}/cancel",
    response_model=s.CancelledOrder,
    responses=problems(404, 409, 413),
    summary="Cancel an order",
    description="Runs the cancellation saga: cancels the order (refused once shipped), releases its stock and "
    "voids or refunds its payment.",
    operation_id="cancelOrder",
)
async def cancel_order(
    order_id: OrderId, body: s.CancelOrderBody, key: IdempotencyKey, caller: CallerDep, upstreams: UpstreamsDep
) -> s.CancelledOrder:
    _on_order(order_id)
    saga = await use_cases.cancel_order(order_id, body.reason, key, caller, upstreams)
    return s.CancelledOrder(saga=convert.saga(saga))


@router.post(
    "/orders/{order_id}/refunds",
    status_code=201,
    response_model=s.Refund,
    responses=problems(404, 409, 413),
    summary="Request a refund",
    description="Opens a refund request on the order's captured payment; it then waits for the approvals its "
    "amount needs (one cs_supervisor under 200.00 CNY, finance and operations above). Never more than captured: "
    "REFUND_EXCEEDS_CAPTURED (409) otherwise. 503 REFUNDS_NOT_CONFIGURED where no refunds service is deployed.",
    operation_id="requestRefund",
)
async def request_refund(
    order_id: OrderId, body: s.RefundBody, key: IdempotencyKey, caller: CallerDep, upstreams: UpstreamsDep
) -> s.Refund:
    _on_order(order_id)
    opened = await use_cases.request_refund(order_id, convert.refund_request(body), key, caller, upstreams)
    return convert.refund(opened)


@router.get(
    "/availability",
    response_model=s.Availability,
    summary="Check stock availability",
    description="For each SKU, the totals across warehouses and the level in each warehouse.",
    operation_id="getAvailability",
)
async def availability(
    caller: CallerDep,
    upstreams: UpstreamsDep,
    sku: Annotated[list[s.Text], Query(min_length=1, max_length=s.MAX_AVAILABILITY_SKUS, description="Repeat it.")],
) -> s.Availability:
    return convert.availability(await use_cases.check_availability(sku, caller, upstreams.inventory))


@router.post(
    "/quotes",
    response_model=s.Quote,
    responses=problems(404, 409, 413, 422),
    summary="Quote a basket",
    description="Prices the lines with every promotion that applies (and says why others did not). The quote "
    "is stored for its validity; repeating the POST with the same Idempotency-Key returns the same quote.",
    operation_id="quoteBasket",
)
async def quote(body: s.QuoteBody, key: IdempotencyKey, caller: CallerDep, upstreams: UpstreamsDep) -> s.Quote:
    return convert.quote(await use_cases.quote(convert.quote_request(body), key, caller, upstreams.pricing))


probes = APIRouter(tags=["probes"])


@probes.get("/healthz", response_model=s.Health, summary="Liveness", operation_id="healthz")
async def healthz() -> s.Health:
    return s.Health(status="ok")


@probes.get(
    "/readyz",
    response_model=s.Readiness,
    responses=problems(503),
    summary="Readiness: every upstream service answers its gRPC health check as SERVING",
    operation_id="readyz",
)
async def readyz(upstreams: UpstreamsDep) -> s.Readiness | JSONResponse:
    statuses = dict(await upstreams.health.readiness())
    waiting = sorted(name for name, status in statuses.items() if status != "SERVING")
    if waiting:
        return problem_response(
            Problem(
                status=503,
                reason="UPSTREAM_NOT_READY",
                detail=f"not ready: {', '.join(waiting)}",
                metadata=statuses,
                retry_after_seconds=TRANSIENT_RETRY_AFTER_SECONDS,
            )
        )
    return s.Readiness(status="ready", upstreams=statuses)
