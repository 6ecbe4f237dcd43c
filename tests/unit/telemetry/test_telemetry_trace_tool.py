"""`oms trace`: an order's waterfall and the slowest orders, from the local span store or a Jaeger query API."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from shared.telemetry.attributes import ORDER_ID
from shared.telemetry.span_store import StoredSpan
from tools.oms.trace import JaegerQuery, LocalSpanStore, critical_path, parse_since, summarise, trace_command

SLOW_ORDER = "0190a5b2-0000-7000-8000-000000000001"
FAST_ORDER = "0190a5b2-0000-7000-8000-000000000002"
MS = 1_000_000


def record(trace: str, span: str, parent: str, name: str, service: str, start_ms: float, end_ms: float, **extra):
    base = time.time_ns() - 60_000 * MS
    return {
        "trace_id": trace * 32,
        "span_id": span * 16,
        "parent_id": parent * 16 if parent else "",
        "name": name,
        "service": service,
        "kind": extra.pop("kind", "SERVER"),
        "start_ns": base + int(start_ms * MS),
        "end_ns": base + int(end_ms * MS),
        "status": extra.pop("status", "UNSET"),
        "attributes": extra.pop("attributes", {}),
        "links": extra.pop("links", []),
    }


def slow_order() -> list[dict]:
    tagged = {"attributes": {ORDER_ID: SLOW_ORDER}}
    return [
        record("a", "1", "", "/oms.saga.v1.SagaService/PlaceOrder", "saga", 0, 900),
        record("a", "2", "1", "/oms.customers.v1.CustomersService/UpsertCustomer", "customers", 10, 60),
        record("a", "3", "1", "/oms.pricing.v1.PricingService/Quote", "pricing", 60, 100),
        record("a", "4", "1", "/oms.orders.v1.OrdersService/CreateOrder", "orders", 100, 150, **tagged),
        record("a", "5", "1", "/oms.inventory.v1.InventoryService/Reserve", "inventory", 150, 700, **tagged),
        record("a", "6", "5", "UPDATE", "inventory", 160, 690, kind="CLIENT", **tagged),
        record("a", "7", "5", "SELECT", "inventory", 165, 170, kind="CLIENT", **tagged),
        record(
            "a", "8", "1", "/oms.payments.v1.PaymentsService/Authorize", "payments", 700, 890, status="ERROR", **tagged
        ),
        record("b", "9", "", "consume oms.orders.v1.OrderPaid", "audit", 950, 990, kind="CONSUMER", **tagged),
    ]


def fast_order() -> list[dict]:
    return [
        record("c", "a", "", "/oms.saga.v1.SagaService/PlaceOrder", "saga", 0, 90),
        record(
            "c",
            "b",
            "a",
            "/oms.orders.v1.OrdersService/CreateOrder",
            "orders",
            10,
            20,
            attributes={ORDER_ID: FAST_ORDER},
        ),
    ]


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    spans = tmp_path / "spans"
    spans.mkdir()
    lines = [json.dumps(r, ensure_ascii=False) for r in slow_order()]
    (spans / "saga-1.jsonl").write_text("\n".join(lines[:4]) + "\n", encoding="utf-8")
    (spans / "inventory-2.jsonl").write_text("\n".join(lines[4:]) + "\nhalf a li", encoding="utf-8")
    (spans / "saga-3.jsonl").write_text("".join(json.dumps(r) + "\n" for r in fast_order()), encoding="utf-8")
    return tmp_path


def invoke(*arguments: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    app = typer.Typer()
    app.command()(trace_command)
    app.command("other")(lambda: None)  # two commands, so `trace` is a sub-command as in `oms`
    result = CliRunner().invoke(app, ["trace-command", *arguments], env={"COLUMNS": "220", **(env or {})})
    return result.exit_code, result.output


def test_the_local_store_finds_every_span_of_the_order_traces_and_of_the_traces_linked_to_them(state_dir):
    untagged_consumer = [
        record(
            "d",
            "d",
            "",
            "consume oms.orders.v1.OrderPlaced batch",
            "audit",
            960,
            980,
            links=["a" * 32 + ":" + "4" * 16],
        ),
        record("d", "e", "d", "INSERT", "audit", 962, 970, kind="CLIENT"),
    ]
    with (state_dir / "spans" / "audit-4.jsonl").open("w", encoding="utf-8") as sink:
        sink.writelines(json.dumps(r) + "\n" for r in untagged_consumer)

    spans = LocalSpanStore(state_dir / "spans").order_spans(SLOW_ORDER)

    assert {s.trace_id[0] for s in spans} == {"a", "b", "d"}
    assert len(spans) == 11
    assert {s.service for s in spans} >= {"saga", "customers", "pricing", "orders", "inventory", "payments", "audit"}


def test_the_slowest_path_follows_the_blocking_children():
    spans = [StoredSpan.from_record(r) for r in slow_order()]

    path = critical_path(spans)

    assert path == {"1" * 16, "2" * 16, "3" * 16, "4" * 16, "5" * 16, "6" * 16, "8" * 16, "9" * 16}
    assert "7" * 16 not in path  # ran alongside the UPDATE, which took longer


def test_the_waterfall_shows_each_span_with_offsets_and_the_slowest_path(state_dir):
    code, output = invoke(SLOW_ORDER, "--state-dir", str(state_dir))

    assert code == 0, output
    assert f"order {SLOW_ORDER}: 9 spans in 2 trace(s), 990.0 ms" in output
    inventory = next(line for line in output.splitlines() if "InventoryService/Reserve" in line)
    assert "▶" in inventory and "inventory" in inventory and "150.0" in inventory and "550.0" in inventory
    select = next(line for line in output.splitlines() if "SELECT" in line)
    assert "▶" not in select
    assert "ERROR" in next(line for line in output.splitlines() if "Authorize" in line)
    lines = output.splitlines()
    assert lines.index(inventory) < lines.index(next(line for line in lines if "consume" in line))


def test_the_slowest_orders_are_listed_slowest_first(state_dir):
    code, output = invoke("--slowest", "5", "--since", "1h", "--state-dir", str(state_dir))

    assert code == 0, output
    assert output.index(SLOW_ORDER) < output.index(FAST_ORDER)
    slow_line = next(line for line in output.splitlines() if SLOW_ORDER in line)
    assert "900.0" in slow_line and "saga /oms.saga.v1.SagaService/PlaceOrder" in slow_line


def test_the_window_leaves_older_orders_out(state_dir):
    spans = [StoredSpan.from_record(r) for r in slow_order() + fast_order()]
    assert [s.order_id for s in summarise(spans, since_ns=time.time_ns())] == []
    assert {s.order_id for s in summarise(spans)} == {SLOW_ORDER, FAST_ORDER}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((), "either an ORDER_ID or --slowest"),
        ((SLOW_ORDER, "--slowest", "3"), "either an ORDER_ID or --slowest"),
        (("--slowest", "3", "--since", "yesterday"), "not a duration"),
        (("order id with spaces",), "ORDER_ID must be an order id"),
    ],
)
def test_bad_usage_is_refused_with_a_reason(state_dir, arguments, message):
    code, output = invoke(*arguments, "--state-dir", str(state_dir))

    assert code == 2
    assert message in output


def test_an_unknown_order_is_reported_as_not_found(state_dir):
    code, output = invoke("0190a5b2-0000-7000-8000-00000000dead", "--state-dir", str(state_dir))

    assert code == 1
    assert "no spans of order" in output


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("15m", 900), ("1h", 3600), ("2d", 172800), ("1h30m", 5400)]
)
def test_durations(text, seconds):
    assert parse_since(text) == seconds


@pytest.mark.parametrize("text", ["", "1", "h", "0s", "1w", "-1h"])
def test_bad_durations(text):
    with pytest.raises(ValueError):
        parse_since(text)


def jaeger_trace(records: list[dict]) -> dict:
    services = sorted({r["service"] for r in records})
    processes = {f"p{i}": {"serviceName": s, "tags": []} for i, s in enumerate(services)}
    process_of = {s: f"p{i}" for i, s in enumerate(services)}
    spans = []
    for r in records:
        tags = [{"key": k, "type": "string", "value": v} for k, v in r["attributes"].items()]
        tags.append({"key": "span.kind", "type": "string", "value": r["kind"].lower()})
        if r["status"] == "ERROR":
            tags.append({"key": "otel.status_code", "type": "string", "value": "ERROR"})
        references = (
            [{"refType": "CHILD_OF", "traceID": r["trace_id"], "spanID": r["parent_id"]}] if r["parent_id"] else []
        )
        spans.append(
            {
                "traceID": r["trace_id"],
                "spanID": r["span_id"],
                "operationName": r["name"],
                "references": references,
                "startTime": r["start_ns"] // 1000,
                "duration": (r["end_ns"] - r["start_ns"]) // 1000,
                "tags": tags,
                "processID": process_of[r["service"]],
            }
        )
    return {"traceID": records[0]["trace_id"], "spans": spans, "processes": processes}


@pytest.fixture
def jaeger() -> Iterator[str]:
    traces = {
        "a": jaeger_trace(slow_order()[:8]),
        "b": jaeger_trace(slow_order()[8:]),
        "c": jaeger_trace(fast_order()),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            if url.path == "/api/services":
                body = {"data": ["audit", "saga", "inventory"]}
            elif url.path == "/api/traces" and "service" in query and "start" in query:
                wanted = json.loads(query.get("tags", "{}"))
                found = []
                for trace in traces.values():
                    services = {p["serviceName"] for p in trace["processes"].values()}
                    tags = [{t["key"]: t["value"] for t in s["tags"]} for s in trace["spans"]]
                    if query["service"] in services and all(
                        any(t.get(k) == v for t in tags) for k, v in wanted.items()
                    ):
                        found.append(trace)
                body = {"data": found}
            else:
                self.send_response(400)
                self.end_headers()
                self.wfile.write(json.dumps({"data": None, "errors": [{"msg": "bad request"}]}).encode())
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps(body).encode())

        def log_message(self, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_jaeger_traces_are_read_in_the_same_shape(jaeger):
    spans = JaegerQuery(jaeger).order_spans(SLOW_ORDER, since_ns=time.time_ns() - 3600 * 10**9)

    assert {s.trace_id[0] for s in spans} == {"a", "b"}
    reserve = next(s for s in spans if s.name.endswith("/Reserve"))
    assert (reserve.service, reserve.parent_id, reserve.duration_ns, reserve.kind) == (
        "inventory",
        "1" * 16,
        550 * MS,
        "SERVER",
    )
    assert next(s for s in spans if s.name.endswith("/Authorize")).status == "ERROR"


def test_the_command_reads_jaeger_when_configured(jaeger, tmp_path):
    code, output = invoke(SLOW_ORDER, "--state-dir", str(tmp_path), env={"OMS_JAEGER_QUERY_URL": jaeger})
    assert code == 0, output
    assert "9 spans in 2 trace(s)" in output

    code, output = invoke("--slowest", "1", env={"OMS_JAEGER_QUERY_URL": jaeger})
    assert code == 0, output
    assert SLOW_ORDER in output and FAST_ORDER not in output


def test_an_unreachable_jaeger_is_a_clear_error(tmp_path):
    code, output = invoke(SLOW_ORDER, "--jaeger-url", "http://127.0.0.1:9")

    assert code == 1
    assert "did not answer" in output
