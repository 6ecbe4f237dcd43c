"""What a buyer asks for when placing an order, and the checks it must pass before any service is called."""

from __future__ import annotations

from dataclasses import dataclass

from shared.kernel.errors import InvalidArgument
from shared.kernel.ids import is_valid_id

# The sales channels the orders service knows (DOMAIN.md section 1).
KNOWN_CHANNELS = frozenset({"own_site", "tmall", "jd", "douyin", "pinduoduo", "shopify"})
ORDER_TYPES = frozenset({"regular", "rush", "sample"})
MAX_LINES = 200
MAX_QUANTITY = 100_000
MAX_COUPONS = 10
SHORT_TEXT = 200
LONG_TEXT = 1000


@dataclass(frozen=True)
class Address:
    recipient: str = ""
    phone: str = ""
    country: str = ""
    province: str = ""
    city: str = ""
    district: str = ""
    detail: str = ""
    postal_code: str = ""


@dataclass(frozen=True)
class Buyer:
    name: str
    phone: str = ""
    email: str = ""
    tax_id: str = ""
    address: Address | None = None


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int


@dataclass(frozen=True)
class PaymentMethod:
    provider: str
    token: str


@dataclass(frozen=True)
class Placement:
    """The order as requested: buyer, lines, where to ship, coupons, how to pay, where it was sold."""

    customer: Buyer
    lines: tuple[Line, ...]
    shipping_address: Address
    payment_method: PaymentMethod
    channel: str
    coupon_codes: tuple[str, ...] = ()
    channel_order_id: str = ""
    order_type: str = "regular"
    buyer_remark: str = ""
    currency: str = "CNY"

    def validate(self) -> None:
        """Raise InvalidArgument naming the first offending field (its proto path)."""
        _text("customer.name", self.customer.name, SHORT_TEXT, required=True)
        _text("customer.phone", self.customer.phone, 32)
        _text("customer.email", self.customer.email, SHORT_TEXT)
        _text("customer.tax_id", self.customer.tax_id, 64)
        if not self.customer.phone.strip() and not self.customer.tax_id.strip():
            raise InvalidArgument.field("customer.phone", "a phone or a tax_id is required")
        if self.customer.email and "@" not in self.customer.email:
            raise InvalidArgument.field("customer.email", "is not an email address")
        if self.customer.address is not None:
            _address("customer.address", self.customer.address, required=False)
        if not self.lines:
            raise InvalidArgument.field("lines", "at least one line is required")
        if len(self.lines) > MAX_LINES:
            raise InvalidArgument.field("lines", f"at most {MAX_LINES} lines")
        seen: set[str] = set()
        for i, line in enumerate(self.lines):
            _text(f"lines[{i}].sku", line.sku, 64, required=True)
            if line.sku in seen:
                raise InvalidArgument.field(f"lines[{i}].sku", "appears on an earlier line; merge the quantities")
            seen.add(line.sku)
            if type(line.quantity) is not int or not 0 < line.quantity <= MAX_QUANTITY:
                raise InvalidArgument.field(f"lines[{i}].quantity", f"must be between 1 and {MAX_QUANTITY}")
        _address("shipping_address", self.shipping_address, required=True)
        if len(self.coupon_codes) > MAX_COUPONS:
            raise InvalidArgument.field("coupon_codes", f"at most {MAX_COUPONS} codes")
        for i, code in enumerate(self.coupon_codes):
            _text(f"coupon_codes[{i}]", code, 64, required=True)
        _text("payment_method.provider", self.payment_method.provider, 32)
        _text("payment_method.token", self.payment_method.token, 256, required=True)
        if self.channel not in KNOWN_CHANNELS:
            raise InvalidArgument.field("channel", f"must be one of {', '.join(sorted(KNOWN_CHANNELS))}")
        _text("channel_order_id", self.channel_order_id, 128)
        if self.order_type not in ORDER_TYPES:
            raise InvalidArgument.field("order_type", f"must be one of {', '.join(sorted(ORDER_TYPES))}")
        _text("buyer_remark", self.buyer_remark, LONG_TEXT)
        if len(self.currency) != 3 or not self.currency.isascii() or not self.currency.isupper():
            raise InvalidArgument.field("currency", "must be a 3-letter ISO 4217 code")


def _address(path: str, address: Address, *, required: bool) -> None:
    _text(f"{path}.recipient", address.recipient, SHORT_TEXT, required=required)
    _text(f"{path}.phone", address.phone, 32)
    _text(f"{path}.country", address.country, 2)
    for name in ("province", "city", "district", "postal_code"):
        _text(f"{path}.{name}", getattr(address, name), SHORT_TEXT)
    _text(f"{path}.detail", address.detail, LONG_TEXT, required=required)


def _text(path: str, value: str, max_chars: int, *, required: bool = False) -> None:
    if required and not value.strip():
        raise InvalidArgument.field(path, "is required")
    # Counted in code points, so a character outside the BMP ("𠮷") counts once.
    if len(value) > max_chars:
        raise InvalidArgument.field(path, f"at most {max_chars} characters")
    if any(ord(c) < 0x20 and c not in "\t\n" for c in value) or "\x7f" in value:
        raise InvalidArgument.field(path, "must not contain control characters")
    if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise InvalidArgument.field(path, "is not valid UTF-8 text")


def validate_cancellation(order_id: str, reason: str) -> None:
    """The checks of a cancellation request."""
    if not is_valid_id(order_id):
        raise InvalidArgument.field("order_id", "must be a UUID")
    _text("reason", reason, LONG_TEXT, required=True)
