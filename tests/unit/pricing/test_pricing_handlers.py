"""Pricing handlers over in-memory fakes: idempotency, events, the launch gate, catalogue invalidation, paging."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pricing_factories import NOW, definition
from pricing_fakes import FakeCatalog, FakeUnitOfWork

from services.pricing.application import handlers
from services.pricing.application.commands import (
    ActivatePromotion,
    CreatePromotion,
    DeactivatePromotion,
    GetPrices,
    GetPromotion,
    GetQuote,
    ListPromotions,
    QuoteBasket,
    SetPrices,
    SetShippingRule,
    ValidatePromotionLaunch,
)
from services.pricing.domain.errors import (
    CouponCodeTaken,
    PriceBelowFloor,
    PromotionNotFound,
    PromotionSellsBelowFloor,
    QuoteExpired,
    QuoteNotFound,
)
from services.pricing.domain.events import PriceChanged, PromotionActivated, PromotionDeactivated, QuoteIssued
from services.pricing.domain.prices import PriceEntry
from services.pricing.domain.promotions import PromotionStatus
from services.pricing.domain.quoting import BasketLine
from shared.kernel.errors import InvalidArgument, InvalidTransition
from shared.kernel.ids import new_id
from shared.kernel.money import Money


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self):
        return self.now


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def catalog(uow: FakeUnitOfWork) -> FakeCatalog:
    return FakeCatalog(uow)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def sofa(unit: int = 120_000) -> PriceEntry:
    return PriceEntry("SOFA-1", Money(unit), Money(70_000), Money(80_000), "furniture")


async def load(uow, clock, *entries: PriceEntry) -> None:
    await handlers.set_prices(SetPrices(new_id(), tuple(entries)), uow, clock)


async def create(uow, clock, **fields) -> str:
    promotion = await handlers.create_promotion(CreatePromotion(new_id(), definition(**fields)), uow, clock, new_id)
    return promotion.promotion_id


async def activate(uow, catalog, clock, promotion_id: str):
    return await handlers.activate_promotion(ActivatePromotion(new_id(), promotion_id), uow, catalog, clock)


async def test_set_prices_emits_only_for_changes_and_replays(uow, clock):
    cmd = SetPrices("r1", (sofa(), PriceEntry("LAMP-1", Money(30_000), Money(1), Money(2))))
    first = await handlers.set_prices(cmd, uow, clock)
    assert first.changed_count == 2 and [p.version for p in first.prices] == [1, 1]
    assert [type(e) for e in uow.committed.events] == [PriceChanged, PriceChanged]
    assert await handlers.set_prices(cmd, uow, clock) == first
    same = await handlers.set_prices(SetPrices("r2", (sofa(),)), uow, clock)
    assert same.changed_count == 0 and same.prices[0].version == 1
    changed = await handlers.set_prices(SetPrices("r3", (sofa(110_000),)), uow, clock)
    assert changed.changed_count == 1 and changed.prices[0].version == 2
    assert len(uow.committed.events) == 3
    with pytest.raises(InvalidArgument) as reused:
        await handlers.set_prices(SetPrices("r1", (sofa(90_000),)), uow, clock)
    assert reused.value.reason == "IDEMPOTENCY_KEY_REUSED"


async def test_get_prices_reports_missing_skus(uow, clock):
    await load(uow, clock, sofa())
    found = await handlers.get_prices(GetPrices(("SOFA-1", "NOPE", "SOFA-1")), uow)
    assert [p.sku for p in found.prices] == ["SOFA-1"] and found.missing_skus == ("NOPE",)
    with pytest.raises(InvalidArgument) as bad:
        await handlers.get_prices(GetPrices(("",), "usd"), uow)
    assert {v.field for v in bad.value.violations} == {"skus[0]", "currency"}


async def test_quote_is_stored_replayed_and_expires(uow, catalog, clock):
    await load(uow, clock, sofa())
    await handlers.set_shipping_rule(
        SetShippingRule(new_id(), "", "", Money(1_000), Money(100_000)), uow, catalog, clock
    )
    assert catalog.invalidations == 1
    cmd = QuoteBasket("saga-1:quote", (BasketLine("SOFA-1", 1),))
    quote = await handlers.quote_basket(cmd, uow, catalog, clock, new_id)
    assert quote.priced.total == 120_000 and quote.priced.shipping_fee == 0
    assert isinstance(uow.committed.events[-1], QuoteIssued)
    assert await handlers.quote_basket(cmd, uow, catalog, clock, new_id) == quote
    assert await handlers.get_quote(GetQuote(quote.quote_id), uow, clock) == quote
    clock.now = quote.valid_until + timedelta(seconds=1)
    with pytest.raises(QuoteExpired):
        await handlers.get_quote(GetQuote(quote.quote_id), uow, clock)
    with pytest.raises(QuoteNotFound):
        await handlers.get_quote(GetQuote(new_id()), uow, clock)
    with pytest.raises(InvalidArgument):
        await handlers.get_quote(GetQuote("not-a-uuid"), uow, clock)


async def test_a_refused_quote_stores_nothing_and_frees_its_key(uow, catalog, clock):
    await load(uow, clock, sofa())
    deep = await create(uow, clock, percent=5_000)
    uow.committed.promotions[deep] = uow.committed.promotions[deep].activated(NOW)  # bypass the launch check
    cmd = QuoteBasket("q-1", (BasketLine("SOFA-1", 1),))
    with pytest.raises(PriceBelowFloor):
        await handlers.quote_basket(cmd, uow, catalog, clock, new_id)
    assert uow.committed.quotes == {} and "q-1" not in uow.committed.keys


async def test_the_sofa_incident_launch_check_blocks_the_second_promotion(uow, catalog, clock):
    await load(uow, clock, sofa())
    store = await create(uow, clock, amount_off=30_000, threshold=100_000, group="store", stackable_with=["platform"])
    platform = await create(
        uow, clock, amount_off=30_000, threshold=100_000, coupon="P300", group="platform", stackable_with=["store"]
    )
    activation = await activate(uow, catalog, clock, store)
    assert activation.promotion.status is PromotionStatus.ACTIVE and activation.launch_check.ok
    assert catalog.invalidations == 1
    report = await handlers.validate_promotion_launch(ValidatePromotionLaunch(platform), uow, clock)
    assert not report.ok and report.violations[0].promotion_ids == tuple(sorted([store, platform]))
    with pytest.raises(PromotionSellsBelowFloor) as blocked:
        await activate(uow, catalog, clock, platform)
    assert blocked.value.metadata["sku"] == "SOFA-1"
    assert uow.committed.promotions[platform].status is PromotionStatus.DRAFT
    assert [type(e) for e in uow.committed.events[-1:]] == [PromotionActivated]
    # Only the store promotion is live, so the coupon is unknown and the sofa sells at 900.00.
    quote = await handlers.quote_basket(
        QuoteBasket(new_id(), (BasketLine("SOFA-1", 1),), coupon_codes=("P300",)), uow, catalog, clock, new_id
    )
    assert quote.priced.total == 90_000
    assert [r.reason.value for r in quote.priced.rejected] == ["COUPON_UNKNOWN"]


async def test_a_draft_can_be_checked_without_storing_it(uow, clock):
    await load(uow, clock, sofa())
    report = await handlers.validate_promotion_launch(
        ValidatePromotionLaunch(draft=definition(percent=4_000)), uow, clock
    )
    assert not report.ok and report.promotion_id == ""
    with pytest.raises(InvalidArgument):
        await handlers.validate_promotion_launch(ValidatePromotionLaunch(), uow, clock)
    with pytest.raises(PromotionNotFound):
        await handlers.validate_promotion_launch(ValidatePromotionLaunch(new_id()), uow, clock)


async def test_coupon_codes_are_unique(uow, clock):
    await create(uow, clock, amount_off=100, coupon="满500减50")
    with pytest.raises(CouponCodeTaken):
        await create(uow, clock, amount_off=200, coupon="满500减50")


async def test_deactivation_lifecycle_and_replay(uow, catalog, clock):
    await load(uow, clock, sofa())
    promotion_id = await create(uow, clock, percent=1_000)
    await activate(uow, catalog, clock, promotion_id)
    cmd = DeactivatePromotion("d-1", promotion_id, "活动结束 𠮷")
    first = await handlers.deactivate_promotion(cmd, uow, catalog, clock)
    assert first.status is PromotionStatus.INACTIVE
    event = uow.committed.events[-1]
    assert isinstance(event, PromotionDeactivated) and event.previous_status is PromotionStatus.ACTIVE
    assert await handlers.deactivate_promotion(cmd, uow, catalog, clock) == first
    with pytest.raises(InvalidTransition):
        await handlers.deactivate_promotion(DeactivatePromotion("d-2", promotion_id), uow, catalog, clock)
    again = await activate(uow, catalog, clock, promotion_id)
    assert again.promotion.status is PromotionStatus.ACTIVE
    with pytest.raises(InvalidTransition):
        await activate(uow, catalog, clock, promotion_id)


async def test_listing_pages_through_every_promotion_once(uow, clock):
    ids = []
    for i in range(7):
        clock.now = NOW + timedelta(seconds=i)
        ids.append(await create(uow, clock, percent=100 + i))
    seen, token = [], ""
    for _ in range(10):
        page = await handlers.list_promotions(ListPromotions(page_size=3, page_token=token), uow)
        seen += [p.promotion_id for p in page.promotions]
        token = page.next_page_token
        if not token:
            break
    assert seen == ids
    with pytest.raises(InvalidArgument) as other_filter:
        first = await handlers.list_promotions(ListPromotions(page_size=3), uow)
        await handlers.list_promotions(
            ListPromotions(PromotionStatus.ACTIVE, page_size=3, page_token=first.next_page_token), uow
        )
    assert other_filter.value.violations[0].field == "page.page_token"
    with pytest.raises(InvalidArgument):
        await handlers.list_promotions(ListPromotions(page_token="garbage"), uow)


async def test_get_promotion(uow, clock):
    promotion_id = await create(uow, clock, percent=100, name="𠮷 promo")
    assert (await handlers.get_promotion(GetPromotion(promotion_id), uow)).definition.name == "𠮷 promo"
    with pytest.raises(PromotionNotFound):
        await handlers.get_promotion(GetPromotion(new_id()), uow)
