"""Pulls channel order listings over HTTP (the platforms' order APIs, or the simulated marketplace).

Every platform answers GET <endpoint>/<platform>/orders?page_size=&cursor= (or modified_since= for the
first page) with its records under its own list key, plus has_next and next_cursor. The blocking urllib
call runs in a worker thread; the pull loop does the back-off.
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from services.orders.application.channel_ports import PullTarget
from services.orders.application.channel_pull import Page, RateLimited, SourceUnavailable

# Where each platform's listing keeps its records.
LIST_KEYS = {
    "taobao": "trades",
    "jd": "orderInfoList",
    "douyin": "shop_order_list",
    "pinduoduo": "order_list",
    "shopify": "orders",
    "mini_program": "orders",
}
MAX_PAGE_BYTES = 32 * 1024 * 1024
MAX_RETRY_AFTER_SECONDS = 3600.0


def _number_text(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _retry_after(header: str | None) -> float | None:
    try:
        seconds = float(header) if header else None
    except ValueError:
        return None
    if seconds is None or not 0 <= seconds <= MAX_RETRY_AFTER_SECONDS:
        return None
    return seconds


class HttpChannelSource:
    def __init__(self, timeout_seconds: float = 10.0) -> None:
        self._timeout = timeout_seconds

    async def fetch(self, target: PullTarget, cursor: str, page_size: int) -> Page:
        parameters: dict[str, str | int] = {"page_size": page_size}
        if cursor:
            parameters["cursor"] = cursor
        elif target.pull_since is not None:
            parameters["modified_since"] = target.pull_since.isoformat()
        url = f"{target.endpoint_url.rstrip('/')}/{target.platform}/orders?{urlencode(parameters)}"
        return await asyncio.to_thread(self._get, url, LIST_KEYS.get(target.platform, "orders"))

    def _get(self, url: str, list_key: str) -> Page:
        request = Request(url, headers={"Accept": "application/json", "User-Agent": "oms-orders-channel-pull"})
        try:
            with urlopen(request, timeout=self._timeout) as response:
                body = response.read(MAX_PAGE_BYTES + 1)
        except HTTPError as error:
            if error.code == 429:
                raise RateLimited(_retry_after(error.headers.get("Retry-After"))) from error
            raise SourceUnavailable(f"HTTP {error.code} from the channel") from error
        except (URLError, TimeoutError, OSError) as error:
            raise SourceUnavailable(f"channel unreachable: {error}") from error
        if len(body) > MAX_PAGE_BYTES:
            raise SourceUnavailable("page larger than 32 MiB")
        try:
            data = json.loads(body.decode("utf-8"), parse_float=Decimal)
            records = data[list_key]
            if not isinstance(records, list) or not isinstance(data.get("has_next", False), bool):
                raise TypeError("not a listing")
        except (ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError) as error:
            raise SourceUnavailable(f"the channel answered something that is not an order listing: {error}") from error
        # Each record travels on as its own payload (kept verbatim if it cannot be mapped); numbers with
        # a fraction are re-encoded as their exact decimal text, never through a float.
        raw = tuple(
            json.dumps(record, ensure_ascii=False, default=_number_text, separators=(",", ":")).encode()
            for record in records
        )
        return Page(raw, str(data.get("next_cursor") or ""), bool(data.get("has_next", False)))
