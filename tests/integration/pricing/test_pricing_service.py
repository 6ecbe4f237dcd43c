"""The pricing service over real gRPC, PostgreSQL and Redis: contract, bad input, idempotency, races, events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import oms_client
import pytest
from google.protobuf import message
from oms.common.v1 import common_pb2
from oms.events.v1 import events_pb2 as envelope_pb2
from oms.pricing.v1 import events_pb2
from oms.pricing.v1 import pricing_pb2 as pb
from oms_client import OmsRpcError
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.pricing.bootstrap import Settings, build
from shared.kernel.ids import new_id
from tests.harness import running_service
from tests.support import eventually


@pytest.fixture(scope="module")
async def settings(service_database, redis_url: str, stream_prefix: str) -> Settings:
    return Settings(
        service_name="pricing",
        database_url=await service_database("pricing"),
        redis_url=redis_url,
        stream_prefix=stream_prefix,
        grpc_address="127.0.0.1:0",
    )


@pytest.fixture(scope="module")
async def pricing(settings: Settings) -> AsyncIterator[Any]:
    async with running_service(settings, build) as channel:
        yield oms_client.ServiceClient.for_service(
            channel, "pricing", metadata=[("x-oms-subject", "ops-7"), ("x-oms-role", "operations")]
        )


@pytest.fixture(scope="module")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(settings.database_url)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
async def stream(settings: Settings, redis_url: str) -> AsyncIterator[Any]:
    redis = Redis.from_url(redis_url)

    async def events(event_type: type[message.Message], aggregate_id: str) -> list[Any]:
        found = []
        for _, fields in await redis.xrange(settings.stream_name("pricing")):
            envelope = envelope_pb2.EventEnvelope.FromString(fields[b"envelope"])
            if envelope.aggregate_id == aggregate_id and envelope.payload.Is(event_type.DESCRIPTOR):
                event = event_type()
                envelope.payload.Unpack(event)
                found.append(event)
        return found

    yield events
    await redis.aclose()


def cny(amount: int) -> common_pb2.Money:
    return common_pb2.Money(amount_minor=amount, currency="CNY")


def sku(prefix: str) -> str:
    """A SKU no other test uses, so tests sharing the database never see each other's promotions."""
    return f"{prefix}-{new_id()[-12:]}"


async def set_price(pricing: Any, code: str, unit: int, *, cost: int = 0, floor: int = 0, category: str = "") -> None:
    await pricing.SetPrices(
        pb.SetPricesRequest(
            request_id=new_id(),
            prices=[pb.SkuPrice(sku=code, unit_price=cny(unit), cost=cny(cost), floor=cny(floor), category=category)],
        )
    )


async def create(pricing: Any, skus: list[str], **fields: Any) -> str:
    definition = pb.PromotionDefinition(
        name=fields.pop("name", "促销 𠮷"), currency="CNY", scope=pb.PromotionScope(skus=skus), **fields
    )
    reply = await pricing.CreatePromotion(pb.CreatePromotionRequest(request_id=new_id(), promotion=definition))
    return reply.promotion.promotion_id


async def activate(pricing: Any, promotion_id: str) -> pb.ActivatePromotionResponse:
    return await pricing.ActivatePromotion(pb.ActivatePromotionRequest(request_id=new_id(), promotion_id=promotion_id))


async def quote(pricing: Any, *lines: tuple[str, int], request_id: str = "", **fields: Any) -> pb.PriceQuote:
    request = pb.QuoteRequest(
        request_id=request_id or new_id(),
        lines=[pb.QuoteLineRequest(sku=s, quantity=q) for s, q in lines],
        currency="CNY",
        **fields,
    )
    return (await pricing.Quote(request)).quote


async def refused(call: Any) -> OmsRpcError:
    with pytest.raises(OmsRpcError) as caught:
        await call
    return caught.value


def assert_adds_up(q: pb.PriceQuote) -> None:
    assert q.subtotal.amount_minor == sum(line.unit_price.amount_minor * line.quantity for line in q.lines)
    assert q.discount_total.amount_minor == sum(line.discount.amount_minor for line in q.lines)
    assert q.discount_total.amount_minor == sum(a.amount.amount_minor for a in q.applied)
    assert q.total.amount_minor == q.subtotal.amount_minor + q.shipping_fee.amount_minor - q.discount_total.amount_minor
    for line in q.lines:
        assert line.line_total.amount_minor == line.unit_price.amount_minor * line.quantity - line.discount.amount_minor


