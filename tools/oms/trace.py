"""`oms trace`: one order's waterfall (every span, the slowest path highlighted) or the slowest orders,
read from the local span store (<state_dir>/spans) or from a Jaeger query API (OMS_JAEGER_QUERY_URL)."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Protocol

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from shared.embedded import default_state_dir
from shared.telemetry.attributes import ORDER_ID
from shared.telemetry.span_store import StoredSpan, read_spans

DURATION = re.compile(r"(\d+)\s*(s|m|h|d)")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
ORDER_ID_SHAPE = re.compile(r"[A-Za-z0-9_.:\-]{1,128}")
BAR_WIDTH = 32


class TraceSourceError(Exception):
    """The span source cannot be read (Jaeger unreachable or answering nonsense)."""


def parse_since(text: str) -> int:
    """``90s``, ``15m``, ``1h``, ``2d`` (or combined, ``1h30m``) as seconds."""
    compact = text.strip().lower().replace(" ", "")
    parts = DURATION.findall(compact)
    if not compact or "".join(f"{n}{u}" for n, u in parts) != compact:
        raise ValueError(f"{text!r} is not a duration like 90s, 15m, 1h or 2d")
    seconds = sum(int(n) * UNIT_SECONDS[u] for n, u in parts)
    if seconds <= 0:
        raise ValueError("the duration must be positive")
    return seconds


@dataclass(frozen=True)
class OrderSummary:
    """An order's slowest trace (normally the one that placed it)."""

    order_id: str
    trace_id: str
    started_ns: int
    duration_ns: int
    spans: int
    services: tuple[str, ...]
    errors: int
    root: str


class SpanSource(Protocol):
    def order_spans(self, order_id: str, *, since_ns: int) -> list[StoredSpan]: ...

    def slowest_orders(self, limit: int, *, since_ns: int) -> list[OrderSummary]: ...


@dataclass
class _TraceStats:
    started_ns: int = 2**63
    ended_ns: int = 0
    spans: int = 0
    errors: int = 0
    services: set[str] = field(default_factory=set)
    root: str = ""
    root_started_ns: int = 2**63

    def add(self, span: StoredSpan) -> None:
        self.started_ns = min(self.started_ns, span.start_ns)
        self.ended_ns = max(self.ended_ns, span.end_ns)
        self.spans += 1
        self.errors += span.status == "ERROR"
        if span.service:
            self.services.add(span.service)
        if not span.parent_id and span.start_ns < self.root_started_ns:
            self.root, self.root_started_ns = f"{span.service} {span.name}", span.start_ns


def summarise(spans: Iterable[StoredSpan], *, since_ns: int = 0) -> list[OrderSummary]:
    """Each order's slowest trace among ``spans`` that started since ``since_ns``, slowest first."""
    traces: dict[str, _TraceStats] = defaultdict(_TraceStats)
    orders: dict[str, set[str]] = defaultdict(set)
    for span in spans:
        if span.start_ns < since_ns:
            continue
        traces[span.trace_id].add(span)
        order_id = span.attributes.get(ORDER_ID)
        if isinstance(order_id, str) and order_id:
            orders[order_id].add(span.trace_id)
    summaries = []
    for order_id, trace_ids in orders.items():
        trace_id = max(trace_ids, key=lambda t: (traces[t].ended_ns - traces[t].started_ns, t))
        stats = traces[trace_id]
        summaries.append(
            OrderSummary(
                order_id=order_id,
                trace_id=trace_id,
                started_ns=stats.started_ns,
                duration_ns=stats.ended_ns - stats.started_ns,
                spans=stats.spans,
                services=tuple(sorted(stats.services)),
                errors=stats.errors,
                root=stats.root,
            )
        )
    summaries.sort(key=lambda s: (-s.duration_ns, s.order_id))
    return summaries


