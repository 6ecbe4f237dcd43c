"""The sandbox payment provider: an in-memory stand-in for a real one, with latency, declines, timeouts and
asynchronous, signed callbacks that may come late, twice or out of order.

Tokens choose the outcome (docs/SAGA_CONTRACT.md): ``tok_ok`` approves, ``tok_decline`` declines,
``tok_timeout`` never reaches the provider (UNAVAILABLE, and a later lookup finds nothing), any other
``tok_...`` approves subject to the configured decline and timeout rates (a random timeout happens after
the provider acted, so its answer is lost but a lookup finds it). Anything else is an invalid token.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import logging
import random
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.payments.application.commands import HandleProviderCallback
from services.payments.application.ports import ProviderDeclinedError, ProviderUnavailableError, RefundReceipt
from services.payments.domain.callbacks import CallbackType
from services.payments.domain.model import OperationKind, Outcome
from shared.kernel.money import Money

log = logging.getLogger(__name__)

NAME = "sandbox"
TOKEN_OK = "tok_ok"
TOKEN_DECLINE = "tok_decline"
TOKEN_TIMEOUT = "tok_timeout"

CallbackSink = Callable[[HandleProviderCallback], Awaitable[object]]


@dataclass(frozen=True)
class SandboxConfig:
    latency_ms: int = 20
    decline_rate: float = 0.0
    timeout_rate: float = 0.0
    callbacks: bool = True
    callback_min_delay_ms: int = 100
    callback_max_delay_ms: int = 3000
    callback_duplicate_rate: float = 0.1
    secret: str = "sandbox-callback-secret"
    # The sandbox forgets the oldest payments beyond this many, so a long load test stays in bounded memory.
    max_payments: int = 200_000


def signature(secret: str, callback: HandleProviderCallback) -> str:
    """HMAC-SHA256 over the notification's fields, as the sandbox signs them."""
    occurred = callback.occurred_at.isoformat() if callback.occurred_at else ""
    amount = f"{callback.amount.amount_minor} {callback.amount.currency}" if callback.amount else ""
    kind = callback.callback_type.value if callback.callback_type else ""
    canonical = "\n".join(
        [
            callback.provider,
            callback.provider_event_id,
            kind,
            callback.payment_reference,
            callback.provider_reference,
            callback.refund_reference,
            amount,
            occurred,
        ]
    )
    return hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()


@dataclass
class _Payment:
    reference: str
    provider_reference: str
    amount: Money
    declined: bool
    # Faults (random declines and timeouts) only hit tokens that did not ask for a fixed outcome.
    chaotic: bool
    captured: int = 0
    refunded: int = 0
    voided: bool = False
    # Operation reference -> (kind, provider reference, amount) of captures, voids and refunds done.
    operations: dict[str, tuple[OperationKind, str, int]] = field(default_factory=dict)


