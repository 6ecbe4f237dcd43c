"""The use cases: upsert, read (with the PII policy), find duplicates, merge, tier, team, tags, list.

Every handler given a customer id checks the team rule (domain.access) on the record it resolved and answers
a customer the caller may not see exactly as a missing one.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import datetime

from services.customers.application.commands import (
    CustomerPage,
    CustomerResult,
    FindSimilarCustomers,
    GetCustomer,
    GetResult,
    ListCustomers,
    MergeCustomers,
    MergeResult,
    Probe,
    SetCustomerTeam,
    SetCustomerTier,
    SimilarCustomer,
    SimilarResult,
    TagCustomer,
    UntagCustomer,
    UpsertCustomer,
    UpsertResult,
)
from services.customers.application.ports import CustomersUnitOfWork
from services.customers.domain.access import (
    check_may_assign_teams,
    check_upsert_match,
    may_access,
    parse_team,
    registration_team,
    visible_teams,
)
from services.customers.domain.errors import CustomerNotFound
from services.customers.domain.events import CustomerPiiViewed
from services.customers.domain.identity import normalise_email, normalise_phone, normalise_tax_id
from services.customers.domain.model import (
    NAME_MAX_LENGTH,
    Customer,
    Profile,
    parse_reason,
    parse_tag,
    parse_tags,
)
from services.customers.domain.pii import may_see_pii, pii_fields, view
from services.customers.domain.similarity import SimilarityKey, compare
from services.customers.domain.text import clean_text
from services.customers.domain.values import Address
from shared.kernel import ids
from shared.kernel.errors import Aborted, InvalidArgument

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
DEFAULT_SIMILAR = 10
MAX_SIMILAR = 50
# Rows read from the database per FindSimilar before scoring; common surnames make the pre-filter wide.
SIMILAR_SCAN = 200


def _customer_id(value: str, field: str = "customer_id") -> str:
    if not ids.is_valid_id(value):
        raise InvalidArgument.field(field, "must be a customer id (UUID)")
    return value


async def _resolve(
    uow: CustomersUnitOfWork, customer_id: str, caller_teams: Sequence[str], *, lock: bool = False
) -> Customer:
    """The customer (or its survivor) if it exists and the caller may see it; CustomerNotFound otherwise.

    One answer for both, naming only the id asked for, so a team-limited caller cannot tell another
    team's customer from a missing one.
    """
    customer = await uow.customers.get(customer_id, lock=lock)
    if customer is None or not may_access(caller_teams, customer.team):
        raise CustomerNotFound(customer_id)
    return customer


async def upsert_customer(
    cmd: UpsertCustomer, uow: CustomersUnitOfWork, *, now: datetime, new_id: Callable[[], str] = ids.new_id
) -> UpsertResult:
    """Return the customer owning the profile's identity, or register one; concurrent twins make one."""
    profile = Profile.parse(
        name=cmd.name,
        phone=cmd.phone,
        email=cmd.email,
        tax_id=cmd.tax_id,
        address=Address.parse(**asdict(cmd.address)),
        channel=cmd.channel,
    )
    team = registration_team(cmd.caller_teams, cmd.team)
    async with uow:
        if (previous := await uow.replay(cmd, UpsertResult)) is not None:
            return previous
        # Only the primary identity decides: a new company's tax id with a known phone is a new customer
        # (the phone stays with its owner, and FindSimilarCustomers proposes the pair).
        customer = await uow.customers.find_by_identity(profile.identities[0])
        created = False
        if customer is None:
            candidate = Customer.register(new_id(), profile, now, team=team)
            owner = await uow.customers.add(candidate)
            if owner is None:
                customer, created = candidate, True
            else:
                # A concurrent upsert registered the identity first; it committed, so it is readable now.
                customer = await uow.customers.get(owner)
                if customer is None:
                    raise Aborted(f"customer {owner} owns the identity but cannot be read; retry")
        if not created:
            # Before any write: another team's customer is neither filled in nor shown.
            check_upsert_match(cmd.caller_teams, customer.team)
        if not created and customer.blanks_in(profile):
            # Re-read under the row lock so two upserts filling the same blank do not both write it.
            customer = await _resolve(uow, customer.customer_id, (), lock=True)
            # Checked again on the locked row: the customer may have changed teams while we waited.
            check_upsert_match(cmd.caller_teams, customer.team)
            if customer.fill_blanks(profile, now):
                await uow.customers.update(customer)
                await uow.customers.claim_identities(customer.customer_id, customer.identities, now)
        uow.publish(customer.customer_id, customer.events)
        result = UpsertResult(view(customer, masked=True), created)
        await uow.remember(cmd, result)
        await uow.commit()
    return result


