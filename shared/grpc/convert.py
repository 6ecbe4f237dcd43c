"""Conversions between the kernel's values and the common wire types (money, UTC timestamps) that every
service's adapters need."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import overload

from google.protobuf.timestamp_pb2 import Timestamp
from oms.common.v1 import common_pb2

from shared.kernel.money import Money

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def money_out(amount: Money) -> common_pb2.Money:
    return common_pb2.Money(amount_minor=amount.amount_minor, currency=amount.currency)


@overload
def timestamp_out(moment: datetime) -> Timestamp: ...
@overload
def timestamp_out(moment: None) -> None: ...
def timestamp_out(moment: datetime | None) -> Timestamp | None:
    """The wire form of a datetime, naive ones read as UTC (None stays None, so an unset field stays unset)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    # Integer arithmetic: Timestamp.FromDatetime costs several times more, and every event carries a few.
    seconds, micros = divmod((moment - _EPOCH) // _MICROSECOND, 1_000_000)
    return Timestamp(seconds=seconds, nanos=micros * 1000)
