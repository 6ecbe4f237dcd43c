"""Translation between the pricing contract (oms.pricing.v1) and the domain, checking wire-level input.

Inbound, money and timestamps are decoded here so a bad request names its proto field
(``prices[0].cost.currency``); every business rule stays in the domain.
"""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from oms.common.v1 import common_pb2
from oms.pricing.v1 import pricing_pb2

from services.pricing.domain.launch import LaunchReport, LaunchViolation
from services.pricing.domain.prices import SkuPrice
from services.pricing.domain.promotions import (
    Promotion,
    PromotionDefinition,
    PromotionKind,
    PromotionStatus,
    Scope,
)
from services.pricing.domain.quote import Quote
from services.pricing.domain.shipping import ShippingRule
from services.pricing.domain.validation import DEFAULT_CURRENCY
from shared.grpc.convert import timestamp_out as instant_out
from shared.kernel.errors import InvalidArgument
from shared.kernel.money import Money


def money_in(message: common_pb2.Money, field: str, default_currency: str) -> Money:
    """A Money field; an empty currency means ``default_currency`` (the currency of its context)."""
    currency = message.currency or default_currency or DEFAULT_CURRENCY
    if not (len(currency) == 3 and currency.isascii() and currency.isalpha() and currency.isupper()):
        raise InvalidArgument.field(f"{field}.currency", "must be a 3-letter ISO 4217 code such as CNY")
    return Money(message.amount_minor, currency)


def money_out(amount: int, currency: str) -> common_pb2.Money:
    return common_pb2.Money(amount_minor=amount, currency=currency)


def instant_in(message: Timestamp, field: str) -> datetime:
    try:
        return message.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError) as error:
        raise InvalidArgument.field(field, "is not a valid timestamp") from error


def status_in(number: int, field: str) -> PromotionStatus | None:
    if number == pricing_pb2.PROMOTION_STATUS_UNSPECIFIED:
        return None
    try:
        return PromotionStatus(pricing_pb2.PromotionStatus.Name(number).removeprefix("PROMOTION_STATUS_"))
    except ValueError as error:
        raise InvalidArgument.field(field, "is not a promotion status") from error


def status_out(status: PromotionStatus) -> int:
    return pricing_pb2.PromotionStatus.Value("PROMOTION_STATUS_" + status.value)


def kind_out(kind: PromotionKind | None) -> int:
    return pricing_pb2.PromotionKind.Value("PROMOTION_KIND_" + kind.value) if kind else 0


def price_out(price: SkuPrice) -> pricing_pb2.SkuPrice:
    message = pricing_pb2.SkuPrice(
        sku=price.sku,
        unit_price=money_out(price.unit_price, price.currency),
        cost=money_out(price.cost, price.currency),
        floor=money_out(price.floor, price.currency),
        category=price.category,
        version=price.version,
    )
    if price.updated_at is not None:
        message.updated_at.CopyFrom(instant_out(price.updated_at))
    return message


def rule_out(rule: ShippingRule) -> pricing_pb2.ShippingRule:
    message = pricing_pb2.ShippingRule(
        country=rule.country, province=rule.province, flat_fee=money_out(rule.flat_fee, rule.currency)
    )
    if rule.free_over is not None:
        message.free_over.CopyFrom(money_out(rule.free_over, rule.currency))
    return message


def definition_in(message: pricing_pb2.PromotionDefinition, prefix: str) -> PromotionDefinition:
    """The definition as sent; the domain checks it (normalize_definition) with the same field prefix."""
    currency = message.currency or DEFAULT_CURRENCY
    benefit = message.WhichOneof("benefit")
    kind = {"amount_off": PromotionKind.AMOUNT_OFF, "percent_off_bps": PromotionKind.PERCENT_OFF}.get(benefit or "")
    amount_off = money_in(message.amount_off, f"{prefix}.amount_off", currency) if benefit == "amount_off" else None
    threshold = money_in(message.threshold, f"{prefix}.threshold", currency) if message.HasField("threshold") else None
    for name, amount in (("amount_off", amount_off), ("threshold", threshold)):
        if amount is not None and amount.currency != currency:
            raise InvalidArgument.field(f"{prefix}.{name}.currency", f"must be the promotion's currency {currency}")
    return PromotionDefinition(
        name=message.name,
        currency=message.currency,
        kind=kind,
        amount_off=amount_off.amount_minor if amount_off else 0,
        percent_off_bps=message.percent_off_bps if benefit == "percent_off_bps" else 0,
        threshold=threshold.amount_minor if threshold else 0,
        scope=Scope(message.scope.all_skus, tuple(message.scope.skus), tuple(message.scope.categories)),
        eligible_tiers=tuple(message.eligible_tiers),
        coupon_code=message.coupon_code,
        stacking_group=message.stacking_group,
        stackable_with=tuple(message.stackable_with),
        starts_at=instant_in(message.starts_at, f"{prefix}.starts_at") if message.HasField("starts_at") else None,
        ends_at=instant_in(message.ends_at, f"{prefix}.ends_at") if message.HasField("ends_at") else None,
        max_combined_discount_bps=message.max_combined_discount_bps,
    )


