"""Object-level access to orders: a caller limited to some sales channels sees only their orders."""

from __future__ import annotations

from collections.abc import Iterable

from services.orders.domain.values import Channel


def may_access(principal_channels: Iterable[str], order_channel: Channel) -> bool:
    """Whether a caller limited to ``principal_channels`` (empty: no limit) may see an order of ``order_channel``."""
    limits = tuple(principal_channels)
    return not limits or order_channel.value in limits


def visible_channels(principal_channels: Iterable[str]) -> tuple[Channel, ...] | None:
    """The channels a limited caller may list (possibly none, for a token naming only unknown channels);
    None for a caller without limits."""
    limits = tuple(principal_channels)
    if not limits:
        return None
    return tuple(channel for channel in Channel if may_access(limits, channel))
