"""The saga's Prometheus metrics (the SagaObserver port): outcomes, compensations and step durations under the
suite's shared names (shared.metrics, drawn by deploy/grafana), and the retries counter only the saga has."""

from __future__ import annotations

from prometheus_client import Counter

from services.saga.domain.model import SagaKind, SagaState
from shared.metrics import SAGA_STEP_DURATION, record_compensation, record_saga_outcome

SAGA_RETRIES = Counter(
    "oms_saga_step_retries_total",
    "Calls of a step repeated after a transient failure",
    ["kind", "step", "code", "phase"],
)


class PrometheusObserver:
    def saga_ended(self, kind: SagaKind, state: SagaState, failed_step: str | None, reason: str | None) -> None:
        record_saga_outcome(kind.value, state.value, failed_step or "", reason or "")

    def step_retried(self, kind: SagaKind, step: str, code: str, *, compensation: bool) -> None:
        SAGA_RETRIES.labels(kind.value, step, code, "compensation" if compensation else "action").inc()

    def step_compensated(self, kind: SagaKind, step: str, outcome: str) -> None:
        record_compensation(kind.value, step, outcome)

    def step_timed(self, kind: SagaKind, step: str, seconds: float) -> None:
        SAGA_STEP_DURATION.labels(kind.value, step).observe(seconds)
