"""The sandbox provider: token outcomes, idempotent references, lookups, fault rates and signed callbacks."""

from __future__ import annotations

import dataclasses
import random

import pytest

from services.payments.adapters.sandbox import SandboxConfig, SandboxProvider, signature
from services.payments.application.commands import HandleProviderCallback
from services.payments.application.ports import ProviderDeclinedError, ProviderUnavailableError
from services.payments.domain.callbacks import CallbackType
from services.payments.domain.model import OperationKind, OutcomeStatus
from shared.kernel.ids import new_id
from shared.kernel.money import Money
from tests.support import eventually

QUIET = SandboxConfig(latency_ms=0, callbacks=False)


def cny(amount: int) -> Money:
    return Money(amount, "CNY")


async def test_tok_ok_approves_and_the_same_reference_gets_the_same_answer() -> None:
    sandbox = SandboxProvider(QUIET)
    reference = new_id()
    first = await sandbox.authorize(reference=reference, amount=cny(100), token="tok_ok")
    assert first.startswith("sbx_pay_")
    assert await sandbox.authorize(reference=reference, amount=cny(100), token="tok_ok") == first
    lookup = await sandbox.lookup(kind=OperationKind.AUTHORIZE, reference=reference)
    assert (lookup.status, lookup.provider_reference) == (OutcomeStatus.SUCCEEDED, first)


@pytest.mark.parametrize(("token", "reason"), [("tok_decline", "card_declined"), ("visa-raw", "invalid_token")])
async def test_declines(token: str, reason: str) -> None:
    sandbox = SandboxProvider(QUIET)
    reference = new_id()
    with pytest.raises(ProviderDeclinedError) as declined:
        await sandbox.authorize(reference=reference, amount=cny(100), token=token)
    assert declined.value.reason == reason
    assert (await sandbox.lookup(kind=OperationKind.AUTHORIZE, reference=reference)).status is OutcomeStatus.DECLINED


async def test_tok_timeout_never_reaches_the_provider() -> None:
    sandbox = SandboxProvider(QUIET)
    reference = new_id()
    with pytest.raises(ProviderUnavailableError):
        await sandbox.authorize(reference=reference, amount=cny(100), token="tok_timeout")
    assert (await sandbox.lookup(kind=OperationKind.AUTHORIZE, reference=reference)).status is OutcomeStatus.NOT_FOUND


async def test_fault_rates_hit_other_tokens_but_never_the_fixed_ones() -> None:
    sandbox = SandboxProvider(dataclasses.replace(QUIET, decline_rate=1.0), rng=random.Random(7))
    assert await sandbox.authorize(reference=new_id(), amount=cny(1), token="tok_ok")
    with pytest.raises(ProviderDeclinedError):
        await sandbox.authorize(reference=new_id(), amount=cny(1), token="tok_visa")
    lossy = SandboxProvider(dataclasses.replace(QUIET, timeout_rate=1.0), rng=random.Random(7))
    reference = new_id()
    with pytest.raises(ProviderUnavailableError):
        await lossy.authorize(reference=reference, amount=cny(1), token="tok_visa")
    # The provider acted; only its answer was lost, so a lookup (the repair) finds the authorization.
    assert (await lossy.lookup(kind=OperationKind.AUTHORIZE, reference=reference)).status is OutcomeStatus.SUCCEEDED


async def test_capture_void_and_refund_follow_the_providers_own_rules() -> None:
    sandbox = SandboxProvider(QUIET)
    held = await sandbox.authorize(reference=new_id(), amount=cny(1_000), token="tok_ok")
    with pytest.raises(ProviderDeclinedError):
        await sandbox.capture(reference=new_id(), provider_reference=held, amount=cny(1_001))
    capture = new_id()
    taken = await sandbox.capture(reference=capture, provider_reference=held, amount=cny(1_000))
    assert await sandbox.capture(reference=capture, provider_reference=held, amount=cny(1_000)) == taken
    with pytest.raises(ProviderDeclinedError):
        await sandbox.void(reference=new_id(), provider_reference=held)
    refund = new_id()
    receipt = await sandbox.refund(reference=refund, provider_reference=held, amount=cny(600))
    assert receipt.settled and receipt.provider_reference.startswith("sbx_ref_")
    with pytest.raises(ProviderDeclinedError, match="refund_exceeds_captured"):
        await sandbox.refund(reference=new_id(), provider_reference=held, amount=cny(401))
    lookup = await sandbox.lookup(kind=OperationKind.REFUND, reference=refund)
    assert (lookup.status, lookup.provider_reference) == (OutcomeStatus.SUCCEEDED, receipt.provider_reference)
    assert (await sandbox.lookup(kind=OperationKind.VOID, reference=refund)).status is OutcomeStatus.NOT_FOUND
    with pytest.raises(ProviderDeclinedError, match="unknown_payment"):
        await sandbox.capture(reference=new_id(), provider_reference="sbx_pay_nope", amount=cny(1))


