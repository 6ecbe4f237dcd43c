"""Decodes a failed call's google.rpc.Status into an exception with a code, a stable reason and the fields."""

from __future__ import annotations

from dataclasses import dataclass, field

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status


@dataclass(frozen=True)
class FieldViolation:
    field: str
    description: str


@dataclass
class OmsRpcError(Exception):
    """A call that ended with a non-OK status, with its details decoded."""

    code: grpc.StatusCode
    message: str
    reason: str = ""
    domain: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    violations: list[FieldViolation] = field(default_factory=list)

    def __str__(self) -> str:
        reason = f" {self.reason}" if self.reason else ""
        return f"{self.code.name}{reason}: {self.message}"

    @property
    def transient(self) -> bool:
        """Whether repeating the call with the same request id may succeed."""
        return self.code in (
            grpc.StatusCode.UNAVAILABLE,
            grpc.StatusCode.DEADLINE_EXCEEDED,
            grpc.StatusCode.ABORTED,
        )

    @classmethod
    def from_call(cls, error: grpc.aio.AioRpcError) -> OmsRpcError:
        decoded = cls(code=error.code(), message=error.details() or "")
        status = rpc_status.from_call(error)
        for detail in status.details if status else ():
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                decoded.reason, decoded.domain, decoded.metadata = (
                    info.reason,
                    info.domain,
                    dict(info.metadata),
                )
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad_request = error_details_pb2.BadRequest()
                detail.Unpack(bad_request)
                decoded.violations = [FieldViolation(v.field, v.description) for v in bad_request.field_violations]
        if not decoded.reason:
            decoded.reason = error.code().name
        return decoded
