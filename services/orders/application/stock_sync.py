"""Stock for channel orders: a paid channel order reserves through inventory's Reserve, the same path as an
own-site order, and a cancelled one releases. Ingest only records what each order needs (stock_holds); this
reconciler brings inventory in line, retrying what failed for a transient reason, so a slow or absent
inventory never slows or loses an ingest. The holds of a claimed batch are reserved through ReserveMany (one
call and one inventory transaction per 1,000 orders) and settled in one orders transaction, so stock keeps up
with batch ingest. Inventory decides under its row locks, so two channels racing for the last units sell
exactly the stock: the loser's order is refused and goes to EXCEPTION (an order held for review stays ON_HOLD,
its hold reason flagged OUT_OF_STOCK)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from services.orders.application.channel_ports import ChannelsUnitOfWork, StockSettlement, StockWork
from services.orders.application.ports import Clock
from services.orders.domain.channel_orders import CHANNEL_ACTOR, flag_out_of_stock
from services.orders.domain.channels import retry_delay
from services.orders.domain.values import Actor

log = logging.getLogger(__name__)
HELD = "HELD"
RELEASED = "RELEASED"
REFUSED = "REFUSED"


class StockRefused(Exception):
    """Inventory said no for good (no stock, SKU paused or unknown, reservation shipped already)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class InventoryUnavailable(Exception):
    """Inventory did not answer, or answered something worth another try later."""


class InventoryPort(Protocol):
    async def reserve_many(
        self, request_id: str, orders: Sequence[StockWork], ttl_seconds: int
    ) -> Sequence[str | StockRefused | InventoryUnavailable]:
        """Hold stock for each order on its own, all or nothing per order, in one call of at most 1,000 orders;
        returns per order, in order, its reservation id or why it has none (refused, or worth another try).
        Raises InventoryUnavailable (or StockRefused) when the call as a whole failed."""
        ...

    async def release(self, order_id: str, reason: str) -> None: ...


@dataclass(frozen=True)
class StockPolicy:
    batch_size: int = 100
    concurrency: int = 8
    # Orders per ReserveMany call (inventory takes at most 1,000).
    reserve_many_size: int = 1000
    lease_seconds: float = 60.0
    # A paid marketplace order holds its stock until it ships, not for an unpaid cart's 30 minutes.
    reservation_ttl_seconds: int = 7 * 86_400
    backoff_base_seconds: float = 1.0
    backoff_cap_seconds: float = 300.0


