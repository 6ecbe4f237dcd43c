"""The channel-ingest scenario: its batches, its sending over an in-memory hub, its check and its figures."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from datetime import UTC, datetime

import pytest

from tools.load.catalogue import Catalogue
from tools.load.checks import ChannelOrderFact, Facts, check_ingest, evaluate
from tools.load.config import DEFAULT_MIX, LoadConfig, LoadConfigError, parse_mix
from tools.load.driver import drive
from tools.load.ingest import CHANNEL_OF_PLATFORM, IngestPlanner, channel_order_id, channel_tag
from tools.load.report import ingest_figures
from tools.load.scenarios import INGEST_SENDS, Attempt, CallFailed, IngestRecord
from tools.marketplace.payloads import PLATFORMS

RUN = "r1"
NOW = datetime(2026, 11, 11, 0, 5, tzinfo=UTC)
CATALOGUE = Catalogue(RUN, "w1", ("T-A",), "T-HOT", {"T-A": 100, "T-HOT": 50}, channel_sku="T-CH")


def test_channel_order_ids_are_digits_unique_in_the_run_and_tagged_by_it():
    ids = {channel_order_id(RUN, number, index) for number in range(50) for index in range(50)}

    assert len(ids) == 2_500
    assert all(i.isdigit() and len(i) == 18 and i[0] != "0" and i.startswith(channel_tag(RUN)) for i in ids)
    assert int(max(ids)) < 2**63  # a Taobao tid is a 64-bit number
    assert channel_tag(RUN) == channel_tag(RUN) != channel_tag("r2")


def test_the_platforms_take_turns_and_each_record_is_a_paid_order_in_its_format():
    planner = IngestPlanner(RUN, "T-CH", 4, 0.0, random.Random(1))

    batches = [planner.next_batch(number, NOW) for number in range(12)]

    assert [b.platform for b in batches] == list(PLATFORMS) * 2
    assert {b.channel for b in batches} == set(CHANNEL_OF_PLATFORM.values())
    for batch in batches:
        assert len(batch.orders) == 4 and batch.duplicates == 0
        for order_id, record in zip(batch.order_ids, batch.records(), strict=True):
            text = record.decode("utf-8")
            json.loads(text)
            assert order_id in text and "T-CH" in text
    taobao = json.loads(batches[0].records()[0])
    assert taobao["status"] == "WAIT_SELLER_SEND_GOODS"  # paid, awaiting shipment
    assert any("𠮷" in r.decode() for b in batches for r in b.records())


def test_duplicates_are_earlier_acknowledged_orders_of_the_same_platform_resent_byte_for_byte():
    planner = IngestPlanner(RUN, "T-CH", 10, 0.5, random.Random(3))
    first = planner.next_batch(0, NOW)
    for number in range(1, 6):
        planner.next_batch(number, NOW)  # the other platforms' turns

    unacknowledged = planner.next_batch(6, NOW)  # taobao again, but nothing of it was acknowledged yet
    planner.answered(first)
    for number in range(7, 12):
        planner.next_batch(number, NOW)
    again = planner.next_batch(12, NOW)

    assert unacknowledged.platform == again.platform == first.platform
    assert unacknowledged.duplicates == 0
    assert 0 < again.duplicates < 10
    originals = dict(zip(first.order_ids, first.records(), strict=True))
    resent = [(i, r) for i, r in zip(again.order_ids, again.records(), strict=True) if i not in again.fresh]
    assert len(resent) == again.duplicates
    assert all(originals[i] == r for i, r in resent)


def test_a_batch_always_brings_a_new_order():
    planner = IngestPlanner(RUN, "T-CH", 2, 0.9, random.Random(5))
    for number in range(60):
        batch = planner.next_batch(number, NOW)
        planner.answered(batch)
        assert batch.fresh and len(batch.orders) == 2


class FakeHub:
    """IngestChannelOrders in memory: one order per (channel, channel order id), one answer per request id;
    the first send of each request in ``conflicts`` is ABORTED, and ``paused`` channels refuse until released."""

    def __init__(self, conflicts: int = 0, paused: frozenset[str] = frozenset()) -> None:
        self.orders: dict[tuple[str, str], str] = {}
        self.answers: dict[str, tuple[IngestRecord, ...]] = {}
        self.sends: Counter[str] = Counter()
        self.conflicts = conflicts
        self.paused = set(paused)
        self.released: list[str] = []

    async def ingest(
        self, request_id: str, channel: str, records: list[bytes], timeout: float
    ) -> tuple[IngestRecord, ...]:
        self.sends[request_id] += 1
        if channel in self.paused:
            raise CallFailed("FAILED_PRECONDITION", "CHANNEL_SYNC_PAUSED")
        if self.conflicts and self.sends[request_id] == 1:
            self.conflicts -= 1
            raise CallFailed("ABORTED", "CONCURRENT_INGEST")
        if request_id not in self.answers:
            results = []
            for record in records:
                match = re.search(channel_tag(RUN) + r"\d{12}", record.decode())
                assert match is not None
                key = (channel, match.group())
                outcome = "UNCHANGED" if key in self.orders else "CREATED"
                self.orders.setdefault(key, f"order-{len(self.orders)}")
                results.append(IngestRecord(key[1], outcome, self.orders[key]))
            self.answers[request_id] = tuple(results)
        return self.answers[request_id]

    async def release(self, channel: str, timeout: float) -> None:
        self.paused.discard(channel)
        self.released.append(channel)

    def listing(self) -> list[ChannelOrderFact]:
        return [ChannelOrderFact(c, i, o, "APPROVED") for (c, i), o in self.orders.items()]


class NoSaga:
    async def place(self, request: object, timeout: float) -> object:
        raise AssertionError("an ingest-only run places nothing")

    async def cancel(self, request_id: str, order_id: str, reason: str, timeout: float) -> None:
        raise AssertionError("an ingest-only run cancels nothing")

    async def close(self) -> None:
        pass


def ingest_config(**overrides: object) -> LoadConfig:
    values: dict[str, object] = {
        "rate": 100.0,
        "duration": 0.24,
        "arrivals": "uniform",
        "mix": parse_mix("ingest=1"),
        "ingest_batch": 5,
        "ingest_duplicates": 0.4,
        "run_id": RUN,
    }
    values.update(overrides)
    return LoadConfig(**values)  # type: ignore[arg-type]


def facts_of(attempts: list[Attempt], listing: list[ChannelOrderFact]) -> Facts:
    return Facts(
        run_id=RUN,
        skus=(),
        hot_sku="",
        flash_units=1,
        initial={},
        final={},
        attempts=attempts,
        sagas={},
        fetched={},
        listed=[],
        holds=[],
        payments={},
        now=NOW,
        channel_orders=listing,
    )


async def test_an_ingest_run_sends_batches_with_duplicates_and_each_channel_order_is_made_once():
    hub = FakeHub()

    traffic = await drive(ingest_config(), NoSaga(), CATALOGUE, progress=False, channels=hub)  # type: ignore[arg-type]

    assert len(traffic.attempts) == 24
    assert all(a.outcome == "ok" and a.scenario == "ingest" for a in traffic.attempts)
    assert {a.channel for a in traffic.attempts} == set(CHANNEL_OF_PLATFORM.values())
    duplicates = sum(a.duplicates for a in traffic.attempts)
    assert duplicates > 0
    outcomes = Counter(r.outcome for a in traffic.attempts for r in a.ingested)
    assert outcomes["UNCHANGED"] == duplicates and outcomes["CREATED"] == len(hub.orders)
    check = check_ingest(facts_of(traffic.attempts, hub.listing()))
    assert check.passed, check.examples
    assert check.figures["distinct"] == check.figures["listed"] == len(hub.orders)
    figures = ingest_figures(traffic.attempts, traffic.arrivals_ended)
    assert figures["orders_ingested"] == len(hub.orders)
    assert figures["records_sent"] == 24 * 5 and figures["duplicates_sent"] == duplicates
    last = max(a.finished or 0.0 for a in traffic.attempts)
    assert figures["orders_per_s"] == pytest.approx(len(hub.orders) / max(traffic.arrivals_ended, last), abs=0.01)


async def test_a_conflicting_or_paused_batch_is_resent_with_the_same_request_id():
    hub = FakeHub(conflicts=2, paused=frozenset({"CHANNEL_TMALL"}))

    traffic = await drive(
        ingest_config(duration=0.06),
        NoSaga(),
        CATALOGUE,
        progress=False,
        channels=hub,  # type: ignore[arg-type]
    )

    assert all(a.outcome == "ok" for a in traffic.attempts)
    assert hub.released == ["CHANNEL_TMALL"]
    # One request id per batch; the paused one and the two conflicted ones were each sent twice.
    assert len(hub.sends) == len(traffic.attempts) == 6
    assert Counter(hub.sends.values()) == {2: 3, 1: 3}
    assert check_ingest(facts_of(traffic.attempts, hub.listing())).passed


async def test_a_batch_refused_for_good_is_recorded_with_its_reason():
    class Refusing(FakeHub):
        async def ingest(self, request_id: str, channel: str, records: list[bytes], timeout: float):  # type: ignore[no-untyped-def]
            raise CallFailed("INVALID_ARGUMENT", "INVALID_ARGUMENT", "records")

    traffic = await drive(
        ingest_config(duration=0.03),
        NoSaga(),
        CATALOGUE,
        progress=False,
        channels=Refusing(),  # type: ignore[arg-type]
    )

    assert [(a.outcome, a.code) for a in traffic.attempts] == [("refused", "INVALID_ARGUMENT")] * 3
    assert ingest_figures(traffic.attempts, traffic.arrivals_ended)["orders_ingested"] == 0


def acked(number: int, channel: str, *records: tuple[str, str, str]) -> Attempt:
    """An acknowledged batch: (channel order id, outcome, order id) per record."""
    return Attempt(
        number,
        "ingest",
        number * 0.1,
        request_id=f"req-{number}",
        sent=number * 0.1,
        finished=number * 0.1 + 0.05,
        outcome="ok",
        channel=channel,
        channel_order_ids=tuple(r[0] for r in records),
        duplicates=sum(1 for r in records if r[1] == "UNCHANGED"),
        ingested=tuple(IngestRecord(*r) for r in records),
    )


def consistent() -> tuple[list[Attempt], list[ChannelOrderFact]]:
    attempts = [
        acked(0, "CHANNEL_TMALL", ("t1", "CREATED", "o1"), ("t2", "CREATED", "o2")),
        acked(1, "CHANNEL_JD", ("t1", "CREATED", "o3")),  # the same platform id on another channel
        acked(2, "CHANNEL_TMALL", ("t2", "UNCHANGED", "o2"), ("t3", "CREATED", "o4")),
    ]
    listing = [
        ChannelOrderFact("CHANNEL_TMALL", "t1", "o1", "APPROVED"),
        ChannelOrderFact("CHANNEL_TMALL", "t2", "o2", "APPROVED"),
        ChannelOrderFact("CHANNEL_JD", "t1", "o3", "APPROVED"),
        ChannelOrderFact("CHANNEL_TMALL", "t3", "o4", "APPROVED"),
    ]
    return attempts, listing


def test_a_consistent_ingest_passes_and_evaluate_lists_it_only_when_asked():
    attempts, listing = consistent()
    facts = facts_of(attempts, listing)

    check = check_ingest(facts)

    assert check.passed, check.examples
    assert check.figures == {"records": 5, "duplicates_sent": 1, "distinct": 4, "acknowledged": 4, "listed": 4}
    assert "ingest" in {c.name for c in evaluate(facts, flash=False, declines=False, ingest=True)}
    assert "ingest" not in {c.name for c in evaluate(facts, flash=False, declines=False)}


@pytest.mark.parametrize(
    ("change", "kind"),
    [
        (lambda a, listing: listing.append(ChannelOrderFact("CHANNEL_TMALL", "t2", "o9", "APPROVED")), "duplicated"),
        (lambda a, listing: listing.pop(0), "lost"),
        (lambda a, listing: listing.append(ChannelOrderFact("CHANNEL_JD", "t7", "o7", "APPROVED")), "not asked for"),
        (lambda a, listing: a.append(acked(3, "CHANNEL_TMALL", ("t1", "UNCHANGED", "o8"))), "split"),
        (lambda a, listing: a.append(acked(3, "CHANNEL_TMALL", ("t1", "CREATED", "o1"))), "created twice"),
        (lambda a, listing: a.append(acked(3, "CHANNEL_JD", ("t5", "FAILED", ""))), "not ingested"),
    ],
)
def test_each_way_of_ingesting_wrongly_fails_the_check(change, kind):
    attempts, listing = consistent()
    change(attempts, listing)

    check = check_ingest(facts_of(attempts, listing))

    assert not check.passed
    assert check.figures[kind] == 1, check.examples


def test_an_unheard_batch_may_have_been_ingested_once_or_not_at_all():
    attempts, listing = consistent()
    unheard = Attempt(
        5, "ingest", 0.5, request_id="req-5", sent=0.5, outcome="error", channel="CHANNEL_JD",
        channel_order_ids=("j1", "j2"), code="DEADLINE_EXCEEDED",
    )  # fmt: skip
    attempts.append(unheard)

    assert check_ingest(facts_of(attempts, listing)).passed
    listing.append(ChannelOrderFact("CHANNEL_JD", "j1", "o5", "APPROVED"))
    assert check_ingest(facts_of(attempts, listing)).passed
    listing.append(ChannelOrderFact("CHANNEL_JD", "j1", "o6", "APPROVED"))
    assert check_ingest(facts_of(attempts, listing)).figures["duplicated"] == 1


def test_ingest_options_are_checked_and_off_in_the_default_mix():
    assert parse_mix(DEFAULT_MIX).weight("ingest") == 0
    assert parse_mix("place=1,ingest=2").weight("ingest") == 2
    for field, value in (("ingest_batch", 0), ("ingest_batch", 5_001), ("ingest_duplicates", 0.95)):
        with pytest.raises(LoadConfigError) as raised:
            LoadConfig(**{field: value})  # type: ignore[arg-type]
        assert raised.value.field == field


async def test_a_batch_that_keeps_conflicting_stops_resending_and_stays_unheard():
    hub_sends: Counter[str] = Counter()

    class AlwaysConflicting(FakeHub):
        async def ingest(self, request_id: str, channel: str, records: list[bytes], timeout: float):  # type: ignore[no-untyped-def]
            hub_sends[request_id] += 1
            raise CallFailed("ABORTED", "CONCURRENT_INGEST")

    traffic = await drive(
        ingest_config(duration=0.01),
        NoSaga(),
        CATALOGUE,
        progress=False,
        channels=AlwaysConflicting(),  # type: ignore[arg-type]
    )

    (attempt,) = traffic.attempts
    assert (attempt.outcome, attempt.code) == ("error", "ABORTED")
    assert hub_sends[attempt.request_id] == INGEST_SENDS