class LocalSpanStore:
    """The JSON-lines span store of the embedded stack."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def order_spans(self, order_id: str, *, since_ns: int = 0) -> list[StoredSpan]:
        """Every span of every trace in which some span carries the order's id, and of the traces linked
        to them (consumers of the order's events that do not carry its tags)."""
        order_traces = {
            span.trace_id
            for span in read_spans(self.directory, contains=order_id)
            if span.attributes.get(ORDER_ID) == order_id
        }
        if not order_traces:
            return []
        found = {}
        linked: set[str] = set()
        # A link is stored as "<trace id>:<span id>", so the same cheap text filter finds the linking spans.
        for span in read_spans(self.directory, contains=order_traces):
            if span.trace_id in order_traces:
                found[span.span_id] = span
            elif any(link.split(":", 1)[0] in order_traces for link in span.links):
                linked.add(span.trace_id)
        if linked:
            for span in read_spans(self.directory, contains=linked):
                if span.trace_id in linked:
                    found[span.span_id] = span
        return list(found.values())

    def slowest_orders(self, limit: int, *, since_ns: int) -> list[OrderSummary]:
        return summarise(read_spans(self.directory, modified_since_ns=since_ns), since_ns=since_ns)[:limit]


class JaegerQuery:
    """Jaeger's HTTP JSON query API (``/api/services``, ``/api/traces``), as the Jaeger UI uses it."""

    def __init__(self, base_url: str, *, timeout: float = 15.0, search_limit: int = 1000) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.search_limit = search_limit

    def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        url = f"{self.base_url}{path}" + (f"?{urllib.parse.urlencode(params)}" if params else "")
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                body = json.loads(response.read().decode("utf-8"))
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise TraceSourceError(f"Jaeger query at {self.base_url} did not answer: {error}") from error
        except ValueError as error:
            raise TraceSourceError(f"Jaeger query at {self.base_url} answered something other than JSON") from error
        if not isinstance(body, dict) or body.get("errors"):
            raise TraceSourceError(
                f"Jaeger query refused {path}: {body.get('errors') if isinstance(body, dict) else body}"
            )
        return body.get("data") or []

    def _search(self, service: str, since_ns: int, tags: dict[str, str] | None = None) -> list[dict[str, Any]]:
        params = {
            "service": service,
            "start": str(since_ns // 1000),
            "end": str(time.time_ns() // 1000),
            "limit": str(self.search_limit),
        }
        if tags:
            params["tags"] = json.dumps(tags)
        return list(self._get("/api/traces", params))

    def services(self) -> list[str]:
        return sorted(str(s) for s in self._get("/api/services"))

    def order_spans(self, order_id: str, *, since_ns: int) -> list[StoredSpan]:
        # A search needs a service: ask each, since the order's id may be on any of them (the traces merge).
        found: dict[str, dict[str, Any]] = {}
        for service in self.services():
            for trace in self._search(service, since_ns, {ORDER_ID: order_id}):
                found.setdefault(str(trace.get("traceID")), trace)
        return [span for trace in found.values() for span in jaeger_spans(trace)]

    def slowest_orders(self, limit: int, *, since_ns: int) -> list[OrderSummary]:
        # Orders are placed through the saga, so its traces are the orders' (the newest search_limit of them).
        spans = [span for trace in self._search("saga", since_ns) for span in jaeger_spans(trace)]
        return summarise(spans, since_ns=since_ns)[:limit]


def _tag_value(tag: dict[str, Any]) -> Any:
    value = tag.get("value")
    if tag.get("type") == "int64":
        return int(value)  # type: ignore[arg-type]
    if tag.get("type") == "float64":
        return float(value)  # type: ignore[arg-type]
    return value


def jaeger_spans(trace: dict[str, Any]) -> list[StoredSpan]:
    """The spans of one trace of Jaeger's JSON, in the span store's shape."""
    processes = trace.get("processes") or {}
    spans = []
    for raw in trace.get("spans") or []:
        tags = {str(t.get("key")): _tag_value(t) for t in raw.get("tags") or []}
        parent = ""
        links = []
        for reference in raw.get("references") or []:
            if reference.get("refType") == "CHILD_OF" and reference.get("traceID") == raw.get("traceID") and not parent:
                parent = str(reference.get("spanID"))
            else:
                links.append(f"{reference.get('traceID')}:{reference.get('spanID')}")
        failed = tags.get("otel.status_code") == "ERROR" or tags.get("error") in (True, "true")
        start_ns = int(raw.get("startTime", 0)) * 1000
        spans.append(
            StoredSpan(
                trace_id=str(raw.get("traceID")),
                span_id=str(raw.get("spanID")),
                parent_id=parent,
                name=str(raw.get("operationName", "")),
                service=str((processes.get(raw.get("processID")) or {}).get("serviceName", "")),
                kind=str(tags.get("span.kind", "internal")).upper(),
                start_ns=start_ns,
                end_ns=start_ns + int(raw.get("duration", 0)) * 1000,
                status="ERROR" if failed else "OK",
                attributes={k: v for k, v in tags.items() if k.startswith("oms.")},
                links=tuple(links),
            )
        )
    return spans


# --- The waterfall -----------------------------------------------------------------------------------


def critical_path(spans: Sequence[StoredSpan]) -> set[str]:
    """The span ids on the slowest path of each trace: from the root, walking back from its end through
    the child that finished last, then the one that finished before that child started, and so on."""
    by_id = {s.span_id: s for s in spans}
    children: dict[str, list[StoredSpan]] = defaultdict(list)
    roots = []
    for span in spans:
        if span.parent_id and span.parent_id in by_id:
            children[span.parent_id].append(span)
        else:
            roots.append(span)
    path: set[str] = set()

    def walk(span: StoredSpan) -> None:
        path.add(span.span_id)
        cursor = span.end_ns
        for child in sorted(children[span.span_id], key=lambda c: c.end_ns, reverse=True):
            if child.end_ns <= cursor:
                walk(child)
                cursor = child.start_ns

    main_roots: dict[str, StoredSpan] = {}
    for root in roots:
        current = main_roots.get(root.trace_id)
        if current is None or root.duration_ns > current.duration_ns:
            main_roots[root.trace_id] = root
    for root in main_roots.values():
        walk(root)
    return path


def _ordered(spans: Sequence[StoredSpan]) -> list[tuple[int, StoredSpan]]:
    """Depth-first, children by start time, roots of each trace by start time."""
    by_id = {s.span_id: s for s in spans}
    children: dict[str, list[StoredSpan]] = defaultdict(list)
    roots = []
    for span in spans:
        if span.parent_id and span.parent_id in by_id and span.parent_id != span.span_id:
            children[span.parent_id].append(span)
        else:
            roots.append(span)
    ordered: list[tuple[int, StoredSpan]] = []
    seen: set[str] = set()
    stack = [(0, root) for root in sorted(roots, key=lambda s: (s.start_ns, s.span_id), reverse=True)]
    while stack:
        depth, span = stack.pop()
        if span.span_id in seen:
            continue
        seen.add(span.span_id)
        ordered.append((depth, span))
        stack.extend((depth + 1, c) for c in sorted(children[span.span_id], key=lambda c: c.start_ns, reverse=True))
    return ordered


def _bar(span: StoredSpan, origin: int, total: int) -> str:
    if total <= 0:
        return "█"
    start = int((span.start_ns - origin) / total * BAR_WIDTH)
    width = max(1, round(span.duration_ns / total * BAR_WIDTH))
    start = min(start, BAR_WIDTH - 1)
    return " " * start + "█" * min(width, BAR_WIDTH - start)


def waterfall(order_id: str, spans: Sequence[StoredSpan]) -> Table:
    """The order's spans, trace by trace (the placing trace first), offsets from the first span's start."""
    origin = min(s.start_ns for s in spans)
    total = max(s.end_ns for s in spans) - origin
    slow = critical_path(spans)
    traces: dict[str, list[StoredSpan]] = defaultdict(list)
    for span in spans:
        traces[span.trace_id].append(span)
    order = sorted(traces, key=lambda t: (min(s.start_ns for s in traces[t]), t))
    table = Table(
        title=f"order {escape(order_id)}: {len(spans)} spans in {len(traces)} trace(s), {total / 1e6:.1f} ms",
        title_justify="left",
        caption="▶ slowest path (bold); asynchronous hops (events) are the later traces, linked to the first",
        caption_justify="left",
    )
    for column, justify in (
        ("", "left"),
        ("operation", "left"),
        ("service", "left"),
        ("start ms", "right"),
        ("duration ms", "right"),
        ("status", "left"),
        ("timeline", "left"),
    ):
        table.add_column(column, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for index, trace_id in enumerate(order):
        if index:
            table.add_section()
        for depth, span in _ordered(traces[trace_id]):
            on_path = span.span_id in slow
            failed = span.status == "ERROR"
            style = "bold red" if failed and on_path else "red" if failed else "bold yellow" if on_path else ""
            table.add_row(
                "▶" if on_path else "",
                Text("  " * depth + span.name),
                span.service,
                f"{(span.start_ns - origin) / 1e6:.1f}",
                f"{span.duration_ns / 1e6:.1f}",
                span.status,
                _bar(span, origin, total),
                style=style,
            )
    return table


def slowest_table(summaries: Sequence[OrderSummary], since: str) -> Table:
    table = Table(title=f"slowest {len(summaries)} orders in the last {escape(since)}", title_justify="left")
    for column, justify in (
        ("order", "left"),
        ("duration ms", "right"),
        ("started (UTC)", "left"),
        ("spans", "right"),
        ("errors", "right"),
        ("services", "left"),
        ("root", "left"),
    ):
        table.add_column(column, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for summary in summaries:
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(summary.started_ns / 1e9))
        table.add_row(
            summary.order_id,
            f"{summary.duration_ns / 1e6:.1f}",
            started,
            str(summary.spans),
            str(summary.errors),
            ", ".join(summary.services),
            escape(summary.root),
            style="red" if summary.errors else "",
        )
    return table


# --- The command ---------------------------------------------------------------------------------------


def span_source(state_dir: Path | None, jaeger_url: str | None) -> SpanSource:
    if jaeger_url:
        return JaegerQuery(jaeger_url)
    return LocalSpanStore((state_dir or default_state_dir()).resolve() / "spans")


def trace_command(
    order_id: Annotated[str | None, typer.Argument(help="The order whose trace to show.", show_default=False)] = None,
    slowest: Annotated[
        int | None, typer.Option("--slowest", min=1, max=1000, help="List the N slowest orders instead.")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            help="How far back to look: 90s, 15m, 1h, 2d [default: 1h for --slowest; 7d for an order].",
            show_default=False,
        ),
    ] = None,
    state_dir: Annotated[
        Path | None,
        typer.Option(
            "--state-dir",
            envvar="OMS_STATE_DIR",
            help="The stack's state directory; spans are read from its spans/ [default: .oms/ in the project].",
            show_default=False,
        ),
    ] = None,
    jaeger_url: Annotated[
        str | None,
        typer.Option(
            "--jaeger-url",
            envvar="OMS_JAEGER_QUERY_URL",
            help="Read from this Jaeger query service (e.g. http://127.0.0.1:16686) instead of the local store.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Show an order's trace as a waterfall (slowest path highlighted), or list the slowest orders."""
    console = Console(highlight=False)
    if (order_id is None) == (slowest is None):
        console.print("[red]give either an ORDER_ID or --slowest N[/red]")
        raise typer.Exit(2)
    try:
        window = parse_since(since) if since else 7 * 86400 if order_id is not None else 3600
    except ValueError as error:
        console.print(f"[red]--since: {escape(str(error))}[/red]")
        raise typer.Exit(2) from error
    source = span_source(state_dir, jaeger_url)
    try:
        if order_id is not None:
            if not ORDER_ID_SHAPE.fullmatch(order_id):
                console.print("[red]ORDER_ID must be an order id (letters, digits, '-', '_', '.', ':')[/red]")
                raise typer.Exit(2)
            spans = source.order_spans(order_id, since_ns=time.time_ns() - window * 1_000_000_000)
            if not spans:
                console.print(f"no spans of order {escape(order_id)} in {escape(_where(source))}")
                raise typer.Exit(1)
            console.print(waterfall(order_id, spans))
            return
        assert slowest is not None
        summaries = source.slowest_orders(slowest, since_ns=time.time_ns() - window * 1_000_000_000)
    except TraceSourceError as error:
        console.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(1) from error
    if not summaries:
        console.print(f"no orders traced in the last {escape(since or '1h')} in {escape(_where(source))}")
        raise typer.Exit(1)
    console.print(slowest_table(summaries, since or "1h"))


def _where(source: SpanSource) -> str:
    if isinstance(source, LocalSpanStore):
        return str(source.directory)
    if isinstance(source, JaegerQuery):
        return source.base_url
    return "the span source"
