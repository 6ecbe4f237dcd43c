"""The pricing use cases: one handler per command or query, over a unit of work, the catalogue and a clock."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.pricing.application.commands import (
    ActivatePromotion,
    CreatePromotion,
    DeactivatePromotion,
    GetPrices,
    GetPromotion,
    GetQuote,
    ListPromotions,
    PricesFound,
    PricesSet,
    PromotionActivation,
    PromotionPage,
    QuoteBasket,
    SetPrices,
    SetShippingRule,
    ShippingRuleSet,
    ValidatePromotionLaunch,
)
from services.pricing.application.ports import (
    Clock,
    Cursor,
    IdFactory,
    PricingUnitOfWork,
    PromotionCatalog,
)
from services.pricing.domain.errors import (
    CouponCodeTaken,
    PromotionNotFound,
    PromotionSellsBelowFloor,
    QuoteNotFound,
)
from services.pricing.domain.events import (
    PriceChanged,
    PromotionActivated,
    PromotionDeactivated,
    QuoteIssued,
)
from services.pricing.domain.launch import DEFAULT_REPORT_LIMIT, LaunchReport, check_launch
from services.pricing.domain.prices import MAX_PRICES_PER_CALL, check_price_entries
from services.pricing.domain.promotions import Promotion, PromotionStatus, normalize_definition
from services.pricing.domain.quote import DEFAULT_VALIDITY, Quote
from services.pricing.domain.quoting import PricingPolicy, check_basket, price_basket
from services.pricing.domain.shipping import check_shipping_rule
from services.pricing.domain.validation import (
    MAX_SKU_LENGTH,
    Violations,
    check_identifier,
    check_text,
    normalize_currency,
)
from shared.kernel.errors import InvalidArgument
from shared.kernel.ids import is_valid_id

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_REASON_LENGTH = 500


@dataclass(frozen=True)
class QuotingConfig:
    """The merchant-wide quote settings (from the service settings)."""

    policy: PricingPolicy = field(default_factory=PricingPolicy)
    validity: timedelta = DEFAULT_VALIDITY


def _check_id(value: str, field: str) -> str:
    if not is_valid_id(value):
        raise InvalidArgument.field(field, "must be a UUID")
    return value.lower()


async def set_prices(cmd: SetPrices, uow: PricingUnitOfWork, clock: Clock) -> PricesSet:
    """Upsert many SKUs' prices in one statement; unchanged SKUs keep their version and emit nothing."""
    prices = check_price_entries(cmd.entries)
    async with uow:
        if (previous := await uow.replay(cmd, PricesSet)) is not None:
            return previous
        now = clock()
        changed = await uow.prices.upsert_many(prices, now)
        by_key = {(p.sku, p.currency): p for p in changed}
        missing = [p for p in prices if (p.sku, p.currency) not in by_key]
        for currency in sorted({p.currency for p in missing}):
            current = await uow.prices.get_many([p.sku for p in missing if p.currency == currency], currency)
            by_key.update({(p.sku, p.currency): p for p in current.values()})
        uow.publish(*(PriceChanged(p, now) for p in changed))
        result = PricesSet(tuple(by_key[(p.sku, p.currency)] for p in prices), len(changed))
        await uow.remember(cmd, result)
        await uow.commit()
    return result


async def get_prices(query: GetPrices, uow: PricingUnitOfWork) -> PricesFound:
    v = Violations()
    if not query.skus:
        v.add("skus", "at least one SKU is required")
    elif len(query.skus) > MAX_PRICES_PER_CALL:
        v.add("skus", f"at most {MAX_PRICES_PER_CALL} SKUs")
    for i, sku in enumerate(query.skus[:MAX_PRICES_PER_CALL]):
        check_identifier(sku, f"skus[{i}]", v, max_length=MAX_SKU_LENGTH, what="SKU")
    currency = normalize_currency(query.currency, "currency", v)
    v.raise_if_any()
    skus = list(dict.fromkeys(query.skus))
    async with uow:
        found = await uow.prices.get_many(skus, currency)
    return PricesFound(tuple(found[s] for s in skus if s in found), tuple(s for s in skus if s not in found))