async def test_signatures_verify_only_unchanged_notices() -> None:
    sandbox = SandboxProvider(dataclasses.replace(QUIET, secret="s3cret-s3cret"))
    notice = HandleProviderCallback(
        provider="sandbox",
        provider_event_id="evt-1",
        callback_type=CallbackType.PAYMENT_SUCCEEDED,
        payment_reference=new_id(),
        amount=cny(100),
    )
    good = dataclasses.replace(notice, signature=signature("s3cret-s3cret", notice))
    assert sandbox.verify_callback(good)
    assert not sandbox.verify_callback(dataclasses.replace(good, amount=cny(101)))
    assert not sandbox.verify_callback(dataclasses.replace(notice, signature=signature("other-secret", notice)))
    assert not sandbox.verify_callback(notice)


async def test_callbacks_are_sent_signed_and_may_come_twice() -> None:
    config = SandboxConfig(latency_ms=0, callback_min_delay_ms=0, callback_max_delay_ms=5, callback_duplicate_rate=1.0)
    sandbox = SandboxProvider(config)
    received: list[HandleProviderCallback] = []

    async def sink(notice: HandleProviderCallback) -> None:
        received.append(notice)

    sandbox.connect(sink)
    reference = new_id()
    try:
        held = await sandbox.authorize(reference=reference, amount=cny(500), token="tok_ok")
        await sandbox.capture(reference=new_id(), provider_reference=held, amount=cny(500))
        refund = new_id()
        await sandbox.refund(reference=refund, provider_reference=held, amount=cny(200))
        await eventually(lambda: len(received) == 4, message="two copies of each notice")
    finally:
        await sandbox.close()
    kinds = sorted(n.callback_type.value for n in received if n.callback_type)
    assert kinds == ["PAYMENT_SUCCEEDED", "PAYMENT_SUCCEEDED", "REFUND_SUCCEEDED", "REFUND_SUCCEEDED"]
    assert len({n.provider_event_id for n in received}) == 2
    assert all(sandbox.verify_callback(n) and n.payment_reference == reference for n in received)
    assert {n.refund_reference for n in received if n.callback_type is CallbackType.REFUND_SUCCEEDED} == {refund}


async def test_a_refused_callback_is_sent_again() -> None:
    config = SandboxConfig(latency_ms=0, callback_min_delay_ms=1, callback_max_delay_ms=1, callback_duplicate_rate=0)
    sandbox = SandboxProvider(config)
    attempts: list[str] = []

    async def flaky(notice: HandleProviderCallback) -> None:
        attempts.append(notice.provider_event_id)
        if len(attempts) == 1:
            raise ConnectionError("service restarting")

    sandbox.connect(flaky)
    try:
        await sandbox.authorize(reference=new_id(), amount=cny(1), token="tok_ok")
        await eventually(lambda: len(attempts) == 2, message="the notice delivered again")
    finally:
        await sandbox.close()
    assert attempts[0] == attempts[1]


async def test_close_cancels_notices_still_waiting() -> None:
    config = SandboxConfig(latency_ms=0, callback_min_delay_ms=60_000, callback_max_delay_ms=60_000)
    sandbox = SandboxProvider(config)
    received: list[HandleProviderCallback] = []

    async def sink(notice: HandleProviderCallback) -> None:
        received.append(notice)

    sandbox.connect(sink)
    await sandbox.authorize(reference=new_id(), amount=cny(1), token="tok_ok")
    await sandbox.close()
    assert received == []


async def test_memory_stays_bounded() -> None:
    sandbox = SandboxProvider(dataclasses.replace(QUIET, max_payments=3))
    references = [new_id() for _ in range(5)]
    for reference in references:
        await sandbox.authorize(reference=reference, amount=cny(1), token="tok_ok")
    found = [(await sandbox.lookup(kind=OperationKind.AUTHORIZE, reference=r)).status for r in references]
    assert found == [OutcomeStatus.NOT_FOUND] * 2 + [OutcomeStatus.SUCCEEDED] * 3
