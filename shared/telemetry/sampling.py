"""The suite's head sampler: follow the caller's decision, sample new traces by ratio, drop idle polling.

A head sampler decides when a trace starts, before anyone knows whether the order will fail or be slow,
so "keep every error and every slow order" cannot be done here: the local span store keeps everything
(ratio 1) and, with OTLP, the collector's tail sampling (deploy/otel/collector.yaml) decides once the
trace is complete. A ratio below 1 on the processes is a cost valve that gives that guarantee up.

Database and Redis calls made outside any operation (the relay's and consumers' polls, sweepers'
queries, every second in every process) would start traces of one span each and bury the orders: a
CLIENT span without a parent is dropped unless it is an RPC (gRPC client spans are named ``/pkg.Service/Method``).
"""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, SpanKind
from opentelemetry.util.types import Attributes


class SuiteSampler(Sampler):
    """ParentBased(TraceIdRatioBased(ratio)), except that parentless non-RPC client spans are dropped."""

    def __init__(self, ratio: float) -> None:
        self._ratio = ratio
        self._delegate = ParentBased(TraceIdRatioBased(ratio))

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: trace.TraceState | None = None,
    ) -> SamplingResult:
        parent = trace.get_current_span(parent_context).get_span_context()
        if not parent.is_valid and kind is SpanKind.CLIENT and not name.startswith("/"):
            return SamplingResult(Decision.DROP)
        return self._delegate.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)

    def get_description(self) -> str:
        return f"SuiteSampler{{ratio={self._ratio}, parentless infrastructure calls dropped}}"