async def set_shipping_rule(
    cmd: SetShippingRule, uow: PricingUnitOfWork, catalog: PromotionCatalog, clock: Clock
) -> ShippingRuleSet:
    rule = check_shipping_rule(cmd.country, cmd.province, cmd.flat_fee, cmd.free_over)
    async with uow:
        if (previous := await uow.replay(cmd, ShippingRuleSet)) is not None:
            return previous
        await uow.shipping.upsert(rule, clock())
        result = ShippingRuleSet(rule)
        await uow.remember(cmd, result)
        await uow.commit()
    catalog.invalidate()
    return result


async def quote_basket(
    cmd: QuoteBasket,
    uow: PricingUnitOfWork,
    catalog: PromotionCatalog,
    clock: Clock,
    new_id: IdFactory,
    config: QuotingConfig = QuotingConfig(),
) -> Quote:
    """The hot path: one query for every line's price, promotions from memory, one stored quote."""
    basket = check_basket(
        cmd.lines,
        currency=cmd.currency,
        customer_tier=cmd.customer_tier,
        coupon_codes=cmd.coupon_codes,
        country=cmd.country,
        province=cmd.province,
    )
    snapshot = await catalog.snapshot()
    async with uow:
        if (previous := await uow.replay(cmd, Quote)) is not None:
            return previous
        prices = await uow.prices.get_many(basket.skus, basket.currency)
        now = clock()
        priced = price_basket(
            basket, prices, snapshot.promotions, snapshot.shipping_rules, now=now, policy=config.policy
        )
        quote = Quote.issue(new_id(), priced, now, config.validity)
        await uow.quotes.add(quote)
        uow.publish(QuoteIssued(quote))
        await uow.remember(cmd, quote)
        await uow.commit()
    return quote


async def get_quote(query: GetQuote, uow: PricingUnitOfWork, clock: Clock) -> Quote:
    quote_id = _check_id(query.quote_id, "quote_id")
    async with uow:
        quote = await uow.quotes.get(quote_id)
    if quote is None:
        raise QuoteNotFound(quote_id)
    return quote.ensure_valid(clock())


async def create_promotion(cmd: CreatePromotion, uow: PricingUnitOfWork, clock: Clock, new_id: IdFactory) -> Promotion:
    definition = normalize_definition(cmd.definition)
    async with uow:
        if (previous := await uow.replay(cmd, Promotion)) is not None:
            return previous
        now = clock()
        promotion = Promotion(new_id(), definition, PromotionStatus.DRAFT, 1, now, now)
        if not await uow.promotions.add(promotion):
            raise CouponCodeTaken(definition.coupon_code)
        await uow.remember(cmd, promotion)
        await uow.commit()
    return promotion


async def get_promotion(query: GetPromotion, uow: PricingUnitOfWork) -> Promotion:
    promotion_id = _check_id(query.promotion_id, "promotion_id")
    async with uow:
        promotion = await uow.promotions.get(promotion_id)
    if promotion is None:
        raise PromotionNotFound(promotion_id)
    return promotion


def _encode_token(status: PromotionStatus | None, cursor: Cursor) -> str:
    plain = {"s": status.value if status else "", "t": cursor.created_at.isoformat(), "i": cursor.promotion_id}
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode()


def _decode_token(token: str, status: PromotionStatus | None) -> Cursor:
    try:
        plain = json.loads(base64.urlsafe_b64decode(token.encode()))
        cursor = Cursor(datetime.fromisoformat(plain["t"]), plain["i"])
        issued_for = plain["s"]
    except (ValueError, KeyError, TypeError, binascii.Error) as error:
        raise InvalidArgument.field("page.page_token", "is not a token this service issued") from error
    if issued_for != (status.value if status else "") or not is_valid_id(cursor.promotion_id):
        raise InvalidArgument.field("page.page_token", "was issued for another filter")
    return cursor