async def get_customer(query: GetCustomer, uow: CustomersUnitOfWork, *, now: datetime) -> GetResult:
    """Read a customer (or its survivor); PII only for roles that may see it, and every such read audited."""
    requested = _customer_id(query.customer_id)
    purpose = clean_text("purpose", query.purpose, max_length=500)
    unmasked = may_see_pii(query.viewer_role)
    async with uow:
        customer = await _resolve(uow, requested, query.caller_teams)
        merged = await uow.customers.merged_ids(customer.customer_id)
        if unmasked:
            viewed = CustomerPiiViewed(
                customer_id=customer.customer_id,
                viewer_subject=query.viewer_subject,
                viewer_role=query.viewer_role,
                fields=pii_fields(customer),
                purpose=purpose,
                viewed_at=now,
            )
            uow.publish(customer.customer_id, [viewed])
            await uow.commit()
    resolved_from = requested if customer.customer_id != requested else ""
    return GetResult(view(customer, masked=not unmasked), resolved_from, tuple(merged))


def _probe_key(probe: Probe) -> SimilarityKey:
    name = clean_text("probe.name", probe.name, max_length=NAME_MAX_LENGTH)
    city = clean_text("probe.city", probe.city, max_length=64)
    phone = normalise_phone(probe.phone, "probe.phone") if probe.phone.strip() else ""
    email = normalise_email(probe.email, "probe.email") if probe.email.strip() else ""
    tax_id = normalise_tax_id(probe.tax_id, "probe.tax_id") if probe.tax_id.strip() else ""
    if not (name or phone or email or tax_id):
        raise InvalidArgument.field("probe", "needs at least a name, phone, email or tax_id")
    return SimilarityKey.of(name=name, phone=phone, email=email, tax_id=tax_id, city=city)


async def find_similar_customers(query: FindSimilarCustomers, uow: CustomersUnitOfWork) -> SimilarResult:
    """Likely duplicates of a customer or a probe, best first, masked, for a human to merge."""
    if not 0 <= query.limit <= MAX_SIMILAR:
        raise InvalidArgument.field("limit", f"must be between 0 and {MAX_SIMILAR}")
    limit = query.limit or DEFAULT_SIMILAR
    if bool(query.customer_id) == (query.probe is not None):
        raise InvalidArgument.field("customer_id", "give exactly one of customer_id and probe")
    async with uow:
        if query.probe is not None:
            key, exclude = _probe_key(query.probe), ""
        else:
            subject = await _resolve(uow, _customer_id(query.customer_id), query.caller_teams)
            key, exclude = SimilarityKey.of_customer(subject), subject.customer_id
        rows = await uow.customers.similar_candidates(
            key, exclude, SIMILAR_SCAN, teams=visible_teams(query.caller_teams)
        )
    # The query already narrowed to the caller's teams; the rule is applied again so no store can widen it.
    visible = [row for row in rows if may_access(query.caller_teams, row.team)]
    scored = [(match, row) for row in visible if (match := compare(key, SimilarityKey.of_customer(row))) is not None]
    scored.sort(key=lambda pair: (-pair[0].score, pair[1].customer_id))
    return SimilarResult(
        tuple(SimilarCustomer(view(row, masked=True), m.score, m.reasons) for m, row in scored[:limit])
    )


async def merge_customers(cmd: MergeCustomers, uow: CustomersUnitOfWork, *, now: datetime) -> MergeResult:
    """Merge one record into another; both histories stay, the merged id resolves to the survivor."""
    survivor_id = _customer_id(cmd.survivor_customer_id, "survivor_customer_id")
    merged_id = _customer_id(cmd.merged_customer_id, "merged_customer_id")
    if survivor_id == merged_id:
        raise InvalidArgument.field("merged_customer_id", "must differ from survivor_customer_id")
    reason = parse_reason(cmd.reason)
    async with uow:
        if (previous := await uow.replay(cmd, MergeResult)) is not None:
            return previous
        records = await uow.customers.lock_exact([survivor_id, merged_id])
        for customer_id in (survivor_id, merged_id):
            if customer_id not in records or not may_access(cmd.caller_teams, records[customer_id].team):
                raise CustomerNotFound(customer_id)
        survivor, merged = records[survivor_id], records[merged_id]
        _, gained = survivor.absorb(merged, reason, now)
        await uow.customers.update(survivor)
        await uow.customers.update(merged)
        await uow.customers.record_merge(survivor_id, merged_id, reason, now)
        if gained:
            await uow.customers.save_tags(survivor_id, gained, (), now)
        uow.publish(survivor_id, survivor.events)
        result = MergeResult(view(survivor, masked=True), merged_id)
        await uow.remember(cmd, result)
        await uow.commit()
    return result


