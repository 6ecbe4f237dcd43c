"""Domain events of pricing as the integration events of oms.pricing.v1, with their aggregate type and id."""

from __future__ import annotations

from google.protobuf import message
from oms.common.v1 import common_pb2
from oms.pricing.v1 import events_pb2

from services.pricing.adapters import protos
from services.pricing.domain.events import (
    DomainEvent,
    PriceChanged,
    PromotionActivated,
    PromotionDeactivated,
)
from shared.context import current_call


def _actor() -> common_pb2.Actor:
    call = current_call.get()
    return common_pb2.Actor(subject=call.subject, role=call.role)


def integration_event(event: DomainEvent) -> tuple[message.Message, str, str]:
    """The proto of ``event`` with its (aggregate_type, aggregate_id)."""
    if isinstance(event, PriceChanged):
        price = event.price
        proto = events_pb2.PriceChanged(
            sku=price.sku,
            price=protos.price_out(price),
            changed_at=protos.instant_out(event.changed_at),
            actor=_actor(),
        )
        return proto, "sku_price", f"{price.sku}@{price.currency}"
    if isinstance(event, PromotionActivated):
        promotion = event.promotion
        return (
            events_pb2.PromotionActivated(
                promotion_id=promotion.promotion_id,
                promotion=protos.promotion_out(promotion),
                combinations_checked=event.combinations_checked,
                activated_at=protos.instant_out(event.activated_at),
                actor=_actor(),
            ),
            "promotion",
            promotion.promotion_id,
        )
    if isinstance(event, PromotionDeactivated):
        promotion = event.promotion
        return (
            events_pb2.PromotionDeactivated(
                promotion_id=promotion.promotion_id,
                previous_status=protos.status_out(event.previous_status),
                reason=event.reason,
                deactivated_at=protos.instant_out(event.deactivated_at),
                actor=_actor(),
            ),
            "promotion",
            promotion.promotion_id,
        )
    quote = event.quote
    priced = quote.priced
    return (
        events_pb2.QuoteIssued(
            quote_id=quote.quote_id,
            total=protos.money_out(priced.total, priced.currency),
            discount_total=protos.money_out(priced.discount_total, priced.currency),
            applied_promotion_ids=sorted(a.promotion_id for a in priced.applied),
            line_count=len(priced.lines),
            valid_until=protos.instant_out(quote.valid_until),
        ),
        "quote",
        quote.quote_id,
    )
