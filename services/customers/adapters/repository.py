"""The customer repository over SQLAlchemy Core: identities claimed with INSERT ... ON CONFLICT, row locks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select, true, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.customers.adapters.tables import customer_identities, customer_merges, customer_tags, customers
from services.customers.domain.identity import Identity
from services.customers.domain.model import Customer
from services.customers.domain.similarity import SimilarityKey
from services.customers.domain.values import Address, CustomerKind, CustomerStatus, CustomerTier

_ADDRESS_PARTS = ("recipient", "phone", "country", "province", "city", "district", "detail", "postal_code")
# Resolution to the survivor may race a merge of the survivor itself; each retry follows one more merge.
_RESOLVE_ATTEMPTS = 5

_tags = (
    select(func.array_agg(customer_tags.c.tag))
    .where(customer_tags.c.customer_id == customers.c.id)
    .scalar_subquery()
    .label("tags")
)


def _select() -> Select[Any]:
    return select(customers, _tags)


def _to_customer(row: Any) -> Customer:
    return Customer(
        customer_id=row.id,
        kind=CustomerKind(row.kind),
        status=CustomerStatus(row.status),
        name=row.name,
        phone=row.phone,
        email=row.email,
        tax_id=row.tax_id,
        address=Address(**{part: getattr(row, f"address_{part}") for part in _ADDRESS_PARTS}),
        tier=CustomerTier(row.tier),
        tags=tuple(sorted(row.tags or ())),
        channel=row.channel,
        merged_into=row.merged_into or "",
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        team=row.team,
    )


def _values(customer: Customer) -> dict[str, Any]:
    key = SimilarityKey.of_customer(customer)
    return {
        "kind": customer.kind.value,
        "status": customer.status.value,
        "name": customer.name,
        "phone": customer.phone,
        "email": customer.email,
        "tax_id": customer.tax_id,
        **{f"address_{part}": getattr(customer.address, part) for part in _ADDRESS_PARTS},
        "tier": customer.tier.value,
        "channel": customer.channel,
        "team": customer.team,
        "merged_into": customer.merged_into or None,
        "version": customer.version,
        "updated_at": customer.updated_at,
        "email_key": key.email,
        "name_core": key.name.core,
        "name_surname": key.name.surname,
        "name_honorific": key.name.honorific,
        "name_phone_fragment": key.name.phone_fragment,
        "city_key": key.primary_city,
    }


def _within(query: Select[Any], teams: frozenset[str] | None) -> Select[Any]:
    """Narrow to customers of ``teams`` (None: no narrowing; an empty set matches nothing)."""
    return query if teams is None else query.where(customers.c.team.in_(sorted(teams)))


class SqlCustomerRepository:
    """Implements services.customers.application.ports.CustomerRepository in one AsyncSession."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def find_by_identity(self, identity: Identity) -> Customer | None:
        query = (
            _select()
            .join(customer_identities, customer_identities.c.customer_id == customers.c.id)
            .where(customer_identities.c.kind == identity.kind.value, customer_identities.c.value == identity.value)
        )
        row = (await self._session.execute(query)).first()
        if row is None:
            return None
        customer = _to_customer(row)
        # A merge moves identities to the survivor; a record read mid-merge still resolves to it.
        return customer if customer.is_active else await self.get(customer.merged_into)

    async def add(self, customer: Customer) -> str | None:
        primary, *others = customer.identities
        claimed = await self._session.scalar(
            insert(customer_identities)
            .values(
                kind=primary.kind.value,
                value=primary.value,
                customer_id=customer.customer_id,
                created_at=customer.created_at,
            )
            .on_conflict_do_nothing()
            .returning(customer_identities.c.customer_id)
        )
        if claimed is None:
            # The conflicting insert waited for the other transaction; it committed, so its row is visible.
            return await self._session.scalar(
                select(customer_identities.c.customer_id).where(
                    customer_identities.c.kind == primary.kind.value, customer_identities.c.value == primary.value
                )
            )
        await self._session.execute(
            insert(customers).values(id=customer.customer_id, created_at=customer.created_at, **_values(customer))
        )
        await self.claim_identities(customer.customer_id, others, customer.created_at)
        return None

    async def get(self, customer_id: str, *, lock: bool = False) -> Customer | None:
        target = customer_id
        for _ in range(_RESOLVE_ATTEMPTS):
            survivor = (
                select(func.coalesce(customers.c.merged_into, customers.c.id))
                .where(customers.c.id == target)
                .scalar_subquery()
            )
            query = _select().where(customers.c.id == survivor)
            if lock:
                query = query.with_for_update(of=customers)
            row = (await self._session.execute(query)).first()
            if row is None:
                return None
            customer = _to_customer(row)
            if customer.is_active or not lock:
                return customer
            # Merged while we waited for its lock: follow it to the new survivor.
            target = customer.merged_into
        return customer

    async def lock_exact(self, customer_ids: Sequence[str]) -> dict[str, Customer]:
        query = (
            _select()
            .where(customers.c.id.in_(list(customer_ids)))
            .order_by(customers.c.id)
            .with_for_update(of=customers)
        )
        rows = (await self._session.execute(query)).all()
        return {row.id: _to_customer(row) for row in rows}

    async def update(self, customer: Customer) -> None:
        await self._session.execute(
            update(customers).where(customers.c.id == customer.customer_id).values(**_values(customer))
        )

    async def claim_identities(self, customer_id: str, identities: Sequence[Identity], now: datetime) -> None:
        if not identities:
            return
        rows = [
            {"kind": i.kind.value, "value": i.value, "customer_id": customer_id, "created_at": now} for i in identities
        ]
        await self._session.execute(insert(customer_identities).values(rows).on_conflict_do_nothing())

    async def save_tags(self, customer_id: str, added: Sequence[str], removed: Sequence[str], now: datetime) -> None:
        if added:
            await self._session.execute(
                insert(customer_tags)
                .values([{"customer_id": customer_id, "tag": tag, "tagged_at": now} for tag in added])
                .on_conflict_do_nothing()
            )
        if removed:
            await self._session.execute(
                customer_tags.delete().where(
                    customer_tags.c.customer_id == customer_id, customer_tags.c.tag.in_(list(removed))
                )
            )

    async def record_merge(self, survivor_id: str, merged_id: str, reason: str, now: datetime) -> None:
        await self._session.execute(
            update(customer_identities)
            .where(customer_identities.c.customer_id == merged_id)
            .values(customer_id=survivor_id)
        )
        # Records merged earlier into the merged one now resolve in one hop to the new survivor.
        await self._session.execute(
            update(customers).where(customers.c.merged_into == merged_id).values(merged_into=survivor_id)
        )
        await self._session.execute(
            insert(customer_merges).values(merged_id=merged_id, survivor_id=survivor_id, reason=reason, merged_at=now)
        )

    async def merged_ids(self, survivor_id: str) -> list[str]:
        rows = await self._session.scalars(
            select(customers.c.id)
            .where(customers.c.merged_into == survivor_id)
            .order_by(customers.c.updated_at, customers.c.id)
        )
        return list(rows)

    async def similar_candidates(
        self, key: SimilarityKey, exclude_id: str, limit: int, *, teams: frozenset[str] | None
    ) -> list[Customer]:
        name = key.name
        conditions = []
        if key.phone:
            conditions.append(customers.c.phone == key.phone)
        if key.email:
            conditions.append(customers.c.email_key == key.email)
        if key.tax_id:
            conditions.append(customers.c.tax_id == key.tax_id)
        if name.core:
            conditions.append(customers.c.name_core == name.core)
        if name.surname:
            same_surname = customers.c.name_surname == name.surname
            if key.cities:
                honorific = true() if name.honorific else customers.c.name_honorific
                conditions.append(and_(same_surname, honorific, customers.c.city_key.in_(sorted(key.cities))))
            prefix = name.phone_fragment.split("*", 1)[0]
            if len(prefix) >= 3:
                conditions.append(
                    and_(
                        same_surname,
                        or_(customers.c.phone.startswith(f"+86{prefix}"), customers.c.phone.startswith(f"+{prefix}")),
                    )
                )
            if key.phone:
                conditions.append(and_(same_surname, customers.c.name_phone_fragment != ""))
        if not conditions:
            return []
        query = _select().where(customers.c.status == CustomerStatus.ACTIVE.value, or_(*conditions))
        if exclude_id:
            query = query.where(customers.c.id != exclude_id)
        query = _within(query, teams)
        rows = (await self._session.execute(query.order_by(customers.c.id).limit(limit))).all()
        return [_to_customer(row) for row in rows]

    async def list_page(
        self, *, tier: CustomerTier | None, tag: str, after_id: str, limit: int, teams: frozenset[str] | None
    ) -> list[Customer]:
        query = _within(_select().where(customers.c.status == CustomerStatus.ACTIVE.value), teams)
        if tier is not None:
            query = query.where(customers.c.tier == tier.value)
        if tag:
            query = query.where(
                exists().where(customer_tags.c.customer_id == customers.c.id, customer_tags.c.tag == tag)
            )
        if after_id:
            query = query.where(customers.c.id > after_id)
        rows = (await self._session.execute(query.order_by(customers.c.id).limit(limit))).all()
        return [_to_customer(row) for row in rows]
