"""Integration events: the outbox relay to Redis Streams and the idempotent stream consumer."""

from shared.messaging.consumer import StreamConsumer
from shared.messaging.relay import OutboxRelay

__all__ = ["OutboxRelay", "StreamConsumer"]
