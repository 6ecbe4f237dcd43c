"""The one error model: every failure is an OmsError with a kind, a stable reason and the bad fields.

Domain code raises subclasses, e.g.
``class InsufficientStock(FailedPrecondition): reason = "INSUFFICIENT_STOCK"``; the gRPC edge maps
``kind`` to a status code and puts ``reason`` in google.rpc.ErrorInfo, or the violations in
google.rpc.BadRequest. Nothing here imports grpc.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar


class ErrorKind(enum.Enum):
    """What kind of failure, one per gRPC status code the suite uses."""

    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    FAILED_PRECONDITION = "FAILED_PRECONDITION"
    ABORTED = "ABORTED"
    RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    UNAVAILABLE = "UNAVAILABLE"
    DEADLINE_EXCEEDED = "DEADLINE_EXCEEDED"
    INTERNAL = "INTERNAL"


@dataclass(frozen=True)
class FieldViolation:
    """One offending field of a request, named by its proto path (``lines[2].quantity``)."""

    field: str
    description: str


class OmsError(Exception):
    """Base of every expected failure; subclasses fix ``kind`` and a default ``reason``."""

    kind: ClassVar[ErrorKind] = ErrorKind.INTERNAL
    reason: str = "INTERNAL"

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        metadata: Mapping[str, str] | None = None,
        violations: Sequence[FieldViolation] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason
        self.metadata: dict[str, str] = {k: str(v) for k, v in (metadata or {}).items()}
        self.violations: tuple[FieldViolation, ...] = tuple(violations)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.reason}: {self.message})"


class InvalidArgument(OmsError):
    """The request is malformed; ``violations`` names the offending fields."""

    kind = ErrorKind.INVALID_ARGUMENT
    reason = "INVALID_ARGUMENT"

    @classmethod
    def field(cls, field: str, description: str, *, reason: str | None = None) -> InvalidArgument:
        """One bad field: ``raise InvalidArgument.field("lines[0].quantity", "must be positive")``."""
        return cls(f"{field}: {description}", reason=reason, violations=[FieldViolation(field, description)])


class NotFound(OmsError):
    kind = ErrorKind.NOT_FOUND
    reason = "NOT_FOUND"


class AlreadyExists(OmsError):
    kind = ErrorKind.ALREADY_EXISTS
    reason = "ALREADY_EXISTS"


class FailedPrecondition(OmsError):
    """The system is not in a state where the request can run (no stock, wrong status, below floor)."""

    kind = ErrorKind.FAILED_PRECONDITION
    reason = "FAILED_PRECONDITION"


class Aborted(OmsError):
    """A concurrency conflict; the caller may retry the whole operation."""

    kind = ErrorKind.ABORTED
    reason = "ABORTED"


class ResourceExhausted(OmsError):
    kind = ErrorKind.RESOURCE_EXHAUSTED
    reason = "RESOURCE_EXHAUSTED"


class PermissionDenied(OmsError):
    kind = ErrorKind.PERMISSION_DENIED
    reason = "PERMISSION_DENIED"


class Unauthenticated(OmsError):
    kind = ErrorKind.UNAUTHENTICATED
    reason = "UNAUTHENTICATED"


class Unavailable(OmsError):
    """A dependency is down or timed out; transient, safe to retry with the same request id."""

    kind = ErrorKind.UNAVAILABLE
    reason = "UNAVAILABLE"


class DeadlineExceeded(OmsError):
    kind = ErrorKind.DEADLINE_EXCEEDED
    reason = "DEADLINE_EXCEEDED"


class InvalidTransition(FailedPrecondition):
    """A state machine was asked for a transition its current state does not allow."""

    reason = "INVALID_TRANSITION"

    def __init__(self, entity: str, entity_id: str, from_state: str, to_state: str) -> None:
        super().__init__(
            f"{entity} {entity_id} cannot go from {from_state} to {to_state}",
            metadata={"entity": entity, "id": entity_id, "from": from_state, "to": to_state},
        )