def versions_of(events: list[Any]) -> list[int]:
    return sorted(e.price.version for e in events)


async def test_set_prices_in_bulk_is_idempotent_and_versions_only_changes(pricing, stream) -> None:
    codes = [sku("𠮷"), sku("B"), sku("C")]
    request = pb.SetPricesRequest(
        request_id=new_id(),
        prices=[
            pb.SkuPrice(sku=c, unit_price=cny(1_000 * (i + 1)), cost=cny(100), floor=cny(500), category="家具")
            for i, c in enumerate(codes)
        ],
    )
    first = await pricing.SetPrices(request)
    assert first.changed_count == 3
    assert [p.sku for p in first.prices] == codes and {p.version for p in first.prices} == {1}
    assert await pricing.SetPrices(request) == first
    request.request_id = new_id()
    request.prices[1].unit_price.amount_minor = 2_500
    second = await pricing.SetPrices(request)
    assert second.changed_count == 1
    assert [p.version for p in second.prices] == [1, 2, 1]
    found = await pricing.GetPrices(pb.GetPricesRequest(skus=[codes[1], "NOPE", codes[0]], currency="CNY"))
    assert [p.sku for p in found.prices] == [codes[1], codes[0]]
    assert list(found.missing_skus) == ["NOPE"]
    assert found.prices[0].unit_price.amount_minor == 2_500 and found.prices[0].category == "家具"

    async def both_changes() -> list[Any]:
        events = await stream(events_pb2.PriceChanged, f"{codes[1]}@CNY")
        return events if versions_of(events) == [1, 2] else []

    changes = await eventually(both_changes, message="PriceChanged v1 and v2 on the stream")
    assert {e.actor.subject for e in changes} == {"ops-7"}
    assert versions_of(await stream(events_pb2.PriceChanged, f"{codes[0]}@CNY")) == [1]


async def test_set_prices_bad_input_names_the_fields(pricing) -> None:
    bad_currency = await refused(
        pricing.SetPrices(
            pb.SetPricesRequest(
                request_id=new_id(),
                prices=[pb.SkuPrice(sku="X", unit_price=common_pb2.Money(amount_minor=1, currency="yuan"))],
            )
        )
    )
    assert bad_currency.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in bad_currency.violations] == ["prices[0].unit_price.currency"]
    error = await refused(
        pricing.SetPrices(
            pb.SetPricesRequest(
                request_id=new_id(), prices=[pb.SkuPrice(sku="", unit_price=cny(100), cost=cny(-1), floor=cny(200))]
            )
        )
    )
    assert {v.field for v in error.violations} == {"prices[0].sku", "prices[0].cost.amount_minor", "prices[0].floor"}
    empty = await refused(pricing.SetPrices(pb.SetPricesRequest(request_id=new_id())))
    assert [v.field for v in empty.violations] == ["prices"]
    no_key = await refused(pricing.SetPrices(pb.SetPricesRequest(prices=[pb.SkuPrice(sku="X", unit_price=cny(1))])))
    assert [v.field for v in no_key.violations] == ["request_id"]


