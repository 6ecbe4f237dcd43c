"""The cancel-order saga: cancel the order (the pivot), then release its stock and give its money back.

Cancelling at the orders service comes first because it is the step that may be refused (a shipped
order cannot be cancelled); once it succeeded, releasing and refunding cannot be refused for a good
reason, so they are retried until they succeed instead of being compensated.
"""

from __future__ import annotations

from typing import Any

from services.saga.application.commands import CancelOrder
from services.saga.application.engine import SagaDefinition, Step, StepContext
from services.saga.application.place_order import settle_payments
from services.saga.application.ports import Participants
from services.saga.domain.model import SagaKind

CANCEL_ORDER = "cancel_order"
RELEASE_STOCK = "release_stock"
SETTLE_PAYMENT = "settle_payment"


def cancel_order_saga(participants: Participants) -> SagaDefinition:
    orders, inventory, payments = participants.orders, participants.inventory, participants.payments

    def command(context: StepContext) -> CancelOrder:
        payload = context.payload
        assert isinstance(payload, CancelOrder)
        return payload

    async def cancel_order(context: StepContext) -> dict[str, Any]:
        cancel = command(context)
        await orders.cancel_order(context.request_id, cancel.order_id, cancel.reason)
        return {}

    async def release_stock(context: StepContext) -> None:
        cancel = command(context)
        await inventory.release(context.request_id, cancel.order_id, cancel.reason)

    async def settle_payment(context: StepContext) -> None:
        await settle_payments(payments, context, command(context).reason)

    return SagaDefinition(
        kind=SagaKind.CANCEL_ORDER,
        steps=(
            Step(CANCEL_ORDER, cancel_order),
            Step(RELEASE_STOCK, release_stock),
            Step(SETTLE_PAYMENT, settle_payment),
        ),
        pivot=CANCEL_ORDER,
    )
