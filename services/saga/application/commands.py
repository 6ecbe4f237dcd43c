"""Commands and queries of the saga coordinator (frozen dataclasses, serialised with shared.kernel.codec)."""

from __future__ import annotations

from dataclasses import dataclass

from services.saga.domain.model import SagaState
from services.saga.domain.placement import Placement, validate_cancellation
from services.saga.domain.refund import validate_refund_id
from shared.kernel.errors import InvalidArgument
from shared.kernel.ids import is_valid_id

MAX_REQUEST_ID = 128


def _check_request_id(request_id: str) -> None:
    if not request_id.strip():
        raise InvalidArgument.field("request_id", "is required (the idempotency key of a mutating call)")
    if len(request_id) > MAX_REQUEST_ID:
        raise InvalidArgument.field("request_id", f"at most {MAX_REQUEST_ID} characters")


@dataclass(frozen=True)
class PlaceOrder:
    request_id: str
    placement: Placement

    def validate(self) -> None:
        _check_request_id(self.request_id)
        self.placement.validate()


@dataclass(frozen=True)
class CancelOrder:
    request_id: str
    order_id: str
    reason: str

    def validate(self) -> None:
        _check_request_id(self.request_id)
        validate_cancellation(self.order_id, self.reason)


@dataclass(frozen=True)
class ExecuteRefund:
    """Pay back an approved refund (started by refunds' RefundReadyForExecution event, or by an operator)."""

    request_id: str
    refund_id: str

    def validate(self) -> None:
        _check_request_id(self.request_id)
        validate_refund_id(self.refund_id)


@dataclass(frozen=True)
class GetSaga:
    """Exactly one of the keys is set."""

    saga_id: str = ""
    request_id: str = ""
    order_id: str = ""

    def validate(self) -> None:
        given = [name for name in ("saga_id", "request_id", "order_id") if getattr(self, name)]
        if len(given) != 1:
            raise InvalidArgument.field("key", "exactly one of saga_id, request_id, order_id is required")
        for name in ("saga_id", "order_id"):
            value = getattr(self, name)
            if value and not is_valid_id(value):
                raise InvalidArgument.field(name, "must be a UUID")


@dataclass(frozen=True)
class ListSagas:
    states: tuple[SagaState, ...] = ()
    page_size: int = 0
    page_token: str = ""

    DEFAULT_PAGE = 50
    MAX_PAGE = 500

    def validate(self) -> None:
        if self.page_size < 0:
            raise InvalidArgument.field("page.page_size", "must not be negative")
        if self.page_token and not is_valid_id(self.page_token):
            raise InvalidArgument.field("page.page_token", "is not a token this service issued")

    @property
    def limit(self) -> int:
        return min(self.page_size or self.DEFAULT_PAGE, self.MAX_PAGE)
