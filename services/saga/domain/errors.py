"""The saga's own failures, each with a stable reason."""

from __future__ import annotations

from shared.kernel.errors import Aborted, FailedPrecondition, NotFound, ResourceExhausted


class SagaNotFound(NotFound):
    reason = "SAGA_NOT_FOUND"


class SagaInProgress(Aborted):
    """The caller's deadline came before the saga ended; the saga goes on and may be asked again."""

    reason = "SAGA_IN_PROGRESS"


class CoordinatorBusy(ResourceExhausted):
    """This coordinator already runs as many placements as it can finish in time; nothing was started, so the
    caller may retry later (with the same request id) or on another replica."""

    reason = "SAGA_OVERLOADED"


class PlacementInProgress(FailedPrecondition):
    """An order cannot be cancelled while the saga that places it is still running."""

    reason = "SAGA_IN_PROGRESS"


class LeaseLost(Exception):
    """Another coordinator took the saga over (this one's lease expired); stop working on it."""

    def __init__(self, saga_id: str) -> None:
        super().__init__(f"lease of saga {saga_id} is held by another coordinator")
        self.saga_id = saga_id
