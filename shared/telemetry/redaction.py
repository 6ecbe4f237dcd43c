"""The last gate before export: spans leave a process with allowed attribute names only, and no free text.

A span processor rather than a convention, so a library (or a hurried line of code) that records a request
payload, a header or an exception message cannot leak personal or payment data: attribute names outside
`shared.telemetry.attributes` are dropped, exception events keep their type only, status descriptions
(which quote error messages) are cut, and long values are clipped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from opentelemetry.context import Context
from opentelemetry.sdk.trace import Event, ReadableSpan, Span, SpanProcessor
from opentelemetry.trace import Link, Status
from opentelemetry.util.types import Attributes, AttributeValue

from shared.telemetry.attributes import DROPPED_BY_DESIGN, is_allowed

log = logging.getLogger(__name__)

MAX_VALUE_CHARS = 2048


def _clip(value: AttributeValue, limit: int) -> AttributeValue:
    if isinstance(value, str):
        return value if len(value) <= limit else value[: limit - 1] + "…"
    if isinstance(value, Sequence) and not isinstance(value, bytes | str):
        return tuple(_clip(item, limit) for item in value)  # type: ignore[return-value]
    return value


class RedactingSpanProcessor(SpanProcessor):
    """Hands ``delegate`` (the batch exporter's processor) a redacted copy of each finished span."""

    def __init__(
        self,
        delegate: SpanProcessor,
        *,
        allowed: Callable[[str], bool] = is_allowed,
        max_value_chars: int = MAX_VALUE_CHARS,
    ) -> None:
        self._delegate = delegate
        self._allowed = allowed
        self._limit = max_value_chars
        self._reported: set[str] = set()
        self._lock = threading.Lock()

    def _keep(self, attributes: Attributes) -> dict[str, AttributeValue]:
        kept: dict[str, AttributeValue] = {}
        for name, value in (attributes or {}).items():
            if self._allowed(name):
                kept[name] = _clip(value, self._limit)
            else:
                self._report(name)
        return kept

    def _report(self, name: str) -> None:
        # Names come from code, so the set stays small; one warning per name tells the developer once.
        if name in DROPPED_BY_DESIGN:
            return
        with self._lock:
            if name in self._reported:
                return
            self._reported.add(name)
        log.warning("span attribute %r is not in shared.telemetry.attributes; it is dropped from every span", name)

    def redact(self, span: ReadableSpan) -> ReadableSpan:
        """A copy of ``span`` carrying only what may leave the process."""
        return ReadableSpan(
            name=span.name,
            context=span.context,
            parent=span.parent,
            resource=span.resource,
            attributes=self._keep(span.attributes),
            events=[Event(e.name, self._keep(e.attributes), e.timestamp) for e in span.events],
            links=[Link(link.context, self._keep(link.attributes)) for link in span.links],
            kind=span.kind,
            status=Status(span.status.status_code),
            start_time=span.start_time,
            end_time=span.end_time,
            instrumentation_scope=span.instrumentation_scope,
        )

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        self._delegate.on_start(span, parent_context=parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        self._delegate.on_end(self.redact(span))

    def shutdown(self) -> None:
        self._delegate.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self._delegate.force_flush(timeout_millis)
