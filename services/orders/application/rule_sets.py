"""Review and routing rules as versioned data: store a version, activate one, read one, and the cache of
parsed active rules the hot paths (a payment, a channel batch, an allocation) consult; plus the review of
a paid order and the dry run of review rules against stored orders."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from services.orders.application.commands import OrderFilter
from services.orders.application.fulfilment_commands import (
    ActivateRules,
    DryRunResult,
    DryRunReview,
    GetRules,
    RuleSetView,
    RuleTally,
    SetRules,
)
from services.orders.application.fulfilment_ports import (
    ReviewDecisionRepository,
    RuleKind,
    RuleRepository,
    StoredRuleSet,
)
from services.orders.application.ports import Clock, Cursor, OrderRepository
from services.orders.domain import events as ev
from services.orders.domain.errors_fulfilment import RuleSetNotFound
from services.orders.domain.model import Order
from services.orders.domain.review import (
    OTHERWISE,
    ReviewDecision,
    ReviewRules,
    decide,
    parse_review_rules,
    review_order,
)
from services.orders.domain.routing import RoutingRules, parse_routing_rules
from services.orders.domain.rules import REASON_MAX, check_text
from services.orders.domain.values import OrderStatus
from shared.kernel.errors import InvalidArgument

NOTE_MAX = REASON_MAX
DRY_RUN_MAX_ORDERS = 100_000
DRY_RUN_MAX_SPAN = timedelta(days=92)
_DRY_RUN_CHUNK = 1_000
_PARSERS = {RuleKind.REVIEW: parse_review_rules, RuleKind.ROUTING: parse_routing_rules}


class RulesUnitOfWork(Protocol):
    rules: RuleRepository
    reviews: ReviewDecisionRepository
    orders: OrderRepository

    async def __aenter__(self) -> Any: ...

    async def __aexit__(self, *exc_info: object) -> None: ...

    async def commit(self) -> None: ...

    async def replay(self, command: Any, result_type: type) -> Any: ...

    async def remember(self, command: Any, result: Any) -> None: ...


class RuleBook:
    """Parsed rule sets by (kind, version): a version never changes once stored, so only the active version
    number is read per use (one small query), and a new version is parsed once per process."""

    def __init__(self) -> None:
        self._parsed: dict[tuple[RuleKind, int], Any] = {}

    async def _active(self, rules: RuleRepository, kind: RuleKind) -> tuple[int, Any] | None:
        head = await rules.head(kind)
        if head.active_version is None:
            return None
        version = head.active_version
        parsed = self._parsed.get((kind, version))
        if parsed is None:
            stored = await rules.get(kind, version)
            if stored is None:
                return None
            parsed = self._parsed[(kind, version)] = _PARSERS[kind](stored.rules)
        return version, parsed

    async def review(self, rules: RuleRepository) -> tuple[int, ReviewRules] | None:
        return await self._active(rules, RuleKind.REVIEW)

    async def routing(self, rules: RuleRepository) -> tuple[int, RoutingRules] | None:
        return await self._active(rules, RuleKind.ROUTING)


async def auto_review(
    rules: RuleRepository, book: RuleBook, order: Order, now: datetime
) -> tuple[Order, list[ev.DomainEvent], ReviewDecision | None]:
    """Review ``order`` by the active review rules if it is PAID; without active rules it stays PAID for a
    person to review."""
    if order.status is not OrderStatus.PAID:
        return order, [], None
    active = await book.review(rules)
    if active is None:
        return order, [], None
    version, parsed = active
    reviewed = review_order(order, parsed, version, now)
    return reviewed.order, list(reviewed.events), reviewed.decision


def _note(value: str) -> str:
    check_text("note", value, NOTE_MAX)
    return value.strip()


def _version(value: int, *, allow_active: bool) -> int:
    if value < 0 or (value == 0 and not allow_active):
        raise InvalidArgument.field("version", "must be a positive version number")
    return value


async def set_rules(cmd: SetRules, uow: RulesUnitOfWork, *, clock: Clock) -> StoredRuleSet:
    # Parsed before anything is written: a rule the engine could not use is never stored.
    _PARSERS[cmd.kind](cmd.rules_json)
    note = _note(cmd.note)
    async with uow:
        if (previous := await uow.replay(cmd, StoredRuleSet)) is not None:
            return previous
        stored = await uow.rules.add(cmd.kind, cmd.rules_json, note, cmd.actor, clock())
        await uow.remember(cmd, stored)
        await uow.commit()
    return stored


async def activate_rules(cmd: ActivateRules, uow: RulesUnitOfWork, *, clock: Clock) -> StoredRuleSet:
    version = _version(cmd.version, allow_active=False)
    async with uow:
        if (previous := await uow.replay(cmd, StoredRuleSet)) is not None:
            return previous
        # The head row's lock orders concurrent activations: "already active" is judged on the latest one.
        await uow.rules.head(cmd.kind, lock=True)
        current = await uow.rules.get(cmd.kind, version)
        if current is None:
            raise RuleSetNotFound(cmd.kind.value, version)
        stored = current if current.active else await uow.rules.activate(cmd.kind, version, cmd.actor, clock())
        if stored is None:
            raise RuleSetNotFound(cmd.kind.value, version)
        await uow.remember(cmd, stored)
        await uow.commit()
    return stored


async def get_rules(query: GetRules, uow: RulesUnitOfWork) -> RuleSetView:
    version = _version(query.version, allow_active=True)
    async with uow:
        head = await uow.rules.head(query.kind)
        wanted = version or head.active_version or 0
        stored = await uow.rules.get(query.kind, wanted) if wanted else None
    if stored is None:
        raise RuleSetNotFound(query.kind.value, version)
    return RuleSetView(stored, head.active_version or 0, head.latest_version)


def _window(after: datetime | None, before: datetime | None) -> tuple[datetime, datetime]:
    if after is None:
        raise InvalidArgument.field("created_after", "is required")
    if before is None:
        raise InvalidArgument.field("created_before", "is required")
    if before <= after:
        raise InvalidArgument.field("created_before", "must be after created_after")
    if before - after > DRY_RUN_MAX_SPAN:
        raise InvalidArgument.field(
            "created_before", f"must be at most {DRY_RUN_MAX_SPAN.days} days after created_after"
        )
    return after, before


async def dry_run_review(query: DryRunReview, uow: RulesUnitOfWork) -> DryRunResult:
    """Decide every paid order created in the window with the given rules, changing nothing."""
    after, before = _window(query.created_after, query.created_before)
    if query.rules_json is not None and query.version is not None:
        raise InvalidArgument.field("rules", "give rules_json or version, not both")
    parsed = parse_review_rules(query.rules_json) if query.rules_json is not None else None
    version = 0
    counts: Counter[str] = Counter()
    evaluated = differently = 0
    truncated = False
    async with uow:
        if parsed is None:
            version = (
                _version(query.version or 0, allow_active=True)
                or (await uow.rules.head(RuleKind.REVIEW)).active_version
                or 0
            )
            stored = await uow.rules.get(RuleKind.REVIEW, version) if version else None
            if stored is None:
                raise RuleSetNotFound(RuleKind.REVIEW.value, query.version or 0)
            parsed = parse_review_rules(stored.rules)
        criteria = OrderFilter(created_after=after, created_before=before, oldest_first=True)
        cursor: Cursor | None = None
        while True:
            chunk = await uow.orders.list(criteria, cursor, _DRY_RUN_CHUNK)
            if not chunk:
                break
            cursor = Cursor(chunk[-1].created_at, chunk[-1].order_id)
            paid = [order for order in chunk if order.payment_id]
            room = DRY_RUN_MAX_ORDERS - evaluated
            if len(paid) > room:
                paid, truncated = paid[:room], True
            recorded = await uow.reviews.latest([order.order_id for order in paid])
            for order in paid:
                rule_id, verdict = decide(parsed, order)
                counts[rule_id] += 1
                was = recorded.get(order.order_id)
                if was is None or (was.outcome, was.queue) != (verdict.outcome, verdict.queue):
                    differently += 1
            evaluated += len(paid)
            if truncated or len(chunk) < _DRY_RUN_CHUNK:
                break
    tallies = [RuleTally(r.rule_id, r.verdict.outcome, r.verdict.queue, counts[r.rule_id]) for r in parsed.rules]
    tallies.append(RuleTally(OTHERWISE, parsed.otherwise.outcome, parsed.otherwise.queue, counts[OTHERWISE]))
    return DryRunResult(version, evaluated, truncated, tuple(tallies), differently)


async def record_decisions(reviews: ReviewDecisionRepository, decisions: Sequence[ReviewDecision | None]) -> None:
    found = [d for d in decisions if d is not None]
    if found:
        await reviews.record(found)
