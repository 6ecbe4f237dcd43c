"""What the pricing handlers need from the outside: repositories in a unit of work, the promotion catalogue, a clock."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, Self, TypeVar

from services.pricing.domain.events import DomainEvent
from services.pricing.domain.prices import SkuPrice
from services.pricing.domain.promotions import Promotion, PromotionStatus, Scope
from services.pricing.domain.quote import Quote
from services.pricing.domain.shipping import ShippingRule

R = TypeVar("R")
Clock = Callable[[], datetime]
IdFactory = Callable[[], str]


@dataclass(frozen=True)
class Cursor:
    """A position in the promotion listing: the (created_at, promotion_id) of the last one returned."""

    created_at: datetime
    promotion_id: str


class PriceRepository(Protocol):
    async def get_many(self, skus: Sequence[str], currency: str) -> dict[str, SkuPrice]:
        """The prices of ``skus`` in ``currency`` that exist, in one query."""
        ...

    async def upsert_many(self, prices: Sequence[SkuPrice], now: datetime) -> list[SkuPrice]:
        """Create or update ``prices``; return only those whose values changed, as stored (new version)."""
        ...

    async def covered_by(self, scope: Scope, currency: str) -> list[SkuPrice]:
        """Every price in ``currency`` of a SKU ``scope`` covers (the launch check's SKUs)."""
        ...


class PromotionRepository(Protocol):
    async def add(self, promotion: Promotion) -> bool:
        """Insert ``promotion``; False (nothing written) when its coupon code belongs to another promotion."""
        ...

    async def get(self, promotion_id: str, *, lock: bool = False) -> Promotion | None:
        """The promotion; ``lock`` holds its row until the transaction ends."""
        ...

    async def update_status(self, before: Promotion, after: Promotion, reason: str = "") -> None:
        """Persist the status change of ``before`` (its version unchanged since it was read) into ``after``."""
        ...

    async def active(self) -> list[Promotion]:
        """Every ACTIVE promotion (whatever its window)."""
        ...

    async def list(self, status: PromotionStatus | None, after: Cursor | None, limit: int) -> list[Promotion]: ...

    async def lock_launches(self) -> None:
        """Serialise launch checks until the transaction ends, so two activations never pass each other blind."""
        ...


class QuoteRepository(Protocol):
    async def add(self, quote: Quote) -> None: ...

    async def get(self, quote_id: str) -> Quote | None: ...


class ShippingRuleRepository(Protocol):
    async def upsert(self, rule: ShippingRule, now: datetime) -> None: ...

    async def all(self) -> list[ShippingRule]: ...


class PricingUnitOfWork(Protocol):
    prices: PriceRepository
    promotions: PromotionRepository
    quotes: QuoteRepository
    shipping: ShippingRuleRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc_info: object) -> None: ...

    async def commit(self) -> None: ...

    async def replay(self, command: Any, result_type: type[R]) -> R | None: ...

    async def remember(self, command: Any, result: Any) -> None: ...

    def publish(self, *events: DomainEvent) -> None:
        """Queue the integration events of ``events`` for the outbox of this transaction."""
        ...


@dataclass(frozen=True)
class CatalogSnapshot:
    """What a quote needs besides prices: the ACTIVE promotions and the shipping rules."""

    promotions: tuple[Promotion, ...]
    shipping_rules: tuple[ShippingRule, ...]


class PromotionCatalog(Protocol):
    """The active promotions and shipping rules, served from memory on the quote path."""

    async def snapshot(self) -> CatalogSnapshot: ...

    def invalidate(self) -> None:
        """Forget the cached snapshot (after this process changed promotions or shipping rules)."""
        ...
