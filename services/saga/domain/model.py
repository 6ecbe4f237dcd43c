"""The saga aggregate: its state machine, its steps' state machines, and the transitions it records."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from shared.kernel.errors import InvalidTransition


class SagaKind(enum.StrEnum):
    PLACE_ORDER = "place_order"
    CANCEL_ORDER = "cancel_order"
    EXECUTE_REFUND = "execute_refund"


class SagaState(enum.StrEnum):
    RUNNING = "RUNNING"
    COMPENSATING = "COMPENSATING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    COMPENSATION_FAILED = "COMPENSATION_FAILED"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_STATES


TERMINAL_STATES = frozenset({SagaState.SUCCEEDED, SagaState.FAILED, SagaState.COMPENSATION_FAILED})
ACTIVE_STATES = frozenset({SagaState.RUNNING, SagaState.COMPENSATING})


class StepStatus(enum.StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    INDETERMINATE = "INDETERMINATE"
    COMPENSATING = "COMPENSATING"
    COMPENSATED = "COMPENSATED"
    COMPENSATION_FAILED = "COMPENSATION_FAILED"


# A step in one of these may have changed something at its participant, so it is undone on failure.
MAY_HAVE_EFFECT = frozenset({StepStatus.SUCCEEDED, StepStatus.INDETERMINATE, StepStatus.COMPENSATING})


@dataclass(frozen=True)
class StepError:
    """A participant's error as the saga saw it (its gRPC code name, reason, domain and metadata)."""

    code: str
    reason: str
    message: str = ""
    domain: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StepRecord:
    """One step's progress. ``attempts`` counts calls of the action, ``compensation_attempts`` of the undo."""

    name: str
    position: int
    status: StepStatus = StepStatus.PENDING
    attempts: int = 0
    compensation_attempts: int = 0
    last_error: StepError | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True)
class SagaEnded:
    """Domain event of a saga reaching a terminal state; adapters turn it into integration events."""

    saga_id: str
    request_id: str
    kind: SagaKind
    state: SagaState
    data: Mapping[str, Any]
    failed_step: str | None
    failure: StepError | None
    compensated_steps: tuple[str, ...]
    refused_steps: tuple[str, ...]


@dataclass(frozen=True)
class Transition:
    """What changed since the last save, written in one statement: the saga row and the changed step rows."""

    saga_id: str
    state: SagaState
    steps: tuple[StepRecord, ...]
    data_patch: Mapping[str, Any]
    failed_step: str | None
    failure: StepError | None
    now: datetime
    ended: SagaEnded | None = None

    @property
    def terminal(self) -> bool:
        return self.state.terminal


