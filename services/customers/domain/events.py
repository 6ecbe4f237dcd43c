"""Domain events of the Customer aggregate (the adapters turn them into oms.customers.v1 protos)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.customers.domain.values import CustomerKind, CustomerTier


@dataclass(frozen=True)
class CustomerRegistered:
    customer_id: str
    kind: CustomerKind
    name: str
    phone: str
    tax_id: str
    tier: CustomerTier
    channel: str
    registered_at: datetime
    team: str = ""


@dataclass(frozen=True)
class CustomerUpdated:
    customer_id: str
    changed_fields: tuple[str, ...]
    version: int
    updated_at: datetime


@dataclass(frozen=True)
class CustomersMerged:
    survivor_customer_id: str
    merged_customer_id: str
    filled_fields: tuple[str, ...]
    added_tags: tuple[str, ...]
    reason: str
    merged_at: datetime


@dataclass(frozen=True)
class CustomerTagged:
    customer_id: str
    added_tags: tuple[str, ...]
    tags: tuple[str, ...]
    tagged_at: datetime


@dataclass(frozen=True)
class CustomerUntagged:
    customer_id: str
    removed_tags: tuple[str, ...]
    tags: tuple[str, ...]
    untagged_at: datetime


@dataclass(frozen=True)
class CustomerTierChanged:
    customer_id: str
    previous_tier: CustomerTier
    tier: CustomerTier
    reason: str
    changed_at: datetime


@dataclass(frozen=True)
class CustomerTeamChanged:
    customer_id: str
    previous_team: str
    team: str
    reason: str
    changed_at: datetime


@dataclass(frozen=True)
class CustomerPiiViewed:
    customer_id: str
    viewer_subject: str
    viewer_role: str
    fields: tuple[str, ...]
    purpose: str
    viewed_at: datetime


DomainEvent = (
    CustomerRegistered
    | CustomerUpdated
    | CustomersMerged
    | CustomerTagged
    | CustomerUntagged
    | CustomerTierChanged
    | CustomerTeamChanged
    | CustomerPiiViewed
)