async def test_quote_applies_promotions_stores_the_quote_and_replays(pricing, stream, engine) -> None:
    lamp, mug = sku("LAMP"), sku("MUG")
    await set_price(pricing, lamp, 60_000, cost=20_000, floor=30_000)
    await set_price(pricing, mug, 3_333, floor=1_000)
    threshold = await create(pricing, [lamp, mug], amount_off=cny(10_000), threshold=cny(100_000), name="满1000减100")
    code = f"满500减50-{lamp}"
    # The coupon lists "default" but the threshold promotion does not list "coupons": stacking is opt-in on
    # both sides, so the two are exclusive and the quote keeps the better one.
    coupon = await create(
        pricing,
        [lamp, mug],
        amount_off=cny(5_000),
        threshold=cny(50_000),
        coupon_code=code,
        stacking_group="coupons",
        stackable_with=["default"],
    )
    await activate(pricing, threshold)
    await activate(pricing, coupon)
    await pricing.SetShippingRule(
        pb.SetShippingRuleRequest(
            request_id=new_id(), rule=pb.ShippingRule(country="CN", province="新疆维吾尔自治区", flat_fee=cny(3_000))
        )
    )
    request = pb.QuoteRequest(
        request_id=f"saga-{new_id()}:quote",
        lines=[pb.QuoteLineRequest(sku=lamp, quantity=2), pb.QuoteLineRequest(sku=mug, quantity=3)],
        customer_tier="CUSTOMER_TIER_VIP",
        coupon_codes=[code, "NO-SUCH-COUPON"],
        shipping_address=common_pb2.Address(country="CN", province="新疆维吾尔自治区", recipient="𠮷田"),
        currency="CNY",
    )
    q = (await pricing.Quote(request)).quote
    assert_adds_up(q)
    assert q.subtotal.amount_minor == 129_999
    assert [a.promotion_id for a in q.applied] == [threshold]
    reasons = {r.promotion_id or r.coupon_code: r.reason for r in q.rejected}
    assert reasons == {coupon: pb.REJECTION_REASON_NOT_STACKABLE, "NO-SUCH-COUPON": pb.REJECTION_REASON_COUPON_UNKNOWN}
    assert q.shipping_fee.amount_minor == 3_000
    assert q.total.amount_minor == 129_999 - 10_000 + 3_000
    assert q.customer_tier == "VIP"
    assert q.valid_until.ToDatetime() - q.issued_at.ToDatetime() == timedelta(minutes=15)

    assert (await pricing.Quote(request)).quote == q
    assert (await pricing.GetQuote(pb.GetQuoteRequest(quote_id=q.quote_id))).quote == q
    issued = await eventually(lambda: stream(events_pb2.QuoteIssued, q.quote_id))
    assert issued[0].total == q.total and list(issued[0].applied_promotion_ids) == [threshold]
    reused = await refused(quote(pricing, (lamp, 1), request_id=request.request_id))
    assert reused.reason == "IDEMPOTENCY_KEY_REUSED"

    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE quotes SET valid_until = :t WHERE quote_id = :q"),
            {"t": datetime.now(UTC) - timedelta(seconds=1), "q": q.quote_id},
        )
    expired = await refused(pricing.GetQuote(pb.GetQuoteRequest(quote_id=q.quote_id)))
    assert (expired.code, expired.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "QUOTE_EXPIRED")


async def test_quote_bad_input_and_unknown_things(pricing) -> None:
    lamp = sku("LAMP")
    await set_price(pricing, lamp, 10_000)
    bad = await refused(
        pricing.Quote(
            pb.QuoteRequest(
                request_id=new_id(),
                lines=[pb.QuoteLineRequest(sku=lamp, quantity=0), pb.QuoteLineRequest(sku="", quantity=1)],
                currency="rmb",
            )
        )
    )
    assert bad.code == grpc.StatusCode.INVALID_ARGUMENT
    assert {v.field for v in bad.violations} == {"lines[0].quantity", "lines[1].sku", "currency"}
    missing = await refused(quote(pricing, (lamp, 1), ("GHOST-" + lamp, 1)))
    assert (missing.code, missing.reason, missing.metadata["sku"]) == (
        grpc.StatusCode.NOT_FOUND,
        "SKU_NOT_PRICED",
        "GHOST-" + lamp,
    )
    in_usd = await refused(
        pricing.Quote(
            pb.QuoteRequest(request_id=new_id(), lines=[pb.QuoteLineRequest(sku=lamp, quantity=1)], currency="USD")
        )
    )
    assert in_usd.reason == "SKU_NOT_PRICED"
    not_found = await refused(pricing.GetQuote(pb.GetQuoteRequest(quote_id=new_id())))
    assert (not_found.code, not_found.reason) == (grpc.StatusCode.NOT_FOUND, "QUOTE_NOT_FOUND")
    malformed = await refused(pricing.GetQuote(pb.GetQuoteRequest(quote_id="42")))
    assert [v.field for v in malformed.violations] == ["quote_id"]


