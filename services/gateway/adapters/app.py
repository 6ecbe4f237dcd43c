"""The FastAPI application: routes, problem+json for every error, middleware, and the OpenAPI document."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from opentelemetry import trace
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from services.gateway.adapters import schemas as s
from services.gateway.adapters.middleware import (
    BodyLimitMiddleware,
    BodyTooLarge,
    ClientGate,
    TracingMiddleware,
    problem_response,
)
from services.gateway.adapters.routes import probes, router
from services.gateway.application.ports import Upstreams
from services.gateway.domain import idempotency
from services.gateway.domain.problems import (
    Problem,
    internal_error,
    invalid_request,
    payload_too_large,
    problem_for,
    route_problem,
)
from services.gateway.domain.rate_limit import RateLimiter
from shared.auth import TokenAuthority
from shared.kernel.errors import FieldViolation, OmsError

TITLE = "OMS gateway"
API_VERSION = "1.0.0"
DESCRIPTION = (
    "HTTP/JSON for web and mobile clients in front of the order-management services.\n\n"
    "Every /v1 call needs `Authorization: Bearer <token>`; every POST needs an `Idempotency-Key` header, "
    "passed to the services as the request id, so a POST repeated with the same key returns the first "
    "answer. Money is `{amount_minor, currency}` in integer minor units. Errors are RFC 9457 "
    "application/problem+json with a stable `reason` and the offending fields in `violations`; gRPC "
    "statuses map to INVALID_ARGUMENT 400, UNAUTHENTICATED 401, PERMISSION_DENIED 403, NOT_FOUND 404, "
    "ALREADY_EXISTS / ABORTED / FAILED_PRECONDITION 409 (422 for PAYMENT_DECLINED and PRICE_BELOW_FLOOR, "
    "which no retry can fix), RESOURCE_EXHAUSTED 429, UNAVAILABLE 503, DEADLINE_EXCEEDED 504; a failing "
    "upstream is 502. Clients are rate limited per token subject (per address without a token): 429 with "
    "Retry-After."
)
OPENAPI_PATH = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"


@dataclass(frozen=True)
class HttpPolicy:
    """The HTTP edge's limits: body size and the web origins allowed to call from a browser."""

    max_body_bytes: int = 1024 * 1024
    cors_origins: tuple[str, ...] = ()


def _field_path(location: Sequence[str | int]) -> str:
    """``("body", "lines", 0, "quantity")`` -> ``lines[0].quantity``; parameters keep their own names."""
    where, *rest = location or ("body",)
    if where == "header" and rest and str(rest[0]).lower() == idempotency.HEADER.lower():
        return idempotency.HEADER
    path = ""
    for part in rest:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or str(where)


def validation_problem(error: RequestValidationError) -> Problem:
    """The 400 problem of a request FastAPI refused before it reached a route."""
    violations: list[FieldViolation] = []
    reason = "INVALID_ARGUMENT"
    for detail in error.errors():
        if detail.get("type") == "json_invalid":
            return invalid_request([FieldViolation("body", "is not valid JSON")], reason="MALFORMED_JSON")
        field = _field_path(tuple(detail.get("loc", ())))
        if field == idempotency.HEADER:
            missing = detail.get("type") == "missing"
            reason = idempotency.IdempotencyKeyRequired.reason if missing else idempotency.InvalidIdempotencyKey.reason
        violations.append(FieldViolation(field, str(detail.get("msg", "is invalid"))))
    return invalid_request(violations, reason=reason)


async def _on_oms_error(_request: Request, error: Exception) -> Response:
    assert isinstance(error, OmsError)
    return problem_response(problem_for(error))


async def _on_validation_error(_request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    return problem_response(validation_problem(error))


async def _on_http_error(_request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    if isinstance(error, BodyTooLarge):
        return problem_response(payload_too_large(error.limit))
    return problem_response(route_problem(error.status_code, str(error.detail)))


async def _on_unexpected(_request: Request, _error: Exception) -> Response:
    # Starlette re-raises the exception after this answer is sent, and the server logs it with its traceback.
    return problem_response(internal_error())


def _openapi_of(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """The document of ``app``: validation errors documented as the 400 problem they are, not FastAPI's 422."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = get_openapi(
            title=TITLE, version=API_VERSION, description=DESCRIPTION, routes=app.routes, servers=None
        )
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        problem = s.ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(problem.pop("$defs", {}))
        schemas["ProblemDetails"] = problem
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                answer = operation.get("responses", {}).get("422", {})
                if "HTTPValidationError" in json.dumps(answer):
                    del operation["responses"]["422"]
        document["components"] = {key: document["components"][key] for key in sorted(document["components"])}
        document["components"]["schemas"] = dict(sorted(schemas.items()))
        app.openapi_schema = document
        return document

    return openapi


def api() -> FastAPI:
    """The routes and error handlers, without middleware or upstreams: enough to describe the API."""
    app = FastAPI(title=TITLE, version=API_VERSION, docs_url=None, redoc_url=None, openapi_url="/openapi.json")
    app.include_router(router)
    app.include_router(probes)
    app.add_exception_handler(OmsError, _on_oms_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(HTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
    app.openapi = _openapi_of(app)  # type: ignore[method-assign]
    return app


def create_app(
    upstreams: Upstreams,
    authority: TokenAuthority,
    limiter: RateLimiter,
    policy: HttpPolicy = HttpPolicy(),
    *,
    tracer_provider: trace.TracerProvider | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> FastAPI:
    """The gateway application over ``upstreams``; it holds no state beyond the rate-limit buckets."""
    app = api()
    app.state.upstreams = upstreams
    # Starlette runs the middleware added last first: tracing wraps everything, CORS headers go on every
    # answer (refusals included), oversized bodies are refused before the gate spends a token on them.
    app.add_middleware(ClientGate, authority=authority, limiter=limiter, clock=clock)
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=policy.max_body_bytes)
    if policy.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(policy.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", idempotency.HEADER, "traceparent", "tracestate"],
            expose_headers=["Location", "Retry-After"],
            max_age=600,
        )
    app.add_middleware(TracingMiddleware, tracer_provider=tracer_provider)
    return app


def openapi_document() -> dict[str, Any]:
    return api().openapi()


def openapi_text() -> str:
    """The document as kept in docs/openapi.json (stable key order, UTF-8, final newline)."""
    return json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n"
