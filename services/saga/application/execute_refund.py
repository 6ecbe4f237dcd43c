"""The refund execution saga: mark executing -> refund the payment -> stock -> order -> mark completed.

Refunding the payment is the pivot: money that went back to the buyer is never taken again. Before it,
a refusal marks the refund FAILED (the compensation of "mark executing"), so the refunds service gives
its reservation back to the order's ledger. After it, every step is retried until it succeeds; a
refusal there (say, the order shipped after all and its reservation cannot be released) stops the saga
for a person, with the money already returned.

Marking the refund executing waits out an unreachable refunds service rather than give up: giving up
would mean failing a refund this saga may never have taken, possibly one another saga is paying out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.saga.application.commands import ExecuteRefund
from services.saga.application.engine import SagaDefinition, Step, StepContext
from services.saga.application.place_order import CURRENCY, ORDER_ID, PAYMENT_ID, TOTAL_MINOR, total_of
from services.saga.application.ports import ParticipantError, Participants, RefundStatus
from services.saga.domain.model import SagaKind, StepError
from services.saga.domain.refund import (
    FULL_BEFORE_SHIPMENT,
    RefundItem,
    RestockWarehouseUnknown,
    StockAction,
    UnknownStockAction,
    restock_plan,
    stock_action_of,
)
from shared.kernel.errors import OmsError

MARK_EXECUTING = "mark_refund_executing"
REFUND_PAYMENT = "refund_payment"
MOVE_STOCK = "move_stock"
UPDATE_ORDER = "update_order"
MARK_COMPLETED = "mark_refund_completed"

# Keys of the saga's data, besides the order, payment and total the place-order saga also uses.
REFUND_ID = "refund_id"
REFUND_KIND = "refund_kind"
REFUND_ITEMS = "refund_items"
STOCK_ACTION = "stock_action"
PAYMENT_REFUND_ID = "payment_refund_id"
# What the stock and order steps did, for the record ("released", "restocked", "cancelled", "none").
STOCK_OUTCOME = "stock_outcome"
ORDER_OUTCOME = "order_outcome"

MAX_REASON = 500


def _refused(error: OmsError) -> ParticipantError:
    """The saga's own refusal, shaped like a participant's so the engine treats it the same way."""
    return ParticipantError(StepError(error.kind.value, error.reason, str(error), "oms.saga", dict(error.metadata)))


def failure_reason(context: StepContext) -> str:
    """Why the refund failed, as the refunds service records it, e.g. "refund_payment: REFUND_DECLINED"."""
    reason = context.failure.reason if context.failure else "SAGA_COMPENSATION"
    return f"{context.failed_step or 'saga'}: {reason}"[:MAX_REASON]


def execute_refund_saga(participants: Participants) -> SagaDefinition:
    """The definition wired to ``participants``."""
    refunds, payments = participants.refunds, participants.payments
    inventory, orders = participants.inventory, participants.orders

    def refund_id(context: StepContext) -> str:
        payload = context.payload
        assert isinstance(payload, ExecuteRefund)
        return payload.refund_id

    def items(data: Mapping[str, Any]) -> list[RefundItem]:
        return [RefundItem(str(sku), int(quantity)) for sku, quantity in data[REFUND_ITEMS]]

    async def mark_executing(context: StepContext) -> dict[str, Any]:
        refund = await refunds.mark_executing(context.request_id, refund_id(context), context.saga_id)
        return {
            ORDER_ID: refund.order_id,
            PAYMENT_ID: refund.payment_id,
            TOTAL_MINOR: refund.total.amount_minor,
            CURRENCY: refund.total.currency,
            REFUND_KIND: refund.kind,
            REFUND_ITEMS: [[item.sku, item.quantity] for item in refund.items],
            STOCK_ACTION: refund.stock_action,
        }

    async def mark_failed(context: StepContext) -> None:
        # Only a refund this saga holds is failed: if the mark never took effect (or another saga
        # executes the refund) there is nothing of ours to undo, and failing it would be wrong.
        record = await refunds.get_refund(refund_id(context))
        if record.saga_id != context.saga_id or record.status != "EXECUTING":
            return
        await refunds.mark_failed(context.request_id, refund_id(context), failure_reason(context))

    async def refund_payment(context: StepContext) -> dict[str, Any]:
        try:
            stock_action_of(context.data[STOCK_ACTION])
        except UnknownStockAction as unknown:
            raise _refused(unknown) from None
        total = total_of(context.data)
        assert total is not None  # marking the refund executing learnt it
        receipt = await payments.refund(
            context.request_id, context.data[PAYMENT_ID], total, f"refund {refund_id(context)}"
        )
        if receipt.status == RefundStatus.PENDING:
            # The provider has not paid out yet: ask again (same request id) until it settles.
            raise ParticipantError(
                StepError("UNAVAILABLE", "REFUND_PENDING", "the provider has not settled the refund", "oms.saga")
            )
        return {PAYMENT_REFUND_ID: receipt.refund_id}

    async def move_stock(context: StepContext) -> dict[str, Any]:
        action = stock_action_of(context.data[STOCK_ACTION])
        order_id = context.data[ORDER_ID]
        if action is StockAction.RELEASE_RESERVATION:
            await inventory.release(context.request_id, order_id, f"refund {refund_id(context)}")
            return {STOCK_OUTCOME: "released"}
        if action is StockAction.RESTOCK:
            try:
                plan = restock_plan(order_id, items(context.data), await inventory.reserved_lines(order_id))
            except RestockWarehouseUnknown as unknown:
                raise _refused(unknown) from None
            for i, restock in enumerate(plan):
                # One key per item, fixed by the item's place in the refund, so a repeat is deduplicated.
                await inventory.restock_return(
                    f"{context.request_id}:{i}",
                    order_id,
                    restock.warehouse_id,
                    restock.sku,
                    restock.quantity,
                    f"refund {refund_id(context)}",
                )
            return {STOCK_OUTCOME: "restocked"}
        return {STOCK_OUTCOME: "none"}

    async def update_order(context: StepContext) -> dict[str, Any]:
        # The orders service has no refunded state: a full refund before shipment cancels the order
        # (nothing of it will ship); after shipment, or for part of an order, the order stays as it is.
        if context.data[REFUND_KIND] != FULL_BEFORE_SHIPMENT:
            return {ORDER_OUTCOME: "none"}
        await orders.cancel_order(
            context.request_id, context.data[ORDER_ID], f"refunded in full before shipment ({refund_id(context)})"
        )
        return {ORDER_OUTCOME: "cancelled"}

    async def mark_completed(context: StepContext) -> None:
        await refunds.mark_completed(context.request_id, refund_id(context), context.data[PAYMENT_REFUND_ID])

    return SagaDefinition(
        kind=SagaKind.EXECUTE_REFUND,
        steps=(
            Step(MARK_EXECUTING, mark_executing, mark_failed, patient=True),
            Step(REFUND_PAYMENT, refund_payment),
            Step(MOVE_STOCK, move_stock),
            Step(UPDATE_ORDER, update_order),
            Step(MARK_COMPLETED, mark_completed),
        ),
        pivot=REFUND_PAYMENT,
    )
