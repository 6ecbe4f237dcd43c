"""Which roles may use which operation of the HTTP API, and the channel scope a token may carry.

The services verify tokens themselves against their permission matrices (services/<ctx>/permissions.yaml);
this table follows those matrices for the RPC each operation starts with, so a web client gets a clear 403
before a multi-call operation begins. Roles are duties (shared.auth.ROLES): warehouse staff read orders but
do not place, cancel or refund them; after-sales (customer_service) may not cancel an order.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence

from shared.kernel.errors import PermissionDenied


class Operation(enum.Enum):
    READ_ORDERS = "read_orders"
    PLACE_ORDER = "place_order"
    CANCEL_ORDER = "cancel_order"
    REQUEST_REFUND = "request_refund"
    CHECK_AVAILABILITY = "check_availability"
    QUOTE = "quote"


_EVERYONE = frozenset({"customer_service", "cs_supervisor", "warehouse", "finance", "operations", "admin", "service"})
_ORDER_DESK = frozenset({"customer_service", "cs_supervisor", "operations", "admin", "service"})

ALLOWED_ROLES: Mapping[Operation, frozenset[str]] = {
    Operation.READ_ORDERS: _EVERYONE,  # orders GetOrder / ListOrders: any role
    Operation.CHECK_AVAILABILITY: _EVERYONE,  # inventory GetAvailability: any role
    Operation.QUOTE: _EVERYONE,  # pricing Quote: any role
    Operation.PLACE_ORDER: _ORDER_DESK,  # saga PlaceOrder
    Operation.CANCEL_ORDER: _ORDER_DESK - {"customer_service"},  # saga CancelOrder
    Operation.REQUEST_REFUND: _ORDER_DESK | {"finance"},  # refunds RequestRefund
}


class RoleNotAllowed(PermissionDenied):
    reason = "ROLE_NOT_ALLOWED"


class ChannelNotAllowed(PermissionDenied):
    reason = "CHANNEL_NOT_ALLOWED"


def authorize(operation: Operation, role: str) -> None:
    """Raise RoleNotAllowed unless ``role`` may perform ``operation``."""
    if role not in ALLOWED_ROLES[operation]:
        raise RoleNotAllowed(
            f"the role {role!r} may not {operation.value.replace('_', ' ')}",
            metadata={"role": role, "operation": operation.value},
        )


def check_channel(channel: str, scope: Sequence[str]) -> None:
    """Raise ChannelNotAllowed when the token is limited to channels (``scope`` not empty) other than ``channel``."""
    if scope and channel.lower() not in {c.lower() for c in scope}:
        raise ChannelNotAllowed(
            f"this token is limited to the channels {', '.join(sorted(scope))}",
            metadata={"channel": channel},
        )
