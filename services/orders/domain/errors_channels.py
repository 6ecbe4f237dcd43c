"""Errors of channel ingest, each with the stable reason clients match on."""

from __future__ import annotations

from shared.kernel.errors import FailedPrecondition, NotFound, Unauthenticated


class ChannelSyncPaused(FailedPrecondition):
    """The surge guard holds the channel: its orders wait on the platform until an operator releases it."""

    reason = "CHANNEL_SYNC_PAUSED"

    def __init__(self, channel: str) -> None:
        super().__init__(
            f"channel {channel} is paused by the surge guard; release it with ReleaseChannelSync",
            metadata={"channel": channel},
        )


class WebhookNotConfigured(FailedPrecondition):
    reason = "WEBHOOK_NOT_CONFIGURED"

    def __init__(self, channel: str) -> None:
        super().__init__(f"channel {channel} has no webhook secret", metadata={"channel": channel})


class WebhookSignatureInvalid(Unauthenticated):
    reason = "WEBHOOK_SIGNATURE_INVALID"

    def __init__(self, channel: str) -> None:
        super().__init__(
            f"the signature does not match the payload under the webhook secret of {channel}",
            metadata={"channel": channel},
        )


class FailedIngestNotFound(NotFound):
    reason = "FAILED_INGEST_NOT_FOUND"

    def __init__(self, failed_ingest_id: str) -> None:
        super().__init__(
            f"failed ingest {failed_ingest_id} does not exist", metadata={"failed_ingest_id": failed_ingest_id}
        )


class MappingFailure(Exception):
    """A channel record that cannot become a unified order; it goes to the failed-ingest queue, never away.

    Not an OmsError: it never reaches a caller as an error, it is the outcome of one record.
    """

    def __init__(self, reason: str, field: str, detail: str, channel_order_id: str = "") -> None:
        super().__init__(f"{reason} {field}: {detail}")
        self.reason = reason
        self.field = field
        self.detail = detail
        self.channel_order_id = channel_order_id
