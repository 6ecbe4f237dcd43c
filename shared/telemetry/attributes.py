"""The registry of span attribute names: the only place they are spelled. Each says what it means."""

ORDER_ID = "oms.order.id"
"""The order a span works on (UUID)."""

SAGA_ID = "oms.saga.id"
"""The saga instance a span belongs to."""

SAGA_STEP = "oms.saga.step"
"""The saga step being run or compensated, e.g. 'reserve_stock'."""

CHANNEL = "oms.channel"
"""The sales channel of the order, e.g. 'TMALL'."""

CUSTOMER_TIER = "oms.customer.tier"
"""The customer's tier (REGULAR, VIP); never the customer's identity."""

REQUEST_ID = "oms.request.id"
"""The idempotency key of the command being served."""

SKU = "oms.sku"
"""A stock-keeping unit code."""

REASON = "oms.error.reason"
"""The stable reason of a refused call, e.g. INSUFFICIENT_STOCK."""

PAYMENT_ID = "oms.payment.id"
"""The payment a span works on (an id, never card or token data)."""

RESERVATION_ID = "oms.reservation.id"
"""The stock reservation a span works on."""

REFUND_ID = "oms.refund.id"
"""The refund request a span works on."""
