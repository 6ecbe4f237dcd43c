"""The gateway's pure rules: problem mapping, token buckets, pagination cursors, access policy, idempotency keys."""

from __future__ import annotations

import pytest

from services.gateway.domain import idempotency
from services.gateway.domain.access import ALLOWED_ROLES, Operation, authorize, check_channel
from services.gateway.domain.pagination import decode_cursor, encode_cursor, filters_fingerprint
from services.gateway.domain.problems import (
    HTTP_STATUS,
    http_field,
    http_status,
    payload_too_large,
    problem_for,
    rate_limited,
)
from services.gateway.domain.rate_limit import Bucket, BucketPolicy, RateLimiter, full_bucket, take
from shared.auth import ROLES
from shared.kernel import errors
from shared.kernel.errors import ErrorKind, FieldViolation, InvalidArgument, OmsError, PermissionDenied

# Problem mapping


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        (ErrorKind.INVALID_ARGUMENT, 400),
        (ErrorKind.UNAUTHENTICATED, 401),
        (ErrorKind.PERMISSION_DENIED, 403),
        (ErrorKind.NOT_FOUND, 404),
        (ErrorKind.ALREADY_EXISTS, 409),
        (ErrorKind.ABORTED, 409),
        (ErrorKind.FAILED_PRECONDITION, 409),
        (ErrorKind.RESOURCE_EXHAUSTED, 429),
        (ErrorKind.INTERNAL, 502),
        (ErrorKind.UNAVAILABLE, 503),
        (ErrorKind.DEADLINE_EXCEEDED, 504),
    ],
)
def test_every_error_kind_has_the_http_status_users_expect(kind: ErrorKind, status: int) -> None:
    assert http_status(kind, "ANYTHING") == status


def test_the_table_covers_every_kind_of_the_error_model() -> None:
    assert set(HTTP_STATUS) == set(ErrorKind)


@pytest.mark.parametrize("reason", ["PAYMENT_DECLINED", "PRICE_BELOW_FLOOR"])
def test_preconditions_no_retry_can_fix_are_unprocessable(reason: str) -> None:
    assert http_status(ErrorKind.FAILED_PRECONDITION, reason) == 422


def test_state_conflicts_stay_409_and_the_422_reasons_only_apply_to_preconditions() -> None:
    assert http_status(ErrorKind.FAILED_PRECONDITION, "INSUFFICIENT_STOCK") == 409
    assert http_status(ErrorKind.INVALID_ARGUMENT, "PAYMENT_DECLINED") == 400


def test_a_problem_carries_reason_fields_and_metadata_in_rfc_9457_shape() -> None:
    error = errors.FailedPrecondition(
        "SKU-1: only 2 left", reason="INSUFFICIENT_STOCK", metadata={"sku": "SKU-1", "available": "2"}
    )

    body = problem_for(error).body()

    assert body == {
        "type": "urn:oms:problem:insufficient-stock",
        "title": "Conflict",
        "status": 409,
        "detail": "SKU-1: only 2 left",
        "reason": "INSUFFICIENT_STOCK",
        "violations": [],
        "metadata": {"sku": "SKU-1", "available": "2"},
    }


def test_violations_are_renamed_to_the_http_names_of_their_fields() -> None:
    error = InvalidArgument(
        "bad",
        violations=[
            FieldViolation("request_id", "reused"),
            FieldViolation("page.page_token", "stale"),
            FieldViolation("skus[3]", "empty"),
            FieldViolation("lines[0].quantity", "must be positive"),
        ],
    )

    problem = problem_for(error)

    assert [v.field for v in problem.violations] == ["Idempotency-Key", "cursor", "sku[3]", "lines[0].quantity"]
    assert http_field("request_identity") == "request_identity"


def test_an_upstream_failure_is_a_502_that_keeps_its_inside_to_itself() -> None:
    problem = problem_for(OmsError("psycopg: connection to 10.0.0.7 refused", metadata={"host": "10.0.0.7"}))

    assert problem.status == 502
    assert "10.0.0.7" not in problem.detail and problem.metadata == {}


