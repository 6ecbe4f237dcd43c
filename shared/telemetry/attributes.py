"""The registry of span attribute names: the only place they are spelled, each with what it means.

Only names listed here (the ``oms.*`` ones in ``REGISTRY`` and the OpenTelemetry conventions in ``FOREIGN``)
leave a process: ``shared.telemetry.redaction`` drops every other attribute before export, so a stray
``span.set_attribute("customer.phone", ...)`` can never leak. Adding a name here is a review of its values:
no personal data (names, phones, addresses, emails, tax ids) and nothing about cards or payment tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

_registry: dict[str, str] = {}


def _attribute(name: str, meaning: str) -> str:
    if not name.startswith("oms."):
        raise ValueError(f"suite attribute {name!r} must be prefixed 'oms.'")
    _registry[name] = meaning
    return name


ORDER_ID = _attribute("oms.order.id", "The order a span works on (UUID).")
SAGA_ID = _attribute("oms.saga.id", "The saga instance a span belongs to.")
SAGA_STEP = _attribute("oms.saga.step", "The saga step being run or compensated, e.g. 'reserve_stock'.")
CHANNEL = _attribute("oms.channel", "The sales channel of the order, e.g. 'TMALL'.")
CUSTOMER_TIER = _attribute("oms.customer.tier", "The customer's tier (REGULAR, VIP); never the customer's identity.")
REQUEST_ID = _attribute("oms.request.id", "The idempotency key of the command being served.")
SKU = _attribute("oms.sku", "A stock-keeping unit code.")
REASON = _attribute("oms.error.reason", "The stable reason of a refused call, e.g. INSUFFICIENT_STOCK.")
PAYMENT_ID = _attribute("oms.payment.id", "The payment a span works on (an id, never card or token data).")
RESERVATION_ID = _attribute("oms.reservation.id", "The stock reservation a span works on.")
REFUND_ID = _attribute("oms.refund.id", "The refund request a span works on.")
EVENT_TYPE = _attribute("oms.event.type", "The integration event a span publishes or consumes (its proto name).")
OUTBOX_LAG_MS = _attribute("oms.outbox.lag_ms", "Milliseconds from the event to its publication on the stream.")

REGISTRY: Mapping[str, str] = MappingProxyType(_registry)
"""Every ``oms.*`` attribute name and its meaning."""

BAGGAGE_KEYS: tuple[str, ...] = (ORDER_ID, SAGA_ID, CHANNEL, CUSTOMER_TIER)
"""The attributes ``shared.telemetry.tag_order`` puts in the baggage, copied onto every span downstream."""

FOREIGN: Mapping[str, str] = MappingProxyType(
    {
        # gRPC (opentelemetry-instrumentation-grpc): the method, never the payload or the metadata.
        "rpc.system": "Always 'grpc'.",
        "rpc.service": "Fully-qualified gRPC service, e.g. oms.inventory.v1.InventoryService.",
        "rpc.method": "The gRPC method name.",
        "rpc.grpc.status_code": "The numeric gRPC status of the call.",
        # Peers inside the cluster (service addresses; a public client's address is never recorded).
        "net.peer.ip": "The calling or called service's address (cluster-internal).",
        "net.peer.port": "Its port.",
        "net.peer.name": "Its host name.",
        "net.transport": "ip_tcp or unix.",
        "server.address": "The database or Redis host.",
        "server.port": "Its port.",
        "network.peer.address": "The database or Redis address.",
        "network.peer.port": "Its port.",
        # Databases: statements carry placeholders ($1, ?), never bound values (parameter capture is off).
        "db.system": "postgresql or redis.",
        "db.system.name": "postgresql or redis (newer conventions).",
        "db.name": "The service's database.",
        "db.namespace": "The service's database (newer conventions).",
        "db.user": "The database role.",
        "db.statement": "SQL with placeholders, or a Redis command with its arguments replaced by '?'.",
        "db.query.text": "The statement (newer conventions), placeholders only.",
        "db.operation.name": "The SQL verb or Redis command.",
        "db.redis.database_index": "The Redis database number.",
        "db.redis.args_length": "How many arguments a Redis command had.",
        "db.redis.pipeline_length": "How many commands a Redis pipeline sent.",
        "error.type": "The exception class or status of a failed call.",
        # Streams.
        "messaging.system": "Always 'redis' (Redis Streams).",
        "messaging.destination.name": "The stream, e.g. oms.orders.",
        "messaging.message.id": "The event id (UUID).",
        "messaging.operation": "publish, receive or process.",
        "messaging.operation.type": "publish, receive or process (newer conventions).",
        "messaging.batch.message_count": "Events handled in one batch.",
        "messaging.consumer.group.name": "The consumer group (the consuming context).",
        # HTTP at the gateway: route templates and ids, never query strings, bodies or client addresses.
        "http.request.method": "GET, POST, ...",
        "http.route": "The route template, e.g. /v1/orders/{order_id}.",
        "http.response.status_code": "The HTTP status answered.",
        "url.path": "The request path (ids only; the query string is never recorded).",
        "url.scheme": "http or https.",
        # Exceptions recorded on spans: the type only (messages and tracebacks may quote input).
        "exception.type": "The exception class.",
        "exception.escaped": "Whether the exception left the span's scope.",
    }
)
"""OpenTelemetry semantic-convention attributes the instrumentations set and that are safe to export."""

DROPPED_BY_DESIGN: frozenset[str] = frozenset(
    {
        "exception.message",  # may quote the input that failed (a name, a phone number)
        "exception.stacktrace",  # ends with the message
        "rpc.user_agent",  # says nothing about the order
        "db.statement.parameters",  # bound values: the data itself
        "client.address",  # a buyer's address at the gateway
        "user_agent.original",  # a buyer's browser at the gateway
    }
)
"""Names the instrumentations set that are dropped on purpose (the redaction does not warn about them)."""


def is_allowed(name: str) -> bool:
    """Whether an attribute named ``name`` may leave the process."""
    return name in _registry or name in FOREIGN
