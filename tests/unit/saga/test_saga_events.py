"""Saga outcomes as integration events: which events each ending publishes, and what they carry."""

from __future__ import annotations

from services.saga.adapters.events import integration_events
from services.saga.domain.model import SagaEnded, SagaKind, SagaState, StepError

DATA = {"order_id": "o-1", "customer_id": "c-1", "payment_id": "p-1", "reservation_id": "r-1"}
STOCK = StepError("FAILED_PRECONDITION", "INSUFFICIENT_STOCK", "none left", "oms.inventory", {"sku": "S"})


def ended(kind: SagaKind, state: SagaState, **changes: object) -> SagaEnded:
    fields: dict[str, object] = {
        "saga_id": "s-1",
        "request_id": "req-1",
        "kind": kind,
        "state": state,
        "data": {**DATA, "total_minor": 37_000, "currency": "CNY"},
        "failed_step": None,
        "failure": None,
        "compensated_steps": (),
        "refused_steps": (),
    }
    fields.update(changes)
    return SagaEnded(**fields)  # type: ignore[arg-type]


def test_a_placed_order_publishes_its_ids_and_total() -> None:
    (event,) = integration_events(ended(SagaKind.PLACE_ORDER, SagaState.SUCCEEDED))

    assert type(event).__name__ == "OrderPlacementSucceeded"
    assert (event.order_id, event.customer_id, event.payment_id, event.reservation_id) == ("o-1", "c-1", "p-1", "r-1")
    assert (event.total.amount_minor, event.total.currency) == (37_000, "CNY")


def test_a_compensated_failure_publishes_the_failure_and_what_was_undone() -> None:
    failed, compensated = integration_events(
        ended(
            SagaKind.PLACE_ORDER,
            SagaState.FAILED,
            failed_step="reserve_stock",
            failure=STOCK,
            compensated_steps=("create_order",),
        )
    )

    assert type(failed).__name__ == "OrderPlacementFailed"
    assert (failed.failed_step, failed.code, failed.reason) == (
        "reserve_stock",
        "FAILED_PRECONDITION",
        "INSUFFICIENT_STOCK",
    )
    assert dict(failed.metadata) == {"sku": "S"} and failed.compensated
    assert type(compensated).__name__ == "SagaCompensated"
    assert list(compensated.compensated_steps) == ["create_order"]


def test_a_refused_undo_publishes_an_alert_and_an_uncompensated_failure() -> None:
    events = integration_events(
        ended(
            SagaKind.PLACE_ORDER,
            SagaState.COMPENSATION_FAILED,
            failed_step="authorize_payment",
            failure=STOCK,
            refused_steps=("reserve_stock",),
        )
    )

    assert [type(e).__name__ for e in events] == ["OrderPlacementFailed", "SagaCompensationFailed"]
    assert not events[0].compensated
    assert list(events[1].steps) == ["reserve_stock"]


def test_a_cancellation_publishes_only_when_a_person_must_look() -> None:
    assert integration_events(ended(SagaKind.CANCEL_ORDER, SagaState.SUCCEEDED)) == []
    assert integration_events(ended(SagaKind.CANCEL_ORDER, SagaState.FAILED, failure=STOCK)) == []
    (alert,) = integration_events(
        ended(SagaKind.CANCEL_ORDER, SagaState.COMPENSATION_FAILED, failed_step="release_stock", failure=STOCK)
    )
    assert type(alert).__name__ == "SagaCompensationFailed" and list(alert.steps) == ["release_stock"]