def test_transient_refusals_tell_when_to_retry() -> None:
    assert problem_for(errors.Unavailable("down")).headers()["Retry-After"] == "1"
    hinted = errors.ResourceExhausted("slow down", metadata={"retry_after_seconds": "2.5"})
    assert problem_for(hinted).headers()["Retry-After"] == "3"
    nonsense = errors.ResourceExhausted("slow down", metadata={"retry_after_seconds": "nan"})
    assert problem_for(nonsense).headers()["Retry-After"] == "1"
    assert "Retry-After" not in problem_for(errors.NotFound("gone")).headers()


def test_a_401_asks_for_a_bearer_token() -> None:
    headers = problem_for(errors.Unauthenticated("no token", reason="TOKEN_MISSING")).headers()
    assert headers["WWW-Authenticate"].startswith("Bearer")


def test_gateway_own_problems() -> None:
    assert payload_too_large(1024).body()["status"] == 413
    assert payload_too_large(1024).metadata == {"max_body_bytes": "1024"}
    limited = rate_limited(4)
    assert (limited.status, limited.reason, limited.headers()["Retry-After"]) == (429, "RATE_LIMITED", "4")


# Token buckets

POLICY = BucketPolicy(rate_per_second=2.0, burst=3)


def test_a_full_bucket_lets_a_burst_through_then_refuses() -> None:
    bucket = full_bucket(POLICY, now=100.0)
    decisions = []
    for _ in range(4):
        bucket, decision = take(bucket, POLICY, now=100.0)
        decisions.append(decision)

    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert decisions[-1].retry_after_seconds == 1


def test_tokens_come_back_at_the_rate_and_never_beyond_the_burst() -> None:
    empty = Bucket(tokens=0.0, updated_at=10.0)

    _, too_early = take(empty, POLICY, now=10.4)
    after, in_time = take(empty, POLICY, now=10.5)
    _, long_idle = take(empty, POLICY, now=1000.0)

    assert not too_early.allowed
    assert in_time.allowed and after.tokens == pytest.approx(0.0)
    assert long_idle.remaining == POLICY.burst - 1


def test_retry_after_rounds_the_wait_up_to_whole_seconds() -> None:
    slow = BucketPolicy(rate_per_second=0.1, burst=1)

    _, decision = take(Bucket(tokens=0.25, updated_at=0.0), slow, now=0.0)

    assert not decision.allowed and decision.retry_after_seconds == 8


def test_fractional_refills_add_up_to_a_whole_token() -> None:
    policy = BucketPolicy(rate_per_second=10.0, burst=1)
    bucket = Bucket(tokens=0.0, updated_at=0.0)
    now = 0.0
    for _ in range(10):
        now += 0.1
        bucket, decision = take(bucket, policy, now)
        if decision.allowed:
            break

    assert decision.allowed


def test_a_clock_going_backwards_adds_no_tokens() -> None:
    bucket = Bucket(tokens=0.0, updated_at=50.0)

    after, decision = take(bucket, POLICY, now=40.0)

    assert not decision.allowed
    assert after.updated_at == 50.0


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1), (-1.0, 1), (float("inf"), 1), (1.0, 0)])
def test_a_policy_must_be_usable(rate: float, burst: int) -> None:
    with pytest.raises(ValueError):
        BucketPolicy(rate_per_second=rate, burst=burst)


def test_clients_have_their_own_buckets() -> None:
    limiter = RateLimiter(BucketPolicy(rate_per_second=1.0, burst=1))

    assert limiter.check("subject:a", 0.0).allowed
    assert not limiter.check("subject:a", 0.0).allowed
    assert limiter.check("subject:b", 0.0).allowed


def test_the_limiter_forgets_the_least_recently_seen_clients_beyond_its_bound() -> None:
    limiter = RateLimiter(BucketPolicy(rate_per_second=1.0, burst=1), max_clients=2)
    limiter.check("a", 0.0)
    limiter.check("b", 0.0)
    limiter.check("a", 0.0)  # a is now the most recent
    limiter.check("c", 0.0)

    assert len(limiter) == 2
    assert not limiter.check("a", 0.0).allowed  # still remembered: its bucket is empty
    assert limiter.check("b", 0.0).allowed  # forgotten: starts with a full bucket