async def test_sofa_incident_launch_check_blocks_and_no_quote_reaches_200(pricing) -> None:
    sofa = sku("SOFA")
    await set_price(pricing, sofa, 120_000, cost=70_000, floor=80_000, category="furniture")
    store = await create(
        pricing,
        [sofa],
        amount_off=cny(40_000),
        threshold=cny(100_000),
        stacking_group="store",
        stackable_with=["platform"],
    )
    platform = await create(
        pricing,
        [sofa],
        amount_off=cny(60_000),
        coupon_code=f"SOFA600-{sofa}",
        stacking_group="platform",
        stackable_with=["store"],
    )
    activated = await activate(pricing, store)
    assert activated.promotion.status == pb.PROMOTION_STATUS_ACTIVE and activated.launch_check.ok

    report = await pricing.ValidatePromotionLaunch(pb.ValidatePromotionLaunchRequest(promotion_id=platform))
    assert not report.ok and report.skus_checked == 1 and report.combinations_checked == 2
    worst = report.violations[0]
    assert (worst.sku, sorted(worst.promotion_ids)) == (sofa, sorted([store, platform]))
    assert worst.worst_net_unit_price.amount_minor == 20_000
    assert set(worst.kinds) == {pb.VIOLATION_KIND_BELOW_FLOOR, pb.VIOLATION_KIND_BELOW_COST}

    blocked = await refused(activate(pricing, platform))
    assert (blocked.code, blocked.reason, blocked.metadata["sku"]) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "PROMOTION_SELLS_BELOW_FLOOR",
        sofa,
    )
    still = await pricing.GetPromotion(pb.GetPromotionRequest(promotion_id=platform))
    assert still.promotion.status == pb.PROMOTION_STATUS_DRAFT
    q = await quote(pricing, (sofa, 1), coupon_codes=[f"SOFA600-{sofa}"])
    assert q.total.amount_minor == 80_000
    assert [r.reason for r in q.rejected] == [pb.REJECTION_REASON_COUPON_UNKNOWN]

    draft = pb.PromotionDefinition(
        name="draft", currency="CNY", percent_off_bps=5_000, scope=pb.PromotionScope(categories=["furniture"])
    )
    draft_report = await pricing.ValidatePromotionLaunch(pb.ValidatePromotionLaunchRequest(draft=draft))
    assert not draft_report.ok and sofa in {v.sku for v in draft_report.violations}


async def test_a_price_cut_after_launch_is_still_stopped_at_the_floor(pricing) -> None:
    sofa = sku("SOFA")
    await set_price(pricing, sofa, 500_000, cost=70_000, floor=80_000)
    first = await create(pricing, [sofa], amount_off=cny(50_000), stacking_group="a", stackable_with=["b"])
    second = await create(pricing, [sofa], amount_off=cny(50_000), stacking_group="b", stackable_with=["a"])
    await activate(pricing, first)
    await activate(pricing, second)
    assert (await quote(pricing, (sofa, 1))).total.amount_minor == 400_000
    await set_price(pricing, sofa, 120_000, cost=70_000, floor=80_000)
    error = await refused(quote(pricing, (sofa, 1)))
    assert (error.code, error.reason, error.metadata["sku"]) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "PRICE_BELOW_FLOOR",
        sofa,
    )
    assert error.metadata["net_unit_price"] == "60000"


async def test_concurrent_activations_cannot_pass_each_other_blind(pricing) -> None:
    for _ in range(3):
        sofa = sku("SOFA")
        await set_price(pricing, sofa, 120_000, cost=70_000, floor=80_000)
        ids = [
            await create(pricing, [sofa], amount_off=cny(30_000), stacking_group=g, stackable_with=[o])
            for g, o in (("x", "y"), ("y", "x"))
        ]
        outcomes = await asyncio.gather(*(activate(pricing, i) for i in ids), return_exceptions=True)
        errors = [o for o in outcomes if isinstance(o, OmsRpcError)]
        assert len(errors) == 1, outcomes
        assert errors[0].reason == "PROMOTION_SELLS_BELOW_FLOOR"
        assert (await quote(pricing, (sofa, 1))).total.amount_minor == 90_000


async def test_concurrent_replays_of_one_quote_make_one_quote(pricing, engine) -> None:
    lamp = sku("LAMP")
    await set_price(pricing, lamp, 9_900)
    request_id = f"saga-{new_id()}:quote"
    quotes = await asyncio.gather(*(quote(pricing, (lamp, 2), request_id=request_id) for _ in range(8)))
    assert len({q.quote_id for q in quotes}) == 1
    async with engine.connect() as connection:
        count = await connection.scalar(
            text("SELECT count(*) FROM quotes WHERE quote_id = :q"), {"q": quotes[0].quote_id}
        )
    assert count == 1


