"""The channel-ingest scenario's batches: paid marketplace orders of the six platforms, some sent again."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime

from tools.marketplace.payloads import PLATFORMS, Buyer, Consignee, Line, MarketOrder, encode

# The hub's channel for each platform format (services/orders/domain/channels.py): the own site takes
# mini-program orders.
CHANNEL_OF_PLATFORM = {
    "taobao": "CHANNEL_TMALL",
    "jd": "CHANNEL_JD",
    "douyin": "CHANNEL_DOUYIN",
    "pinduoduo": "CHANNEL_PINDUODUO",
    "shopify": "CHANNEL_SHOPIFY",
    "mini_program": "CHANNEL_OWN_SITE",
}
# Orders of a platform a later batch may send again; a bounded pool keeps memory flat on long runs.
DUPLICATE_POOL = 500
UNIT_FEN = 2_990
_NAMES = ("张伟", "李娜", "吉𠮷", "𠮷野家", "Bob Norman", "王芳")


def channel_tag(run_id: str) -> str:
    """Six digits tied to the run, never starting with 0: every channel order id of the run starts with them.
    Ids are digits only and at most 18 long, as a Taobao tid is a number that fits 64 bits (and a leading
    zero would not survive it)."""
    return str(100_000 + int.from_bytes(hashlib.sha256(run_id.encode()).digest()[:8], "big") % 900_000)


def channel_order_id(run_id: str, number: int, index: int) -> str:
    """The platform order id of record ``index`` (below 10,000, the batch limit) of arrival ``number``
    (below 10**8): unique within the run."""
    return f"{channel_tag(run_id)}{number % 10**8:08d}{index:04d}"


def market_order(run_id: str, number: int, index: int, sku: str, now: datetime) -> MarketOrder:
    """A paid one-line order of ``sku`` placed on the platform just now."""
    serial = number * 10_000 + index
    name = _NAMES[serial % len(_NAMES)]
    return MarketOrder(
        order_id=channel_order_id(run_id, number, index),
        status="PAID",
        created_at=now,
        modified_at=now,
        buyer=Buyer(f"load-{run_id}-{serial % 997}", f"{name}{serial % 997}号"),
        consignee=Consignee(name, f"139{serial % 10**8:08d}", "浙江省", "杭州市", "西湖区", f"文一路 {serial} 号"),
        lines=(Line(sku, 1 + serial % 2, UNIT_FEN),),
    )


@dataclass(frozen=True)
class IngestBatch:
    """One IngestChannelOrders call: the platform and its orders in request order, ``fresh`` of them new."""

    platform: str
    orders: tuple[MarketOrder, ...]
    fresh: frozenset[str]

    @property
    def channel(self) -> str:
        return CHANNEL_OF_PLATFORM[self.platform]

    @property
    def order_ids(self) -> tuple[str, ...]:
        return tuple(order.order_id for order in self.orders)

    @property
    def duplicates(self) -> int:
        return len(self.orders) - len(self.fresh)

    def records(self) -> list[bytes]:
        """The raw payloads as the platform serves them (the same order always gives the same bytes)."""
        return [encode(self.platform, order) for order in self.orders]


class IngestPlanner:
    """Builds each ingest arrival's batch: the platforms in turn, so a run covers all six, and in each batch
    about ``duplicate_share`` of the records resent from the platform's earlier, acknowledged batches."""

    def __init__(self, run_id: str, sku: str, batch_size: int, duplicate_share: float, rng: random.Random) -> None:
        self._run_id = run_id
        self._sku = sku
        self._size = batch_size
        self._share = duplicate_share
        self._rng = rng
        self._turn = 0
        self._sent: dict[str, list[MarketOrder]] = {platform: [] for platform in PLATFORMS}

    def next_batch(self, number: int, now: datetime | None = None) -> IngestBatch:
        platform = PLATFORMS[self._turn % len(PLATFORMS)]
        self._turn += 1
        pool = self._sent[platform]
        wanted = sum(1 for _ in range(self._size) if self._rng.random() < self._share)
        # A batch never consists of duplicates only: it always brings at least one new order.
        repeats = self._rng.sample(pool, k=min(wanted, len(pool), self._size - 1))
        moment = now or datetime.now(UTC)
        fresh = [market_order(self._run_id, number, i, self._sku, moment) for i in range(self._size - len(repeats))]
        orders = fresh + repeats
        self._rng.shuffle(orders)
        return IngestBatch(platform, tuple(orders), frozenset(order.order_id for order in fresh))

    def answered(self, batch: IngestBatch) -> None:
        """Keep the batch's new orders (the hub acknowledged them) for later batches to send again."""
        pool = self._sent[batch.platform]
        pool.extend(order for order in batch.orders if order.order_id in batch.fresh)
        del pool[: max(0, len(pool) - DUPLICATE_POOL)]
