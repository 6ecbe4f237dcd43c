"""The local span store: JSON lines per process, rotated past a size, pruned to a budget, read back tolerantly."""

from __future__ import annotations

import os

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExportResult
from opentelemetry.trace import SpanContext, TraceFlags

from shared.telemetry.attributes import ORDER_ID
from shared.telemetry.span_store import JsonLinesSpanExporter, read_spans, span_files


def a_span(index: int, *, order_id: str = "", padding: int = 0) -> ReadableSpan:
    context = SpanContext(trace_id=index + 1, span_id=index + 1, is_remote=False, trace_flags=TraceFlags(1))
    attributes = {ORDER_ID: order_id} if order_id else {}
    if padding:
        attributes["db.statement"] = "x" * padding
    return ReadableSpan(
        name=f"span {index} 𠮷", context=context, attributes=attributes, start_time=index, end_time=index + 5
    )


def test_spans_round_trip_with_text_outside_the_basic_plane(tmp_path):
    exporter = JsonLinesSpanExporter(tmp_path, "orders")

    assert exporter.export([a_span(1, order_id="o-1"), a_span(2)]) is SpanExportResult.SUCCESS

    assert exporter.path.name == f"orders-{os.getpid()}.jsonl"
    spans = list(read_spans(tmp_path))
    assert [(s.name, s.trace_id, s.duration_ns) for s in spans] == [
        ("span 1 𠮷", f"{2:032x}", 5),
        ("span 2 𠮷", f"{3:032x}", 5),
    ]
    assert spans[0].attributes == {ORDER_ID: "o-1"}
    assert [s.name for s in read_spans(tmp_path, contains="o-1")] == ["span 1 𠮷"]
    assert [s.name for s in read_spans(tmp_path, contains=["o-1", f"{3:032x}"])] == ["span 1 𠮷", "span 2 𠮷"]


def test_a_full_file_is_set_aside_and_the_directory_kept_within_its_budget(tmp_path):
    stale = tmp_path / "payments-1.jsonl"
    stale.write_text("x" * 3000)
    os.utime(stale, ns=(1, 1))
    exporter = JsonLinesSpanExporter(tmp_path, "orders", max_file_bytes=2000, max_total_bytes=5000)

    for index in range(30):
        exporter.export([a_span(index, padding=400)])

    files = span_files(tmp_path)
    assert exporter.path in files
    assert not stale.exists()  # the oldest file went first
    assert len(files) >= 2  # rotated at least once
    assert sum(p.stat().st_size for p in files) <= 5000 + 2000
    assert all(p.stat().st_size <= 2000 for p in files)
    names = [s.name for s in read_spans(tmp_path)]
    assert names[-1] == "span 29 𠮷"
    assert names == sorted(names, key=lambda n: int(n.split()[1]))  # oldest files first, order kept


def test_damaged_and_half_written_lines_are_skipped(tmp_path):
    exporter = JsonLinesSpanExporter(tmp_path, "orders")
    exporter.export([a_span(1)])
    with exporter.path.open("a", encoding="utf-8") as sink:
        sink.write('{"trace_id": "ab", "span_id": "cd"}\nnot json\n{"trace_id": "ef", "span_')

    assert [s.name for s in read_spans(tmp_path)] == ["span 1 𠮷"]


def test_an_unwritable_store_fails_the_export_without_raising(tmp_path):
    exporter = JsonLinesSpanExporter(tmp_path / "spans", "orders")
    (tmp_path / "spans").rmdir()
    (tmp_path / "spans").write_text("not a directory")

    assert exporter.export([a_span(1)]) is SpanExportResult.FAILURE


def test_a_missing_store_reads_as_empty(tmp_path):
    assert list(read_spans(tmp_path / "absent")) == []