async def list_promotions(query: ListPromotions, uow: PricingUnitOfWork) -> PromotionPage:
    if query.page_size < 0:
        raise InvalidArgument.field("page.page_size", "must not be negative")
    size = min(query.page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    after = _decode_token(query.page_token, query.status) if query.page_token else None
    async with uow:
        rows = await uow.promotions.list(query.status, after, size + 1)
    page = rows[:size]
    token = ""
    if len(rows) > size:
        last = page[-1]
        token = _encode_token(query.status, Cursor(last.created_at, last.promotion_id))
    return PromotionPage(tuple(page), token)


async def _launch_report(uow: PricingUnitOfWork, candidate: Promotion, now: datetime, limit: int) -> LaunchReport:
    active = await uow.promotions.active()
    prices = await uow.prices.covered_by(candidate.definition.scope, candidate.definition.currency)
    return check_launch(candidate, active, prices, now=now, limit=limit)


async def validate_promotion_launch(
    query: ValidatePromotionLaunch, uow: PricingUnitOfWork, clock: Clock, limit: int = DEFAULT_REPORT_LIMIT
) -> LaunchReport:
    """The launch check of a stored promotion or a draft, changing nothing."""
    if bool(query.promotion_id) == (query.draft is not None):
        raise InvalidArgument.field("target", "set exactly one of promotion_id and draft")
    now = clock()
    async with uow:
        if query.draft is not None:
            candidate = Promotion("", normalize_definition(query.draft, "draft"), PromotionStatus.DRAFT, 0, now, now)
        else:
            promotion_id = _check_id(query.promotion_id, "promotion_id")
            found = await uow.promotions.get(promotion_id)
            if found is None:
                raise PromotionNotFound(promotion_id)
            candidate = found
        return await _launch_report(uow, candidate, now, limit)


async def activate_promotion(
    cmd: ActivatePromotion,
    uow: PricingUnitOfWork,
    catalog: PromotionCatalog,
    clock: Clock,
    limit: int = DEFAULT_REPORT_LIMIT,
) -> PromotionActivation:
    """Switch a promotion on only if the launch check passes; activations are serialised by a database lock."""
    promotion_id = _check_id(cmd.promotion_id, "promotion_id")
    async with uow:
        if (previous := await uow.replay(cmd, PromotionActivation)) is not None:
            return previous
        await uow.promotions.lock_launches()
        promotion = await uow.promotions.get(promotion_id, lock=True)
        if promotion is None:
            raise PromotionNotFound(promotion_id)
        now = clock()
        activated = promotion.activated(now)
        report = await _launch_report(uow, activated, now, limit)
        if not report.ok:
            worst = report.violations[0]
            raise PromotionSellsBelowFloor(promotion_id, worst.sku, worst.promotion_ids, report.violation_count)
        await uow.promotions.update_status(promotion, activated)
        uow.publish(PromotionActivated(activated, report.combinations_checked, now))
        result = PromotionActivation(activated, report)
        await uow.remember(cmd, result)
        await uow.commit()
    catalog.invalidate()
    return result


async def deactivate_promotion(
    cmd: DeactivatePromotion, uow: PricingUnitOfWork, catalog: PromotionCatalog, clock: Clock
) -> Promotion:
    promotion_id = _check_id(cmd.promotion_id, "promotion_id")
    v = Violations()
    check_text(cmd.reason, "reason", v, max_length=MAX_REASON_LENGTH, required=False)
    v.raise_if_any()
    async with uow:
        if (previous := await uow.replay(cmd, Promotion)) is not None:
            return previous
        promotion = await uow.promotions.get(promotion_id, lock=True)
        if promotion is None:
            raise PromotionNotFound(promotion_id)
        now = clock()
        deactivated = promotion.deactivated(now)
        await uow.promotions.update_status(promotion, deactivated, cmd.reason)
        uow.publish(PromotionDeactivated(deactivated, promotion.status, cmd.reason, now))
        await uow.remember(cmd, deactivated)
        await uow.commit()
    catalog.invalidate()
    return deactivated