@dataclass
class Saga:
    """A running (or finished) workflow: its input ``payload``, the ``data`` its steps produced, its steps.

    Every method checks the current state and raises InvalidTransition rather than doing something
    that makes no sense; changes accumulate until :meth:`flush` hands them over as one Transition.
    """

    saga_id: str
    request_id: str
    kind: SagaKind
    payload: Any
    fingerprint: str
    steps: list[StepRecord]
    created_at: datetime
    updated_at: datetime
    state: SagaState = SagaState.RUNNING
    data: dict[str, Any] = field(default_factory=dict)
    failed_step: str | None = None
    failure: StepError | None = None
    _dirty: dict[str, None] = field(default_factory=dict, repr=False)
    _patch: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def start(
        cls,
        *,
        saga_id: str,
        request_id: str,
        kind: SagaKind,
        payload: Any,
        fingerprint: str,
        step_names: tuple[str, ...],
        now: datetime,
    ) -> Saga:
        if not step_names:
            raise ValueError("a saga needs at least one step")
        if len(set(step_names)) != len(step_names):
            raise ValueError("step names must be unique")
        steps = [StepRecord(name=name, position=i) for i, name in enumerate(step_names)]
        return cls(
            saga_id=saga_id,
            request_id=request_id,
            kind=kind,
            payload=payload,
            fingerprint=fingerprint,
            steps=steps,
            created_at=now,
            updated_at=now,
        )

    # Queries

    def step(self, name: str) -> StepRecord:
        for record in self.steps:
            if record.name == name:
                return record
        raise KeyError(f"saga {self.saga_id} has no step {name!r}")

    def step_request_id(self, name: str, *, undo: bool = False) -> str:
        """The idempotency key sent to the participant, so a repeated step is deduplicated there."""
        return f"{self.saga_id}:{name}:undo" if undo else f"{self.saga_id}:{name}"

    @property
    def terminal(self) -> bool:
        return self.state.terminal

    def steps_to_compensate(self, compensable: frozenset[str]) -> list[StepRecord]:
        """Steps with a compensation that may have had an effect and are not undone yet, latest first."""
        return [s for s in reversed(self.steps) if s.status in MAY_HAVE_EFFECT and s.name in compensable]

    # Forward transitions

    def start_step(self, name: str, now: datetime) -> StepRecord:
        """Record a call of the step's action before it is made (first call, or a repeat on resume)."""
        self._require_state(SagaState.RUNNING, f"start step {name}")
        record = self.step(name)
        if record.status not in (StepStatus.PENDING, StepStatus.RUNNING):
            raise InvalidTransition("saga step", f"{self.saga_id}:{name}", record.status, StepStatus.RUNNING)
        for earlier in self.steps[: record.position]:
            if earlier.status is not StepStatus.SUCCEEDED:
                raise InvalidTransition("saga step", f"{self.saga_id}:{name}", "earlier step unfinished", "RUNNING")
        started = replace(
            record, status=StepStatus.RUNNING, attempts=record.attempts + 1, started_at=record.started_at or now
        )
        return self._put(started, now)

    def retry_step(self, name: str, error: StepError, now: datetime) -> StepRecord:
        """Record a transient failure and the repeat about to be made."""
        record = self._expect(name, StepStatus.RUNNING, "retry")
        return self._put(replace(record, attempts=record.attempts + 1, last_error=error), now)

    def note_error(self, name: str, error: StepError, now: datetime) -> StepRecord:
        """Record the error a running step or compensation is left with when it is deferred to later."""
        record = self.step(name)
        if record.status not in (StepStatus.RUNNING, StepStatus.COMPENSATING):
            raise InvalidTransition("saga step", f"{self.saga_id}:{name}", record.status, "deferred")
        return self._put(replace(record, last_error=error), now)

    def succeed_step(self, name: str, outputs: Mapping[str, Any], now: datetime) -> StepRecord:
        record = self._expect(name, StepStatus.RUNNING, StepStatus.SUCCEEDED)
        self.data.update(outputs)
        self._patch.update(outputs)
        return self._put(replace(record, status=StepStatus.SUCCEEDED, finished_at=now), now)

    def fail_step(self, name: str, error: StepError, now: datetime, *, indeterminate: bool) -> StepRecord:
        """The step failed for good: a refusal (no effect) or, if ``indeterminate``, retries ran out.

        The saga turns to compensation; the failure is the one the callers will see.
        """
        record = self._expect(name, StepStatus.RUNNING, StepStatus.FAILED)
        status = StepStatus.INDETERMINATE if indeterminate else StepStatus.FAILED
        updated = self._put(replace(record, status=status, last_error=error, finished_at=now), now)
        self.failed_step, self.failure = name, error
        self.state = SagaState.COMPENSATING
        return updated

    def stall_step(self, name: str, error: StepError, now: datetime) -> StepRecord:
        """A step past the point of no return was refused: it cannot be undone, a person must look."""
        record = self._expect(name, StepStatus.RUNNING, StepStatus.FAILED)
        updated = self._put(replace(record, status=StepStatus.FAILED, last_error=error, finished_at=now), now)
        self.failed_step, self.failure = name, error
        self.state = SagaState.COMPENSATION_FAILED
        return updated

    def succeed(self, now: datetime) -> None:
        self._require_state(SagaState.RUNNING, SagaState.SUCCEEDED)
        unfinished = [s.name for s in self.steps if s.status is not StepStatus.SUCCEEDED]
        if unfinished:
            raise InvalidTransition("saga", self.saga_id, f"steps {unfinished} unfinished", SagaState.SUCCEEDED)
        self.state = SagaState.SUCCEEDED
        self._touch(now)

    # Compensation transitions

    def start_compensation(self, name: str, now: datetime) -> StepRecord:
        self._require_state(SagaState.COMPENSATING, f"compensate step {name}")
        record = self.step(name)
        if record.status not in MAY_HAVE_EFFECT:
            raise InvalidTransition("saga step", f"{self.saga_id}:{name}", record.status, StepStatus.COMPENSATING)
        return self._put(
            replace(record, status=StepStatus.COMPENSATING, compensation_attempts=record.compensation_attempts + 1),
            now,
        )

    def retry_compensation(self, name: str, error: StepError, now: datetime) -> StepRecord:
        record = self._expect(name, StepStatus.COMPENSATING, "retry compensation")
        return self._put(replace(record, compensation_attempts=record.compensation_attempts + 1, last_error=error), now)

    def compensated(self, name: str, now: datetime) -> StepRecord:
        record = self._expect(name, StepStatus.COMPENSATING, StepStatus.COMPENSATED)
        return self._put(replace(record, status=StepStatus.COMPENSATED, finished_at=now), now)

    def compensation_refused(self, name: str, error: StepError, now: datetime) -> StepRecord:
        record = self._expect(name, StepStatus.COMPENSATING, StepStatus.COMPENSATION_FAILED)
        return self._put(replace(record, status=StepStatus.COMPENSATION_FAILED, last_error=error, finished_at=now), now)

    def finish_compensation(self, now: datetime, compensable: frozenset[str]) -> None:
        """All undoable steps are handled: FAILED, or COMPENSATION_FAILED when a participant refused an undo."""
        self._require_state(SagaState.COMPENSATING, "finish compensation")
        pending = [s.name for s in self.steps_to_compensate(compensable)]
        if pending:
            raise InvalidTransition("saga", self.saga_id, f"steps {pending} not compensated", SagaState.FAILED)
        refused = any(s.status is StepStatus.COMPENSATION_FAILED for s in self.steps)
        self.state = SagaState.COMPENSATION_FAILED if refused else SagaState.FAILED
        self._touch(now)

    # Persistence hand-over

    def flush(self, now: datetime) -> Transition:
        """The changes since the previous flush, as one Transition to save."""
        self._touch(now)
        ended = None
        if self.terminal:
            ended = SagaEnded(
                saga_id=self.saga_id,
                request_id=self.request_id,
                kind=self.kind,
                state=self.state,
                data=dict(self.data),
                failed_step=self.failed_step,
                failure=self.failure,
                compensated_steps=tuple(
                    s.name for s in sorted(self.steps, key=lambda s: -s.position) if s.status is StepStatus.COMPENSATED
                ),
                refused_steps=tuple(s.name for s in self.steps if s.status is StepStatus.COMPENSATION_FAILED),
            )
        transition = Transition(
            saga_id=self.saga_id,
            state=self.state,
            steps=tuple(self.step(name) for name in self._dirty),
            data_patch=dict(self._patch),
            failed_step=self.failed_step,
            failure=self.failure,
            now=now,
            ended=ended,
        )
        self._dirty.clear()
        self._patch.clear()
        return transition

    # Helpers

    def _put(self, record: StepRecord, now: datetime) -> StepRecord:
        self.steps[record.position] = record
        self._dirty[record.name] = None
        self._touch(now)
        return record

    def _touch(self, now: datetime) -> None:
        self.updated_at = max(self.updated_at, now)

    def _require_state(self, state: SagaState, to: str) -> None:
        if self.state is not state:
            raise InvalidTransition("saga", self.saga_id, self.state, to)

    def _expect(self, name: str, status: StepStatus, to: str) -> StepRecord:
        record = self.step(name)
        if record.status is not status:
            raise InvalidTransition("saga step", f"{self.saga_id}:{name}", record.status, to)
        return record
