"""Conversions between the kernel's values and the common wire types (money, UTC timestamps) that every
service's adapters need."""

from __future__ import annotations

from datetime import datetime
from typing import overload

from google.protobuf.timestamp_pb2 import Timestamp
from oms.common.v1 import common_pb2

from shared.kernel.money import Money


def money_out(amount: Money) -> common_pb2.Money:
    return common_pb2.Money(amount_minor=amount.amount_minor, currency=amount.currency)


@overload
def timestamp_out(moment: datetime) -> Timestamp: ...
@overload
def timestamp_out(moment: None) -> None: ...
def timestamp_out(moment: datetime | None) -> Timestamp | None:
    """The wire form of an aware datetime (None stays None, so an unset field stays unset)."""
    if moment is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp
