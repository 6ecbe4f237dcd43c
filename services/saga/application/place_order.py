"""The place-order saga: customer -> quote -> order -> reserve -> authorize -> capture -> commit -> mark paid.

Compensations, run in reverse: refund the capture, void the authorization, release the stock,
cancel the order. The customer record and the quote have nothing to undo. Committing the reservation
(its hold no longer expires once the order is paid) needs no undo of its own: releasing the
reservation undoes a committed hold as well as a held one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.saga.application.commands import PlaceOrder
from services.saga.application.engine import SagaDefinition, Step, StepContext
from services.saga.application.ports import (
    CustomerRef,
    ParticipantError,
    Participants,
    Payments,
    PaymentStatus,
    PaymentView,
    Quote,
)
from services.saga.domain.model import SagaKind, StepError
from shared.kernel import codec
from shared.kernel.money import Money

UPSERT_CUSTOMER = "upsert_customer"
QUOTE = "quote"
CREATE_ORDER = "create_order"
RESERVE_STOCK = "reserve_stock"
AUTHORIZE_PAYMENT = "authorize_payment"
CAPTURE_PAYMENT = "capture_payment"
COMMIT_RESERVATION = "commit_reservation"
MARK_PAID = "mark_paid"

# Keys of the saga's data (what the steps learnt), also read by the servicer and the events.
CUSTOMER_ID = "customer_id"
CUSTOMER_TIER = "customer_tier"
QUOTE_DATA = "quote"
TOTAL_MINOR = "total_minor"
CURRENCY = "currency"
ORDER_ID = "order_id"
RESERVATION_ID = "reservation_id"
PAYMENT_ID = "payment_id"

DEFAULT_RESERVATION_TTL_SECONDS = 1800


def total_of(data: Mapping[str, Any]) -> Money | None:
    """The quoted total, once quoted."""
    if TOTAL_MINOR not in data:
        return None
    return Money(int(data[TOTAL_MINOR]), str(data[CURRENCY]))


def undo_reason(context: StepContext) -> str:
    """Why a compensation runs, as the participants record it: the failing step's reason."""
    return context.failure.reason if context.failure else "SAGA_COMPENSATION"


def place_order_saga(
    participants: Participants, *, reservation_ttl_seconds: int = DEFAULT_RESERVATION_TTL_SECONDS
) -> SagaDefinition:
    """The definition wired to ``participants``."""
    customers, pricing, orders = participants.customers, participants.pricing, participants.orders
    inventory, payments = participants.inventory, participants.payments

    def command(context: StepContext) -> PlaceOrder:
        payload = context.payload
        assert isinstance(payload, PlaceOrder)
        return payload

    def quote_of(context: StepContext) -> Quote:
        return codec.from_plain(Quote, context.data[QUOTE_DATA])

    def total(context: StepContext) -> Money:
        amount = total_of(context.data)
        assert amount is not None  # the quote step ran before any step that pays
        return amount

    async def upsert_customer(context: StepContext) -> dict[str, Any]:
        placement = command(context).placement
        customer = await customers.upsert_customer(context.request_id, placement.customer, placement.channel)
        return {CUSTOMER_ID: customer.customer_id, CUSTOMER_TIER: customer.tier}

    async def quote(context: StepContext) -> dict[str, Any]:
        result = await pricing.quote(context.request_id, command(context).placement, context.data[CUSTOMER_TIER])
        return {
            QUOTE_DATA: codec.to_plain(result),
            TOTAL_MINOR: result.total.amount_minor,
            CURRENCY: result.total.currency,
        }

    async def create(context: StepContext, request_id: str) -> str:
        customer = CustomerRef(context.data[CUSTOMER_ID], context.data[CUSTOMER_TIER])
        return await orders.create_order(request_id, command(context).placement, customer, quote_of(context))

    async def create_order(context: StepContext) -> dict[str, Any]:
        return {ORDER_ID: await create(context, context.request_id)}

    async def cancel_order(context: StepContext) -> None:
        order_id = context.data.get(ORDER_ID)
        if not order_id:
            # The create may have gone through without its answer reaching us. Repeating it under the
            # same request id returns that order if it exists (or makes one), which is then cancelled.
            order_id = await create(context, f"{context.saga_id}:{context.step}")
        await orders.cancel_order(context.request_id, order_id, undo_reason(context))

    async def reserve_stock(context: StepContext) -> dict[str, Any]:
        placement = command(context).placement
        reservation_id = await inventory.reserve(
            context.request_id,
            context.data[ORDER_ID],
            placement.lines,
            shipping_province=placement.shipping_address.province,
            ttl_seconds=reservation_ttl_seconds,
        )
        return {RESERVATION_ID: reservation_id}

    async def release_stock(context: StepContext) -> None:
        # Releasing an order without a reservation is a no-op success that also bars a late Reserve.
        await inventory.release(context.request_id, context.data[ORDER_ID], undo_reason(context))

    async def authorize_payment(context: StepContext) -> dict[str, Any]:
        payment = await payments.authorize(
            context.request_id, context.data[ORDER_ID], total(context), command(context).placement.payment_method
        )
        if payment.status != PaymentStatus.AUTHORIZED:
            raise ParticipantError(
                StepError("UNAVAILABLE", "PAYMENT_NOT_AUTHORIZED", f"payment is {payment.status}", "oms.saga")
            )
        return {PAYMENT_ID: payment.payment_id}

    async def void_authorization(context: StepContext) -> None:
        await settle_payments(payments, context, undo_reason(context))

    async def capture_payment(context: StepContext) -> None:
        await payments.capture(context.request_id, context.data[PAYMENT_ID], total(context))

    async def refund_capture(context: StepContext) -> None:
        for payment, request_id in await _payments_of(payments, context):
            if payment.refundable.amount_minor > 0:
                await _refund(payments, payment, request_id, undo_reason(context))

    async def commit_reservation(context: StepContext) -> None:
        # A hold that expired before the money came in is refused (RESERVATION_EXPIRED): the stock may be
        # sold to someone else by now, so the placement fails and the capture is refunded.
        await inventory.commit(context.request_id, context.data[ORDER_ID])

    async def mark_paid(context: StepContext) -> None:
        await orders.mark_paid(context.request_id, context.data[ORDER_ID], context.data[PAYMENT_ID], total(context))

    return SagaDefinition(
        kind=SagaKind.PLACE_ORDER,
        steps=(
            Step(UPSERT_CUSTOMER, upsert_customer),
            Step(QUOTE, quote),
            Step(CREATE_ORDER, create_order, cancel_order),
            Step(RESERVE_STOCK, reserve_stock, release_stock),
            # A refused authorization is checked rather than believed: the void lists the order's payments
            # and voids any that is held after all (a payments race once answered INVALID_TRANSITION for a
            # payment it had authorized), so a failed placement never leaves money held.
            Step(AUTHORIZE_PAYMENT, authorize_payment, void_authorization, trust_refusal=False),
            Step(CAPTURE_PAYMENT, capture_payment, refund_capture),
            Step(COMMIT_RESERVATION, commit_reservation),
            Step(MARK_PAID, mark_paid),
        ),
    )


async def settle_payments(payments: Payments, context: StepContext, reason: str) -> None:
    """Give back every payment of the order: void what is only authorized, refund what was captured.

    Safe to repeat: a voided or fully refunded payment is left alone, and a refund in flight counts
    as given back (the payments service settles it).
    """
    for payment, request_id in await _payments_of(payments, context):
        if payment.status == PaymentStatus.AUTHORIZING:
            # The provider has not said yet whether it took the authorization: wait for it to settle
            # (a transient failure, retried, then deferred) rather than guess.
            raise ParticipantError(
                StepError("UNAVAILABLE", "PAYMENT_AUTHORIZING", "authorization not settled yet", "oms.saga")
            )
        if payment.status == PaymentStatus.AUTHORIZED:
            await payments.void(request_id, payment.payment_id)
        elif payment.refundable.amount_minor > 0:
            await _refund(payments, payment, request_id, reason)


async def _payments_of(payments: Payments, context: StepContext) -> list[tuple[PaymentView, str]]:
    """The order's payments, each with the request id to undo it under.

    Listing by order (rather than trusting a payment id we may never have received) also finds a
    payment whose Authorize answer was lost. An order has one payment; should it have more, each gets
    its own key so no request id is reused with other arguments.
    """
    found = await payments.payments_of_order(context.data[ORDER_ID])
    if len(found) <= 1:
        return [(payment, context.request_id) for payment in found]
    return [(payment, f"{context.request_id}:{payment.payment_id}") for payment in found]


async def _refund(payments: Payments, payment: PaymentView, request_id: str, reason: str) -> None:
    try:
        await payments.refund(request_id, payment.payment_id, payment.refundable, reason)
    except ParticipantError as refused:
        if refused.error.reason == "REFUND_EXCEEDS_CAPTURED":
            # Someone refunded in between: look again (a retry) rather than refund what is gone.
            raise ParticipantError(
                StepError("ABORTED", "REFUND_RACED", refused.error.message, refused.error.domain)
            ) from refused
        raise
