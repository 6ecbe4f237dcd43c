"""Business rules of an order: what input is acceptable, and whether its amounts add up.

Bad input raises InvalidArgument naming the field by its proto path; amounts that do not add up are
not an input error but a finding (``AmountCheck``), because a channel order must never be dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from services.orders.domain.errors import currency_mismatch
from services.orders.domain.values import Address, LineInput, OrderLine
from shared.kernel.errors import InvalidArgument
from shared.kernel.ids import is_valid_id
from shared.kernel.money import Money

if TYPE_CHECKING:
    from services.orders.domain.model import OrderDraft

MAX_LINES = 500
MAX_QUANTITY = 1_000_000
# Far above any real order, and low enough that 500 lines of it still fit a PostgreSQL bigint.
MAX_AMOUNT_MINOR = 10**15
ID_MAX = 128
SKU_MAX = 64
REASON_MAX = 500
TRACKING_MAX = 64
NAME_MAX = 200
REMARK_MAX = 1000
TIER_MAX = 32
ADDRESS_LIMITS = {
    "recipient": NAME_MAX,
    "phone": 32,
    "country": 2,
    "province": 100,
    "city": 100,
    "district": 100,
    "detail": 500,
    "postal_code": 20,
}
# Control characters PostgreSQL or a log line would choke on (NUL is refused by text columns), and
# lone surrogates, which are not encodable as UTF-8. Tab, newline and carriage return are allowed.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def check_text(field: str, value: str, max_length: int, *, required: bool = False) -> None:
    """A text field is UTF-8 encodable, free of control characters and at most ``max_length`` characters."""
    if required and not value.strip():
        raise InvalidArgument.field(field, "is required")
    if len(value) > max_length:
        raise InvalidArgument.field(field, f"must be at most {max_length} characters")
    if _FORBIDDEN.search(value):
        raise InvalidArgument.field(field, "must be UTF-8 text without control characters")


def check_address(field: str, address: Address) -> None:
    for name, limit in ADDRESS_LIMITS.items():
        check_text(f"{field}.{name}", getattr(address, name), limit)
    country = address.country
    if country and not (len(country) == 2 and country.isascii() and country.isalpha() and country.isupper()):
        raise InvalidArgument.field(f"{field}.country", "must be an ISO 3166-1 alpha-2 code such as CN")


def check_draft_texts(draft: OrderDraft) -> None:
    if not is_valid_id(draft.customer_id):
        raise InvalidArgument.field("customer_id", "must be a UUID")
    check_text("channel_order_id", draft.channel_order_id, ID_MAX)
    if draft.channel_order_id and draft.channel_order_id != draft.channel_order_id.strip():
        # Stored as given and unique per channel: stray spaces would make a re-pulled order a new one.
        raise InvalidArgument.field("channel_order_id", "must not start or end with whitespace")
    check_text("customer_tier", draft.customer_tier, TIER_MAX)
    check_text("customer_name", draft.customer_name, NAME_MAX)
    check_text("buyer_remark", draft.buyer_remark, REMARK_MAX)
    check_text("seller_remark", draft.seller_remark, REMARK_MAX)
    check_text("quote_id", draft.quote_id, ID_MAX)
    check_address("shipping_address", draft.shipping_address)


def _check_range(field: str, amount: Money) -> None:
    if amount.amount_minor < 0:
        raise InvalidArgument.field(field, "must not be negative")
    if amount.amount_minor > MAX_AMOUNT_MINOR:
        raise InvalidArgument.field(field, f"must be at most {MAX_AMOUNT_MINOR} minor units")


def require_amount(field: str, amount: Money | None) -> Money:
    if amount is None:
        raise InvalidArgument.field(field, "is required")
    _check_range(field, amount)
    return amount


def optional_amount(field: str, amount: Money | None, currency: str) -> Money:
    """An amount that defaults to zero; when given it must be in the order's ``currency``."""
    if amount is None:
        return Money.zero(currency)
    if amount.currency != currency:
        raise currency_mismatch(field, currency, amount.currency)
    _check_range(field, amount)
    return amount


def build_lines(inputs: Sequence[LineInput], currency: str) -> tuple[OrderLine, ...]:
    if not inputs:
        raise InvalidArgument.field("lines", "must hold at least one line")
    if len(inputs) > MAX_LINES:
        raise InvalidArgument.field("lines", f"must hold at most {MAX_LINES} lines")
    lines = []
    for index, line in enumerate(inputs):
        field = f"lines[{index}]"
        check_text(f"{field}.sku", line.sku, SKU_MAX, required=True)
        if not 1 <= line.quantity <= MAX_QUANTITY:
            raise InvalidArgument.field(f"{field}.quantity", f"must be between 1 and {MAX_QUANTITY}")
        unit_price = optional_amount(f"{field}.unit_price", line.unit_price, currency)
        discount = optional_amount(f"{field}.discount", line.discount, currency)
        built = OrderLine(index + 1, line.sku, line.quantity, unit_price, discount)
        if built.gross.amount_minor > MAX_AMOUNT_MINOR:
            raise InvalidArgument.field(field, f"unit_price x quantity must be at most {MAX_AMOUNT_MINOR}")
        if discount > built.gross:
            raise InvalidArgument.field(f"{field}.discount", "must not exceed unit_price x quantity")
        lines.append(built)
    return tuple(lines)


@dataclass(frozen=True)
class AmountCheck:
    """The outcome of the rule total = sum(unit_price x quantity) + shipping_fee - discount_total."""

    subtotal: Money
    expected_total: Money
    problems: tuple[str, ...]

    @property
    def consistent(self) -> bool:
        return not self.problems

    @property
    def detail(self) -> str:
        return "; ".join(self.problems)


def check_amounts(
    lines: Sequence[OrderLine],
    subtotal_given: Money | None,
    shipping_fee: Money,
    discount_total: Money,
    total: Money,
) -> AmountCheck:
    currency = total.currency
    subtotal = Money(sum(line.gross.amount_minor for line in lines), currency)
    line_discounts = Money(sum(line.discount.amount_minor for line in lines), currency)
    expected = subtotal + shipping_fee - discount_total
    problems = []
    if subtotal_given is not None and subtotal_given != subtotal:
        problems.append(f"subtotal {subtotal_given} but the lines add up to {subtotal}")
    if discount_total < line_discounts:
        problems.append(f"discount_total {discount_total} is less than the line discounts {line_discounts}")
    if total != expected:
        problems.append(f"total {total} but expected {expected}")
    return AmountCheck(subtotal, expected, tuple(problems))
