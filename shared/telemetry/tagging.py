"""Order tags that follow the work: `tag_order` puts them in the baggage, a span processor copies them onto spans.

The saga (and the gateway) learn an order's id, saga id, channel and customer tier once; every span started
afterwards in any process (gRPC carries the baggage in its metadata, events in their envelope) gets them as
attributes at start, so `oms.order.id` finds every hop of an order without each service setting it.
"""

from __future__ import annotations

import logging
import re
from types import TracebackType

from opentelemetry import baggage, context, trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import Span, SpanProcessor

from shared.telemetry.attributes import CHANNEL, CUSTOMER_TIER, ORDER_ID, REGISTRY, SAGA_ID

log = logging.getLogger(__name__)

# Baggage crosses process boundaries (and, at the gateway, may come from outside): only short id-like
# values are believed, so no free text can ride along into an attribute.
SAFE_VALUE = re.compile(r"[A-Za-z0-9_.:\-]{1,128}")


class OrderTags:
    """The context `tag_order` attached. Leave the ``with`` block (or call `detach`) in the same task once
    the tagged work is done, so the next piece of work in that task does not inherit the tags."""

    def __init__(self, token: object | None) -> None:
        self._token = token

    def detach(self) -> None:
        if self._token is not None:
            context.detach(self._token)  # type: ignore[arg-type]
            self._token = None

    def __enter__(self) -> OrderTags:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.detach()


def tag_order(
    *,
    order_id: str | None = None,
    saga_id: str | None = None,
    channel: str | None = None,
    customer_tier: str | None = None,
) -> OrderTags:
    """Set the given tags on the current span and in the baggage of a newly attached current context.

    Empty values are left out (earlier tags stay); a value that is not a short id-like token is refused
    with a warning rather than propagated. Works as a plain call or as ``with tag_order(...):``.
    """
    given = {ORDER_ID: order_id, SAGA_ID: saga_id, CHANNEL: channel, CUSTOMER_TIER: customer_tier}
    span = trace.get_current_span()
    tagged = context.get_current()
    for name, value in given.items():
        if not value:
            continue
        if not SAFE_VALUE.fullmatch(value):
            log.warning("tag %s refused: not an id-like value", name)
            continue
        span.set_attribute(name, value)
        tagged = baggage.set_baggage(name, value, tagged)
    return OrderTags(context.attach(tagged))


def baggage_tags(parent: Context | None = None) -> dict[str, str]:
    """The registered ``oms.*`` entries of the baggage of ``parent`` (the current context when None)."""
    return {
        name: value
        for name, value in baggage.get_all(parent).items()
        if name in REGISTRY and isinstance(value, str) and SAFE_VALUE.fullmatch(value)
    }


class BaggageTagsProcessor(SpanProcessor):
    """Copies the registered ``oms.*`` baggage entries onto every span as it starts."""

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        for name, value in baggage_tags(parent_context).items():
            span.set_attribute(name, value)

    def on_end(self, span: object) -> None:
        """Nothing to do at the end: the tags were set at start, where children inherit the context."""

    def shutdown(self) -> None:
        """Holds nothing."""

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True
