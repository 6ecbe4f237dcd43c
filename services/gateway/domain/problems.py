"""The HTTP face of the one error model: which HTTP status each error kind gets, and the RFC 9457 problem.

Mapping (gRPC status -> HTTP): INVALID_ARGUMENT 400, UNAUTHENTICATED 401, PERMISSION_DENIED 403,
NOT_FOUND 404, ALREADY_EXISTS 409, ABORTED 409, FAILED_PRECONDITION 409, RESOURCE_EXHAUSTED 429,
INTERNAL (an upstream failed) 502, UNAVAILABLE 503, DEADLINE_EXCEEDED 504.

FAILED_PRECONDITION is 409 (the request conflicts with the current state: INVALID_TRANSITION,
INSUFFICIENT_STOCK, SAGA_IN_PROGRESS, QUOTE_EXPIRED ...) except for the reasons in
UNPROCESSABLE_REASONS, which are 422: the request is well formed but its content is refused whatever the
state of the system, so repeating it unchanged can never succeed (a declined payment instrument, a
basket priced below the floor).
"""

from __future__ import annotations

import http
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from shared.kernel.errors import ErrorKind, FieldViolation, OmsError

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:oms:problem:"

HTTP_STATUS: Mapping[ErrorKind, int] = {
    ErrorKind.INVALID_ARGUMENT: 400,
    ErrorKind.UNAUTHENTICATED: 401,
    ErrorKind.PERMISSION_DENIED: 403,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.ALREADY_EXISTS: 409,
    ErrorKind.ABORTED: 409,
    ErrorKind.FAILED_PRECONDITION: 409,
    ErrorKind.RESOURCE_EXHAUSTED: 429,
    ErrorKind.INTERNAL: 502,
    ErrorKind.UNAVAILABLE: 503,
    ErrorKind.DEADLINE_EXCEEDED: 504,
}

UNPROCESSABLE_REASONS = frozenset(
    {
        "PAYMENT_DECLINED",
        "PRICE_BELOW_FLOOR",
        "CAPTURE_DECLINED",
        "REFUND_DECLINED",
    }
)

# Fields the upstream contracts name differently from the HTTP API (the idempotency key is a header,
# paging is limit/cursor, filters are singular query parameters).
FIELD_ALIASES: Mapping[str, str] = {
    "request_id": "Idempotency-Key",
    "page.page_size": "limit",
    "page.page_token": "cursor",
    "statuses": "status",
    "skus": "sku",
}

# How long a client should wait before repeating a request refused for a transient reason.
TRANSIENT_RETRY_AFTER_SECONDS = 1

# Upstream detail texts are written for callers; those of an internal failure are not, so they stay inside.
_HIDDEN_DETAIL_STATUSES = frozenset({500, 502})


@dataclass(frozen=True)
class Problem:
    """An RFC 9457 problem: what the client sees, plus the headers that go with it."""

    status: int
    reason: str
    detail: str
    violations: tuple[FieldViolation, ...] = ()
    metadata: Mapping[str, str] = field(default_factory=dict)
    retry_after_seconds: int | None = None

    @property
    def title(self) -> str:
        try:
            return http.HTTPStatus(self.status).phrase
        except ValueError:
            return "Error"

    @property
    def type(self) -> str:
        return PROBLEM_TYPE_PREFIX + self.reason.lower().replace("_", "-")

    def body(self) -> dict[str, object]:
        return {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "reason": self.reason,
            "violations": [{"field": v.field, "description": v.description} for v in self.violations],
            "metadata": dict(self.metadata),
        }

    def headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.retry_after_seconds is not None:
            headers["Retry-After"] = str(self.retry_after_seconds)
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="oms"'
        return headers


def http_status(kind: ErrorKind, reason: str) -> int:
    """The HTTP status of an error of ``kind`` with ``reason`` (see the module docstring)."""
    if kind is ErrorKind.FAILED_PRECONDITION and reason in UNPROCESSABLE_REASONS:
        return 422
    return HTTP_STATUS.get(kind, 502)


def http_field(field_path: str) -> str:
    """The HTTP name of a field an upstream names by its proto path (``skus[2]`` -> ``sku[2]``)."""
    for proto_name, http_name in FIELD_ALIASES.items():
        if field_path == proto_name:
            return http_name
        if field_path.startswith((proto_name + "[", proto_name + ".")):
            return http_name + field_path[len(proto_name) :]
    return field_path


def problem_for(error: OmsError) -> Problem:
    """The problem a client sees for ``error``, raised by the gateway or decoded from an upstream."""
    status = http_status(error.kind, error.reason)
    detail = "an upstream service failed" if status in _HIDDEN_DETAIL_STATUSES else error.message
    retry_after: int | None = None
    if status in (429, 503):
        retry_after = _retry_after(error.metadata)
    return Problem(
        status=status,
        reason=error.reason,
        detail=detail,
        violations=tuple(FieldViolation(http_field(v.field), v.description) for v in error.violations),
        metadata=error.metadata if status not in _HIDDEN_DETAIL_STATUSES else {},
        retry_after_seconds=retry_after,
    )


def _retry_after(metadata: Mapping[str, str]) -> int:
    try:
        seconds = math.ceil(float(metadata.get("retry_after_seconds", "")))
    except (ValueError, OverflowError):
        return TRANSIENT_RETRY_AFTER_SECONDS
    return max(1, seconds)


def invalid_request(violations: Sequence[FieldViolation], *, reason: str = "INVALID_ARGUMENT") -> Problem:
    """A 400 for a request the gateway itself refuses (malformed JSON, a missing header, a bad query)."""
    named = ", ".join(v.field for v in violations) or "the request"
    return Problem(status=400, reason=reason, detail=f"invalid {named}", violations=tuple(violations))


def payload_too_large(limit_bytes: int) -> Problem:
    return Problem(
        status=413,
        reason="PAYLOAD_TOO_LARGE",
        detail=f"the request body exceeds {limit_bytes} bytes",
        metadata={"max_body_bytes": str(limit_bytes)},
    )


def rate_limited(retry_after_seconds: int) -> Problem:
    return Problem(
        status=429,
        reason="RATE_LIMITED",
        detail="too many requests from this client; retry later",
        metadata={"retry_after_seconds": str(retry_after_seconds)},
        retry_after_seconds=retry_after_seconds,
    )


def route_problem(status: int, detail: str) -> Problem:
    """A problem for a routing failure of the HTTP framework (no such path, method not allowed)."""
    reasons = {404: "ROUTE_NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}
    return Problem(status=status, reason=reasons.get(status, f"HTTP_{status}"), detail=detail)


def internal_error() -> Problem:
    return Problem(status=500, reason="INTERNAL", detail="the gateway failed; the failure was logged")