class SandboxProvider:
    """Implements the PaymentProvider port in memory; ``connect`` gives it where to send callbacks."""

    name = NAME

    def __init__(self, config: SandboxConfig, *, rng: random.Random | None = None) -> None:
        self._config = config
        self._random = rng or random.Random()
        self._payments: OrderedDict[str, _Payment] = OrderedDict()
        # Provider reference -> our reference of the payment.
        self._by_provider_reference: dict[str, str] = {}
        # Operation reference -> our reference of its payment.
        self._operations: dict[str, str] = {}
        self._sink: CallbackSink | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def connect(self, sink: CallbackSink) -> None:
        self._sink = sink

    async def close(self) -> None:
        """Stop the callbacks still waiting to be sent."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # The provider's API.

    async def authorize(self, *, reference: str, amount: Money, token: str) -> str:
        await self._travel()
        known = self._payments.get(reference)
        if known is not None:
            # Same reference, same answer: what a real provider's idempotency key gives.
            if known.declined:
                raise ProviderDeclinedError("card_declined")
            return known.provider_reference
        if token == TOKEN_TIMEOUT:
            raise ProviderUnavailableError("sandbox: the authorization timed out (tok_timeout)")
        chaotic = token.startswith("tok_") and token not in (TOKEN_OK, TOKEN_DECLINE)
        declined = (
            token == TOKEN_DECLINE
            or not token.startswith("tok_")
            or (chaotic and self._roll(self._config.decline_rate))
        )
        payment = _Payment(reference, f"sbx_pay_{secrets.token_hex(8)}", amount, declined, chaotic)
        self._remember(payment)
        if declined:
            self._notify(CallbackType.PAYMENT_FAILED, payment, "", amount)
            raise ProviderDeclinedError("card_declined" if token.startswith("tok_") else "invalid_token")
        self._notify(CallbackType.PAYMENT_SUCCEEDED, payment, "", amount)
        self._maybe_lose_answer(payment)
        return payment.provider_reference

    async def capture(self, *, reference: str, provider_reference: str, amount: Money) -> str:
        await self._travel()
        payment = self._payment_of(provider_reference)
        done = payment.operations.get(reference)
        if done is not None:
            return done[1]
        if payment.declined or payment.voided or payment.captured or amount.amount_minor > payment.amount.amount_minor:
            raise ProviderDeclinedError("capture_not_allowed")
        payment.captured = amount.amount_minor
        result = self._record(payment, reference, OperationKind.CAPTURE, "sbx_cap", amount.amount_minor)
        self._maybe_lose_answer(payment)
        return result

    async def void(self, *, reference: str, provider_reference: str) -> str:
        await self._travel()
        payment = self._payment_of(provider_reference)
        done = payment.operations.get(reference)
        if done is not None:
            return done[1]
        if payment.declined or payment.captured:
            raise ProviderDeclinedError("void_not_allowed")
        payment.voided = True
        result = self._record(payment, reference, OperationKind.VOID, "sbx_void", 0)
        self._maybe_lose_answer(payment)
        return result

    async def refund(self, *, reference: str, provider_reference: str, amount: Money) -> RefundReceipt:
        await self._travel()
        payment = self._payment_of(provider_reference)
        done = payment.operations.get(reference)
        if done is not None:
            return RefundReceipt(done[1])
        if payment.refunded + amount.amount_minor > payment.captured:
            raise ProviderDeclinedError("refund_exceeds_captured")
        payment.refunded += amount.amount_minor
        result = self._record(payment, reference, OperationKind.REFUND, "sbx_ref", amount.amount_minor)
        self._notify(CallbackType.REFUND_SUCCEEDED, payment, reference, amount)
        self._maybe_lose_answer(payment)
        return RefundReceipt(result)

    async def lookup(self, *, kind: OperationKind, reference: str) -> Outcome:
        await self._travel()
        if kind is OperationKind.AUTHORIZE:
            payment = self._payments.get(reference)
            if payment is None:
                return Outcome.not_found()
            return (
                Outcome.declined("card_declined") if payment.declined else Outcome.succeeded(payment.provider_reference)
            )
        owner = self._payments.get(self._operations.get(reference, ""))
        done = owner.operations.get(reference) if owner is not None else None
        if done is None or done[0] is not kind:
            return Outcome.not_found()
        return Outcome.succeeded(done[1])

    def verify_callback(self, callback: HandleProviderCallback) -> bool:
        return hmac.compare_digest(signature(self._config.secret, callback), callback.signature)

    # Simulation.

    async def _travel(self) -> None:
        # Simulated network and processing time of a provider round trip.
        if self._config.latency_ms > 0:
            await asyncio.sleep(self._config.latency_ms / 1000)

    def _roll(self, rate: float) -> bool:
        return rate > 0 and self._random.random() < rate

    def _maybe_lose_answer(self, payment: _Payment) -> None:
        if payment.chaotic and self._roll(self._config.timeout_rate):
            raise ProviderUnavailableError("sandbox: the answer was lost (random timeout)")

    def _remember(self, payment: _Payment) -> None:
        self._payments[payment.reference] = payment
        self._by_provider_reference[payment.provider_reference] = payment.reference
        while len(self._payments) > self._config.max_payments:
            _, forgotten = self._payments.popitem(last=False)
            self._by_provider_reference.pop(forgotten.provider_reference, None)
            for operation in forgotten.operations:
                self._operations.pop(operation, None)

    def _payment_of(self, provider_reference: str) -> _Payment:
        payment = self._payments.get(self._by_provider_reference.get(provider_reference, ""))
        if payment is None:
            raise ProviderDeclinedError("unknown_payment")
        return payment

    def _record(self, payment: _Payment, reference: str, kind: OperationKind, prefix: str, amount: int) -> str:
        provider_reference = f"{prefix}_{secrets.token_hex(8)}"
        payment.operations[reference] = (kind, provider_reference, amount)
        self._operations[reference] = payment.reference
        return provider_reference

    def _notify(self, kind: CallbackType, payment: _Payment, refund_reference: str, amount: Money) -> None:
        if not self._config.callbacks or self._sink is None:
            return
        callback = HandleProviderCallback(
            provider=NAME,
            provider_event_id=f"sbx_evt_{secrets.token_hex(12)}",
            callback_type=kind,
            payment_reference=payment.reference,
            provider_reference=payment.provider_reference,
            refund_reference=refund_reference,
            amount=amount,
            occurred_at=datetime.now(UTC),
        )
        callback = dataclasses.replace(callback, signature=signature(self._config.secret, callback))
        copies = 2 if self._roll(self._config.callback_duplicate_rate) else 1
        for _ in range(copies):
            task = asyncio.create_task(self._deliver(callback, self._delay()))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _delay(self) -> float:
        low, high = (
            self._config.callback_min_delay_ms,
            max(self._config.callback_min_delay_ms, self._config.callback_max_delay_ms),
        )
        return self._random.uniform(low, high) / 1000

    async def _deliver(self, callback: HandleProviderCallback, delay: float) -> None:
        # Independent random delays per notification: late, duplicated and out of order, like the real thing.
        await asyncio.sleep(delay)
        sink = self._sink
        if sink is None:
            return
        for attempt in range(3):
            try:
                await sink(callback)
                return
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # A real provider retries a notification that was not acknowledged; so does the sandbox.
                log.warning(
                    "sandbox callback %s not accepted (attempt %d): %r", callback.provider_event_id, attempt + 1, error
                )
                await asyncio.sleep(delay * (attempt + 2))
