"""The coordinator: starts sagas once per request id, answers every caller with the one outcome, resumes the rest.

A saga runs in a task owned by the coordinator, never by the RPC that asked for it, so a caller that
goes away (deadline, cancellation) does not stop it. Duplicates of a request (the same request id
sent again, even at once, even to another coordinator process) find the saga the first one created
and wait for its end, bounded by their own deadline. Sagas left unfinished by a coordinator that died
are claimed once their lease expires, at start-up and periodically after.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from services.saga.application.commands import CancelOrder, ExecuteRefund, GetSaga, ListSagas, PlaceOrder
from services.saga.application.engine import RunOutcome, SagaEngine
from services.saga.application.execute_refund import REFUND_ID
from services.saga.application.place_order import ORDER_ID
from services.saga.application.ports import SagaStore
from services.saga.domain.errors import CoordinatorBusy, PlacementInProgress, SagaInProgress, SagaNotFound
from services.saga.domain.model import Saga, SagaKind, SagaState
from shared.aio import every, wait_any
from shared.kernel import codec
from shared.kernel.errors import (
    Aborted,
    AlreadyExists,
    DeadlineExceeded,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    OmsError,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
)
from shared.kernel.ids import new_id

log = logging.getLogger(__name__)

_ERRORS_BY_CODE: dict[str, type[OmsError]] = {
    cls.kind.value: cls
    for cls in (
        InvalidArgument,
        NotFound,
        AlreadyExists,
        FailedPrecondition,
        Aborted,
        ResourceExhausted,
        PermissionDenied,
        Unauthenticated,
        Unavailable,
        DeadlineExceeded,
    )
}


@dataclass(frozen=True)
class CoordinatorSettings:
    # How often unfinished sagas with an expired lease are looked for, and how many are taken at once.
    recovery_interval_seconds: float = 5.0
    recovery_batch: int = 100
    # At most this many recovered sagas run at once in this process (new requests are not limited here).
    max_recovering: int = 200
    # Leases are renewed this often (well inside the store's lease length).
    renew_interval_seconds: float = 10.0
    # A saga whose participant stayed unavailable past the retries is taken up again after this long.
    park_seconds: float = 30.0
    # How long a caller without a deadline waits for the outcome.
    default_wait_seconds: float = 30.0
    # Answer this long before the caller's deadline, so the answer still reaches it.
    deadline_margin_seconds: float = 0.05
    # New placements are refused (SAGA_OVERLOADED) while this many sagas run here: past its capacity a
    # coordinator that takes everything makes every caller time out; 0 means no limit.
    max_running: int = 0


def failure_error(saga: Saga) -> OmsError:
    """The caller's error for a failed saga: the failing participant's code, reason and metadata."""
    failure = saga.failure
    if failure is None:
        return OmsError(
            f"saga {saga.saga_id} ended {saga.state}", reason="SAGA_FAILED", metadata={"saga_id": saga.saga_id}
        )
    own_keys = ("saga_id", "step", "participant_domain", "compensated")
    metadata = {
        # A participant's key the saga also uses (say, the saga_id of REFUND_EXECUTED_BY_OTHER_SAGA) is
        # kept under "participant_<key>" rather than overwritten.
        **{f"participant_{k}" if k in own_keys else k: v for k, v in failure.metadata.items()},
        "saga_id": saga.saga_id,
        "step": saga.failed_step or "",
        "participant_domain": failure.domain,
        # "pending": the failure is final but an undo is still waiting for its participant.
        "compensated": {SagaState.FAILED: "true", SagaState.COMPENSATING: "pending"}.get(saga.state, "false"),
    }
    message = f"{saga.failed_step} failed: {failure.message or failure.reason}"
    return _ERRORS_BY_CODE.get(failure.code, OmsError)(message, reason=failure.reason, metadata=metadata)


class Coordinator:
    """The handlers of the saga service plus the background work that keeps sagas moving."""

    def __init__(
        self,
        engine: SagaEngine,
        store: SagaStore,
        settings: CoordinatorSettings | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._store = store
        self._settings = settings or CoordinatorSettings()
        self._monotonic = monotonic
        self._running: dict[str, asyncio.Task[tuple[RunOutcome, Saga]]] = {}
        self._recovering: set[str] = set()
        self._closing = False

    # Commands

    async def place_order(self, command: PlaceOrder, *, deadline: float | None = None) -> Saga:
        """Run (or join) the placement saga of ``command.request_id``; its end state, or the failure raised."""
        command.validate()
        if self._settings.max_running and len(self._running) >= self._settings.max_running:
            raise CoordinatorBusy(
                f"{len(self._running)} sagas are running here; retry later",
                metadata={"running": str(len(self._running))},
            )
        saga = await self._start_or_join(command, SagaKind.PLACE_ORDER, data=None)
        return self._outcome(await self.wait(saga.saga_id, deadline=deadline))

    async def cancel_order(self, command: CancelOrder, *, deadline: float | None = None) -> Saga:
        command.validate()
        placement = await self._store.find(order_id=command.order_id, kind=SagaKind.PLACE_ORDER)
        if placement is not None and not placement.terminal:
            raise PlacementInProgress(
                f"order {command.order_id} is still being placed by saga {placement.saga_id}",
                metadata={"saga_id": placement.saga_id, "order_id": command.order_id},
            )
        saga = await self._start_or_join(command, SagaKind.CANCEL_ORDER, data={ORDER_ID: command.order_id})
        return self._outcome(await self.wait(saga.saga_id, deadline=deadline))

    async def execute_refund(self, command: ExecuteRefund, *, deadline: float | None = None) -> Saga:
        """Run (or join) the refund execution saga of ``command.request_id``; its end state, or the failure raised."""
        command.validate()
        saga = await self._start_or_join(command, SagaKind.EXECUTE_REFUND, data={REFUND_ID: command.refund_id})
        return self._outcome(await self.wait(saga.saga_id, deadline=deadline))

    async def start_refund_execution(self, refund_id: str) -> Saga:
        """Start the refund execution saga of a refund that became ready, without waiting for it.

        Keyed on the refund, so the event delivered twice (or by two consumers) starts one saga.
        """
        command = ExecuteRefund(f"refund-ready:{refund_id}", refund_id)
        command.validate()
        return await self._start_or_join(command, SagaKind.EXECUTE_REFUND, data={REFUND_ID: command.refund_id})

    # Queries

    async def get_saga(self, query: GetSaga) -> Saga:
        query.validate()
        if query.saga_id:
            saga = await self._store.get(query.saga_id)
        elif query.request_id:
            saga = await self._store.find(request_id=query.request_id)
        else:
            saga = await self._store.find(order_id=query.order_id, kind=SagaKind.PLACE_ORDER)
        if saga is None:
            raise SagaNotFound("no such saga", metadata={k: v for k, v in vars(query).items() if v})
        return saga

    async def list_sagas(self, query: ListSagas) -> tuple[list[Saga], str]:
        """One page, newest first, and the token of the next page (empty at the end)."""
        query.validate()
        sagas = await self._store.list(query.states, query.limit + 1, query.page_token)
        if len(sagas) > query.limit:
            return sagas[: query.limit], sagas[query.limit - 1].saga_id
        return sagas, ""

    # Running and waiting

    async def _start_or_join(self, command: Any, kind: SagaKind, *, data: dict[str, Any] | None) -> Saga:
        fingerprint = codec.fingerprint(command)
        saga = self._engine.new_saga(
            saga_id=new_id(),
            request_id=command.request_id,
            kind=kind,
            payload=command,
            fingerprint=fingerprint,
            data=data,
        )
        # INSERT ... ON CONFLICT (request_id) decides which of concurrent duplicates runs the saga.
        created, saga = await self._store.create(saga)
        if created:
            self._spawn(saga, fresh=True)
        elif saga.kind is not kind or saga.fingerprint != fingerprint:
            raise InvalidArgument(
                f"request_id {command.request_id} was already used with other arguments",
                reason="IDEMPOTENCY_KEY_REUSED",
                violations=[FieldViolation("request_id", "was already used with other arguments")],
            )
        return saga

    def _spawn(self, saga: Saga, *, fresh: bool) -> asyncio.Task[tuple[RunOutcome, Saga]]:
        task = asyncio.create_task(self._drive(saga, fresh=fresh), name=f"saga {saga.saga_id}")
        self._running[saga.saga_id] = task
        return task

    async def _drive(self, saga: Saga, *, fresh: bool) -> tuple[RunOutcome, Saga]:
        try:
            outcome = await self._engine.run(saga, fresh=fresh)
            if outcome is RunOutcome.PARKED:
                await self._store.park(saga.saga_id, self._settings.park_seconds)
            return outcome, saga
        except asyncio.CancelledError:
            raise
        except Exception:
            # The store failing (database down): leave the saga to recovery once its lease runs out.
            log.exception("saga %s: run interrupted", saga.saga_id)
            return RunOutcome.LEASE_LOST, saga
        finally:
            self._running.pop(saga.saga_id, None)
            self._recovering.discard(saga.saga_id)

    async def wait(self, saga_id: str, *, deadline: float | None) -> Saga:
        """The saga once it ended (or failed for good with an undo deferred); SagaInProgress when
        ``deadline`` (monotonic seconds) comes first and nothing is decided yet."""
        limit = self._monotonic() + self._settings.default_wait_seconds
        if deadline is not None:
            limit = deadline - self._settings.deadline_margin_seconds
        pause = 0.01
        while True:
            task = self._running.get(saga_id)
            if task is not None:
                remaining = limit - self._monotonic()
                if remaining > 0:
                    done, _ = await asyncio.wait({task}, timeout=remaining)
                    if done and not task.cancelled():
                        outcome, saga = task.result()
                        if outcome is RunOutcome.ENDED or _decided(saga):
                            return saga
            saga = await self._store.get(saga_id)
            if saga is None:
                raise SagaNotFound(f"saga {saga_id} vanished", metadata={"saga_id": saga_id})
            if saga.terminal:
                return saga
            if saga_id not in self._running and not self._closing:
                # Its coordinator may be gone: take it over if its lease has run out.
                claimed = await self._store.claim(saga_id)
                if claimed is not None:
                    self._spawn(claimed, fresh=False)
                    continue
            remaining = limit - self._monotonic()
            if _decided(saga) and (remaining <= 0 or saga_id not in self._running):
                # Compensating elsewhere (or parked): the failure is final, no need to wait for the undo.
                return saga
            if remaining <= 0:
                raise SagaInProgress(
                    f"saga {saga_id} has not ended yet ({saga.state}); ask again with the same request_id",
                    metadata={"saga_id": saga_id, "state": str(saga.state), "failed_step": saga.failed_step or ""},
                )
            await asyncio.sleep(min(pause, remaining))
            pause = min(pause * 2, 0.5)

    def _outcome(self, saga: Saga) -> Saga:
        if saga.state is SagaState.SUCCEEDED:
            return saga
        raise failure_error(saga)

    # Background work

    async def recover_once(self) -> int:
        """Claim and start unfinished sagas whose lease expired; returns how many were started."""
        room = self._settings.max_recovering - len(self._recovering)
        if room <= 0 or self._closing:
            return 0
        claimed = await self._store.claim_expired(min(room, self._settings.recovery_batch))
        for saga in claimed:
            if saga.saga_id in self._running:
                continue
            log.info("saga %s: resuming (%s)", saga.saga_id, saga.state)
            self._recovering.add(saga.saga_id)
            self._spawn(saga, fresh=False)
        return len(claimed)

    async def recover_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                started = await self.recover_once()
            except Exception:
                log.exception("saga recovery pass failed; trying again later")
                started = 0
            if started >= self._settings.recovery_batch:
                continue  # a backlog: keep draining without waiting
            await wait_any(stop, timeout=self._settings.recovery_interval_seconds)

    async def renew_once(self) -> None:
        ids = list(self._running)
        if not ids:
            return
        held = await self._store.renew(ids)
        for saga_id in set(ids) - held:
            log.warning("saga %s: lease lost to another coordinator", saga_id)

    async def renew_forever(self, stop: asyncio.Event) -> None:
        await every(self._settings.renew_interval_seconds, stop, self.renew_once, name=f"{__name__}.renew")

    @property
    def running(self) -> int:
        return len(self._running)

    async def close(self, grace_seconds: float) -> None:
        """Stop taking sagas, let running ones finish for ``grace_seconds``, hand the rest over at once."""
        self._closing = True
        tasks = list(self._running.values())
        if tasks:
            await asyncio.wait(tasks, timeout=grace_seconds)
        unfinished = [saga_id for saga_id, task in list(self._running.items()) if not task.done()]
        for task in list(self._running.values()):
            task.cancel()
        for saga_id in unfinished:
            try:
                await self._store.park(saga_id, 0)
            except Exception:
                log.exception("saga %s: could not hand over; it resumes when its lease expires", saga_id)


def _decided(saga: Saga) -> bool:
    """Whether the caller's answer is known: a failure is final once compensation has begun."""
    return saga.terminal or (saga.state is SagaState.COMPENSATING and saga.failure is not None)
