"""Crash repair, provider callbacks and their retry schedule on real PostgreSQL, via the handlers and a test clock."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.payments.adapters.sandbox import SandboxConfig, SandboxProvider, signature
from services.payments.adapters.unit_of_work import PaymentsUnitOfWork
from services.payments.application import callbacks, handlers
from services.payments.application.commands import Authorize, Capture, HandleProviderCallback, Refund
from services.payments.application.handlers import Policy
from services.payments.application.ports import Providers
from services.payments.domain.callbacks import CallbackOutcome, CallbackType
from services.payments.domain.errors import InvalidSignature, PaymentFailed, ProviderUnavailable, RefundExceedsCaptured
from services.payments.domain.model import Operation, OperationKind, OperationStatus, Payment, PaymentStatus
from shared.db import session_factory
from shared.kernel.ids import new_id
from shared.kernel.money import Money
from tests.support import eventually

SECRET = "recovery-secret"
POLICY = Policy()


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class ProcessCrashed(BaseException):
    """Stands for the process dying between the provider's answer and recording it."""


class CrashingAfterProvider:
    """The sandbox, except that the process 'dies' right after the named calls reach it."""

    def __init__(self, inner: SandboxProvider, *crash_on: str) -> None:
        self.name = inner.name
        self._inner = inner
        self._crash_on = set(crash_on)

    def __getattr__(self, attribute: str) -> Any:
        method = getattr(self._inner, attribute)
        if attribute not in self._crash_on:
            return method

        async def call(**arguments: Any) -> Any:
            await method(**arguments)
            raise ProcessCrashed

        return call


@pytest.fixture(scope="module")
async def database_url(service_database) -> str:
    return await service_database("payments")


@pytest.fixture(scope="module")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
def uow(engine: AsyncEngine) -> Callable[[], PaymentsUnitOfWork]:
    sessions = session_factory(engine)
    return lambda: PaymentsUnitOfWork(sessions, source="payments", stream="test.payments")


@pytest.fixture
def sandbox() -> SandboxProvider:
    return SandboxProvider(SandboxConfig(latency_ms=0, callbacks=False, secret=SECRET))


@pytest.fixture
def clock() -> Clock:
    return Clock()


def cny(amount: int) -> Money:
    return Money(amount, "CNY")


def authorize_command(token: str = "tok_ok", amount: int = 10_000) -> Authorize:
    return Authorize(request_id=new_id(), order_id=new_id(), amount=cny(amount), provider="sandbox", token=token)


def signed(**fields: Any) -> HandleProviderCallback:
    callback = HandleProviderCallback(provider="sandbox", provider_event_id=f"evt-{new_id()}", **fields)
    return dataclasses.replace(callback, signature=signature(SECRET, callback))


async def payment_of(uow: Callable[[], PaymentsUnitOfWork], payment_id: str) -> Payment:
    async with uow() as work:
        payment = await work.payments.get(payment_id)
    assert payment is not None
    return payment


async def events_of(engine: AsyncEngine, aggregate_id: str) -> list[str]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT event_type FROM outbox WHERE aggregate_id = :id ORDER BY created_at, id"), {"id": aggregate_id}
        )
        return [row.event_type.rsplit(".", 1)[1] for row in rows]


async def only_payment_of_order(engine: AsyncEngine, order_id: str) -> str:
    async with engine.connect() as connection:
        [payment_id] = (
            await connection.scalars(
                text("SELECT payment_id::text FROM payments WHERE order_id::text = :o"), {"o": order_id}
            )
        ).all()
    return payment_id


# Crash repair: the intent is committed before the provider call, so nothing is lost.


async def test_a_crash_after_the_provider_authorized_is_repaired_from_its_records(
    uow: Any, engine: AsyncEngine, sandbox: SandboxProvider, clock: Clock
) -> None:
    command = authorize_command()
    crashing = Providers({"sandbox": CrashingAfterProvider(sandbox, "authorize")}, "sandbox")  # type: ignore[dict-item]
    with pytest.raises(ProcessCrashed):
        await handlers.authorize(command, uow(), crashing, clock, POLICY)
    payment_id = await only_payment_of_order(engine, command.order_id)
    assert (await payment_of(uow, payment_id)).status is PaymentStatus.AUTHORIZING

    providers = Providers({"sandbox": sandbox}, "sandbox")
    # Within the grace period the intent may still be on its way: the repair leaves it alone.
    assert await handlers.repair_pending_operations(uow(), providers, clock, POLICY) == 0
    clock.advance(POLICY.repair_grace + timedelta(seconds=1))
    assert await handlers.repair_pending_operations(uow(), providers, clock, POLICY) >= 1
    repaired = await payment_of(uow, payment_id)
    assert repaired.status is PaymentStatus.AUTHORIZED and repaired.provider_reference.startswith("sbx_pay_")

    # The caller's retry with the same request id now gets the authorization, without a second one.
    result = await handlers.authorize(command, uow(), providers, clock, POLICY)
    assert result.details.payment.payment_id == payment_id
    assert await events_of(engine, payment_id) == ["PaymentAuthorized"]


