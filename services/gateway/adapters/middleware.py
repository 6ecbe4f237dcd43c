"""ASGI middleware of the gateway: a server span per request, the body size limit, and the client gate
(who is calling, and whether their token bucket lets them)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from opentelemetry import propagate, trace
from opentelemetry.semconv.attributes import http_attributes, url_attributes
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.domain.problems import PROBLEM_MEDIA_TYPE, Problem, payload_too_large, rate_limited
from services.gateway.domain.rate_limit import RateLimiter
from shared.auth import Principal, TokenAuthority
from shared.kernel.errors import Unauthenticated
from shared.telemetry.attributes import REASON, REQUEST_ID

log = logging.getLogger(__name__)

AUTH_SCOPE_KEY = "oms.authentication"
# Probes must answer even when a client floods the gateway, and a CORS preflight carries no credentials.
UNGATED_PATHS = frozenset({"/healthz", "/readyz"})


def problem_response(problem: Problem) -> JSONResponse:
    trace.get_current_span().set_attribute(REASON, problem.reason)
    return JSONResponse(
        problem.body(), status_code=problem.status, headers=problem.headers(), media_type=PROBLEM_MEDIA_TYPE
    )


class TracingMiddleware:
    """A SERVER span per HTTP request, child of the caller's trace context (traceparent) when it sends one.

    The span is current while the route runs, so the gRPC client interceptor makes each upstream call its child.
    """

    def __init__(self, app: ASGIApp, tracer_provider: trace.TracerProvider | None = None) -> None:
        self.app = app
        self._tracer = trace.get_tracer(__name__, tracer_provider=tracer_provider)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        method = scope["method"]
        status_code = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
            await send(message)

        attributes: dict[str, str] = {
            http_attributes.HTTP_REQUEST_METHOD: method,
            url_attributes.URL_PATH: scope["path"],
            url_attributes.URL_SCHEME: scope.get("scheme", "http"),
        }
        if key := headers.get("idempotency-key"):
            attributes[REQUEST_ID] = key
        with self._tracer.start_as_current_span(
            f"HTTP {method}",
            context=propagate.extract(dict(headers)),
            kind=SpanKind.SERVER,
            attributes=attributes,
        ) as span:
            try:
                await self.app(scope, receive, send_and_note)
            finally:
                route = getattr(scope.get("route"), "path", None)
                if route:
                    span.update_name(f"{method} {route}")
                    span.set_attribute(http_attributes.HTTP_ROUTE, route)
                span.set_attribute(http_attributes.HTTP_RESPONSE_STATUS_CODE, status_code)
                if status_code >= 500:
                    span.set_status(Status(StatusCode.ERROR))


class BodyTooLarge(HTTPException):
    """Raised from the body stream once it passes the limit; the app's handler answers 413 problem+json."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"the request body exceeds {limit} bytes")
        self.limit = limit


class BodyLimitMiddleware:
    """Refuses bodies over ``max_body_bytes``: at once when Content-Length says so, else while they stream."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            await problem_response(payload_too_large(self.max_body_bytes))(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge(self.max_body_bytes)
            return message

        await self.app(scope, limited, send)


@dataclass(frozen=True)
class Authentication:
    """What the gate learnt of the caller: a verified principal and its token, or why there is none."""

    principal: Principal | None = None
    token: str = ""
    error: Unauthenticated | None = None


def authenticate(authorization: str | None, authority: TokenAuthority) -> Authentication:
    if not authorization:
        return Authentication(error=Unauthenticated("a bearer token is required", reason="TOKEN_MISSING"))
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return Authentication(
            error=Unauthenticated("the Authorization header must be 'Bearer <token>'", reason="TOKEN_INVALID")
        )
    try:
        return Authentication(principal=authority.verify(token), token=token)
    except Unauthenticated as error:
        return Authentication(error=error)


class ClientGate:
    """Verifies the bearer token once (routes read the result from the scope) and applies the rate limit:
    one token bucket per authenticated subject, or per client address for requests without a valid token."""

    def __init__(
        self, app: ASGIApp, authority: TokenAuthority, limiter: RateLimiter, clock: Callable[[], float]
    ) -> None:
        self.app = app
        self._authority = authority
        self._limiter = limiter
        self._clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNGATED_PATHS or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        authentication = authenticate(Headers(scope=scope).get("authorization"), self._authority)
        if authentication.principal is not None:
            client = f"subject:{authentication.principal.subject}"
        else:
            address = scope.get("client")
            client = f"address:{address[0] if address else 'unknown'}"
        decision = self._limiter.check(client, self._clock())
        if not decision.allowed:
            await problem_response(rate_limited(decision.retry_after_seconds))(scope, receive, send)
            return
        scope[AUTH_SCOPE_KEY] = authentication
        await self.app(scope, receive, send)
