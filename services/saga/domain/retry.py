"""How often and how patiently a failing call is repeated: exponential backoff with jitter, bounded."""

from __future__ import annotations

from dataclasses import dataclass

# Codes after which the same request may be sent again (participants dedupe on its request id).
TRANSIENT_CODES = frozenset({"UNAVAILABLE", "DEADLINE_EXCEEDED", "ABORTED"})
# Codes that are a participant's final answer: the call had no effect, compensation starts at once.
BUSINESS_CODES = frozenset(
    {"FAILED_PRECONDITION", "INVALID_ARGUMENT", "NOT_FOUND", "ALREADY_EXISTS", "OUT_OF_RANGE", "PERMISSION_DENIED"}
)


@dataclass(frozen=True)
class RetryPolicy:
    """At most ``max_attempts`` calls; the n-th wait is ``base * 2**(n-1)`` capped at ``cap``, jittered."""

    max_attempts: int = 4
    base_seconds: float = 0.05
    cap_seconds: float = 2.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_seconds < 0 or self.cap_seconds < self.base_seconds:
            raise ValueError("need 0 <= base_seconds <= cap_seconds")

    def delay(self, attempt: int, jitter: float) -> float:
        """The wait after failed call number ``attempt`` (1-based); ``jitter`` is uniform in [0, 1).

        Half the delay is fixed and half random ("equal jitter"): retries of many sagas hitting the same
        outage spread out, yet each still backs off.
        """
        ceiling = min(self.cap_seconds, self.base_seconds * (2 ** (attempt - 1)))
        return ceiling / 2 + ceiling / 2 * jitter

    def exhausted(self, attempt: int) -> bool:
        return attempt >= self.max_attempts
