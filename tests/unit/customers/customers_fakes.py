"""An in-memory unit of work for the customers handlers: snapshots in, snapshots out, and commits that publish."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from services.customers.domain.identity import Identity
from services.customers.domain.model import Customer
from services.customers.domain.similarity import SimilarityKey
from services.customers.domain.values import CustomerTier
from shared.kernel import codec
from shared.kernel.errors import InvalidArgument


class FakeRepository:
    def __init__(self) -> None:
        self.rows: dict[str, Customer] = {}
        self.identities: dict[Identity, str] = {}
        # Set by a test to play a concurrent upsert that claims the identity just before us.
        self.racer: Customer | None = None

    def _copy(self, customer: Customer) -> Customer:
        return copy.deepcopy(customer.snapshot())

    def _store(self, customer: Customer) -> None:
        self.rows[customer.customer_id] = self._copy(customer)

    async def find_by_identity(self, identity: Identity) -> Customer | None:
        owner = self.identities.get(identity)
        return await self.get(owner) if owner else None

    async def add(self, customer: Customer) -> str | None:
        if self.racer is not None:
            racer, self.racer = self.racer, None
            self._store(racer)
            for identity in racer.identities:
                self.identities.setdefault(identity, racer.customer_id)
        primary = customer.identities[0]
        if primary in self.identities:
            return self.identities[primary]
        self._store(customer)
        for identity in customer.identities:
            self.identities.setdefault(identity, customer.customer_id)
        return None

    async def get(self, customer_id: str, *, lock: bool = False) -> Customer | None:
        row = self.rows.get(customer_id)
        if row is not None and row.merged_into:
            row = self.rows[row.merged_into]
        return self._copy(row) if row else None

    async def lock_exact(self, customer_ids: Sequence[str]) -> dict[str, Customer]:
        return {i: self._copy(self.rows[i]) for i in customer_ids if i in self.rows}

    async def update(self, customer: Customer) -> None:
        self._store(customer)

    async def claim_identities(self, customer_id: str, identities: Sequence[Identity], now: datetime) -> None:
        for identity in identities:
            self.identities.setdefault(identity, customer_id)

    async def save_tags(self, customer_id: str, added: Sequence[str], removed: Sequence[str], now: datetime) -> None:
        """Tags travel with the stored snapshot in this fake."""

    async def record_merge(self, survivor_id: str, merged_id: str, reason: str, now: datetime) -> None:
        for identity, owner in list(self.identities.items()):
            if owner == merged_id:
                self.identities[identity] = survivor_id
        for row in self.rows.values():
            if row.merged_into == merged_id:
                row.merged_into = survivor_id

    async def merged_ids(self, survivor_id: str) -> list[str]:
        return [i for i, row in self.rows.items() if row.merged_into == survivor_id]

    async def similar_candidates(
        self, key: SimilarityKey, exclude_id: str, limit: int, *, teams: frozenset[str] | None
    ) -> list[Customer]:
        return [
            self._copy(c)
            for i, c in sorted(self.rows.items())
            if i != exclude_id and c.is_active and (teams is None or c.team in teams)
        ][:limit]

    async def list_page(
        self, *, tier: CustomerTier | None, tag: str, after_id: str, limit: int, teams: frozenset[str] | None
    ) -> list[Customer]:
        rows = [
            c
            for i, c in sorted(self.rows.items())
            if c.is_active
            and i > after_id
            and (tier is None or c.tier is tier)
            and (not tag or tag in c.tags)
            and (teams is None or c.team in teams)
        ]
        return [self._copy(c) for c in rows[:limit]]


class FakeUnitOfWork:
    """Commits record published events and remembered results; leaving without commit forgets them."""

    def __init__(self) -> None:
        self.customers = FakeRepository()
        self.published: list[Any] = []
        self.results: dict[str, tuple[str, str]] = {}
        self.commits = 0
        self._pending: list[Any] = []
        self._remembered: dict[str, tuple[str, str]] = {}

    async def __aenter__(self) -> FakeUnitOfWork:
        self._pending, self._remembered = [], {}
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._pending, self._remembered = [], {}

    async def commit(self) -> None:
        self.published += self._pending
        self.results |= self._remembered
        self.commits += 1

    async def replay(self, command: Any, result_type: type) -> Any:
        if not command.request_id:
            raise InvalidArgument.field("request_id", "is required")
        if (stored := self.results.get(command.request_id)) is None:
            return None
        fingerprint, result = stored
        if fingerprint != codec.fingerprint(command):
            raise InvalidArgument.field("request_id", "reused", reason="IDEMPOTENCY_KEY_REUSED")
        return codec.loads(result_type, result)

    async def remember(self, command: Any, result: Any) -> None:
        self._remembered[command.request_id] = (codec.fingerprint(command), codec.dumps(result))

    def publish(self, customer_id: str, domain_events: Sequence[Any]) -> None:
        self._pending += list(domain_events)


def ids():
    counter = itertools.count(1)
    return lambda: f"0190c1a2-0000-7000-8000-{next(counter):012d}"
