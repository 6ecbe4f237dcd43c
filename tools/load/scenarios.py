"""The scenarios a load run mixes, the requests they send, and the record each arrival leaves behind."""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from oms.common.v1 import common_pb2
from oms.saga.v1 import saga_pb2

from shared.kernel.ids import new_id
from tools.load.catalogue import Catalogue
from tools.load.config import LoadConfig
from tools.load.ingest import IngestBatch, IngestPlanner
from tools.oms.demo import CURRENCY, NAMES

# Codes that mean the system decided (the request was refused for what it is); anything else (UNAVAILABLE,
# DEADLINE_EXCEEDED, ABORTED SAGA_IN_PROGRESS, INTERNAL) leaves the outcome open until GetSaga settles it.
DECIDED_CODES = frozenset(
    {
        "FAILED_PRECONDITION",
        "NOT_FOUND",
        "INVALID_ARGUMENT",
        "ALREADY_EXISTS",
        "PERMISSION_DENIED",
        "UNAUTHENTICATED",
        "RESOURCE_EXHAUSTED",
        "OUT_OF_RANGE",
    }
)
CANCEL_REASON = "oms load: buyer changed mind"
REFUND_DESCRIPTION = "oms load: price adjustment"
REMARK_PREFIX = "oms-load"
# An ingest batch is resent (same request id) when a concurrent batch on the same orders conflicted (ABORTED)
# or after releasing a channel the surge guard paused; this many sends at most.
INGEST_SENDS = 4
INGEST_RETRY_SECONDS = 0.05


def remark_tag(run_id: str, number: int) -> str:
    """The buyer remark that ties an order to the arrival that asked for it (the order keeps it)."""
    return f"{REMARK_PREFIX}:{run_id}:{number}"


def parse_remark_tag(remark: str, run_id: str) -> int | None:
    """The arrival number of a remark written by ``remark_tag`` for ``run_id``; None for any other text."""
    prefix = f"{REMARK_PREFIX}:{run_id}:"
    if not remark.startswith(prefix):
        return None
    number = remark[len(prefix) :]
    return int(number) if number.isascii() and number.isdigit() else None