class StockReconciler:
    def __init__(
        self,
        unit_of_work: Callable[[], ChannelsUnitOfWork],
        inventory: Callable[[], InventoryPort | None],
        clock: Clock,
        policy: StockPolicy,
        actor: Actor = CHANNEL_ACTOR,
    ) -> None:
        self._uow = unit_of_work
        self._inventory = inventory
        self._clock = clock
        self._policy = policy
        self._actor = actor
        self._warned = False

    async def run_once(self) -> int:
        """Bring one batch of due stock holds in line; returns how many were handled.

        The holds to take go to inventory in ReserveMany calls of at most ``reserve_many_size`` orders; the
        releases stay one Release each.
        """
        inventory = self._inventory()
        if inventory is None:
            if not self._warned:
                log.error("no inventory address (OMS_INVENTORY_ADDRESS): channel orders wait for their stock")
                self._warned = True
            return 0
        now = self._clock()
        async with self._uow() as uow:
            work = await uow.ingest.claim_stock(
                now, now + timedelta(seconds=self._policy.lease_seconds), self._policy.batch_size
            )
            await uow.commit()
        holds = [item for item in work if item.desired == HELD]
        releases = [item for item in work if item.desired != HELD]
        size = self._policy.reserve_many_size
        gate = asyncio.Semaphore(self._policy.concurrency)

        async def reserve(items: Sequence[StockWork]) -> None:
            async with gate:
                await self._reserve(inventory, items, now)

        async def release(item: StockWork) -> None:
            async with gate:
                await self._release(inventory, item)

        await asyncio.gather(
            *(reserve(holds[start : start + size]) for start in range(0, len(holds), size)),
            *(release(item) for item in releases),
        )
        return len(work)

    async def _reserve(self, inventory: InventoryPort, items: Sequence[StockWork], claimed_at: datetime) -> None:
        """One ReserveMany for ``items``; what was held is settled in one transaction, refusals are flagged one
        order each, and everything the call could not decide is tried again later."""
        try:
            outcomes = await inventory.reserve_many(
                _batch_request_id(items, claimed_at), items, self._policy.reservation_ttl_seconds
            )
        except (InventoryUnavailable, StockRefused) as failed:
            # The call as a whole failed (a refusal of the whole call is a bug or a misconfiguration, never an
            # answer about the orders): every order of it is tried again later.
            outcomes = [
                failed if isinstance(failed, InventoryUnavailable) else InventoryUnavailable(str(failed))
            ] * len(items)
        held = [
            StockSettlement(item.order_id, HELD, outcome)
            for item, outcome in zip(items, outcomes, strict=True)
            if isinstance(outcome, str)
        ]
        if held:
            async with self._uow() as uow:
                await uow.ingest.settle_stock_many(held, self._clock())
                await uow.commit()
        for item, outcome in zip(items, outcomes, strict=True):
            if isinstance(outcome, StockRefused):
                log.warning("stock refused for channel order %s: %s", item.order_id, outcome)
                await self._refuse(item, outcome)
        unavailable = [
            (item, outcome)
            for item, outcome in zip(items, outcomes, strict=True)
            if isinstance(outcome, InventoryUnavailable)
        ]
        if unavailable:
            await self._retry(unavailable)

    async def _release(self, inventory: InventoryPort, item: StockWork) -> None:
        try:
            await inventory.release(item.order_id, "channel order cancelled")
            await self._settle(item, RELEASED, "", "")
        except StockRefused as refused:
            # Nothing left to give back (e.g. the goods shipped): recorded, not retried.
            log.warning("release refused for channel order %s: %s", item.order_id, refused)
            await self._settle(item, RELEASED, "", str(refused))
        except InventoryUnavailable as unavailable:
            await self._retry([(item, unavailable)])

    async def _retry(self, failed: Sequence[tuple[StockWork, InventoryUnavailable]]) -> None:
        """Try these holds again after their back-off, in one transaction."""
        now = self._clock()
        async with self._uow() as uow:
            for item, unavailable in failed:
                delay = retry_delay(item.attempts, self._policy.backoff_base_seconds, self._policy.backoff_cap_seconds)
                log.warning(
                    "inventory unavailable for order %s (%s); again in %.0fs", item.order_id, unavailable, delay
                )
                await uow.ingest.retry_stock(item.order_id, str(unavailable), now + timedelta(seconds=delay), now)
            await uow.commit()

    async def _settle(self, item: StockWork, applied: str, reservation_id: str, error: str) -> None:
        async with self._uow() as uow:
            await uow.ingest.settle_stock(item.order_id, applied, reservation_id, error, self._clock())
            await uow.commit()

    async def _refuse(self, item: StockWork, refused: StockRefused) -> None:
        """The order cannot have its stock: flag it for a person, in the same transaction as the hold."""
        now = self._clock()
        async with self._uow() as uow:
            order = await uow.orders.get(item.order_id, lock=True)
            if order is not None:
                change = flag_out_of_stock(order, refused.detail or refused.reason, now, self._actor)
                if change.changed:
                    if len(change.order.history) > len(order.history):
                        await uow.orders.update(order, change.order)
                    else:
                        # A held order stays held: only its hold reason carries the refusal.
                        await uow.orders.set_hold_reason(order, change.order)
                    uow.publish(order.order_id, change.events)
            await uow.ingest.settle_stock(item.order_id, REFUSED, "", str(refused), now)
            await uow.commit()


def _batch_request_id(items: Sequence[StockWork], claimed_at: datetime) -> str:
    """The idempotency key of one ReserveMany: the same claimed orders at the same claim time give the same key,
    so a retry of the call after a lost answer replays it."""
    digest = hashlib.sha256(claimed_at.isoformat().encode())
    for order_id in sorted(item.order_id for item in items):
        digest.update(order_id.encode())
    return f"channel-reserve-many:{digest.hexdigest()[:40]}"
