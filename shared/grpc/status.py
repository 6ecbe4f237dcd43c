"""Maps the one error model (shared.kernel.errors) onto google.rpc.Status with rich details."""

from __future__ import annotations

import asyncpg
import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError

from shared.kernel.errors import Aborted, ErrorKind, OmsError, Unavailable

STATUS_CODES: dict[ErrorKind, grpc.StatusCode] = {
    ErrorKind.INVALID_ARGUMENT: grpc.StatusCode.INVALID_ARGUMENT,
    ErrorKind.NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    ErrorKind.ALREADY_EXISTS: grpc.StatusCode.ALREADY_EXISTS,
    ErrorKind.FAILED_PRECONDITION: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorKind.ABORTED: grpc.StatusCode.ABORTED,
    ErrorKind.RESOURCE_EXHAUSTED: grpc.StatusCode.RESOURCE_EXHAUSTED,
    ErrorKind.PERMISSION_DENIED: grpc.StatusCode.PERMISSION_DENIED,
    ErrorKind.UNAUTHENTICATED: grpc.StatusCode.UNAUTHENTICATED,
    ErrorKind.UNAVAILABLE: grpc.StatusCode.UNAVAILABLE,
    ErrorKind.DEADLINE_EXCEEDED: grpc.StatusCode.DEADLINE_EXCEEDED,
    ErrorKind.INTERNAL: grpc.StatusCode.INTERNAL,
}


def _packed(message: object) -> any_pb2.Any:
    detail = any_pb2.Any()
    detail.Pack(message)
    return detail


def to_grpc_status(error: OmsError, *, domain: str) -> grpc.Status:
    """The wire form of ``error``: code, message, ErrorInfo(reason) and BadRequest violations if any."""
    code = STATUS_CODES[error.kind]
    details = [_packed(error_details_pb2.ErrorInfo(reason=error.reason, domain=domain, metadata=error.metadata))]
    if error.violations:
        details.append(
            _packed(
                error_details_pb2.BadRequest(
                    field_violations=[
                        error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                        for v in error.violations
                    ]
                )
            )
        )
    status = status_pb2.Status(code=getattr(code_pb2, code.name), message=error.message, details=details)
    return rpc_status.to_status(status)


def internal_status(message: str = "internal error") -> grpc.Status:
    return to_grpc_status(OmsError(message), domain="oms")


_CONFLICTS = (asyncpg.SerializationError, asyncpg.DeadlockDetectedError, asyncpg.LockNotAvailableError)
_OUTAGES = (
    asyncpg.TooManyConnectionsError,
    asyncpg.CannotConnectNowError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.InterfaceError,
    OSError,
    RedisConnectionError,
    RedisTimeoutError,
)


def transient_error(error: BaseException) -> OmsError | None:
    """The retryable meaning of an infrastructure failure: ABORTED for a lost race with another transaction,
    UNAVAILABLE when the database or Redis cannot be reached; None for anything else (a bug: INTERNAL)."""
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    cause = getattr(cause, "__cause__", None) or cause
    if isinstance(cause, _CONFLICTS):
        return Aborted("the operation collided with another one; retry it with the same request id")
    if isinstance(cause, _OUTAGES) or (isinstance(error, DBAPIError) and error.connection_invalidated):
        return Unavailable("a backing store is unreachable right now; retry with the same request id")
    return None