async def set_customer_tier(cmd: SetCustomerTier, uow: CustomersUnitOfWork, *, now: datetime) -> CustomerResult:
    customer_id = _customer_id(cmd.customer_id)
    if cmd.tier is None:
        raise InvalidArgument.field("tier", "is required")
    reason = parse_reason(cmd.reason)
    async with uow:
        if (previous := await uow.replay(cmd, CustomerResult)) is not None:
            return previous
        customer = await _resolve(uow, customer_id, cmd.caller_teams, lock=True)
        if customer.set_tier(cmd.tier, reason, now):
            await uow.customers.update(customer)
        uow.publish(customer.customer_id, customer.events)
        result = CustomerResult(view(customer, masked=True))
        await uow.remember(cmd, result)
        await uow.commit()
    return result


async def set_customer_team(cmd: SetCustomerTeam, uow: CustomersUnitOfWork, *, now: datetime) -> CustomerResult:
    """Move a customer to another owning team; only callers without team limits, refused before any read."""
    check_may_assign_teams(cmd.caller_teams)
    customer_id = _customer_id(cmd.customer_id)
    team = parse_team(cmd.team)
    reason = parse_reason(cmd.reason)
    async with uow:
        if (previous := await uow.replay(cmd, CustomerResult)) is not None:
            return previous
        customer = await _resolve(uow, customer_id, cmd.caller_teams, lock=True)
        if customer.set_team(team, reason, now):
            await uow.customers.update(customer)
        uow.publish(customer.customer_id, customer.events)
        result = CustomerResult(view(customer, masked=True))
        await uow.remember(cmd, result)
        await uow.commit()
    return result


async def tag_customer(cmd: TagCustomer, uow: CustomersUnitOfWork, *, now: datetime) -> CustomerResult:
    customer_id = _customer_id(cmd.customer_id)
    tags = parse_tags(cmd.tags)
    async with uow:
        if (previous := await uow.replay(cmd, CustomerResult)) is not None:
            return previous
        customer = await _resolve(uow, customer_id, cmd.caller_teams, lock=True)
        if added := customer.add_tags(tags, now):
            await uow.customers.update(customer)
            await uow.customers.save_tags(customer.customer_id, added, (), now)
        uow.publish(customer.customer_id, customer.events)
        result = CustomerResult(view(customer, masked=True))
        await uow.remember(cmd, result)
        await uow.commit()
    return result


async def untag_customer(cmd: UntagCustomer, uow: CustomersUnitOfWork, *, now: datetime) -> CustomerResult:
    customer_id = _customer_id(cmd.customer_id)
    tags = parse_tags(cmd.tags)
    async with uow:
        if (previous := await uow.replay(cmd, CustomerResult)) is not None:
            return previous
        customer = await _resolve(uow, customer_id, cmd.caller_teams, lock=True)
        if removed := customer.remove_tags(tags, now):
            await uow.customers.update(customer)
            await uow.customers.save_tags(customer.customer_id, (), removed, now)
        uow.publish(customer.customer_id, customer.events)
        result = CustomerResult(view(customer, masked=True))
        await uow.remember(cmd, result)
        await uow.commit()
    return result


def encode_page_token(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def decode_page_token(token: str) -> str:
    """The last id of the previous page; InvalidArgument (field page.page_token) if it is not ours."""
    if not token:
        return ""
    try:
        last_id = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        last_id = ""
    if not ids.is_valid_id(last_id):
        raise InvalidArgument.field("page.page_token", "is not a token returned by ListCustomers")
    return last_id


async def list_customers(query: ListCustomers, uow: CustomersUnitOfWork) -> CustomerPage:
    """Active customers in id (creation) order, optionally of one tier and/or one tag; always masked."""
    if query.page_size < 0:
        raise InvalidArgument.field("page.page_size", "must not be negative")
    size = min(query.page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    after = decode_page_token(query.page_token)
    tag = parse_tag(query.tag) if query.tag.strip() else ""
    async with uow:
        rows = await uow.customers.list_page(
            tier=query.tier, tag=tag, after_id=after, limit=size + 1, teams=visible_teams(query.caller_teams)
        )
    page, more = rows[:size], len(rows) > size
    token = encode_page_token(page[-1].customer_id) if more else ""
    # The query already narrowed to the caller's teams; the rule is applied again so no store can widen it.
    shown = tuple(view(c, masked=True) for c in page if may_access(query.caller_teams, c.team))
    return CustomerPage(shown, token)
