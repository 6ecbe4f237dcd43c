"""The Customer aggregate: registration from a validated profile, filling blanks, tiers, tags and merging."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from services.customers.domain import events
from services.customers.domain.errors import CustomerMerged, TooManyTags
from services.customers.domain.identity import (
    Identity,
    IdentityKind,
    normalise_email,
    normalise_phone,
    normalise_tax_id,
)
from services.customers.domain.text import clean_text
from services.customers.domain.values import Address, CustomerKind, CustomerStatus, CustomerTier
from shared.kernel.errors import InvalidArgument

NAME_MAX_LENGTH = 200
CHANNEL_MAX_LENGTH = 64
REASON_MAX_LENGTH = 500
TAG_MAX_LENGTH = 64
MAX_TAGS_PER_REQUEST = 20
MAX_TAGS_PER_CUSTOMER = 100


@dataclass(frozen=True)
class Profile:
    """What an upsert says about a customer, validated and normalised."""

    name: str
    phone: str = ""
    email: str = ""
    tax_id: str = ""
    address: Address = field(default_factory=Address)
    channel: str = ""

    @classmethod
    def parse(
        cls,
        *,
        name: str,
        phone: str = "",
        email: str = "",
        tax_id: str = "",
        address: Address | None = None,
        channel: str = "",
    ) -> Profile:
        """Validate raw input; raises InvalidArgument naming the first offending field."""
        clean_name = clean_text("name", name, max_length=NAME_MAX_LENGTH, required=True)
        clean_phone = normalise_phone(phone) if phone.strip() else ""
        clean_tax_id = normalise_tax_id(tax_id) if tax_id.strip() else ""
        if not clean_phone and not clean_tax_id:
            raise InvalidArgument.field(
                "phone", "a phone or a tax_id is required to identify the customer", reason="IDENTITY_REQUIRED"
            )
        return cls(
            name=clean_name,
            phone=clean_phone,
            email=normalise_email(email) if email.strip() else "",
            tax_id=clean_tax_id,
            address=address or Address(),
            channel=clean_text("channel", channel, max_length=CHANNEL_MAX_LENGTH),
        )

    @property
    def identities(self) -> tuple[Identity, ...]:
        """The identities in lookup order: tax id first (it names a company), then phone."""
        found = []
        if self.tax_id:
            found.append(Identity(IdentityKind.TAX_ID, self.tax_id))
        if self.phone:
            found.append(Identity(IdentityKind.PHONE, self.phone))
        return tuple(found)


def parse_tag(raw: str, field_name: str = "tag") -> str:
    """One tag, NFKC-normalised (so full-width "ＶＩＰ" is "VIP") and trimmed, 1..64 characters."""
    return clean_text(field_name, unicodedata.normalize("NFKC", raw), max_length=TAG_MAX_LENGTH, required=True)


def parse_tags(raw: Sequence[str], field_name: str = "tags") -> tuple[str, ...]:
    """1..20 tags (each as :func:`parse_tag`), duplicates dropped, first occurrence kept."""
    if not raw:
        raise InvalidArgument.field(field_name, "at least one tag is required")
    if len(raw) > MAX_TAGS_PER_REQUEST:
        raise InvalidArgument.field(field_name, f"at most {MAX_TAGS_PER_REQUEST} tags per request")
    tags: list[str] = []
    for index, tag in enumerate(raw):
        cleaned = parse_tag(tag, f"{field_name}[{index}]")
        if cleaned not in tags:
            tags.append(cleaned)
    return tuple(tags)


def parse_reason(raw: str, field_name: str = "reason") -> str:
    return clean_text(field_name, raw, max_length=REASON_MAX_LENGTH)


# Fields a later record may fill in when the stored one has them empty, in the order events list them.
_FILLABLE = ("phone", "email", "tax_id", "address", "channel")


@dataclass(eq=False)
class Customer:
    """One customer record. Methods check the rules, change the record and queue domain events."""

    customer_id: str
    kind: CustomerKind
    status: CustomerStatus
    name: str
    phone: str
    email: str
    tax_id: str
    address: Address
    tier: CustomerTier
    tags: tuple[str, ...]
    channel: str
    merged_into: str
    version: int
    created_at: datetime
    updated_at: datetime
    # The owning team ("" while unassigned); who may see the record is decided by domain.access.
    team: str = ""
    events: list[events.DomainEvent] = field(default_factory=list, repr=False)

    @classmethod
    def register(cls, customer_id: str, profile: Profile, now: datetime, *, team: str = "") -> Customer:
        """A new record of ``profile`` owned by ``team`` (already decided by domain.access)."""
        customer = cls(
            customer_id=customer_id,
            kind=CustomerKind.COMPANY if profile.tax_id else CustomerKind.PERSON,
            status=CustomerStatus.ACTIVE,
            name=profile.name,
            phone=profile.phone,
            email=profile.email,
            tax_id=profile.tax_id,
            address=profile.address,
            tier=CustomerTier.REGULAR,
            tags=(),
            channel=profile.channel,
            merged_into="",
            version=1,
            created_at=now,
            updated_at=now,
            team=team,
        )
        customer.events.append(
            events.CustomerRegistered(
                customer_id=customer_id,
                kind=customer.kind,
                name=customer.name,
                phone=customer.phone,
                tax_id=customer.tax_id,
                tier=customer.tier,
                channel=customer.channel,
                registered_at=now,
                team=team,
            )
        )
        return customer

    @property
    def is_active(self) -> bool:
        return self.status is CustomerStatus.ACTIVE

    @property
    def identities(self) -> tuple[Identity, ...]:
        found = []
        if self.tax_id:
            found.append(Identity(IdentityKind.TAX_ID, self.tax_id))
        if self.phone:
            found.append(Identity(IdentityKind.PHONE, self.phone))
        return tuple(found)

    def _require_active(self) -> None:
        if not self.is_active:
            raise CustomerMerged(self.customer_id, self.merged_into)

    def _touch(self, now: datetime) -> None:
        self.version += 1
        self.updated_at = max(now, self.updated_at)

    def blanks_in(self, source: Profile | Customer) -> tuple[str, ...]:
        """Which of this record's empty fields ``source`` would fill (pure: nothing changes)."""
        found = []
        for name in _FILLABLE:
            mine, theirs = getattr(self, name), getattr(source, name)
            empty = mine.is_empty if isinstance(mine, Address) else not mine
            present = not theirs.is_empty if isinstance(theirs, Address) else bool(theirs)
            if empty and present:
                found.append(name)
        return tuple(found)

    def _fill(self, source: Profile | Customer) -> tuple[str, ...]:
        filled = self.blanks_in(source)
        for name in filled:
            setattr(self, name, getattr(source, name))
        if self.tax_id:
            self.kind = CustomerKind.COMPANY
        return filled

    def fill_blanks(self, profile: Profile, now: datetime) -> tuple[str, ...]:
        """Take the profile's values for fields this record lacks; stored values are never overwritten.

        A channel's buyer data is often partial or a nickname, so the first good value is kept
        rather than the latest one.
        """
        self._require_active()
        filled = self._fill(profile)
        if filled:
            self._touch(now)
            self.events.append(events.CustomerUpdated(self.customer_id, filled, self.version, self.updated_at))
        return filled

    def set_tier(self, tier: CustomerTier, reason: str, now: datetime) -> bool:
        """Change the tier; False (and no event) when it already is ``tier``."""
        self._require_active()
        if tier is self.tier:
            return False
        previous, self.tier = self.tier, tier
        self._touch(now)
        self.events.append(events.CustomerTierChanged(self.customer_id, previous, tier, reason, self.updated_at))
        return True

    def set_team(self, team: str, reason: str, now: datetime) -> bool:
        """Move the record to ``team`` ("" unassigns it); False (and no event) when it already is there."""
        self._require_active()
        if team == self.team:
            return False
        previous, self.team = self.team, team
        self._touch(now)
        self.events.append(events.CustomerTeamChanged(self.customer_id, previous, team, reason, self.updated_at))
        return True

    def add_tags(self, tags: Iterable[str], now: datetime) -> tuple[str, ...]:
        """Add the tags it lacks; returns those added. Raises TooManyTags past the per-customer limit."""
        self._require_active()
        added = tuple(t for t in dict.fromkeys(tags) if t not in self.tags)
        if not added:
            return ()
        if len(self.tags) + len(added) > MAX_TAGS_PER_CUSTOMER:
            raise TooManyTags(self.customer_id, MAX_TAGS_PER_CUSTOMER)
        self.tags = tuple(sorted((*self.tags, *added)))
        self._touch(now)
        self.events.append(events.CustomerTagged(self.customer_id, added, self.tags, self.updated_at))
        return added

    def remove_tags(self, tags: Iterable[str], now: datetime) -> tuple[str, ...]:
        """Remove the tags it holds; returns those removed (absent ones are ignored)."""
        self._require_active()
        wanted = set(tags)
        removed = tuple(t for t in self.tags if t in wanted)
        if not removed:
            return ()
        self.tags = tuple(t for t in self.tags if t not in wanted)
        self._touch(now)
        self.events.append(events.CustomerUntagged(self.customer_id, removed, self.tags, self.updated_at))
        return removed

    def absorb(self, other: Customer, reason: str, now: datetime) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Merge ``other`` into this survivor: fill blanks, union tags, keep the higher tier.

        ``other`` becomes MERGED and points here; its record is kept as history. Returns the filled
        fields and the tags gained.
        """
        if other.customer_id == self.customer_id:
            raise InvalidArgument.field("merged_customer_id", "must differ from survivor_customer_id")
        self._require_active()
        other._require_active()
        gained = tuple(t for t in other.tags if t not in self.tags)
        if len(self.tags) + len(gained) > MAX_TAGS_PER_CUSTOMER:
            raise TooManyTags(self.customer_id, MAX_TAGS_PER_CUSTOMER)
        filled = self._fill(other)
        self.tags = tuple(sorted((*self.tags, *gained)))
        previous_tier = self.tier
        if other.tier.rank > self.tier.rank:
            self.tier = other.tier
        self._touch(now)
        other.status = CustomerStatus.MERGED
        other.merged_into = self.customer_id
        other._touch(now)
        self.events.append(
            events.CustomersMerged(self.customer_id, other.customer_id, filled, gained, reason, self.updated_at)
        )
        if self.tier is not previous_tier:
            self.events.append(
                events.CustomerTierChanged(
                    self.customer_id, previous_tier, self.tier, f"merged {other.customer_id}", self.updated_at
                )
            )
        return filled, gained

    def snapshot(self) -> Customer:
        """A copy without pending events (for fakes and comparisons)."""
        return replace(self, events=[])