async def test_an_authorization_the_provider_never_got_fails_on_repair(
    uow: Any, engine: AsyncEngine, sandbox: SandboxProvider, clock: Clock
) -> None:
    providers = Providers({"sandbox": sandbox}, "sandbox")
    command = authorize_command("tok_timeout")
    with pytest.raises(ProviderUnavailable):
        await handlers.authorize(command, uow(), providers, clock, POLICY)
    payment_id = await only_payment_of_order(engine, command.order_id)
    clock.advance(POLICY.repair_grace + timedelta(seconds=1))
    await handlers.repair_pending_operations(uow(), providers, clock, POLICY)
    payment = await payment_of(uow, payment_id)
    assert payment.status is PaymentStatus.FAILED
    with pytest.raises(PaymentFailed):
        await handlers.authorize(command, uow(), providers, clock, POLICY)
    assert await events_of(engine, payment_id) == ["PaymentFailed"]


async def test_a_crash_after_a_refund_keeps_it_reserved_until_repaired(
    uow: Any, engine: AsyncEngine, sandbox: SandboxProvider, clock: Clock
) -> None:
    providers = Providers({"sandbox": sandbox}, "sandbox")
    payment = (await handlers.authorize(authorize_command(), uow(), providers, clock, POLICY)).details.payment
    capture = Capture(request_id=new_id(), payment_id=payment.payment_id, amount=cny(10_000))
    await handlers.capture(capture, uow(), providers, clock, POLICY)
    crashing = Providers({"sandbox": CrashingAfterProvider(sandbox, "refund")}, "sandbox")  # type: ignore[dict-item]
    refund = Refund(request_id=new_id(), payment_id=payment.payment_id, amount=cny(7_000), reason="crash")
    with pytest.raises(ProcessCrashed):
        await handlers.refund(refund, uow(), crashing, clock, POLICY)
    held = await payment_of(uow, payment.payment_id)
    assert (held.refund_pending, held.refunded) == (cny(7_000), cny(0))
    # While it is in flight, a refund that would overshoot with it is refused.
    other = Refund(request_id=new_id(), payment_id=payment.payment_id, amount=cny(3_001), reason="too much")
    with pytest.raises(RefundExceedsCaptured, match="exceeds the refundable 3000"):
        await handlers.refund(other, uow(), providers, clock, POLICY)
    clock.advance(POLICY.repair_grace + timedelta(seconds=1))
    await handlers.repair_pending_operations(uow(), providers, clock, POLICY)
    settled = await payment_of(uow, payment.payment_id)
    assert (settled.status, settled.refund_pending, settled.refunded) == (
        PaymentStatus.PARTIALLY_REFUNDED,
        cny(0),
        cny(7_000),
    )


# Callbacks: deduplicated by event id, never regressing, retried then alerted.


async def test_a_callback_settles_an_intent_a_crash_left_open(
    uow: Any, engine: AsyncEngine, sandbox: SandboxProvider, clock: Clock
) -> None:
    command = authorize_command()
    crashing = Providers({"sandbox": CrashingAfterProvider(sandbox, "authorize")}, "sandbox")  # type: ignore[dict-item]
    with pytest.raises(ProcessCrashed):
        await handlers.authorize(command, uow(), crashing, clock, POLICY)
    payment_id = await only_payment_of_order(engine, command.order_id)
    providers = Providers({"sandbox": sandbox}, "sandbox")
    notice = signed(
        callback_type=CallbackType.PAYMENT_SUCCEEDED,
        payment_reference=payment_id,
        provider_reference="sbx_pay_from_callback",
        amount=cny(10_000),
    )
    outcomes = await asyncio.gather(
        *(callbacks.handle_provider_callback(notice, uow(), providers, clock, POLICY) for _ in range(5))
    )
    assert sorted(o.outcome.value for o in outcomes) == ["APPLIED"] + ["DUPLICATE"] * 4
    payment = await payment_of(uow, payment_id)
    assert (payment.status, payment.provider_reference) == (PaymentStatus.AUTHORIZED, "sbx_pay_from_callback")
    # The same news under another event id tells nothing new.
    again = signed(callback_type=CallbackType.PAYMENT_SUCCEEDED, payment_reference=payment_id, amount=cny(10_000))
    assert (await callbacks.handle_provider_callback(again, uow(), providers, clock, POLICY)).outcome is (
        CallbackOutcome.IGNORED
    )
    assert await events_of(engine, payment_id) == ["PaymentAuthorized"]


