"""Runs the report over a window: every order created in it, page by page, each judged by the rules; an order
found different is read again and judged afresh, so a saga that finished between two reads is no difference."""

from __future__ import annotations

import asyncio
from datetime import datetime

from oms.orders.v1 import orders_pb2

from tools.reconcile.gather import Reader, ReadError
from tools.reconcile.report import Report, Unchecked
from tools.reconcile.rules import Policy, Verdict, judge


async def check(reader: Reader, order: orders_pb2.Order, policy: Policy) -> Verdict | Unchecked:
    """The verdict on one listed order, or why it could not be read."""
    try:
        verdict = judge(await reader.facts(order), policy)
        if verdict.differences:
            verdict = judge(await reader.facts(order.order_id), policy)
    except ReadError as error:
        return Unchecked(order.order_id, str(error))
    return verdict


async def reconcile(
    reader: Reader, *, since: datetime, until: datetime, generated_at: datetime, policy: Policy = Policy()
) -> Report:
    """The report of the orders created in [since, until). ReadError when the orders cannot be listed."""
    if since >= until:
        raise ValueError("the window must start before it ends")
    report = Report(since=since, until=until, generated_at=generated_at, policy=policy)
    async for page in reader.orders(since, until):
        # Only this page's orders are in memory at once: a promotion day's window holds 470,000 orders.
        for outcome in await asyncio.gather(*(check(reader, order, policy) for order in page)):
            if isinstance(outcome, Unchecked):
                report.add_unchecked(outcome.order_id, outcome.error)
            else:
                report.add(outcome)
    return report
