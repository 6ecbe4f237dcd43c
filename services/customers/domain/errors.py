"""The failures of the customers context, each with a stable reason."""

from __future__ import annotations

from shared.kernel.errors import FailedPrecondition, NotFound, PermissionDenied, ResourceExhausted


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


class CustomerOfAnotherTeam(PermissionDenied):
    """An upsert's identity belongs to a customer outside the caller's teams; nothing of it is revealed."""

    reason = "CUSTOMER_OF_ANOTHER_TEAM"

    def __init__(self) -> None:
        super().__init__("the identity belongs to a customer outside your teams; ask a supervisor to move it")


class TeamNotAllowed(PermissionDenied):
    """A team-limited caller named a team that is not one of its own."""

    reason = "TEAM_NOT_ALLOWED"

    def __init__(self, team: str) -> None:
        super().__init__(f"you may not register customers for team {team!r}", metadata={"team": team})


class TeamLimitedCaller(PermissionDenied):
    """Moving customers between teams needs a caller without team limits."""

    reason = "TEAM_LIMITED_CALLER"

    def __init__(self) -> None:
        super().__init__("only a caller without team limits may change a customer's team")
