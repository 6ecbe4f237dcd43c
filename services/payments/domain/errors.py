"""The failures of the payments context, each with its stable reason."""

from __future__ import annotations

from shared.kernel.errors import (
    Aborted,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unavailable,
)


class PaymentNotFound(NotFound):
    reason = "PAYMENT_NOT_FOUND"

    def __init__(self, payment_id: str) -> None:
        super().__init__(f"payment {payment_id} does not exist", metadata={"payment_id": payment_id})


class RefundNotFound(NotFound):
    reason = "REFUND_NOT_FOUND"

    def __init__(self, refund_id: str) -> None:
        super().__init__(f"refund {refund_id} does not exist", metadata={"refund_id": refund_id})


class IdempotencyKeyReused(InvalidArgument):
    """The request id was first used for another command or other arguments."""

    reason = "IDEMPOTENCY_KEY_REUSED"

    def __init__(self, request_id: str) -> None:
        super().__init__(
            f"request_id {request_id} was already used with other arguments",
            violations=[FieldViolation("request_id", "was already used with other arguments")],
        )


class CurrencyMismatch(InvalidArgument):
    reason = "CURRENCY_MISMATCH"

    def __init__(self, field: str, expected: str, given: str) -> None:
        description = f"is {given} but the payment is in {expected}"
        super().__init__(
            f"{field}: {description}",
            metadata={"expected": expected, "given": given},
            violations=[FieldViolation(field, description)],
        )


class UnknownProvider(InvalidArgument):
    reason = "UNKNOWN_PROVIDER"

    def __init__(self, field: str, provider: str, known: list[str]) -> None:
        description = f"names no configured provider (known: {', '.join(sorted(known))})"
        super().__init__(
            f"{field}: {description}",
            metadata={"provider": provider},
            violations=[FieldViolation(field, description)],
        )


class PaymentDeclined(FailedPrecondition):
    reason = "PAYMENT_DECLINED"

    def __init__(self, payment_id: str, provider_reason: str) -> None:
        super().__init__(
            f"payment {payment_id} was declined by the provider: {provider_reason}",
            metadata={"payment_id": payment_id, "provider_reason": provider_reason},
        )


class PaymentFailed(FailedPrecondition):
    """The provider never took the authorization; a new attempt needs a new request id."""

    reason = "PAYMENT_FAILED"

    def __init__(self, payment_id: str, why: str) -> None:
        super().__init__(f"payment {payment_id} failed: {why}", metadata={"payment_id": payment_id})


class OperationDeclined(FailedPrecondition):
    """The provider refused a capture, void or refund; subclasses name which."""

    def __init__(self, payment_id: str, provider_reason: str, **metadata: str) -> None:
        super().__init__(
            f"the provider refused it for payment {payment_id}: {provider_reason}",
            metadata={"payment_id": payment_id, "provider_reason": provider_reason, **metadata},
        )


class CaptureDeclined(OperationDeclined):
    reason = "CAPTURE_DECLINED"


class VoidDeclined(OperationDeclined):
    reason = "VOID_DECLINED"


class RefundDeclined(OperationDeclined):
    reason = "REFUND_DECLINED"


class CaptureExceedsAuthorized(FailedPrecondition):
    reason = "CAPTURE_EXCEEDS_AUTHORIZED"

    def __init__(self, payment_id: str, requested_minor: int, authorized_minor: int) -> None:
        super().__init__(
            f"payment {payment_id}: capture of {requested_minor} exceeds the authorized {authorized_minor}",
            metadata={"payment_id": payment_id, "authorized_minor": str(authorized_minor)},
        )


class RefundExceedsCaptured(FailedPrecondition):
    reason = "REFUND_EXCEEDS_CAPTURED"

    def __init__(self, payment_id: str, requested_minor: int, refundable_minor: int) -> None:
        super().__init__(
            f"payment {payment_id}: refund of {requested_minor} exceeds the refundable {refundable_minor}",
            metadata={"payment_id": payment_id, "refundable_minor": str(refundable_minor)},
        )


class OperationInProgress(Aborted):
    """Another capture or void of the payment is at the provider; retry once it has settled."""

    reason = "OPERATION_IN_PROGRESS"

    def __init__(self, payment_id: str) -> None:
        super().__init__(
            f"payment {payment_id} has another capture or void in progress", metadata={"payment_id": payment_id}
        )


class ProviderUnavailable(Unavailable):
    """The provider did not answer in time; the outcome is unknown, so retry with the same request id."""

    reason = "PROVIDER_UNAVAILABLE"

    def __init__(self, provider: str, why: str, **metadata: str) -> None:
        super().__init__(f"provider {provider} is unavailable: {why}", metadata={"provider": provider, **metadata})


class InvalidSignature(PermissionDenied):
    reason = "INVALID_SIGNATURE"

    def __init__(self, provider: str) -> None:
        super().__init__(f"the callback signature does not verify for provider {provider}")


class CallbackConflict(FailedPrecondition):
    """A provider notification contradicts what is recorded; a human must reconcile it."""

    reason = "CALLBACK_CONFLICT"
