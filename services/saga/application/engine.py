"""The saga engine: runs declared steps in order, retries transient failures, compensates in reverse.

A saga definition is a list of steps, each an action and (optionally) its compensation. The engine
persists every step before calling it (so a coordinator that dies mid-step is resumed by another,
which repeats the step under the same request id), batches a step's end with the next step's start
into one write, and undoes on failure every earlier step that may have had an effect. Compensation
runs in a task of its own, shielded, so cancelling the run (an RPC gone, a shutdown) never leaves it
half done.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from opentelemetry import trace

from services.saga.application.ports import NullObserver, ParticipantError, SagaObserver, SagaStore
from services.saga.domain.errors import LeaseLost
from services.saga.domain.model import Saga, SagaKind, SagaState, StepError, StepStatus
from services.saga.domain.retry import BUSINESS_CODES, TRANSIENT_CODES, RetryPolicy
from shared.telemetry import attributes, tag_order

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)


@dataclass(frozen=True)
class StepContext:
    """What an action or a compensation gets: the idempotency key to send and the saga's data so far."""

    saga_id: str
    step: str
    request_id: str
    payload: Any
    data: Mapping[str, Any]
    # For a compensation: the failure being undone (its reason makes a good cancellation reason).
    failure: StepError | None = None
    failed_step: str | None = None


Action = Callable[[StepContext], Awaitable[Mapping[str, Any] | None]]
Compensation = Callable[[StepContext], Awaitable[None]]


@dataclass(frozen=True)
class Step:
    """One step: ``action`` returns outputs merged into the saga's data; ``compensation`` undoes it.

    Both must be safe to run twice with the same request id (participants deduplicate on it), and a
    compensation must succeed when there is nothing to undo. A ``patient`` step is treated like the
    pivot wherever it stands: a participant that stays unavailable parks the saga until it answers
    (instead of counting the step as failed and compensating on a guess), and an error that is neither
    transient nor a refusal stops the saga for a person. A step that does not ``trust_refusal`` is
    compensated even after its participant refused it (the step counts as INDETERMINATE): its
    compensation finds out for itself whether anything is left to undo.
    """

    name: str
    action: Action
    compensation: Compensation | None = None
    patient: bool = False
    trust_refusal: bool = True


@dataclass(frozen=True)
class SagaDefinition:
    """The steps of one kind of saga. Steps after ``pivot`` cannot be compensated: they are retried
    until they succeed (forward recovery), and a refusal there needs a person."""

    kind: SagaKind
    steps: tuple[Step, ...]
    pivot: str | None = None

    def __post_init__(self) -> None:
        names = [s.name for s in self.steps]
        if not names or len(set(names)) != len(names):
            raise ValueError("a saga definition needs uniquely named steps")
        if self.pivot is not None and self.pivot not in names:
            raise ValueError(f"pivot {self.pivot!r} is not a step")

    @property
    def step_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.steps)

    @property
    def compensable(self) -> frozenset[str]:
        return frozenset(s.name for s in self.steps if s.compensation is not None)

    def step(self, name: str) -> Step:
        return next(s for s in self.steps if s.name == name)

    def past_pivot(self, name: str) -> bool:
        return self.pivot is not None and self.step_names.index(name) > self.step_names.index(self.pivot)

    def at_or_past_pivot(self, name: str) -> bool:
        return self.pivot is not None and self.step_names.index(name) >= self.step_names.index(self.pivot)


class RunOutcome(enum.Enum):
    ENDED = "ended"
    """The saga reached a terminal state."""
    PARKED = "parked"
    """A participant stayed unavailable past the retries; recovery takes the saga up again later."""
    LEASE_LOST = "lease_lost"
    """Another coordinator holds the saga now; this one stopped touching it."""


@dataclass(frozen=True)
class _Result:
    outputs: Mapping[str, Any] | None = None
    error: StepError | None = None

    @property
    def transient(self) -> bool:
        return self.error is not None and self.error.code in TRANSIENT_CODES

    @property
    def business(self) -> bool:
        return self.error is not None and self.error.code in BUSINESS_CODES


def utc_now() -> datetime:
    return datetime.now(UTC)


