"""The Redis admission gate: sold-out and paused markers that answer hot SKUs before the database does."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping

from redis.asyncio import Redis
from redis.exceptions import RedisError

from services.inventory.application.ports import GateChanges, Marker

log = logging.getLogger(__name__)

# An epoch that never matches, for when the epoch could not be read: then no marker is written.
UNKNOWN_EPOCH = -1
EPOCH_TTL_SECONDS = 86_400

# KEYS[1] is the epoch, KEYS[2..] the markers to set (ARGV[3..] their values); ARGV[1] the epoch read
# before the database was consulted, ARGV[2] the TTL. Returns how many markers were not there before.
_SET_IF_EPOCH = """
local current = redis.call('GET', KEYS[1]) or '0'
if current ~= ARGV[1] then return 0 end
local added = 0
for i = 2, #KEYS do
  added = added + 1 - redis.call('EXISTS', KEYS[i])
  redis.call('SET', KEYS[i], ARGV[i + 1], 'EX', ARGV[2])
end
return added
"""

# KEYS[1] is the marker, KEYS[2] the epoch, bumped whether or not the marker was there.
_CLEAR = """
local removed = redis.call('DEL', KEYS[1])
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[1])
return removed
"""


class RedisGate:
    """Markers with a TTL, each guarded by a per-SKU epoch.

    Each kind of marker has its own key (``<prefix>:inventory:gate:marker:<KIND>:<sku>``), so a paused
    SKU can also be known sold out and be answered INSUFFICIENT_STOCK without the database.
    PostgreSQL stays the system of record; a marker only spares the stock rows. Every clear bumps the
    SKU's epoch, and a marker is written only if the epoch is still the one read before the database was
    consulted, so a stock increase committed in between always wins over a stale "sold out". Redis
    outages are logged and read as "no marker": the database then answers everything.
    """

    enabled = True

    def __init__(self, redis: Redis, prefix: str, *, marker_ttl_seconds: int) -> None:
        self._redis = redis
        self._markers = f"{prefix}:inventory:gate:marker:"
        self._epochs = f"{prefix}:inventory:gate:epoch:"
        self._ttl = marker_ttl_seconds
        self._set_if_epoch = redis.register_script(_SET_IF_EPOCH)
        self._clear = redis.register_script(_CLEAR)

    def _marker_key(self, sku: str, marker: Marker) -> str:
        return f"{self._markers}{marker.value}:{sku}"

    def _parse(self, key: bytes | str) -> tuple[Marker, str] | None:
        """The marker and SKU a key stands for; None for a key of another layout."""
        kind, _, sku = _decode(key).removeprefix(self._markers).partition(":")
        try:
            return Marker(kind), sku
        except ValueError:
            return None

    async def markers(self, skus: Collection[str]) -> dict[str, frozenset[Marker]]:
        pairs = [(sku, marker) for sku in dict.fromkeys(skus) for marker in Marker]
        if not pairs:
            return {}
        try:
            found = await self._redis.mget([self._marker_key(sku, marker) for sku, marker in pairs])
        except RedisError:
            log.warning("admission gate unreachable; reserving through the database", exc_info=True)
            return {}
        markers: dict[str, set[Marker]] = {}
        for (sku, marker), value in zip(pairs, found, strict=True):
            if value is not None:
                markers.setdefault(sku, set()).add(marker)
        return {sku: frozenset(kinds) for sku, kinds in markers.items()}

    async def epochs(self, skus: Collection[str]) -> dict[str, int]:
        ordered = list(skus)
        if not ordered:
            return {}
        try:
            found = await self._redis.mget([self._epochs + sku for sku in ordered])
        except RedisError:
            log.warning("admission gate unreachable; no marker will be written", exc_info=True)
            return dict.fromkeys(ordered, UNKNOWN_EPOCH)
        return {sku: int(value) if value is not None else 0 for sku, value in zip(ordered, found, strict=True)}

    def _set_arguments(self, sku: str, markers: Collection[Marker], epoch: int) -> tuple[list[str], list[str]]:
        kinds = sorted(markers, key=lambda marker: marker.value)
        keys = [self._epochs + sku, *(self._marker_key(sku, marker) for marker in kinds)]
        return keys, [str(epoch), str(self._ttl), *(marker.value for marker in kinds)]

    async def mark(self, sku: str, markers: Collection[Marker], epoch: int) -> None:
        if epoch == UNKNOWN_EPOCH or not markers:
            return
        keys, args = self._set_arguments(sku, markers, epoch)
        try:
            await self._set_if_epoch(keys=keys, args=args)
        except RedisError:
            log.warning("admission gate unreachable; marker for a SKU not written", exc_info=True)

    async def clear(self, skus: Collection[str], marker: Marker) -> None:
        if not skus:
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for sku in sorted(skus):
                    keys = [self._marker_key(sku, marker), self._epochs + sku]
                    await self._clear(keys=keys, args=[EPOCH_TTL_SECONDS], client=pipe)
                await pipe.execute()
        except RedisError:
            # A marker left behind refuses a SKU that has stock until it expires or Reconcile runs.
            log.error("admission gate unreachable; markers may be stale until reconciled", exc_info=True)

    async def replace(self, sold_out: set[str], paused: set[str], epochs: Mapping[str, int]) -> GateChanges:
        wanted: dict[str, set[Marker]] = {}
        for skus, marker in ((sold_out, Marker.SOLD_OUT), (paused, Marker.PAUSED)):
            for sku in skus:
                wanted.setdefault(sku, set()).add(marker)
        try:
            stale = []
            async for key in self._redis.scan_iter(match=_glob_escape(self._markers) + "*", count=1000):
                parsed = self._parse(key)
                if parsed is None or parsed[0] not in wanted.get(parsed[1], ()):
                    stale.append(key)
            removed = await self._redis.delete(*stale) if stale else 0
            writable = sorted(sku for sku in wanted if epochs.get(sku, UNKNOWN_EPOCH) != UNKNOWN_EPOCH)
            async with self._redis.pipeline(transaction=False) as pipe:
                for sku in writable:
                    keys, args = self._set_arguments(sku, wanted[sku], epochs[sku])
                    await self._set_if_epoch(keys=keys, args=args, client=pipe)
                outcomes = await pipe.execute() if writable else []
        except RedisError:
            log.error("admission gate unreachable; reconciliation skipped", exc_info=True)
            return GateChanges()
        return GateChanges(markers_set=sum(outcomes), markers_removed=removed)


def _decode(key: bytes | str) -> str:
    return key.decode() if isinstance(key, bytes) else key


def _glob_escape(text: str) -> str:
    return "".join(f"\\{ch}" if ch in "*?[]\\" else ch for ch in text)