async def test_concurrent_price_batches_over_the_same_skus_neither_deadlock_nor_lose_versions(pricing) -> None:
    codes = [sku("S") for _ in range(20)]

    async def batch(i: int) -> None:
        order = codes if i % 2 else list(reversed(codes))
        await pricing.SetPrices(
            pb.SetPricesRequest(
                request_id=new_id(), prices=[pb.SkuPrice(sku=c, unit_price=cny(1_000 + i)) for c in order]
            )
        )

    await asyncio.gather(*(batch(i) for i in range(8)))
    found = await pricing.GetPrices(pb.GetPricesRequest(skus=codes))
    assert {p.version for p in found.prices} == {8}


async def test_deactivation_takes_a_promotion_out_of_quotes_and_is_recorded(pricing, stream) -> None:
    lamp = sku("LAMP")
    await set_price(pricing, lamp, 10_000)
    promotion_id = await create(pricing, [lamp], percent_off_bps=1_000)
    await activate(pricing, promotion_id)
    assert (await quote(pricing, (lamp, 1))).discount_total.amount_minor == 1_000
    request = pb.DeactivatePromotionRequest(request_id=new_id(), promotion_id=promotion_id, reason="活动结束")
    first = await pricing.DeactivatePromotion(request)
    assert first.promotion.status == pb.PROMOTION_STATUS_INACTIVE
    assert await pricing.DeactivatePromotion(request) == first
    again = await refused(
        pricing.DeactivatePromotion(pb.DeactivatePromotionRequest(request_id=new_id(), promotion_id=promotion_id))
    )
    assert (again.code, again.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "INVALID_TRANSITION")
    assert (await quote(pricing, (lamp, 1))).discount_total.amount_minor == 0
    activated = await eventually(lambda: stream(events_pb2.PromotionActivated, promotion_id))
    assert activated[0].promotion.definition.percent_off_bps == 1_000
    deactivated = await eventually(lambda: stream(events_pb2.PromotionDeactivated, promotion_id))
    assert deactivated[0].previous_status == pb.PROMOTION_STATUS_ACTIVE and deactivated[0].reason == "活动结束"


async def test_promotion_bad_input_coupon_uniqueness_and_listing(pricing) -> None:
    bad = await refused(
        pricing.CreatePromotion(
            pb.CreatePromotionRequest(
                request_id=new_id(),
                promotion=pb.PromotionDefinition(
                    name="",
                    currency="CNY",
                    percent_off_bps=20_000,
                    scope=pb.PromotionScope(),
                    stacking_group="g",
                    stackable_with=["g"],
                ),
            )
        )
    )
    assert bad.code == grpc.StatusCode.INVALID_ARGUMENT
    assert {v.field for v in bad.violations} == {
        "promotion.name",
        "promotion.percent_off_bps",
        "promotion.scope",
        "promotion.stackable_with[0]",
    }
    code = f"VIP-{new_id()}"
    first = await create(pricing, ["ANY"], percent_off_bps=100, coupon_code=code)
    taken = await refused(create(pricing, ["ANY"], percent_off_bps=200, coupon_code=code))
    assert (taken.code, taken.reason) == (grpc.StatusCode.ALREADY_EXISTS, "COUPON_CODE_TAKEN")
    assert [v.field for v in taken.violations] == ["promotion.coupon_code"]
    unknown = await refused(activate(pricing, new_id()))
    assert (unknown.code, unknown.reason) == (grpc.StatusCode.NOT_FOUND, "PROMOTION_NOT_FOUND")

    seen: list[str] = []
    token = ""
    while True:
        page = await pricing.ListPromotions(
            pb.ListPromotionsRequest(
                status=pb.PROMOTION_STATUS_DRAFT, page=common_pb2.PageRequest(page_size=2, page_token=token)
            )
        )
        assert len(page.promotions) <= 2
        seen += [p.promotion_id for p in page.promotions]
        assert all(p.status == pb.PROMOTION_STATUS_DRAFT for p in page.promotions)
        token = page.page.next_page_token
        if not token:
            break
    assert first in seen and len(seen) == len(set(seen))
