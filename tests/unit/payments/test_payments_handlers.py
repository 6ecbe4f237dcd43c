"""The payments handlers over in-memory fakes: intent before the call, idempotency, provider outcomes, callbacks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.payments.application import callbacks, handlers
from services.payments.application.commands import (
    Authorize,
    Capture,
    GetPayment,
    HandleProviderCallback,
    ListPaymentsByOrder,
    Refund,
    Void,
)
from services.payments.application.handlers import Policy
from services.payments.application.ports import Providers
from services.payments.domain.callbacks import CallbackOutcome, CallbackStatus, CallbackType
from services.payments.domain.errors import (
    CaptureDeclined,
    InvalidSignature,
    OperationInProgress,
    PaymentDeclined,
    PaymentNotFound,
    ProviderUnavailable,
    RefundDeclined,
    RefundExceedsCaptured,
    UnknownProvider,
    VoidDeclined,
)
from services.payments.domain.events import (
    PaymentAuthorized,
    PaymentCallbackFailed,
    PaymentCaptured,
    PaymentFailed,
    PaymentRefunded,
)
from services.payments.domain.model import OperationStatus, Outcome, PaymentStatus
from shared.kernel.errors import InvalidArgument
from shared.kernel.ids import new_id
from shared.kernel.money import Money
from tests.unit.payments.payments_fakes import Clock, FakeProvider, FakeUnitOfWork, State, declined, unavailable

POLICY = Policy(provider_timeout=timedelta(seconds=5))


class World:
    """A store, a provider and a clock, with the handlers bound to them."""

    def __init__(self) -> None:
        self.store = State()
        self.provider = FakeProvider()
        self.providers = Providers({"sandbox": self.provider}, "sandbox")  # type: ignore[dict-item]
        self.clock = Clock()

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.store)

    async def authorize(self, command: Authorize, policy: Policy = POLICY):  # type: ignore[no-untyped-def]
        return await handlers.authorize(command, self.uow(), self.providers, self.clock, policy)  # type: ignore[arg-type]

    async def capture(self, command: Capture):  # type: ignore[no-untyped-def]
        return await handlers.capture(command, self.uow(), self.providers, self.clock, POLICY)  # type: ignore[arg-type]

    async def void(self, command: Void):  # type: ignore[no-untyped-def]
        return await handlers.void(command, self.uow(), self.providers, self.clock, POLICY)  # type: ignore[arg-type]

    async def refund(self, command: Refund):  # type: ignore[no-untyped-def]
        return await handlers.refund(command, self.uow(), self.providers, self.clock, POLICY)  # type: ignore[arg-type]

    async def callback(self, command: HandleProviderCallback, policy: Policy = POLICY):  # type: ignore[no-untyped-def]
        return await callbacks.handle_provider_callback(
            command,
            self.uow(),  # type: ignore[arg-type]
            self.providers,
            self.clock,
            policy,
        )

    async def repair(self) -> int:
        return await handlers.repair_pending_operations(self.uow(), self.providers, self.clock, POLICY)  # type: ignore[arg-type]

    async def retry(self, policy: Policy = POLICY) -> int:
        return await callbacks.retry_due_callbacks(self.uow(), self.clock, policy)  # type: ignore[arg-type]

    def event_types(self) -> list[str]:
        return [type(e).__name__ for e in self.store.events]


@pytest.fixture
def world() -> World:
    return World()


def cny(amount: int) -> Money:
    return Money(amount, "CNY")


def authorize_command(token: str = "tok_ok", amount: int = 10_000, **overrides: str) -> Authorize:
    fields = {"request_id": new_id(), "order_id": new_id(), "amount": cny(amount), "provider": "", "token": token}
    fields.update(overrides)
    return Authorize(**fields)  # type: ignore[arg-type]


async def captured_payment(world: World, amount: int = 10_000) -> str:
    payment_id = (await world.authorize(authorize_command(amount=amount))).details.payment.payment_id
    await world.capture(Capture(new_id(), payment_id, cny(amount)))
    return payment_id


# Authorize.


async def test_authorize_records_the_intent_then_the_outcome(world: World) -> None:
    command = authorize_command()
    result = await world.authorize(command)
    payment = result.details.payment
    assert (payment.status, payment.authorized, payment.provider) == (PaymentStatus.AUTHORIZED, cny(10_000), "sandbox")
    assert world.provider.calls == [("authorize", payment.payment_id)]
    assert result.operation is not None and result.operation.status is OperationStatus.SUCCEEDED
    assert world.event_types() == ["PaymentAuthorized"]


async def test_an_authorize_replay_answers_the_first_answer_without_calling_again(world: World) -> None:
    command = authorize_command()
    first = await world.authorize(command)
    again = await world.authorize(command)
    assert again == first
    assert len(world.provider.calls) == 1 and world.event_types() == ["PaymentAuthorized"]


async def test_a_timed_out_authorization_is_retried_with_the_same_reference(world: World) -> None:
    command = authorize_command()
    world.provider.script["authorize"] = [unavailable()]
    with pytest.raises(ProviderUnavailable) as refused:
        await world.authorize(command)
    payment_id = refused.value.metadata["payment_id"]
    assert world.store.payments[payment_id].status is PaymentStatus.AUTHORIZING
    result = await world.authorize(command)
    assert result.details.payment.payment_id == payment_id
    assert world.provider.calls == [("authorize", payment_id), ("authorize", payment_id)]
    assert len(world.store.payments) == 1


async def test_a_provider_that_hangs_is_cut_off_by_the_timeout(world: World) -> None:
    world.provider.hang = True
    with pytest.raises(ProviderUnavailable, match="timed out"):
        await world.authorize(authorize_command(), Policy(provider_timeout=timedelta(milliseconds=10)))
    [payment] = world.store.payments.values()
    assert payment.status is PaymentStatus.AUTHORIZING


async def test_a_decline_is_recorded_and_replayed(world: World) -> None:
    command = authorize_command("tok_decline")
    world.provider.script["authorize"] = [declined("insufficient_funds")]
    with pytest.raises(PaymentDeclined) as refused:
        await world.authorize(command)
    assert refused.value.metadata["provider_reason"] == "insufficient_funds"
    with pytest.raises(PaymentDeclined):
        await world.authorize(command)
    assert len(world.provider.calls) == 1
    [payment] = world.store.payments.values()
    assert payment.status is PaymentStatus.DECLINED
    assert world.event_types() == ["PaymentDeclined"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"order_id": "x"}, "order_id"),
        ({"token": "5555555555554444"}, "payment_method.token"),
        ({"token": ""}, "payment_method.token"),
        ({"request_id": ""}, "request_id"),
        ({"request_id": "r" * 201}, "request_id"),
    ],
)
async def test_bad_authorize_input_writes_nothing(world: World, overrides: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        await world.authorize(authorize_command(**overrides))
    assert [v.field for v in refused.value.violations] == [field]
    assert world.store.payments == {} and world.provider.calls == []


async def test_bad_amounts_and_providers(world: World) -> None:
    with pytest.raises(InvalidArgument) as refused:
        await world.authorize(authorize_command(amount=0))
    assert [v.field for v in refused.value.violations] == ["amount.amount_minor"]
    with pytest.raises(UnknownProvider) as unknown:
        await world.authorize(authorize_command(provider="alipay"))
    assert [v.field for v in unknown.value.violations] == ["payment_method.provider"]


async def test_a_key_reused_for_another_command_is_refused(world: World) -> None:
    command = authorize_command()
    payment_id = (await world.authorize(command)).details.payment.payment_id
    for other in (
        authorize_command(request_id=command.request_id, order_id=command.order_id, token="tok_other"),
        Capture(command.request_id, payment_id, cny(1)),
        Void(command.request_id, payment_id),
        Refund(command.request_id, payment_id, cny(1), ""),
    ):
        with pytest.raises(InvalidArgument) as refused:
            if isinstance(other, Authorize):
                await world.authorize(other)
            elif isinstance(other, Capture):
                await world.capture(other)
            elif isinstance(other, Void):
                await world.void(other)
            else:
                await world.refund(other)
        assert refused.value.reason == "IDEMPOTENCY_KEY_REUSED"
        assert [v.field for v in refused.value.violations] == ["request_id"]


# Capture and void.


async def test_capture_and_its_replay(world: World) -> None:
    payment_id = (await world.authorize(authorize_command())).details.payment.payment_id
    command = Capture(new_id(), payment_id, cny(9_000))
    first = await world.capture(command)
    assert (first.details.payment.status, first.details.payment.captured) == (PaymentStatus.CAPTURED, cny(9_000))
    assert await world.capture(command) == first
    assert [c[0] for c in world.provider.calls] == ["authorize", "capture"]
    assert world.event_types() == ["PaymentAuthorized", "PaymentCaptured"]


async def test_a_declined_capture_leaves_the_payment_authorized_and_replays(world: World) -> None:
    payment_id = (await world.authorize(authorize_command())).details.payment.payment_id
    world.provider.script["capture"] = [declined("expired_authorization")]
    command = Capture(new_id(), payment_id, cny(10_000))
    with pytest.raises(CaptureDeclined):
        await world.capture(command)
    with pytest.raises(CaptureDeclined):
        await world.capture(command)
    assert world.store.payments[payment_id].status is PaymentStatus.AUTHORIZED
    # A later capture under a new request id may still succeed.
    result = await world.capture(Capture(new_id(), payment_id, cny(10_000)))
    assert result.details.payment.status is PaymentStatus.CAPTURED


async def test_one_capture_or_void_at_the_provider_at_a_time(world: World) -> None:
    payment_id = (await world.authorize(authorize_command())).details.payment.payment_id
    world.provider.script["capture"] = [unavailable()]
    with pytest.raises(ProviderUnavailable):
        await world.capture(Capture(new_id(), payment_id, cny(10_000)))
    with pytest.raises(OperationInProgress):
        await world.void(Void(new_id(), payment_id))
    with pytest.raises(OperationInProgress):
        await world.capture(Capture(new_id(), payment_id, cny(10_000)))


async def test_void_and_void_again(world: World) -> None:
    payment_id = (await world.authorize(authorize_command())).details.payment.payment_id
    result = await world.void(Void(new_id(), payment_id))
    assert result.details.payment.status is PaymentStatus.VOIDED
    again = await world.void(Void(new_id(), payment_id))
    assert again.details.payment.status is PaymentStatus.VOIDED and again.operation is None
    assert [c[0] for c in world.provider.calls] == ["authorize", "void"]
    world.provider.script["void"] = [declined("already_captured")]
    other = (await world.authorize(authorize_command())).details.payment.payment_id
    with pytest.raises(VoidDeclined):
        await world.void(Void(new_id(), other))


async def test_operations_on_an_unknown_payment(world: World) -> None:
    with pytest.raises(PaymentNotFound):
        await world.capture(Capture(new_id(), new_id(), cny(1)))
    with pytest.raises(PaymentNotFound):
        await world.void(Void(new_id(), new_id()))
    with pytest.raises(PaymentNotFound):
        await world.refund(Refund(new_id(), new_id(), cny(1), ""))
    with pytest.raises(PaymentNotFound):
        await handlers.get_payment(GetPayment(new_id()), world.uow())  # type: ignore[arg-type]


# Refunds.


async def test_refunds_up_to_the_capture(world: World) -> None:
    payment_id = await captured_payment(world, 10_000)
    first = await world.refund(Refund(new_id(), payment_id, cny(4_000), "damaged 𠮷"))
    assert first.operation is not None and first.operation.reason == "damaged 𠮷"
    with pytest.raises(RefundExceedsCaptured) as refused:
        await world.refund(Refund(new_id(), payment_id, cny(6_001), ""))
    assert refused.value.metadata["refundable_minor"] == "6000"
    world.clock.advance(timedelta(seconds=1))
    last = await world.refund(Refund(new_id(), payment_id, cny(6_000), ""))
    assert last.details.payment.status is PaymentStatus.REFUNDED
    assert [r.amount for r in last.details.refunds] == [cny(4_000), cny(6_000)]
    refunded = [e for e in world.store.events if isinstance(e, PaymentRefunded)]
    assert [e.refunded_total for e in refunded] == [cny(4_000), cny(10_000)]


async def test_a_declined_refund_gives_its_reservation_back(world: World) -> None:
    payment_id = await captured_payment(world)
    world.provider.script["refund"] = [declined("account_closed")]
    with pytest.raises(RefundDeclined) as refused:
        await world.refund(Refund(new_id(), payment_id, cny(10_000), ""))
    assert refused.value.metadata["refund_id"]
    payment = world.store.payments[payment_id]
    assert (payment.status, payment.refund_pending, payment.refundable) == (PaymentStatus.CAPTURED, cny(0), cny(10_000))


async def test_a_refund_with_an_unknown_outcome_stays_reserved(world: World) -> None:
    payment_id = await captured_payment(world)
    world.provider.script["refund"] = [unavailable()]
    with pytest.raises(ProviderUnavailable) as refused:
        await world.refund(Refund(new_id(), payment_id, cny(7_000), ""))
    assert refused.value.metadata["refund_id"] and refused.value.metadata["payment_id"] == payment_id
    assert world.store.payments[payment_id].refund_pending == cny(7_000)
    with pytest.raises(RefundExceedsCaptured):
        await world.refund(Refund(new_id(), payment_id, cny(3_001), ""))


async def test_an_asynchronous_refund_is_settled_by_its_callback(world: World) -> None:
    payment_id = await captured_payment(world)
    world.provider.refunds_settle = False
    result = await world.refund(Refund(new_id(), payment_id, cny(2_500), ""))
    refund = result.operation
    assert refund is not None and refund.status is OperationStatus.PENDING and refund.provider_reference
    assert result.details.payment.refund_pending == cny(2_500)
    notice = HandleProviderCallback(
        provider="sandbox",
        provider_event_id="evt-r",
        callback_type=CallbackType.REFUND_SUCCEEDED,
        payment_reference=payment_id,
        refund_reference=refund.operation_id,
        amount=cny(2_500),
    )
    assert (await world.callback(notice)).outcome is CallbackOutcome.APPLIED
    payment = world.store.payments[payment_id]
    assert (payment.status, payment.refunded, payment.refund_pending) == (
        PaymentStatus.PARTIALLY_REFUNDED,
        cny(2_500),
        cny(0),
    )


# Queries.


async def test_list_payments_by_order_pages(world: World) -> None:
    order_id = new_id()
    made = []
    for _ in range(5):
        made.append((await world.authorize(authorize_command(order_id=order_id))).details.payment.payment_id)
        world.clock.advance(timedelta(milliseconds=1))
    seen, token = [], ""
    while True:
        page = await handlers.list_payments_by_order(ListPaymentsByOrder(order_id, 2, token), world.uow())  # type: ignore[arg-type]
        seen += [d.payment.payment_id for d in page.payments]
        token = page.next_page_token
        if not token:
            break
    assert seen == made
    for query, field in (
        (ListPaymentsByOrder(order_id, -1), "page.page_size"),
        (ListPaymentsByOrder(order_id, 1, "%%%"), "page.page_token"),
        (ListPaymentsByOrder(order_id, 1, "bm9wZXxub3Bl"), "page.page_token"),
        (ListPaymentsByOrder("nope"), "order_id"),
    ):
        with pytest.raises(InvalidArgument) as refused:
            await handlers.list_payments_by_order(query, world.uow())  # type: ignore[arg-type]
        assert [v.field for v in refused.value.violations] == [field]


# Callbacks.


def success_notice(payment_id: str, event_id: str = "evt-1", amount: int = 10_000) -> HandleProviderCallback:
    return HandleProviderCallback(
        provider="sandbox",
        provider_event_id=event_id,
        callback_type=CallbackType.PAYMENT_SUCCEEDED,
        payment_reference=payment_id,
        provider_reference="prov-cb",
        amount=cny(amount),
    )


async def test_a_success_notice_settles_a_lost_authorization_once(world: World) -> None:
    command = authorize_command()
    world.provider.script["authorize"] = [unavailable()]
    with pytest.raises(ProviderUnavailable) as refused:
        await world.authorize(command)
    payment_id = refused.value.metadata["payment_id"]
    assert (await world.callback(success_notice(payment_id))).outcome is CallbackOutcome.APPLIED
    assert (await world.callback(success_notice(payment_id))).outcome is CallbackOutcome.DUPLICATE
    assert (await world.callback(success_notice(payment_id, "evt-2"))).outcome is CallbackOutcome.IGNORED
    # The caller's retry finds the authorization settled and does not ask the provider again.
    result = await world.authorize(command)
    assert result.details.payment.status is PaymentStatus.AUTHORIZED
    assert len(world.provider.calls) == 1
    assert world.event_types() == ["PaymentAuthorized"]


async def test_notices_about_passed_states_are_ignored(world: World) -> None:
    payment_id = await captured_payment(world)
    assert (await world.callback(success_notice(payment_id))).outcome is CallbackOutcome.IGNORED
    assert world.store.payments[payment_id].status is PaymentStatus.CAPTURED
    assert world.event_types() == ["PaymentAuthorized", "PaymentCaptured"]


async def test_bad_notices_are_refused_before_anything_is_stored(world: World) -> None:
    payment_id = new_id()
    for notice, field in (
        (HandleProviderCallback("", "e", CallbackType.PAYMENT_SUCCEEDED, payment_id, cny(1)), "provider"),
        (
            HandleProviderCallback("sandbox", "", CallbackType.PAYMENT_SUCCEEDED, payment_id, cny(1)),
            "provider_event_id",
        ),
        (HandleProviderCallback("sandbox", "e", None, payment_id, cny(1)), "type"),
        (HandleProviderCallback("sandbox", "e", CallbackType.PAYMENT_SUCCEEDED, "x", cny(1)), "payment_reference"),
        (HandleProviderCallback("sandbox", "e", CallbackType.REFUND_SUCCEEDED, payment_id, cny(1)), "refund_reference"),
        (HandleProviderCallback("sandbox", "e", CallbackType.PAYMENT_SUCCEEDED, payment_id, None), "amount"),
        (
            HandleProviderCallback("sandbox", "e", CallbackType.PAYMENT_SUCCEEDED, payment_id, cny(0)),
            "amount.amount_minor",
        ),
        (HandleProviderCallback("paypal", "e", CallbackType.PAYMENT_SUCCEEDED, payment_id, cny(1)), "provider"),
    ):
        with pytest.raises(InvalidArgument) as refused:
            await world.callback(notice)
        assert [v.field for v in refused.value.violations] == [field]
    world.provider.signature_ok = False
    with pytest.raises(InvalidSignature):
        await world.callback(success_notice(payment_id))
    assert world.store.callbacks == {}


async def test_a_notice_that_keeps_failing_is_retried_then_alerted(world: World) -> None:
    orphan = new_id()
    received = world.clock()
    assert (await world.callback(success_notice(orphan))).outcome is CallbackOutcome.RETRY_SCHEDULED
    [(callback_id, (attempts, at))] = world.store.retries.items()
    assert (attempts, at) == (1, received + timedelta(minutes=1))
    assert await world.retry() == 0
    for minutes in (1, 3, 10):
        world.clock.now = received + timedelta(minutes=minutes)
        assert await world.retry() == 1
    status, attempts, error = world.store.callback_status[callback_id]
    assert (status, attempts) == (CallbackStatus.FAILED, 4) and "PaymentNotFound" in error
    assert world.store.retries == {}
    [alert] = [e for e in world.store.events if isinstance(e, PaymentCallbackFailed)]
    assert (alert.payment_reference, alert.attempts, alert.callback_type) == (orphan, 4, "PAYMENT_SUCCEEDED")
    world.clock.advance(timedelta(hours=1))
    assert await world.retry() == 0


async def test_without_retries_configured_a_failing_notice_alerts_at_once(world: World) -> None:
    policy = Policy(callback_retry_delays=())
    assert (await world.callback(success_notice(new_id()), policy)).outcome is CallbackOutcome.RETRY_SCHEDULED
    assert world.event_types() == ["PaymentCallbackFailed"]


async def test_a_failed_application_takes_back_its_partial_effects(world: World) -> None:
    payment_id = (await world.authorize(authorize_command())).details.payment.payment_id
    before = dict(world.store.payments)
    # Right payment, wrong amount: a conflict, so nothing of it may stick.
    assert (await world.callback(success_notice(payment_id, amount=1))).outcome is CallbackOutcome.RETRY_SCHEDULED
    assert world.store.payments == before
    assert world.event_types() == ["PaymentAuthorized"]


# Repair.


async def test_repair_settles_old_intents_from_the_providers_records(world: World) -> None:
    world.provider.script["authorize"] = [unavailable(), unavailable()]
    lost, never = authorize_command(), authorize_command()
    ids = []
    for command in (lost, never):
        with pytest.raises(ProviderUnavailable) as refused:
            await world.authorize(command)
        ids.append(refused.value.metadata["payment_id"])
    world.provider.lookups[ids[0]] = Outcome.succeeded("prov-found")
    assert await world.repair() == 0
    world.clock.advance(POLICY.repair_grace + timedelta(seconds=1))
    world.provider.script["lookup"] = [unavailable()]
    assert await world.repair() == 1  # the first lookup failed: that one waits for the next sweep
    assert await world.repair() == 1
    assert world.store.payments[ids[0]].status is PaymentStatus.AUTHORIZED
    assert world.store.payments[ids[1]].status is PaymentStatus.FAILED
    assert sorted(world.event_types()) == ["PaymentAuthorized", "PaymentFailed"]
    assert {type(e) for e in world.store.events} == {PaymentAuthorized, PaymentFailed}
    assert await world.repair() == 0


async def test_repair_of_a_lost_capture(world: World) -> None:
    payment_id = (await world.authorize(authorize_command())).details.payment.payment_id
    world.provider.script["capture"] = [unavailable()]
    with pytest.raises(ProviderUnavailable):
        await world.capture(Capture(new_id(), payment_id, cny(10_000)))
    [capture] = [o for o in world.store.operations.values() if o.is_pending]
    world.provider.lookups[capture.operation_id] = Outcome.succeeded("prov-cap")
    world.clock.advance(POLICY.repair_grace + timedelta(seconds=1))
    assert await world.repair() == 1
    assert world.store.payments[payment_id].status is PaymentStatus.CAPTURED
    assert isinstance(world.store.events[-1], PaymentCaptured)
