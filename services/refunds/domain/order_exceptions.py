"""Exception records on orders (short-shipped, wrong item, damaged, carrier problem) and their remedies."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from services.refunds.domain import events
from services.refunds.domain.values import (
    MAX_QUANTITY,
    MAX_SKU_LENGTH,
    Actor,
    ExceptionStatus,
    ExceptionType,
    Item,
    Remedy,
    Responsibility,
    checked_id,
    checked_items,
    checked_text,
)
from shared.kernel.errors import InvalidArgument, InvalidTransition

MAX_DESCRIPTION = 1000
MAX_GIFT_DESCRIPTION = 500
MAX_WAREHOUSE_ID = 64
RESHIP_TASK = "RESHIP"


@dataclass(frozen=True)
class Gift:
    """What was given to the buyer as an apology: free text, optionally a SKU sent along."""

    description: str
    sku: str = ""
    quantity: int = 0

    def checked(self, prefix: str) -> Gift:
        description = checked_text(
            self.description, f"{prefix}.description", max_length=MAX_GIFT_DESCRIPTION, required=True
        )
        if not self.sku:
            if self.quantity != 0:
                raise InvalidArgument.field(f"{prefix}.quantity", "must be 0 when no sku is given")
            return Gift(description)
        sku = checked_text(self.sku, f"{prefix}.sku", max_length=MAX_SKU_LENGTH, required=True)
        if not 0 < self.quantity <= MAX_QUANTITY:
            raise InvalidArgument.field(f"{prefix}.quantity", f"must be between 1 and {MAX_QUANTITY} with a sku")
        return Gift(description, sku, self.quantity)


@dataclass(frozen=True)
class Resolution:
    remedy: Remedy
    note: str
    resolved_by: Actor
    resolved_at: datetime
    refund_id: str = ""
    warehouse_task_id: str = ""
    gift: Gift | None = None


@dataclass(frozen=True)
class OrderException:
    """Something went wrong with an order; who is responsible and how it was made good."""

    exception_id: str
    order_id: str
    type: ExceptionType
    responsibility: Responsibility
    status: ExceptionStatus
    description: str
    items: tuple[Item, ...]
    raised_by: Actor
    raised_at: datetime
    updated_at: datetime
    escalation_level: int = 0
    escalated_at: datetime | None = None
    resolution: Resolution | None = None

    @classmethod
    def record(
        cls,
        *,
        exception_id: str,
        order_id: str,
        type: ExceptionType | None,
        responsibility: Responsibility | None,
        description: str,
        items: Sequence[Item],
        raised_by: Actor,
        now: datetime,
    ) -> tuple[OrderException, list[events.ExceptionEvent]]:
        order = checked_id(order_id, "order_id")
        if type is None:
            raise InvalidArgument.field("type", "is required")
        if responsibility is None:
            raise InvalidArgument.field("responsibility", "is required")
        exception = cls(
            exception_id=exception_id,
            order_id=order,
            type=type,
            responsibility=responsibility,
            status=ExceptionStatus.OPEN,
            description=checked_text(description, "description", max_length=MAX_DESCRIPTION, required=True),
            items=checked_items(items, "items", required=False),
            raised_by=raised_by,
            raised_at=now,
            updated_at=now,
        )
        return exception, [
            events.OrderExceptionRaised(
                exception_id=exception_id,
                order_id=order,
                type=type,
                responsibility=responsibility,
                description=exception.description,
                items=exception.items,
                raised_by=raised_by,
                raised_at=now,
            )
        ]

    def ensure_open(self) -> None:
        if self.status is not ExceptionStatus.OPEN:
            raise InvalidTransition("order exception", self.exception_id, self.status.value, "RESOLVED")

    def _resolved(
        self, resolution: Resolution, responsibility: Responsibility | None
    ) -> tuple[OrderException, events.OrderExceptionResolved]:
        self.ensure_open()
        resolved = dataclasses.replace(
            self,
            status=ExceptionStatus.RESOLVED,
            responsibility=responsibility or self.responsibility,
            resolution=resolution,
            updated_at=resolution.resolved_at,
        )
        return resolved, events.OrderExceptionResolved(
            exception_id=self.exception_id,
            order_id=self.order_id,
            type=self.type,
            responsibility=resolved.responsibility,
            remedy=resolution.remedy,
            refund_id=resolution.refund_id,
            warehouse_task_id=resolution.warehouse_task_id,
            resolved_by=resolution.resolved_by,
            raised_at=self.raised_at,
            resolved_at=resolution.resolved_at,
        )

    def resolve_by_reship(
        self,
        *,
        items: Sequence[Item],
        warehouse_id: str,
        task_id: str,
        responsibility: Responsibility | None,
        note: str,
        resolver: Actor,
        now: datetime,
    ) -> tuple[OrderException, list[events.ExceptionEvent]]:
        """Send the goods again: the warehouse gets a task for the given items (default: the exception's)."""
        self.ensure_open()
        chosen = checked_items(items, "reship.items", required=False) or self.items
        if not chosen:
            raise InvalidArgument.field("reship.items", "is required: the exception names no items")
        warehouse = checked_text(warehouse_id, "reship.warehouse_id", max_length=MAX_WAREHOUSE_ID)
        resolution = Resolution(
            Remedy.RESHIP,
            checked_text(note, "note", max_length=MAX_DESCRIPTION),
            resolver,
            now,
            warehouse_task_id=task_id,
        )
        resolved, event = self._resolved(resolution, responsibility)
        task = events.WarehouseTaskRequested(
            task_id=task_id,
            order_id=self.order_id,
            exception_id=self.exception_id,
            task_type=RESHIP_TASK,
            items=chosen,
            warehouse_id=warehouse,
            requested_at=now,
        )
        return resolved, [task, event]

    def resolve_by_refund(
        self, *, refund_id: str, responsibility: Responsibility | None, note: str, resolver: Actor, now: datetime
    ) -> tuple[OrderException, list[events.ExceptionEvent]]:
        """Money back: the refund (opened beside this in the same transaction) carries the rest."""
        resolution = Resolution(
            Remedy.REFUND, checked_text(note, "note", max_length=MAX_DESCRIPTION), resolver, now, refund_id=refund_id
        )
        resolved, event = self._resolved(resolution, responsibility)
        return resolved, [event]

    def resolve_by_gift(
        self, *, gift: Gift, responsibility: Responsibility | None, note: str, resolver: Actor, now: datetime
    ) -> tuple[OrderException, list[events.ExceptionEvent]]:
        resolution = Resolution(
            Remedy.GIFT,
            checked_text(note, "note", max_length=MAX_DESCRIPTION),
            resolver,
            now,
            gift=gift.checked("gift"),
        )
        resolved, event = self._resolved(resolution, responsibility)
        return resolved, [event]

    def escalation_event(self, level: int, role: str, now: datetime) -> events.OrderExceptionEscalated:
        return events.OrderExceptionEscalated(
            exception_id=self.exception_id,
            order_id=self.order_id,
            type=self.type,
            responsibility=self.responsibility,
            level=level,
            escalated_to=role,
            raised_at=self.raised_at,
            escalated_at=now,
        )