async def test_late_and_out_of_order_callbacks_never_move_a_payment_back(
    uow: Any, engine: AsyncEngine, sandbox: SandboxProvider, clock: Clock
) -> None:
    providers = Providers({"sandbox": sandbox}, "sandbox")
    payment = (await handlers.authorize(authorize_command(), uow(), providers, clock, POLICY)).details.payment
    pid = payment.payment_id
    await handlers.capture(Capture(new_id(), pid, cny(10_000)), uow(), providers, clock, POLICY)
    crashing = Providers({"sandbox": CrashingAfterProvider(sandbox, "refund")}, "sandbox")  # type: ignore[dict-item]
    refunds = []
    for amount in (4_000, 6_000):
        command = Refund(request_id=new_id(), payment_id=pid, amount=cny(amount), reason="late news")
        with pytest.raises(ProcessCrashed):
            await handlers.refund(command, uow(), crashing, clock, POLICY)
        async with uow() as work:
            refunds.append(await work.payments.operation_by_request(command.request_id))
    first, second = refunds

    def refund_notice(operation: Operation) -> HandleProviderCallback:
        return signed(
            callback_type=CallbackType.REFUND_SUCCEEDED,
            payment_reference=pid,
            refund_reference=operation.operation_id,
            amount=operation.amount,
        )

    # The second refund's notice first, then a stale payment notice, then the first refund's.
    handle = callbacks.handle_provider_callback
    assert (await handle(refund_notice(second), uow(), providers, clock, POLICY)).outcome is CallbackOutcome.APPLIED
    assert (await payment_of(uow, pid)).status is PaymentStatus.PARTIALLY_REFUNDED
    stale = signed(callback_type=CallbackType.PAYMENT_SUCCEEDED, payment_reference=pid, amount=cny(10_000))
    assert (await handle(stale, uow(), providers, clock, POLICY)).outcome is CallbackOutcome.IGNORED
    assert (await handle(refund_notice(first), uow(), providers, clock, POLICY)).outcome is CallbackOutcome.APPLIED
    final = await payment_of(uow, pid)
    assert (final.status, final.refunded, final.refund_pending) == (PaymentStatus.REFUNDED, cny(10_000), cny(0))
    # A refund notice for a refund already settled is stale too.
    assert (await handle(refund_notice(first), uow(), providers, clock, POLICY)).outcome is CallbackOutcome.IGNORED
    assert (await payment_of(uow, pid)).status is PaymentStatus.REFUNDED
    assert await events_of(engine, pid) == [
        "PaymentAuthorized",
        "PaymentCaptured",
        "PaymentRefunded",
        "PaymentRefunded",
    ]


async def test_a_forged_callback_is_refused_and_not_stored(
    uow: Any, engine: AsyncEngine, sandbox: SandboxProvider, clock: Clock
) -> None:
    providers = Providers({"sandbox": sandbox}, "sandbox")
    forged = dataclasses.replace(
        signed(callback_type=CallbackType.PAYMENT_SUCCEEDED, payment_reference=new_id(), amount=cny(1)),
        amount=cny(1_000_000),
    )
    with pytest.raises(InvalidSignature):
        await callbacks.handle_provider_callback(forged, uow(), providers, clock, POLICY)
    async with engine.connect() as connection:
        stored = await connection.scalar(
            text("SELECT count(*) FROM provider_callbacks WHERE provider_event_id = :e"),
            {"e": forged.provider_event_id},
        )
    assert stored == 0


async def retry_row(engine: AsyncEngine, event_id: str) -> Any:
    async with engine.connect() as connection:
        return (
            await connection.execute(
                text(
                    "SELECT c.callback_id::text AS callback_id, c.status, c.attempts, c.received_at, r.next_attempt_at"
                    " FROM provider_callbacks c LEFT JOIN callback_retries r USING (callback_id)"
                    " WHERE c.provider_event_id = :e"
                ),
                {"e": event_id},
            )
        ).one()


