"""Prometheus counters of saga outcomes, retries and compensations (the SagaObserver port)."""

from __future__ import annotations

from prometheus_client import Counter

from services.saga.domain.model import SagaKind, SagaState

SAGA_OUTCOMES = Counter(
    "oms_saga_outcomes_total",
    "Sagas ended, by kind, final state, failing step and reason",
    ["kind", "state", "step", "reason"],
)
SAGA_RETRIES = Counter(
    "oms_saga_step_retries_total",
    "Calls of a step repeated after a transient failure",
    ["kind", "step", "code", "phase"],
)
SAGA_COMPENSATIONS = Counter(
    "oms_saga_compensations_total",
    "Compensations by step and outcome (compensated, refused, deferred)",
    ["kind", "step", "outcome"],
)


class PrometheusObserver:
    def saga_ended(self, kind: SagaKind, state: SagaState, failed_step: str | None, reason: str | None) -> None:
        SAGA_OUTCOMES.labels(kind.value, state.value, failed_step or "", reason or "").inc()

    def step_retried(self, kind: SagaKind, step: str, code: str, *, compensation: bool) -> None:
        SAGA_RETRIES.labels(kind.value, step, code, "compensation" if compensation else "action").inc()

    def step_compensated(self, kind: SagaKind, step: str, outcome: str) -> None:
        SAGA_COMPENSATIONS.labels(kind.value, step, outcome).inc()