def definition_out(d: PromotionDefinition) -> pricing_pb2.PromotionDefinition:
    message = pricing_pb2.PromotionDefinition(
        name=d.name,
        currency=d.currency,
        scope=pricing_pb2.PromotionScope(all_skus=d.scope.all_skus, skus=d.scope.skus, categories=d.scope.categories),
        eligible_tiers=d.eligible_tiers,
        coupon_code=d.coupon_code,
        stacking_group=d.stacking_group,
        stackable_with=d.stackable_with,
        max_combined_discount_bps=d.max_combined_discount_bps,
    )
    if d.kind is PromotionKind.AMOUNT_OFF:
        message.amount_off.CopyFrom(money_out(d.amount_off, d.currency))
    elif d.kind is PromotionKind.PERCENT_OFF:
        message.percent_off_bps = d.percent_off_bps
    if d.threshold:
        message.threshold.CopyFrom(money_out(d.threshold, d.currency))
    if d.starts_at is not None:
        message.starts_at.CopyFrom(instant_out(d.starts_at))
    if d.ends_at is not None:
        message.ends_at.CopyFrom(instant_out(d.ends_at))
    return message


def promotion_out(p: Promotion) -> pricing_pb2.Promotion:
    return pricing_pb2.Promotion(
        promotion_id=p.promotion_id,
        definition=definition_out(p.definition),
        status=status_out(p.status),
        kind=kind_out(p.definition.kind),
        version=p.version,
        created_at=instant_out(p.created_at),
        updated_at=instant_out(p.updated_at),
    )


def _violation_out(v: LaunchViolation) -> pricing_pb2.LaunchViolation:
    return pricing_pb2.LaunchViolation(
        sku=v.sku,
        promotion_ids=v.promotion_ids,
        kinds=[pricing_pb2.ViolationKind.Value("VIOLATION_KIND_" + k.value) for k in v.kinds],
        unit_price=money_out(v.unit_price, v.currency),
        worst_net_unit_price=money_out(v.worst_net_unit_price, v.currency),
        floor=money_out(v.floor, v.currency),
        cost=money_out(v.cost, v.currency),
    )


def report_out(report: LaunchReport) -> pricing_pb2.ValidatePromotionLaunchResponse:
    return pricing_pb2.ValidatePromotionLaunchResponse(
        ok=report.ok,
        skus_checked=report.skus_checked,
        combinations_checked=report.combinations_checked,
        violations=[_violation_out(v) for v in report.violations],
        violation_count=report.violation_count,
    )


def quote_out(quote: Quote) -> pricing_pb2.PriceQuote:
    priced = quote.priced
    currency = priced.currency
    return pricing_pb2.PriceQuote(
        quote_id=quote.quote_id,
        lines=[
            pricing_pb2.QuoteLine(
                sku=line.sku,
                quantity=line.quantity,
                unit_price=money_out(line.unit_price, currency),
                discount=money_out(line.discount, currency),
                line_total=money_out(line.line_total, currency),
            )
            for line in priced.lines
        ],
        subtotal=money_out(priced.subtotal, currency),
        discount_total=money_out(priced.discount_total, currency),
        shipping_fee=money_out(priced.shipping_fee, currency),
        total=money_out(priced.total, currency),
        issued_at=instant_out(quote.issued_at),
        valid_until=instant_out(quote.valid_until),
        applied=[
            pricing_pb2.AppliedPromotion(
                promotion_id=a.promotion_id,
                name=a.name,
                kind=kind_out(a.kind),
                coupon_code=a.coupon_code,
                amount=money_out(a.amount, currency),
                capped=a.capped,
            )
            for a in priced.applied
        ],
        rejected=[
            pricing_pb2.RejectedPromotion(
                promotion_id=r.promotion_id,
                name=r.name,
                coupon_code=r.coupon_code,
                reason=pricing_pb2.RejectionReason.Value("REJECTION_REASON_" + r.reason.value),
                detail=r.detail,
            )
            for r in priced.rejected
        ],
        customer_tier=priced.customer_tier,
        coupon_codes=priced.coupon_codes,
    )
