"""The local span store: finished spans appended as JSON lines under ``<state_dir>/spans``, bounded in size.

Each process writes ``<service>-<pid>.jsonl``; past ``max_file_bytes`` the file is set aside as
``<service>-<pid>.<unix-ms>-<n>.jsonl`` and, while the directory holds more than ``max_total_bytes``, its oldest
set-aside files are deleted. `oms trace` reads every ``*.jsonl`` with `read_spans`.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

log = logging.getLogger(__name__)

MEBIBYTE = 1024 * 1024


def span_record(span: ReadableSpan) -> dict[str, object]:
    """The stored form of one span (the contract between the exporter and `read_spans`)."""
    context = span.get_span_context()
    return {
        "trace_id": f"{context.trace_id:032x}",
        "span_id": f"{context.span_id:016x}",
        "parent_id": f"{span.parent.span_id:016x}" if span.parent else "",
        "name": span.name,
        "service": span.resource.attributes.get("service.name", ""),
        "kind": span.kind.name,
        "start_ns": span.start_time,
        "end_ns": span.end_time,
        "status": span.status.status_code.name,
        "attributes": {
            k: v if isinstance(v, str | int | float | bool) else list(v) for k, v in (span.attributes or {}).items()
        },
        "links": [f"{link.context.trace_id:032x}:{link.context.span_id:016x}" for link in span.links],
    }


class JsonLinesSpanExporter(SpanExporter):
    """Appends one JSON object per span to ``<directory>/<service>-<pid>.jsonl``, rotating and pruning."""

    def __init__(
        self,
        directory: Path,
        service: str,
        *,
        max_file_bytes: int = 32 * MEBIBYTE,
        max_total_bytes: int = 512 * MEBIBYTE,
    ) -> None:
        if max_file_bytes < 1 or max_total_bytes < max_file_bytes:
            raise ValueError("the span store needs 0 < max_file_bytes <= max_total_bytes")
        directory.mkdir(parents=True, exist_ok=True)
        self._directory = directory
        self._stem = f"{service}-{os.getpid()}"
        self._path = directory / f"{self._stem}.jsonl"
        self._max_file = max_file_bytes
        self._max_total = max_total_bytes
        self._lock = threading.Lock()
        self._size = self._path.stat().st_size if self._path.exists() else 0
        self._rotations = 0

    @property
    def path(self) -> Path:
        return self._path

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        data = "".join(json.dumps(span_record(s), ensure_ascii=False) + "\n" for s in spans).encode("utf-8")
        try:
            with self._lock:
                if self._size and self._size + len(data) > self._max_file:
                    self._rotate()
                with self._path.open("ab") as sink:
                    sink.write(data)
                self._size += len(data)
        except OSError as error:
            log.warning("span store %s: %s; %d spans lost", self._path, error, len(spans))
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def _rotate(self) -> None:
        self._rotations += 1
        # Time first so names sort as they were written; the counter keeps two rotations in one ms apart.
        aside = f"{self._stem}.{time.time_ns() // 1_000_000}-{self._rotations:06d}.jsonl"
        self._path.rename(self._directory / aside)
        self._size = 0
        self._prune()

    def _prune(self) -> None:
        """Delete the oldest files (never the one being written) until the directory fits its budget."""
        files = []
        for path in self._directory.glob("*.jsonl"):
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue  # another process pruned it first
            files.append((stat.st_mtime_ns, stat.st_size, path))
        total = sum(size for _, size, _ in files)
        for _, size, path in sorted(files):
            if total <= self._max_total:
                break
            if path == self._path:
                continue
            path.unlink(missing_ok=True)
            total -= size

    def shutdown(self) -> None:
        """Nothing to release: every export opens and closes the file."""


@dataclass(frozen=True)
class StoredSpan:
    """One span as `oms trace` sees it, whichever store it came from."""

    trace_id: str
    span_id: str
    parent_id: str
    name: str
    service: str
    kind: str
    start_ns: int
    end_ns: int
    status: str
    attributes: dict[str, Any] = field(default_factory=dict)
    links: tuple[str, ...] = ()

    @property
    def duration_ns(self) -> int:
        return max(0, self.end_ns - self.start_ns)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> StoredSpan:
        return cls(
            trace_id=str(record["trace_id"]),
            span_id=str(record["span_id"]),
            parent_id=str(record.get("parent_id") or ""),
            name=str(record.get("name", "")),
            service=str(record.get("service", "")),
            kind=str(record.get("kind", "INTERNAL")),
            start_ns=int(record["start_ns"]),
            end_ns=int(record.get("end_ns") or record["start_ns"]),
            status=str(record.get("status", "UNSET")),
            attributes=dict(record.get("attributes") or {}),
            links=tuple(record.get("links") or ()),
        )


def span_files(directory: Path, *, modified_since_ns: int = 0) -> list[Path]:
    """The store's files, oldest first (only those written since ``modified_since_ns``)."""
    found = []
    for path in directory.glob("*.jsonl") if directory.is_dir() else ():
        try:
            modified = path.stat().st_mtime_ns
        except FileNotFoundError:
            continue  # pruned while we listed
        if modified >= modified_since_ns:
            found.append((modified, path.name, path))
    return [path for *_, path in sorted(found)]


def read_spans(
    directory: Path, *, contains: Collection[str] | None = None, modified_since_ns: int = 0
) -> Iterator[StoredSpan]:
    """Every span in the store; with ``contains``, only lines holding one of those texts (a cheap pre-filter
    before parsing); with ``modified_since_ns``, only files written since then.

    A line being written while we read, or damaged, is skipped rather than failing the whole read.
    """
    needles = (contains,) if isinstance(contains, str) else None if contains is None else tuple(contains)
    for path in span_files(directory, modified_since_ns=modified_since_ns):
        try:
            with path.open(encoding="utf-8", errors="replace") as source:
                for line in source:
                    if needles is not None and not any(needle in line for needle in needles):
                        continue
                    try:
                        yield StoredSpan.from_record(json.loads(line))
                    except (ValueError, KeyError, TypeError):
                        continue
        except FileNotFoundError:
            continue  # pruned between listing and opening
