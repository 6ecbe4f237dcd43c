"""The failures of the customers context, each with a stable reason."""

from __future__ import annotations

from shared.kernel.errors import FailedPrecondition, NotFound, ResourceExhausted


class CustomerNotFound(NotFound):
    reason = "CUSTOMER_NOT_FOUND"

    def __init__(self, customer_id: str) -> None:
        super().__init__(f"customer {customer_id} does not exist", metadata={"customer_id": customer_id})


class CustomerMerged(FailedPrecondition):
    """The record was merged away; only the survivor can take part in another merge."""

    reason = "CUSTOMER_MERGED"

    def __init__(self, customer_id: str, survivor_customer_id: str) -> None:
        super().__init__(
            f"customer {customer_id} was merged into {survivor_customer_id}",
            metadata={"customer_id": customer_id, "survivor_customer_id": survivor_customer_id},
        )


class TooManyTags(ResourceExhausted):
    reason = "TOO_MANY_TAGS"

    def __init__(self, customer_id: str, limit: int) -> None:
        super().__init__(
            f"customer {customer_id} would hold more than {limit} tags",
            metadata={"customer_id": customer_id, "limit": str(limit)},
        )
