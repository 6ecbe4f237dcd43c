"""The failures of the refunds context, each with its stable reason."""

from __future__ import annotations

from collections.abc import Sequence

from shared.kernel.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)


class RefundNotFound(NotFound):
    reason = "REFUND_NOT_FOUND"

    def __init__(self, refund_id: str) -> None:
        super().__init__(f"refund {refund_id} does not exist", metadata={"refund_id": refund_id})


class ExceptionNotFound(NotFound):
    reason = "EXCEPTION_NOT_FOUND"

    def __init__(self, exception_id: str) -> None:
        super().__init__(f"order exception {exception_id} does not exist", metadata={"exception_id": exception_id})


class CallerUnknown(Unauthenticated):
    """The call names no subject or no known role, so no one can be held to the decision."""

    reason = "CALLER_UNKNOWN"


class CurrencyMismatch(InvalidArgument):
    reason = "CURRENCY_MISMATCH"

    def __init__(self, field: str, expected: str, given: str) -> None:
        description = f"is in {given} but must be in {expected}"
        super().__init__(
            f"{field}: {description}",
            metadata={"expected": expected, "given": given},
            violations=[FieldViolation(field, description)],
        )


class RefundExceedsCaptured(FailedPrecondition):
    """Open and completed refunds of the order would add up to more than was captured."""

    reason = "REFUND_EXCEEDS_CAPTURED"

    def __init__(self, order_id: str, requested_minor: int, refundable_minor: int) -> None:
        super().__init__(
            f"refund of {requested_minor} exceeds the {refundable_minor} still refundable on order {order_id}",
            metadata={
                "order_id": order_id,
                "requested_minor": str(requested_minor),
                "refundable_minor": str(max(refundable_minor, 0)),
            },
        )


class SelfApprovalForbidden(PermissionDenied):
    reason = "SELF_APPROVAL_FORBIDDEN"

    def __init__(self, refund_id: str) -> None:
        super().__init__(f"the requester of refund {refund_id} may not decide it", metadata={"refund_id": refund_id})


class RoleNotAllowed(PermissionDenied):
    reason = "ROLE_NOT_ALLOWED"

    def __init__(self, role: str, allowed: Sequence[str], action: str) -> None:
        super().__init__(
            f"role {role!r} may not {action}; allowed: {', '.join(allowed)}",
            metadata={"role": role, "required_roles": ",".join(allowed)},
        )


class ApproverAlreadySigned(PermissionDenied):
    """Two signatures must come from two people, even when one person holds both roles."""

    reason = "APPROVER_ALREADY_SIGNED"

    def __init__(self, refund_id: str, subject: str) -> None:
        super().__init__(
            f"{subject} already signed refund {refund_id} in another role", metadata={"refund_id": refund_id}
        )


class RoleAlreadySigned(FailedPrecondition):
    reason = "ROLE_ALREADY_SIGNED"

    def __init__(self, refund_id: str, role: str) -> None:
        super().__init__(
            f"refund {refund_id} is already signed in role {role}", metadata={"refund_id": refund_id, "role": role}
        )


class ReturnNotExpected(FailedPrecondition):
    reason = "RETURN_NOT_EXPECTED"

    def __init__(self, refund_id: str, kind: str) -> None:
        super().__init__(
            f"refund {refund_id} is {kind}: no goods come back", metadata={"refund_id": refund_id, "kind": kind}
        )


class ReturnNotReceived(FailedPrecondition):
    reason = "RETURN_NOT_RECEIVED"

    def __init__(self, refund_id: str) -> None:
        super().__init__(
            f"the return of refund {refund_id} has not been received yet", metadata={"refund_id": refund_id}
        )


class ExecutedByOtherSaga(FailedPrecondition):
    reason = "REFUND_EXECUTED_BY_OTHER_SAGA"

    def __init__(self, refund_id: str, saga_id: str) -> None:
        super().__init__(
            f"refund {refund_id} is being executed by saga {saga_id}",
            metadata={"refund_id": refund_id, "saga_id": saga_id},
        )
