"""What the handlers need from the outside: a repository of customers and a unit of work around it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol, Self, TypeVar

from services.customers.domain.events import DomainEvent
from services.customers.domain.identity import Identity
from services.customers.domain.model import Customer
from services.customers.domain.similarity import SimilarityKey
from services.customers.domain.values import CustomerTier

R = TypeVar("R")


class CustomerRepository(Protocol):
    async def find_by_identity(self, identity: Identity) -> Customer | None:
        """The active customer owning ``identity``, if any."""

    async def add(self, customer: Customer) -> str | None:
        """Register ``customer``, claiming its identities; None on success.

        When another customer already owns the first identity (a concurrent upsert won the race),
        nothing is written and that customer's id is returned. Later identities owned by someone
        else stay with their owner.
        """

    async def get(self, customer_id: str, *, lock: bool = False) -> Customer | None:
        """The customer, or the survivor it was merged into; ``lock`` takes its row lock."""

    async def lock_exact(self, customer_ids: Sequence[str]) -> dict[str, Customer]:
        """Row-lock these records as they are (no resolution to survivors), in a deadlock-free order."""

    async def update(self, customer: Customer) -> None:
        """Write the record's fields (the caller holds its row lock)."""

    async def claim_identities(self, customer_id: str, identities: Sequence[Identity], now: datetime) -> None:
        """Give ``customer_id`` the identities nobody owns yet."""

    async def save_tags(
        self, customer_id: str, added: Sequence[str], removed: Sequence[str], now: datetime
    ) -> None: ...

    async def record_merge(self, survivor_id: str, merged_id: str, reason: str, now: datetime) -> None:
        """Move the merged record's identities to the survivor, repoint records merged into it, log the merge."""

    async def merged_ids(self, survivor_id: str) -> list[str]:
        """Ids merged into ``survivor_id``, oldest merge first."""

    async def similar_candidates(
        self, key: SimilarityKey, exclude_id: str, limit: int, *, teams: frozenset[str] | None
    ) -> list[Customer]:
        """Active customers sharing a phone, email, tax id, core name or surname-and-city with ``key``.

        ``teams``: only customers owned by one of these teams; None for every customer.
        """

    async def list_page(
        self, *, tier: CustomerTier | None, tag: str, after_id: str, limit: int, teams: frozenset[str] | None
    ) -> list[Customer]:
        """Active customers with id > ``after_id`` in id order (``teams`` as in :meth:`similar_candidates`)."""


class CustomersUnitOfWork(Protocol):
    customers: CustomerRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc_info: object) -> None: ...

    async def commit(self) -> None: ...

    async def replay(self, command: Any, result_type: type[R]) -> R | None: ...

    async def remember(self, command: Any, result: Any) -> None: ...

    def publish(self, customer_id: str, events: Sequence[DomainEvent]) -> None:
        """Queue the integration events of ``events`` for the outbox of this transaction."""
