"""The marketplace's state: every platform's orders with their snapshot history, their listing by
modified-since cursor, and the misbehaviour asked of it (rate limits, 5xx, slow or broken pages, duplicates,
out-of-order updates, malformed records)."""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tools.marketplace.payloads import LIST_KEYS, PLATFORMS, MarketOrder, dumps, render

# The field holding each platform's status, where a malformed record gets a status no table knows.
STATUS_KEYS = {
    "taobao": "status",
    "jd": "orderState",
    "douyin": "order_status",
    "pinduoduo": "order_status",
    "shopify": "financial_status",
    "mini_program": "status",
}
MAX_PAGE_SIZE = 1000


@dataclass
class Faults:
    """Misbehaviour on request. Counters are consumed by the listing requests they hit."""

    rate_limited: int = 0
    retry_after_seconds: float = 0.05
    server_errors: int = 0
    garbage_pages: int = 0
    slow_seconds: float = 0.0
    duplicates: bool = False
    out_of_order: bool = False
    malformed: set[str] = field(default_factory=set)
    junk_records: int = 0

    def update(self, changes: dict[str, Any]) -> None:
        for name, value in changes.items():
            if not hasattr(self, name):
                raise ValueError(f"unknown fault {name}")
            setattr(self, name, set(value) if name == "malformed" else value)


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


def _cursor(position: tuple[datetime, str]) -> str:
    plain = json.dumps([position[0].isoformat(), position[1]]).encode()
    return base64.urlsafe_b64encode(plain).decode().rstrip("=")


def _position(cursor: str) -> tuple[datetime, str]:
    plain = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    return datetime.fromisoformat(plain[0]), str(plain[1])


class Marketplace:
    """Thread-safe: the HTTP server answers from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._orders: dict[str, dict[str, list[MarketOrder]]] = {p: {} for p in PLATFORMS}
        self.faults = Faults()
        self.requests: list[tuple[str, int]] = []

    def put(self, platform: str, *orders: MarketOrder) -> None:
        """Add orders, or new snapshots of orders already there (each keeps its history)."""
        with self._lock:
            for order in orders:
                self._orders[platform].setdefault(order.order_id, []).append(order)

    def latest(self, platform: str, order_id: str) -> MarketOrder:
        with self._lock:
            return self._orders[platform][order_id][-1]

    def count(self, platform: str) -> int:
        with self._lock:
            return len(self._orders[platform])

    def set_faults(self, **changes: Any) -> None:
        with self._lock:
            self.faults.update(changes)

    def listing(self, platform: str, cursor: str, modified_since: str, page_size: int) -> Response:
        if platform not in self._orders:
            return Response(404, b'{"error":"unknown platform"}')
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            return Response(400, b'{"error":"page_size must be between 1 and 1000"}')
        with self._lock:
            fault = self._take_fault()
            slow = self.faults.slow_seconds
        if slow:
            time.sleep(slow)
        if fault is not None:
            with self._lock:
                self.requests.append((platform, fault.status))
            return fault
        try:
            after = _position(cursor) if cursor else None
            since = datetime.fromisoformat(modified_since) if modified_since else None
        except (ValueError, IndexError, TypeError, binascii.Error):
            return Response(400, b'{"error":"bad cursor or modified_since"}')
        with self._lock:
            body = self._page(platform, after, since, page_size)
            self.requests.append((platform, 200))
        return Response(200, body.encode())

    def _take_fault(self) -> Response | None:
        faults = self.faults
        if faults.rate_limited > 0:
            faults.rate_limited -= 1
            return Response(429, b'{"error":"too many requests"}', (("Retry-After", str(faults.retry_after_seconds)),))
        if faults.server_errors > 0:
            faults.server_errors -= 1
            return Response(500, b'{"error":"internal error"}')
        if faults.garbage_pages > 0:
            faults.garbage_pages -= 1
            return Response(200, b"<html><body>502 Bad Gateway</body></html>")
        return None

    def _page(self, platform: str, after: tuple[datetime, str] | None, since: datetime | None, size: int) -> str:
        histories = self._orders[platform]
        current = sorted((h[-1] for h in histories.values()), key=lambda o: (o.modified_at, o.order_id))
        if after is not None:
            current = [o for o in current if (o.modified_at, o.order_id) > after]
        elif since is not None:
            current = [o for o in current if o.modified_at >= since]
        page, more = current[:size], len(current) > size
        records: list[Any] = []
        for order in page:
            records.append(self._record(platform, order))
            history = histories[order.order_id]
            if self.faults.out_of_order and len(history) > 1:
                # An older snapshot right after the newer one: the hub must keep the newer.
                records.append(self._record(platform, history[-2]))
        if self.faults.duplicates:
            records = [record for record in records for _ in range(2)]
        if self.faults.junk_records > 0 and records:
            records.insert(0, "not an order")
            self.faults.junk_records -= 1
        last = (page[-1].modified_at, page[-1].order_id) if page else after
        cursor = _cursor(last) if last else ""
        return dumps({LIST_KEYS[platform]: records, "has_next": more, "next_cursor": cursor})

    def _record(self, platform: str, order: MarketOrder) -> dict[str, Any]:
        record = render(platform, order)
        if order.order_id in self.faults.malformed:
            record[STATUS_KEYS[platform]] = "CORRUPTED"
        return record
