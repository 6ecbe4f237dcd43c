"""The JSON bodies of the HTTP API as explicit pydantic models, so the OpenAPI document is precise.

Money is always ``{"amount_minor": int, "currency": "CNY"}``; times are RFC 3339 in UTC; enum values are the
contract's names without their prefix, in lower case (``pending_payment``, ``tmall``). Text may hold any
Unicode character, those outside the BMP ("𠮷") included, but not lone surrogates (they are not UTF-8).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper
from oms.inventory.v1 import inventory_pb2
from oms.orders.v1 import orders_pb2
from oms.payments.v1 import payments_pb2
from oms.pricing.v1 import pricing_pb2
from oms.refunds.v1 import refunds_pb2
from oms.saga.v1 import saga_pb2
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

CURRENCY_PATTERN = r"^[A-Z]{3}$"
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
MAX_LINES = 200
MAX_QUANTITY = 100_000
MAX_COUPONS = 10
MAX_AVAILABILITY_SKUS = 100
MAX_ITEMS = 200
MAX_AMOUNT_MINOR = 10**15


def _utf8(value: str) -> str:
    if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise ValueError("must be valid UTF-8 text (no lone surrogates)")
    return value


Text = Annotated[str, AfterValidator(_utf8)]


def proto_enum(name: str, wrapper: EnumTypeWrapper, prefix: str) -> type[enum.StrEnum]:
    """A string enum of a contract enum's values without prefix, lower case, UNSPECIFIED left out."""
    names = [value.name for value in wrapper.DESCRIPTOR.values]
    values = [name.removeprefix(prefix).lower() for name in names if not name.endswith("_UNSPECIFIED")]
    return enum.StrEnum(name, {value.upper(): value for value in values})  # type: ignore[return-value]


Channel = proto_enum("Channel", orders_pb2.Channel, "CHANNEL_")
OrderType = proto_enum("OrderType", orders_pb2.OrderType, "ORDER_TYPE_")
OrderStatus = proto_enum("OrderStatus", orders_pb2.OrderStatus, "ORDER_STATUS_")
SagaKind = proto_enum("SagaKind", saga_pb2.SagaKind, "SAGA_KIND_")
SagaState = proto_enum("SagaState", saga_pb2.SagaState, "SAGA_STATE_")
StepStatus = proto_enum("StepStatus", saga_pb2.StepStatus, "STEP_STATUS_")
PaymentStatus = proto_enum("PaymentStatus", payments_pb2.PaymentStatus, "PAYMENT_STATUS_")
PaymentRefundStatus = proto_enum("PaymentRefundStatus", payments_pb2.RefundStatus, "REFUND_STATUS_")
ReservationStatus = proto_enum("ReservationStatus", inventory_pb2.ReservationStatus, "RESERVATION_STATUS_")
PromotionKind = proto_enum("PromotionKind", pricing_pb2.PromotionKind, "PROMOTION_KIND_")
RejectionReason = proto_enum("RejectionReason", pricing_pb2.RejectionReason, "REJECTION_REASON_")
RefundKind = proto_enum("RefundKind", refunds_pb2.RefundKind, "REFUND_KIND_")
RefundReason = proto_enum("RefundReason", refunds_pb2.RefundReason, "REFUND_REASON_")
RefundStatus = proto_enum("RefundStatus", refunds_pb2.RefundStatus, "REFUND_STATUS_")
ReturnStatus = proto_enum("ReturnStatus", refunds_pb2.ReturnStatus, "RETURN_STATUS_")


class SortOrder(enum.StrEnum):
    NEWEST_FIRST = "newest_first"
    OLDEST_FIRST = "oldest_first"