def buyer_phone(run_id: str, number: int) -> str:
    """A valid mainland mobile number unique to the arrival within the run (so one buyer, one order)."""
    digest = int.from_bytes(hashlib.sha256(run_id.encode()).digest()[:4], "big")
    second = 3 + digest % 7
    third = (digest // 7) % 10
    return f"1{second}{third}{number % 10**8:08d}"


@dataclass(slots=True)
class Attempt:
    """One arrival: when it was due, what it sent and how it ended. Times are seconds from the run start.

    ``outcome`` is ``ok``, ``refused`` (the system decided no), ``error`` (no decision heard: timeout,
    unavailable; GetSaga settles it later), ``not_sent`` (dropped at the in-flight cap) or ``pending``.
    """

    number: int
    scenario: str
    due: float
    request_id: str = ""
    sent: float | None = None
    finished: float | None = None
    outcome: str = "pending"
    code: str = ""
    reason: str = ""
    order_id: str = ""
    saga_id: str = ""
    customer_id: str = ""
    total_minor: int = 0
    payment_id: str = ""
    lines: tuple[tuple[str, int], ...] = ()
    target_order_id: str = ""
    refund_id: str = ""
    refund_minor: int = 0
    replies: list[str] = field(default_factory=list)
    channel: str = ""
    # Ingest: the channel order ids of the batch in request order, how many were resent from earlier
    # batches, and the hub's answer per record.
    channel_order_ids: tuple[str, ...] = ()
    duplicates: int = 0
    ingested: tuple[IngestRecord, ...] = ()

    @property
    def latency(self) -> float | None:
        return None if self.finished is None else self.finished - self.due

    @property
    def places_order(self) -> bool:
        return self.scenario in ("place", "retry", "decline", "flash")


@dataclass(frozen=True)
class Placed:
    """What an accepted PlaceOrder answered."""

    order_id: str
    saga_id: str
    customer_id: str
    total_minor: int
    payment_id: str = ""


@dataclass(frozen=True)
class Refunded:
    """How a refund request ended: its id, what it paid back, and its final status at the refunds service."""

    refund_id: str
    amount_minor: int
    status: str


@dataclass(frozen=True)
class IngestRecord:
    """The hub's answer for one record of an ingest batch."""

    channel_order_id: str
    outcome: str  # CREATED, UPDATED, UNCHANGED or FAILED
    order_id: str = ""
    reason: str = ""


class CallFailed(Exception):
    """A call that ended without success: the gRPC code name (or the HTTP status's equivalent) and reason."""

    def __init__(self, code: str, reason: str, message: str = "") -> None:
        super().__init__(f"{code} {reason}: {message}")
        self.code = code
        self.reason = reason or code

    @property
    def decided(self) -> bool:
        return self.code in DECIDED_CODES


class Transport(Protocol):
    """How requests reach the suite: the saga's gRPC contract, or the gateway's HTTP routes."""

    async def place(self, request: saga_pb2.PlaceOrderRequest, timeout: float) -> Placed: ...

    async def cancel(self, request_id: str, order_id: str, reason: str, timeout: float) -> None: ...

    async def close(self) -> None: ...


class RefundDesk(Protocol):
    """Refunds as after-sales staff do them: request, approve, and wait for the refund saga to pay it."""

    async def refund(self, order_id: str, payment_id: str, amount_minor: int, timeout: float) -> Refunded: ...


class ChannelDesk(Protocol):
    """Marketplace orders as a channel connector delivers them: raw platform records, in batches."""

    async def ingest(
        self, request_id: str, channel: str, records: list[bytes], timeout: float
    ) -> tuple[IngestRecord, ...]: ...

    async def release(self, channel: str, timeout: float) -> None: ...


def address_for(name: str, phone: str, number: int) -> common_pb2.Address:
    return common_pb2.Address(
        recipient=name,
        phone=phone,
        country="CN",
        province="浙江省",
        city="杭州市",
        district="西湖区",
        detail=f"文三路 {number} 号",
    )


def place_request(
    catalogue: Catalogue,
    number: int,
    rng: random.Random,
    *,
    token: str = "tok_ok",
    hot: bool = False,
) -> saga_pb2.PlaceOrderRequest:
    """An own-site order of 1-2 regular SKUs (or one unit of the hot SKU), tagged with its arrival number."""
    name = NAMES[number % len(NAMES)]
    phone = buyer_phone(catalogue.run_id, number)
    address = address_for(name, phone, number)
    if hot:
        lines = [saga_pb2.OrderLine(sku=catalogue.hot, quantity=1)]
    else:
        skus = rng.sample(catalogue.regular, k=min(len(catalogue.regular), rng.randint(1, 2)))
        lines = [saga_pb2.OrderLine(sku=sku, quantity=rng.randint(1, 2)) for sku in sorted(skus)]
    return saga_pb2.PlaceOrderRequest(
        request_id=new_id(),
        customer=saga_pb2.CustomerDetails(name=name, phone=phone, address=address),
        lines=lines,
        shipping_address=address,
        payment_method=saga_pb2.PaymentMethod(provider="sandbox", token=token),
        channel="own_site",
        order_type=saga_pb2.ORDER_TYPE_REGULAR,
        buyer_remark=remark_tag(catalogue.run_id, number),
        currency=CURRENCY,
    )


class Scenarios:
    """Picks a scenario for each arrival and runs it through the transport, filling in the attempt."""

    def __init__(
        self,
        transport: Transport,
        catalogue: Catalogue,
        config: LoadConfig,
        rng: random.Random,
        clock: Callable[[], float],
        refunds: RefundDesk | None = None,
        channels: ChannelDesk | None = None,
    ) -> None:
        self._transport = transport
        self._refunds = refunds
        self._channels = channels
        self._planner = IngestPlanner(
            config.run_id, catalogue.channel_sku, config.ingest_batch, config.ingest_duplicates, rng
        )
        self._catalogue = catalogue
        self._config = config
        self._rng = rng
        self._clock = clock
        self._names = config.mix.names()
        self._weights = [config.mix.weight(name) for name in self._names]
        # Orders placed (and not flash-sale ones, whose stock count must stay exact) that a later
        # cancellation or refund may pick, as (order id, payment id); each is taken at most once.
        self._cancellable: list[tuple[str, str]] = []
        self.cancel_fallbacks = 0

    def pick(self) -> str:
        return self._rng.choices(self._names, self._weights)[0]

    def attempt(self, number: int, due: float) -> Attempt:
        scenario = self.pick()
        if scenario in ("cancel", "refund"):
            taken = self._take_cancellable()
            if taken is None:
                # Nothing placed yet to cancel or refund (the run's first moments): place one instead.
                self.cancel_fallbacks += 1
                scenario = "place"
            else:
                order_id, payment_id = taken
                return Attempt(
                    number, scenario, due, request_id=new_id(), target_order_id=order_id, payment_id=payment_id
                )
        return Attempt(number, scenario, due)

    def _take_cancellable(self) -> tuple[str, str] | None:
        if not self._cancellable:
            return None
        index = self._rng.randrange(len(self._cancellable))
        self._cancellable[index], self._cancellable[-1] = self._cancellable[-1], self._cancellable[index]
        return self._cancellable.pop()

    async def run(self, attempt: Attempt) -> None:
        """Send what the attempt's scenario sends; never raises for a failed call (the attempt records it)."""
        if attempt.scenario == "cancel":
            await self._cancel(attempt)
            return
        if attempt.scenario == "refund":
            await self._refund(attempt)
            return
        if attempt.scenario == "ingest":
            await self._ingest(attempt)
            return
        request = place_request(
            self._catalogue,
            attempt.number,
            self._rng,
            token="tok_decline" if attempt.scenario == "decline" else "tok_ok",
            hot=attempt.scenario == "flash",
        )
        attempt.request_id = request.request_id
        attempt.lines = tuple((line.sku, line.quantity) for line in request.lines)
        if attempt.scenario == "retry":
            await self._retrying(attempt, request)
        else:
            attempt.sent = self._clock()
            self._record(attempt, await self._place(request), first=True)
        if attempt.outcome == "ok" and attempt.scenario != "flash":
            self._cancellable.append((attempt.order_id, attempt.payment_id))

    async def _retrying(self, attempt: Attempt, request: saga_pb2.PlaceOrderRequest) -> None:
        """A client that resends at once (as after a lost connection), then again after the first answer;
        every copy carries the same request id and must get the same order."""
        attempt.sent = self._clock()
        first = asyncio.ensure_future(self._place(request))
        second = asyncio.ensure_future(self._place(request))
        try:
            self._record(attempt, await first, first=True)  # the latency is the first copy's
            self._record(attempt, await second, first=False)
        finally:
            second.cancel()  # only matters when the run itself is cancelled meanwhile
        for _ in range(self._config.retry_copies - 2):
            self._record(attempt, await self._place(request), first=False)

    async def _place(self, request: saga_pb2.PlaceOrderRequest) -> Placed | CallFailed:
        try:
            return await self._transport.place(request, self._config.timeout)
        except CallFailed as failed:
            return failed

    def _record(self, attempt: Attempt, answer: Placed | CallFailed, *, first: bool) -> None:
        if isinstance(answer, Placed):
            attempt.replies.append(f"order:{answer.order_id}")
        else:
            attempt.replies.append(f"{'refused' if answer.decided else 'error'}:{answer.reason}")
        if not first:
            if isinstance(answer, Placed) and not attempt.order_id:
                attempt.order_id, attempt.saga_id = answer.order_id, answer.saga_id
            return
        attempt.finished = self._clock()
        if isinstance(answer, Placed):
            attempt.outcome = "ok"
            attempt.order_id, attempt.saga_id = answer.order_id, answer.saga_id
            attempt.customer_id, attempt.total_minor = answer.customer_id, answer.total_minor
            attempt.payment_id = answer.payment_id
        else:
            attempt.outcome = "refused" if answer.decided else "error"
            attempt.code, attempt.reason = answer.code, answer.reason

    async def _cancel(self, attempt: Attempt) -> None:
        attempt.sent = self._clock()
        try:
            await self._transport.cancel(
                attempt.request_id, attempt.target_order_id, CANCEL_REASON, self._config.timeout
            )
        except CallFailed as failed:
            attempt.finished = self._clock()
            attempt.outcome = "refused" if failed.decided else "error"
            attempt.code, attempt.reason = failed.code, failed.reason
            if failed.decided:  # still live; another cancellation or refund may take it
                self._cancellable.append((attempt.target_order_id, attempt.payment_id))
            return
        attempt.finished = self._clock()
        attempt.outcome = "ok"
        attempt.order_id = attempt.target_order_id

    async def _refund(self, attempt: Attempt) -> None:
        """A partial refund (a price adjustment) of an order placed earlier, through the refunds service."""
        if self._refunds is None:
            raise RuntimeError("the refund scenario needs the refunds service")
        attempt.sent = self._clock()
        try:
            refunded = await self._refunds.refund(
                attempt.target_order_id, attempt.payment_id, self._config.refund_minor, self._config.timeout
            )
        except CallFailed as failed:
            attempt.finished = self._clock()
            attempt.outcome = "refused" if failed.decided else "error"
            attempt.code, attempt.reason = failed.code, failed.reason
            return
        attempt.finished = self._clock()
        attempt.order_id = attempt.target_order_id
        attempt.refund_id, attempt.refund_minor = refunded.refund_id, refunded.amount_minor
        if refunded.status == "COMPLETED":
            attempt.outcome = "ok"
        elif refunded.status in ("FAILED", "REJECTED"):
            attempt.outcome, attempt.code, attempt.reason = (
                "refused",
                "FAILED_PRECONDITION",
                f"REFUND_{refunded.status}",
            )
        else:  # still on its way when the deadline came: the verification reads where it ended
            attempt.outcome, attempt.code, attempt.reason = "error", "DEADLINE_EXCEEDED", f"REFUND_{refunded.status}"

    async def _ingest(self, attempt: Attempt) -> None:
        """A batch of paid marketplace orders of one platform through IngestChannelOrders; a conflict with a
        concurrent batch (ABORTED) or a surge-guard pause (released, as an operator accepting the volume) is
        retried with the same request id, as the contract asks."""
        if self._channels is None:
            raise RuntimeError("the ingest scenario needs the orders service's channel ingest")
        batch = self._planner.next_batch(attempt.number)
        attempt.request_id = new_id()
        attempt.channel = batch.channel
        attempt.channel_order_ids = batch.order_ids
        attempt.duplicates = batch.duplicates
        attempt.sent = self._clock()
        answer = await self._send_batch(attempt.request_id, batch)
        attempt.finished = self._clock()
        if isinstance(answer, CallFailed):
            attempt.outcome = "refused" if answer.decided else "error"
            attempt.code, attempt.reason = answer.code, answer.reason
            return
        attempt.outcome = "ok"
        attempt.ingested = answer
        self._planner.answered(batch)

    async def _send_batch(self, request_id: str, batch: IngestBatch) -> tuple[IngestRecord, ...] | CallFailed:
        assert self._channels is not None
        records = batch.records()
        # The resends share the one deadline, so a batch ends within ``timeout`` like every other arrival.
        deadline = self._clock() + self._config.timeout
        failed = CallFailed("DEADLINE_EXCEEDED", "DEADLINE_EXCEEDED")
        for send in range(INGEST_SENDS):
            left = deadline - self._clock()
            if left <= 0:
                break
            try:
                return await self._channels.ingest(request_id, batch.channel, records, left)
            except CallFailed as error:
                failed = error
            if failed.reason == "CHANNEL_SYNC_PAUSED":
                try:
                    await self._channels.release(batch.channel, max(deadline - self._clock(), 0.001))
                except CallFailed as error:
                    return error
            elif failed.code != "ABORTED":
                return failed
            await asyncio.sleep(INGEST_RETRY_SECONDS * (send + 1))
        return failed
