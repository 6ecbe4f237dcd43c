"""The pricing context's failures, each with a stable reason the gRPC edge puts in google.rpc.ErrorInfo."""

from __future__ import annotations

from collections.abc import Sequence

from shared.kernel.errors import AlreadyExists, FailedPrecondition, FieldViolation, NotFound


class SkuNotPriced(NotFound):
    reason = "SKU_NOT_PRICED"

    def __init__(self, sku: str, currency: str) -> None:
        super().__init__(f"SKU {sku!r} has no price in {currency}", metadata={"sku": sku, "currency": currency})


class PriceBelowFloor(FailedPrecondition):
    """A line's net unit price after discounts would fall below the SKU's floor: the quote is refused."""

    reason = "PRICE_BELOW_FLOOR"

    def __init__(self, sku: str, currency: str, floor: int, net_unit_price: int) -> None:
        super().__init__(
            f"SKU {sku!r} would sell at {net_unit_price} {currency} (minor units) per unit, below its floor {floor}",
            metadata={"sku": sku, "currency": currency, "floor": str(floor), "net_unit_price": str(net_unit_price)},
        )


class QuoteNotFound(NotFound):
    reason = "QUOTE_NOT_FOUND"

    def __init__(self, quote_id: str) -> None:
        super().__init__(f"quote {quote_id} does not exist", metadata={"quote_id": quote_id})


class QuoteExpired(FailedPrecondition):
    reason = "QUOTE_EXPIRED"

    def __init__(self, quote_id: str, valid_until: str) -> None:
        super().__init__(
            f"quote {quote_id} expired at {valid_until}; ask for a new quote",
            metadata={"quote_id": quote_id, "valid_until": valid_until},
        )


class PromotionNotFound(NotFound):
    reason = "PROMOTION_NOT_FOUND"

    def __init__(self, promotion_id: str) -> None:
        super().__init__(f"promotion {promotion_id} does not exist", metadata={"promotion_id": promotion_id})


class CouponCodeTaken(AlreadyExists):
    reason = "COUPON_CODE_TAKEN"

    def __init__(self, coupon_code: str, field: str = "promotion.coupon_code") -> None:
        super().__init__(
            f"coupon code {coupon_code!r} belongs to another promotion",
            metadata={"coupon_code": coupon_code},
            violations=[FieldViolation(field, "belongs to another promotion")],
        )


class PromotionSellsBelowFloor(FailedPrecondition):
    """The launch check found a combination that would sell a SKU below its floor or cost."""

    reason = "PROMOTION_SELLS_BELOW_FLOOR"

    def __init__(self, promotion_id: str, sku: str, promotion_ids: Sequence[str], violation_count: int) -> None:
        super().__init__(
            f"promotion {promotion_id} would let {', '.join(promotion_ids)} sell SKU {sku!r} below its floor or"
            f" cost ({violation_count} violating combinations; see ValidatePromotionLaunch)",
            metadata={
                "promotion_id": promotion_id,
                "sku": sku,
                "promotion_ids": ",".join(promotion_ids),
                "violations": str(violation_count),
            },
        )


class PromotionWindowOver(FailedPrecondition):
    reason = "PROMOTION_WINDOW_OVER"

    def __init__(self, promotion_id: str, ends_at: str) -> None:
        super().__init__(
            f"promotion {promotion_id} ended at {ends_at}; it cannot be activated",
            metadata={"promotion_id": promotion_id, "ends_at": ends_at},
        )