class Input(BaseModel):
    """Request bodies refuse unknown fields, so a misspelt field is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class Money(BaseModel):
    """An exact amount: integer minor units (fen, cents) and an ISO 4217 code. 120000 CNY is 1,200.00 yuan."""

    amount_minor: int = Field(description="Minor units; never a float.")
    currency: str = Field(pattern=CURRENCY_PATTERN, examples=["CNY"])


class Address(Input):
    """A postal address; recipient, phone and detail are personal data."""

    recipient: Text = ""
    phone: Text = ""
    country: Text = Field(default="", description="ISO 3166-1 alpha-2 code, e.g. CN.")
    province: Text = ""
    city: Text = ""
    district: Text = ""
    detail: Text = Field(default="", description="Street, building and room.")
    postal_code: Text = ""


class Amount(Input):
    """An amount a client asks for: positive integer minor units and an ISO 4217 code."""

    amount_minor: int = Field(ge=1, le=MAX_AMOUNT_MINOR)
    currency: str = Field(pattern=CURRENCY_PATTERN, examples=["CNY"])


class Actor(BaseModel):
    subject: str
    role: str


# Requests


class Customer(Input):
    """The buyer; deduplicated by the customers service on the normalised phone or the tax id."""

    name: Text
    phone: Text = Field(default="", description="Required unless tax_id is given.")
    email: Text = ""
    tax_id: Text = Field(default="", description="Company tax id; required unless phone is given.")
    address: Address | None = None


class Line(Input):
    sku: Text = Field(description="Internal SKU code.")
    quantity: int = Field(ge=1, le=MAX_QUANTITY)


class PaymentMethod(Input):
    """A provider token, never a card number. Sandbox: tok_ok approves, tok_decline declines."""

    provider: Text = Field(default="", description='e.g. "sandbox" (the default when empty).')
    token: Text


class PlaceOrderBody(Input):
    customer: Customer
    lines: list[Line] = Field(min_length=1, max_length=MAX_LINES, description="Each SKU at most once.")
    shipping_address: Address
    coupon_codes: list[Text] = Field(default_factory=list, max_length=MAX_COUPONS)
    payment_method: PaymentMethod
    channel: Channel  # type: ignore[valid-type]
    channel_order_id: Text = Field(default="", description="The channel's own order number, if any.")
    order_type: OrderType = OrderType("regular")  # type: ignore[valid-type]
    buyer_remark: Text = ""
    currency: str = Field(default="CNY", pattern=CURRENCY_PATTERN)


class CancelOrderBody(Input):
    reason: Text = Field(description='Why, e.g. "buyer changed mind".')


class QuoteBody(Input):
    lines: list[Line] = Field(min_length=1, max_length=MAX_LINES)
    customer_tier: Text = Field(default="", description='e.g. "VIP"; empty for none.')
    coupon_codes: list[Text] = Field(default_factory=list, max_length=MAX_COUPONS)
    shipping_address: Address | None = None
    currency: str = Field(default="CNY", pattern=CURRENCY_PATTERN)


class Item(Input):
    sku: Text
    quantity: int = Field(ge=1, le=MAX_QUANTITY)


class RefundBody(Input):
    """A refund request. The order type, shipping fee and the payment's captured and refunded amounts are read
    from the services, not taken from the client."""

    kind: RefundKind  # type: ignore[valid-type]
    reason: RefundReason  # type: ignore[valid-type]
    amount: Amount = Field(description="The goods or compensation amount, without shipping.")
    items: list[Item] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="Required for full refunds, empty for compensation."
    )
    description: Text = ""
    payment_id: str | None = Field(
        default=None, pattern=UUID_PATTERN, description="The captured payment; needed only when there are several."
    )


# Responses


class OrderLine(BaseModel):
    line_no: int
    sku: str
    quantity: int
    unit_price: Money | None
    discount: Money | None
    line_total: Money | None = Field(description="unit_price x quantity - discount.")


class StatusChange(BaseModel):
    from_status: OrderStatus | None = Field(description="null for the creation entry.")  # type: ignore[valid-type]
    to_status: OrderStatus | None  # type: ignore[valid-type]
    changed_at: datetime | None
    actor: Actor | None
    reason: str


class Order(BaseModel):
    order_id: str
    channel: Channel | None  # type: ignore[valid-type]
    channel_order_id: str
    customer_id: str
    customer_tier: str
    customer_name: str
    order_type: OrderType | None  # type: ignore[valid-type]
    status: OrderStatus | None  # type: ignore[valid-type]
    resume_status: OrderStatus | None = Field(  # type: ignore[valid-type]
        description="While on_hold or exception: the status the order returns to."
    )
    hold_reason: str
    lines: list[OrderLine]
    subtotal: Money | None
    discount_total: Money | None
    shipping_fee: Money | None
    total: Money | None
    shipping_address: Address | None
    buyer_remark: str
    seller_remark: str
    quote_id: str
    payment_id: str
    tracking_number: str
    created_at: datetime | None
    updated_at: datetime | None
    history: list[StatusChange] = Field(description="Every change of status, oldest first (empty in listings).")


class OrderList(BaseModel):
    orders: list[Order]
    next_cursor: str | None = Field(description="Pass as cursor (with the same filters) for the next page.")


class StepError(BaseModel):
    code: str
    reason: str
    message: str
    domain: str
    metadata: dict[str, str]


class SagaStep(BaseModel):
    name: str
    status: StepStatus | None  # type: ignore[valid-type]
    attempts: int
    compensation_attempts: int
    last_error: StepError | None
    request_id: str
    started_at: datetime | None
    finished_at: datetime | None


class Saga(BaseModel):
    saga_id: str
    request_id: str
    kind: SagaKind | None  # type: ignore[valid-type]
    state: SagaState | None  # type: ignore[valid-type]
    order_id: str
    customer_id: str
    reservation_id: str
    payment_id: str
    total: Money | None
    steps: list[SagaStep]
    failed_step: str
    failure: StepError | None
    created_at: datetime | None
    updated_at: datetime | None


class PlacedOrder(BaseModel):
    order_id: str
    payment_id: str
    reservation_id: str
    total: Money | None = Field(description="What the buyer paid.")
    saga: Saga | None


class CancelledOrder(BaseModel):
    saga: Saga | None


class PaymentRefund(BaseModel):
    refund_id: str
    amount: Money | None
    reason: str
    status: PaymentRefundStatus | None  # type: ignore[valid-type]
    failure_reason: str
    created_at: datetime | None
    updated_at: datetime | None


class Payment(BaseModel):
    payment_id: str
    order_id: str
    status: PaymentStatus | None  # type: ignore[valid-type]
    amount: Money | None
    authorized: Money | None
    captured: Money | None
    refunded: Money | None
    refund_pending: Money | None
    provider: str
    failure_reason: str
    created_at: datetime | None
    updated_at: datetime | None
    refunds: list[PaymentRefund]


class ReservationLine(BaseModel):
    sku: str
    warehouse_id: str
    quantity: int


class Reservation(BaseModel):
    reservation_id: str
    order_id: str
    status: ReservationStatus | None  # type: ignore[valid-type]
    lines: list[ReservationLine]
    created_at: datetime | None
    expires_at: datetime | None = Field(description="null once committed (a paid order's hold never expires).")
    committed_at: datetime | None
    closed_at: datetime | None
    release_reason: str


class RefundItem(BaseModel):
    sku: str
    quantity: int


class Approval(BaseModel):
    approver: Actor | None
    comment: str
    approved_at: datetime | None


class Refund(BaseModel):
    """A refund request and what was decided about it (the money moves in the refund saga)."""

    refund_id: str
    order_id: str
    payment_id: str
    kind: RefundKind | None  # type: ignore[valid-type]
    reason: RefundReason | None  # type: ignore[valid-type]
    status: RefundStatus | None  # type: ignore[valid-type]
    return_status: ReturnStatus | None  # type: ignore[valid-type]
    items: list[RefundItem]
    amount: Money | None
    shipping_refund: Money | None = Field(description="The part of the shipping fee refunded by policy.")
    total: Money | None = Field(description="amount + shipping_refund: what the buyer gets back.")
    description: str
    requested_by: Actor | None
    required_roles: list[str] = Field(description="Roles that must each sign.")
    approvals: list[Approval]
    rejection_reason: str
    failure_reason: str
    requested_at: datetime | None
    due_at: datetime | None
    updated_at: datetime | None
    completed_at: datetime | None


class MissingSection(BaseModel):
    section: str = Field(description="payments, reservations, refunds or saga.")
    reason: str = Field(description="The upstream's stable reason, e.g. UNAVAILABLE.")
    detail: str


class Panorama(BaseModel):
    """The order with its payments, stock reservations, placement saga and (in order.history) status history."""

    order: Order
    payments: list[Payment]
    reservations: list[Reservation]
    refunds: list[Refund]
    saga: Saga | None = Field(description="null when the order was not placed through the gateway's saga.")
    incomplete: list[MissingSection] = Field(description="Parts an upstream could not give right now.")


class WarehouseStock(BaseModel):
    warehouse_id: str
    on_hand: int
    reserved: int
    safety_stock: int
    available: int
    updated_at: datetime | None


class SkuAvailability(BaseModel):
    sku: str
    on_hand: int
    reserved: int
    safety_stock: int
    available: int = Field(description="Across warehouses: on_hand - reserved - safety_stock.")
    available_in_one_warehouse: int = Field(description="The most one warehouse can fill.")
    paused: bool
    pressure_high: bool
    warehouses: list[WarehouseStock]


class Availability(BaseModel):
    items: list[SkuAvailability] = Field(description="One per requested SKU, in request order.")


class QuoteLine(BaseModel):
    sku: str
    quantity: int
    unit_price: Money | None
    discount: Money | None
    line_total: Money | None


class AppliedPromotion(BaseModel):
    promotion_id: str
    name: str
    kind: PromotionKind | None  # type: ignore[valid-type]
    coupon_code: str
    amount: Money | None
    capped: bool


class RejectedPromotion(BaseModel):
    promotion_id: str
    name: str
    coupon_code: str
    reason: RejectionReason | None  # type: ignore[valid-type]
    detail: str


class Quote(BaseModel):
    """total = subtotal + shipping_fee - discount_total, exactly."""

    quote_id: str
    lines: list[QuoteLine]
    subtotal: Money | None
    discount_total: Money | None
    shipping_fee: Money | None
    total: Money | None
    issued_at: datetime | None
    valid_until: datetime | None
    applied: list[AppliedPromotion]
    rejected: list[RejectedPromotion]
    customer_tier: str
    coupon_codes: list[str]


class Violation(BaseModel):
    field: str = Field(description='The offending field: a body path ("lines[0].quantity"), parameter or header.')
    description: str


class ProblemDetails(BaseModel):
    """An RFC 9457 problem (media type application/problem+json)."""

    type: str = Field(description="urn:oms:problem:<reason in kebab case>.")
    title: str
    status: int
    detail: str
    reason: str = Field(description="Stable upper-snake reason, e.g. INSUFFICIENT_STOCK.")
    violations: list[Violation]
    metadata: dict[str, str]


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    upstreams: dict[str, str] = Field(description="Each upstream's gRPC health status.")
