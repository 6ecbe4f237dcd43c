"""In-memory fakes of the pricing ports: a unit of work whose state commits or rolls back, and a catalogue."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Self, TypeVar

from services.pricing.application.ports import CatalogSnapshot, Cursor
from services.pricing.domain.events import DomainEvent
from services.pricing.domain.prices import SkuPrice
from services.pricing.domain.promotions import Promotion, PromotionStatus, Scope
from services.pricing.domain.quote import Quote
from services.pricing.domain.shipping import ShippingRule
from shared.kernel import codec
from shared.kernel.errors import InvalidArgument

R = TypeVar("R")


@dataclass
class State:
    prices: dict[tuple[str, str], SkuPrice] = field(default_factory=dict)
    promotions: dict[str, Promotion] = field(default_factory=dict)
    quotes: dict[str, Quote] = field(default_factory=dict)
    rules: dict[tuple[str, str, str], ShippingRule] = field(default_factory=dict)
    keys: dict[str, tuple[str, str, str | None]] = field(default_factory=dict)
    events: list[DomainEvent] = field(default_factory=list)


class FakePrices:
    def __init__(self, state: State) -> None:
        self.state = state
        self.queries = 0

    async def get_many(self, skus: Sequence[str], currency: str) -> dict[str, SkuPrice]:
        self.queries += 1
        return {s: self.state.prices[(s, currency)] for s in skus if (s, currency) in self.state.prices}

    async def upsert_many(self, prices: Sequence[SkuPrice], now: datetime) -> list[SkuPrice]:
        changed = []
        for p in prices:
            old = self.state.prices.get((p.sku, p.currency))
            if old is not None and old.same_values(p):
                continue
            stored = replace(p, version=(old.version if old else 0) + 1, updated_at=now)
            self.state.prices[(p.sku, p.currency)] = stored
            changed.append(stored)
        return changed

    async def covered_by(self, scope: Scope, currency: str) -> list[SkuPrice]:
        return [p for p in self.state.prices.values() if p.currency == currency and scope.covers(p.sku, p.category)]


class FakePromotions:
    def __init__(self, state: State) -> None:
        self.state = state
        self.launch_locks = 0

    async def add(self, promotion: Promotion) -> bool:
        code = promotion.definition.coupon_code
        if code and any(p.definition.coupon_code == code for p in self.state.promotions.values()):
            return False
        self.state.promotions[promotion.promotion_id] = promotion
        return True

    async def get(self, promotion_id: str, *, lock: bool = False) -> Promotion | None:
        return self.state.promotions.get(promotion_id)

    async def update_status(self, before: Promotion, after: Promotion, reason: str = "") -> None:
        assert self.state.promotions[before.promotion_id].version == before.version
        self.state.promotions[after.promotion_id] = after

    async def active(self) -> list[Promotion]:
        return [p for p in self.state.promotions.values() if p.status is PromotionStatus.ACTIVE]

    async def list(self, status: PromotionStatus | None, after: Cursor | None, limit: int) -> list[Promotion]:
        rows = sorted(self.state.promotions.values(), key=lambda p: (p.created_at, p.promotion_id))
        rows = [p for p in rows if status is None or p.status is status]
        if after is not None:
            rows = [p for p in rows if (p.created_at, p.promotion_id) > (after.created_at, after.promotion_id)]
        return rows[:limit]

    async def lock_launches(self) -> None:
        self.launch_locks += 1


class FakeQuotes:
    def __init__(self, state: State) -> None:
        self.state = state

    async def add(self, quote: Quote) -> None:
        self.state.quotes[quote.quote_id] = quote

    async def get(self, quote_id: str) -> Quote | None:
        return self.state.quotes.get(quote_id)


class FakeShipping:
    def __init__(self, state: State) -> None:
        self.state = state

    async def upsert(self, rule: ShippingRule, now: datetime) -> None:
        self.state.rules[(rule.currency, rule.country, rule.province)] = rule

    async def all(self) -> list[ShippingRule]:
        return list(self.state.rules.values())


class FakeUnitOfWork:
    """Works on a copy of the committed state; commit publishes the copy, anything else discards it."""

    def __init__(self) -> None:
        self.committed = State()
        self.commits = 0

    async def __aenter__(self) -> Self:
        self.working = copy.deepcopy(self.committed)
        self.prices = FakePrices(self.working)
        self.promotions = FakePromotions(self.working)
        self.quotes = FakeQuotes(self.working)
        self.shipping = FakeShipping(self.working)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.working = State()

    async def commit(self) -> None:
        self.committed = self.working
        self.commits += 1

    async def replay(self, command: Any, result_type: type[R]) -> R | None:
        known = self.working.keys.get(command.request_id)
        if known is None:
            self.working.keys[command.request_id] = (type(command).__name__, codec.fingerprint(command), None)
            return None
        operation, fingerprint, result = known
        if operation != type(command).__name__ or fingerprint != codec.fingerprint(command):
            raise InvalidArgument.field(
                "request_id", "was already used with other arguments", reason="IDEMPOTENCY_KEY_REUSED"
            )
        assert result is not None
        return codec.loads(result_type, result)

    async def remember(self, command: Any, result: Any) -> None:
        operation, fingerprint, _ = self.working.keys[command.request_id]
        self.working.keys[command.request_id] = (operation, fingerprint, codec.dumps(result))

    def publish(self, *events: DomainEvent) -> None:
        self.working.events.extend(events)


class FakeCatalog:
    """Reads the committed state of a fake unit of work on every snapshot (no TTL), counting invalidations."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.invalidations = 0

    async def snapshot(self) -> CatalogSnapshot:
        state = self.uow.committed
        active = tuple(p for p in state.promotions.values() if p.status is PromotionStatus.ACTIVE)
        return CatalogSnapshot(active, tuple(state.rules.values()))

    def invalidate(self) -> None:
        self.invalidations += 1