async def test_a_failing_callback_is_retried_at_1_3_and_10_minutes_then_alerted(
    uow: Any, engine: AsyncEngine, sandbox: SandboxProvider, clock: Clock
) -> None:
    providers = Providers({"sandbox": sandbox}, "sandbox")
    orphan = new_id()
    notice = signed(callback_type=CallbackType.PAYMENT_SUCCEEDED, payment_reference=orphan, amount=cny(500))
    outcome = await callbacks.handle_provider_callback(notice, uow(), providers, clock, POLICY)
    assert outcome.outcome is CallbackOutcome.RETRY_SCHEDULED
    row = await retry_row(engine, notice.provider_event_id)
    received = row.received_at
    assert (row.status, row.attempts, row.next_attempt_at) == ("RETRYING", 1, received + timedelta(minutes=1))

    for minutes, attempts in ((1, 2), (3, 3)):
        clock.now = received + timedelta(minutes=minutes) - timedelta(seconds=1)
        assert await callbacks.retry_due_callbacks(uow(), clock, POLICY) == 0
        clock.now = received + timedelta(minutes=minutes)
        assert await callbacks.retry_due_callbacks(uow(), clock, POLICY) >= 1
        row = await retry_row(engine, notice.provider_event_id)
        assert (row.status, row.attempts) == ("RETRYING", attempts)
    assert row.next_attempt_at == received + timedelta(minutes=10)

    clock.now = received + timedelta(minutes=10)
    await callbacks.retry_due_callbacks(uow(), clock, POLICY)
    row = await retry_row(engine, notice.provider_event_id)
    assert (row.status, row.attempts, row.next_attempt_at) == ("FAILED", 4, None)
    assert await events_of(engine, orphan) == ["PaymentCallbackFailed"]


async def test_a_callback_that_fails_first_is_applied_by_its_retry(
    uow: Any, engine: AsyncEngine, sandbox: SandboxProvider, clock: Clock
) -> None:
    providers = Providers({"sandbox": sandbox}, "sandbox")
    payment_id = new_id()
    notice = signed(
        callback_type=CallbackType.PAYMENT_SUCCEEDED,
        payment_reference=payment_id,
        provider_reference="sbx_pay_early",
        amount=cny(800),
    )
    outcome = await callbacks.handle_provider_callback(notice, uow(), providers, clock, POLICY)
    assert outcome.outcome is CallbackOutcome.RETRY_SCHEDULED
    # The payment's intent becomes visible after the notice (as after a failover to a lagging replica).
    now = clock()
    async with uow() as work:
        await work.payments.add_operation(
            Operation(
                payment_id,
                payment_id,
                OperationKind.AUTHORIZE,
                new_id(),
                "f",
                cny(800),
                OperationStatus.PENDING,
                now,
                now,
            )
        )
        await work.payments.add(
            Payment.start(payment_id=payment_id, order_id=new_id(), amount=cny(800), provider="sandbox", now=now)
        )
        await work.commit()
    clock.advance(timedelta(minutes=1))
    assert await callbacks.retry_due_callbacks(uow(), clock, POLICY) >= 1
    row = await retry_row(engine, notice.provider_event_id)
    assert (row.status, row.attempts, row.next_attempt_at) == ("APPLIED", 2, None)
    payment = await payment_of(uow, payment_id)
    assert (payment.status, payment.provider_reference) == (PaymentStatus.AUTHORIZED, "sbx_pay_early")
    assert await events_of(engine, payment_id) == ["PaymentAuthorized"]


async def test_sandbox_callbacks_arrive_twice_and_change_nothing_twice(
    uow: Any, engine: AsyncEngine, clock: Clock
) -> None:
    config = SandboxConfig(
        latency_ms=0, secret=SECRET, callback_min_delay_ms=0, callback_max_delay_ms=30, callback_duplicate_rate=1.0
    )
    sandbox = SandboxProvider(config)
    providers = Providers({"sandbox": sandbox}, "sandbox")
    delivered: list[CallbackOutcome] = []

    async def deliver(notice: HandleProviderCallback) -> None:
        delivered.append((await callbacks.handle_provider_callback(notice, uow(), providers, clock, POLICY)).outcome)

    sandbox.connect(deliver)
    try:
        payment = (await handlers.authorize(authorize_command(), uow(), providers, clock, POLICY)).details.payment
        await eventually(lambda: len(delivered) == 2, message="both copies of the notification delivered")
    finally:
        await sandbox.close()
    assert sorted(o.value for o in delivered) in (["DUPLICATE", "IGNORED"], ["APPLIED", "DUPLICATE"])
    assert (await payment_of(uow, payment.payment_id)).status is PaymentStatus.AUTHORIZED
    assert await events_of(engine, payment.payment_id) == ["PaymentAuthorized"]
