"""Commands, queries and results of customers: frozen dataclasses, serialisable for idempotent replay."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.customers.domain.pii import CustomerView
from services.customers.domain.similarity import Reason
from services.customers.domain.values import Address, CustomerTier


@dataclass(frozen=True)
class UpsertCustomer:
    """Raw input as received; the handler validates it (``address`` is not yet validated either)."""

    request_id: str
    name: str
    phone: str = ""
    email: str = ""
    tax_id: str = ""
    address: Address = field(default_factory=Address)
    channel: str = ""
    # The owning team asked for a new customer (domain.access.registration_team decides).
    team: str = ""
    # The teams the caller is limited to (empty: no limit); part of the fingerprint, so another caller
    # cannot replay a request id into an answer it may not see.
    caller_teams: tuple[str, ...] = ()


@dataclass(frozen=True)
class UpsertResult:
    customer: CustomerView
    created: bool


@dataclass(frozen=True)
class GetCustomer:
    customer_id: str
    viewer_subject: str = ""
    viewer_role: str = ""
    purpose: str = ""
    # The teams the caller is limited to (empty: no limit).
    caller_teams: tuple[str, ...] = ()


@dataclass(frozen=True)
class GetResult:
    customer: CustomerView
    # The requested id when it was merged away and ``customer`` is its survivor.
    resolved_from_customer_id: str
    merged_customer_ids: tuple[str, ...]


@dataclass(frozen=True)
class Probe:
    name: str = ""
    phone: str = ""
    email: str = ""
    tax_id: str = ""
    city: str = ""


@dataclass(frozen=True)
class FindSimilarCustomers:
    """Exactly one of ``customer_id`` and ``probe``."""

    customer_id: str = ""
    probe: Probe | None = None
    limit: int = 0
    # The teams the caller is limited to (empty: no limit).
    caller_teams: tuple[str, ...] = ()


@dataclass(frozen=True)
class SimilarCustomer:
    customer: CustomerView
    score: int
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class SimilarResult:
    candidates: tuple[SimilarCustomer, ...]


@dataclass(frozen=True)
class MergeCustomers:
    request_id: str
    survivor_customer_id: str
    merged_customer_id: str
    reason: str = ""
    # The teams the caller is limited to (empty: no limit); part of the fingerprint, so another caller
    # cannot replay a request id into an answer it may not see.
    caller_teams: tuple[str, ...] = ()


@dataclass(frozen=True)
class MergeResult:
    survivor: CustomerView
    merged_customer_id: str


@dataclass(frozen=True)
class SetCustomerTier:
    request_id: str
    customer_id: str
    # None when the caller sent no tier (UNSPECIFIED).
    tier: CustomerTier | None
    reason: str = ""
    # The teams the caller is limited to (empty: no limit); part of the fingerprint, so another caller
    # cannot replay a request id into an answer it may not see.
    caller_teams: tuple[str, ...] = ()


@dataclass(frozen=True)
class SetCustomerTeam:
    request_id: str
    customer_id: str
    # "" unassigns the customer.
    team: str
    reason: str = ""
    # The teams the caller is limited to (empty: no limit); part of the fingerprint, so another caller
    # cannot replay a request id into an answer it may not see.
    caller_teams: tuple[str, ...] = ()


@dataclass(frozen=True)
class TagCustomer:
    request_id: str
    customer_id: str
    tags: tuple[str, ...]
    # The teams the caller is limited to (empty: no limit); part of the fingerprint, so another caller
    # cannot replay a request id into an answer it may not see.
    caller_teams: tuple[str, ...] = ()


@dataclass(frozen=True)
class UntagCustomer:
    request_id: str
    customer_id: str
    tags: tuple[str, ...]
    # The teams the caller is limited to (empty: no limit); part of the fingerprint, so another caller
    # cannot replay a request id into an answer it may not see.
    caller_teams: tuple[str, ...] = ()


@dataclass(frozen=True)
class CustomerResult:
    customer: CustomerView


@dataclass(frozen=True)
class ListCustomers:
    page_size: int = 0
    page_token: str = ""
    tier: CustomerTier | None = None
    tag: str = ""
    # The teams the caller is limited to (empty: no limit).
    caller_teams: tuple[str, ...] = ()


@dataclass(frozen=True)
class CustomerPage:
    customers: tuple[CustomerView, ...]
    next_page_token: str