class SagaEngine:
    """Runs sagas of the registered definitions against a store owned by one coordinator."""

    def __init__(
        self,
        definitions: Mapping[SagaKind, SagaDefinition],
        store: SagaStore,
        *,
        action_retry: RetryPolicy = RetryPolicy(),
        compensation_retry: RetryPolicy = RetryPolicy(max_attempts=8, base_seconds=0.1, cap_seconds=5.0),
        observer: SagaObserver | None = None,
        clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.definitions = dict(definitions)
        self._store = store
        self._action_retry = action_retry
        self._compensation_retry = compensation_retry
        self._observer = observer or NullObserver()
        self._clock = clock
        self._sleep = sleep
        self._jitter = jitter
        self._timer = timer
        # Strong references to shielded compensations: a task nobody references may be collected.
        self._shielded: set[asyncio.Task[RunOutcome]] = set()

    def definition(self, kind: SagaKind) -> SagaDefinition:
        return self.definitions[kind]

    def new_saga(
        self,
        *,
        saga_id: str,
        request_id: str,
        kind: SagaKind,
        payload: Any,
        fingerprint: str,
        data: Mapping[str, Any] | None = None,
    ) -> Saga:
        """A saga with its first step already marked started, ready for ``store.create`` then ``run(fresh=True)``.

        Creating and starting in one write keeps the hot path at one statement per step.
        """
        definition = self.definitions[kind]
        now = self._clock()
        saga = Saga.start(
            saga_id=saga_id,
            request_id=request_id,
            kind=kind,
            payload=payload,
            fingerprint=fingerprint,
            step_names=definition.step_names,
            now=now,
        )
        saga.data.update(data or {})
        saga.start_step(definition.steps[0].name, now)
        saga.flush(now)
        return saga

    async def run(self, saga: Saga, *, fresh: bool = False) -> RunOutcome:
        """Drive ``saga`` as far as it goes. ``fresh``: the running step's start is saved and not yet called."""
        definition = self.definitions[saga.kind]
        try:
            if saga.state is SagaState.RUNNING:
                outcome = await self._forward(saga, definition, fresh=fresh)
                if outcome is not None:
                    return outcome
            if saga.state is SagaState.COMPENSATING:
                task = asyncio.ensure_future(self._compensate(saga, definition))
                self._shielded.add(task)
                task.add_done_callback(self._shielded.discard)
                return await asyncio.shield(task)
            return RunOutcome.ENDED
        except LeaseLost:
            log.warning("saga %s: lease lost, leaving it to its new owner", saga.saga_id)
            return RunOutcome.LEASE_LOST

    async def _forward(self, saga: Saga, definition: SagaDefinition, *, fresh: bool) -> RunOutcome | None:
        for step in definition.steps:
            record = saga.step(step.name)
            if record.status is StepStatus.SUCCEEDED:
                continue
            if not (fresh and record.status is StepStatus.RUNNING):
                # Saved together with the previous step's success: one write per step.
                saga.start_step(step.name, self._clock())
                await self._save(saga)
            fresh = False
            result = await self._attempt(saga, step, undo=False)
            now = self._clock()
            if result.error is None:
                saga.succeed_step(step.name, result.outputs or {}, now)
                continue
            if definition.at_or_past_pivot(step.name) or step.patient:
                # From the pivot on, a step that may have happened can no longer be undone: keep
                # trying it later rather than leave the saga half done; a refusal needs a person.
                if result.transient:
                    saga.note_error(step.name, result.error, now)
                    await self._save(saga)
                    return RunOutcome.PARKED
                if definition.past_pivot(step.name) or not result.business:
                    saga.stall_step(step.name, result.error, now)
                    await self._end(saga)
                    return RunOutcome.ENDED
            saga.fail_step(step.name, result.error, now, indeterminate=not (result.business and step.trust_refusal))
            return None
        saga.succeed(self._clock())
        await self._end(saga)
        return RunOutcome.ENDED

    async def _compensate(self, saga: Saga, definition: SagaDefinition) -> RunOutcome:
        try:
            for record in saga.steps_to_compensate(definition.compensable):
                step = definition.step(record.name)
                saga.start_compensation(step.name, self._clock())
                await self._save(saga)
                result = await self._attempt(saga, step, undo=True)
                now = self._clock()
                if result.error is None:
                    saga.compensated(step.name, now)
                    self._observer.step_compensated(saga.kind, step.name, "compensated")
                elif result.transient:
                    self._observer.step_compensated(saga.kind, step.name, "deferred")
                    saga.note_error(step.name, result.error, now)
                    await self._save(saga)
                    return RunOutcome.PARKED
                else:
                    log.error(
                        "saga %s: compensation of %s refused (%s %s); needs a person",
                        saga.saga_id,
                        step.name,
                        result.error.code,
                        result.error.reason,
                    )
                    saga.compensation_refused(step.name, result.error, now)
                    self._observer.step_compensated(saga.kind, step.name, "refused")
            saga.finish_compensation(self._clock(), definition.compensable)
            await self._end(saga)
            return RunOutcome.ENDED
        except LeaseLost:
            log.warning("saga %s: lease lost while compensating, leaving it to its new owner", saga.saga_id)
            return RunOutcome.LEASE_LOST

    async def _attempt(self, saga: Saga, step: Step, *, undo: bool) -> _Result:
        """Call the action (or compensation), repeating transient failures with backoff up to the policy."""
        policy = self._compensation_retry if undo else self._action_retry
        function = step.compensation if undo else step.action
        assert function is not None  # only steps with a compensation are compensated
        context = StepContext(
            saga_id=saga.saga_id,
            step=step.name,
            request_id=saga.step_request_id(step.name, undo=undo),
            payload=saga.payload,
            data=MappingProxyType(saga.data),
            failure=saga.failure if undo else None,
            failed_step=saga.failed_step if undo else None,
        )
        attempt = 1
        started = self._timer()
        while True:
            result = await self._call(function, context, saga.kind, undo=undo)
            if not result.transient or policy.exhausted(attempt):
                self._observer.step_timed(saga.kind, step.name, self._timer() - started)
                return result
            assert result.error is not None
            self._observer.step_retried(saga.kind, step.name, result.error.code, compensation=undo)
            await self._sleep(policy.delay(attempt, self._jitter()))
            # The repeat is on record before it is made, with the error that caused it.
            if undo:
                saga.retry_compensation(step.name, result.error, self._clock())
            else:
                saga.retry_step(step.name, result.error, self._clock())
            await self._save(saga)
            attempt += 1

    async def _call(
        self, function: Action | Compensation, context: StepContext, kind: SagaKind, *, undo: bool
    ) -> _Result:
        span_name = f"saga {kind.value} {context.step}{' undo' if undo else ''}"
        # Every hop of the step (participants, their database calls, the events they publish) carries the
        # order's tags through the baggage once the order exists.
        tags = tag_order(
            saga_id=context.saga_id,
            order_id=context.data.get("order_id") or None,
            customer_tier=context.data.get("customer_tier") or None,
            channel=getattr(context.payload, "channel", None) or None,
        )
        with tags, tracer.start_as_current_span(span_name) as span:
            span.set_attribute(attributes.SAGA_ID, context.saga_id)
            span.set_attribute(attributes.SAGA_STEP, context.step)
            try:
                outputs = await function(context)
            except ParticipantError as failure:
                span.set_attribute(attributes.REASON, failure.error.reason)
                return _Result(error=failure.error)
            except Exception as crash:
                # A bug on our side (say, an answer we cannot map): the call may have had its effect,
                # so the step is treated as indeterminate and compensated, never left hanging.
                log.exception("saga %s: step %s crashed", context.saga_id, context.step)
                span.record_exception(crash)
                return _Result(error=StepError("INTERNAL", "SAGA_STEP_CRASHED", type(crash).__name__))
            return _Result(outputs=outputs or {})

    async def _save(self, saga: Saga) -> None:
        await self._store.save(saga.flush(self._clock()))

    async def _end(self, saga: Saga) -> None:
        await self._save(saga)
        self._observer.saga_ended(
            saga.kind, saga.state, saga.failed_step, saga.failure.reason if saga.failure else None
        )