# Cursors


def test_a_cursor_round_trips_for_the_same_filters_in_any_order() -> None:
    fingerprint = filters_fingerprint({"statuses": [2, 1], "channel": 3})

    cursor = encode_cursor("upstream-token", fingerprint)

    assert cursor is not None and "upstream" not in cursor
    assert decode_cursor(cursor, filters_fingerprint({"channel": 3, "statuses": [1, 2]})) == "upstream-token"


def test_the_last_page_has_no_cursor_and_no_cursor_means_the_first_page() -> None:
    assert encode_cursor("", "f") is None
    assert decode_cursor(None, "f") == decode_cursor("", "f") == ""


def test_empty_filters_do_not_change_the_fingerprint() -> None:
    assert filters_fingerprint({"channel": 1, "customer_id": "", "statuses": []}) == filters_fingerprint({"channel": 1})


@pytest.mark.parametrize("cursor", ["not base64 at all!", "eyJ2IjoyfQ", "W10", "𠮷𠮷", "x" * 5000])
def test_a_cursor_that_is_not_ours_is_refused_on_the_cursor_parameter(cursor: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        decode_cursor(cursor, "f")

    assert refused.value.reason == "INVALID_CURSOR"
    assert [v.field for v in refused.value.violations] == ["cursor"]


def test_a_cursor_replayed_with_other_filters_is_refused() -> None:
    cursor = encode_cursor("t", filters_fingerprint({"channel": 1}))

    with pytest.raises(InvalidArgument) as refused:
        decode_cursor(cursor, filters_fingerprint({"channel": 2}))

    assert "other filters" in refused.value.violations[0].description


# Access policy


def test_every_operation_names_only_known_roles() -> None:
    assert set(ALLOWED_ROLES) == set(Operation)
    assert all(roles <= ROLES for roles in ALLOWED_ROLES.values())


def test_warehouse_staff_read_orders_but_do_not_place_cancel_or_refund_them() -> None:
    authorize(Operation.READ_ORDERS, "warehouse")
    for operation in (Operation.PLACE_ORDER, Operation.CANCEL_ORDER, Operation.REQUEST_REFUND):
        with pytest.raises(PermissionDenied) as refused:
            authorize(operation, "warehouse")
        assert refused.value.reason == "ROLE_NOT_ALLOWED"
        assert refused.value.metadata == {"role": "warehouse", "operation": operation.value}


def test_after_sales_may_not_cancel_an_order_but_a_supervisor_may() -> None:
    authorize(Operation.CANCEL_ORDER, "cs_supervisor")
    with pytest.raises(PermissionDenied):
        authorize(Operation.CANCEL_ORDER, "customer_service")


def test_a_channel_scope_limits_the_channels_and_an_empty_one_does_not() -> None:
    check_channel("tmall", ())
    check_channel("tmall", ("TMALL", "jd"))
    with pytest.raises(PermissionDenied) as refused:
        check_channel("douyin", ("tmall",))
    assert refused.value.reason == "CHANNEL_NOT_ALLOWED"


# Idempotency keys


def test_the_key_is_passed_through_unchanged() -> None:
    key = "0d6e4f8c-7c1a-4a55-9a43-1b8f1d2e3f40"
    assert idempotency.request_id(key) == key


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        (None, "IDEMPOTENCY_KEY_REQUIRED"),
        ("", "IDEMPOTENCY_KEY_REQUIRED"),
        ("with space", "INVALID_IDEMPOTENCY_KEY"),
        ("k" * 129, "INVALID_IDEMPOTENCY_KEY"),
        ("键", "INVALID_IDEMPOTENCY_KEY"),
        ("trailing\n", "INVALID_IDEMPOTENCY_KEY"),
    ],
)
def test_a_missing_or_malformed_key_is_refused_on_the_header(key: str | None, reason: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        idempotency.request_id(key)

    assert refused.value.reason == reason
    assert [v.field for v in refused.value.violations] == ["Idempotency-Key"]
