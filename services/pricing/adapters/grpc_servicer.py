"""The gRPC face of pricing: proto -> command -> handler -> proto, nothing else (errors map in the interceptor)."""

from __future__ import annotations

from collections.abc import Callable

import grpc
from oms.common.v1 import common_pb2
from oms.pricing.v1 import pricing_pb2, pricing_pb2_grpc
from opentelemetry import trace

from services.pricing.adapters import protos
from services.pricing.adapters.unit_of_work import PricingUnitOfWork
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
from services.pricing.application.handlers import QuotingConfig
from services.pricing.application.ports import Clock, IdFactory, PromotionCatalog
from services.pricing.domain.launch import DEFAULT_REPORT_LIMIT
from services.pricing.domain.prices import PriceEntry
from services.pricing.domain.quoting import BasketLine
from services.pricing.domain.validation import DEFAULT_CURRENCY
from shared.db import utc_now
from shared.kernel.ids import new_id
from shared.telemetry import attributes

SERVICE_NAME = pricing_pb2.DESCRIPTOR.services_by_name["PricingService"].full_name


def _price_entry(message: pricing_pb2.SkuPrice, i: int) -> PriceEntry:
    path = f"prices[{i}]"
    currency = message.unit_price.currency or DEFAULT_CURRENCY
    return PriceEntry(
        sku=message.sku,
        unit_price=protos.money_in(message.unit_price, f"{path}.unit_price", currency),
        cost=protos.money_in(message.cost, f"{path}.cost", currency),
        floor=protos.money_in(message.floor, f"{path}.floor", currency),
        category=message.category,
    )


def quote_command(request: pricing_pb2.QuoteRequest) -> QuoteBasket:
    address = request.shipping_address
    return QuoteBasket(
        request_id=request.request_id,
        lines=tuple(BasketLine(line.sku, line.quantity) for line in request.lines),
        currency=request.currency,
        customer_tier=request.customer_tier,
        coupon_codes=tuple(request.coupon_codes),
        country=address.country,
        province=address.province,
    )


class PricingServicer(pricing_pb2_grpc.PricingServiceServicer):
    def __init__(
        self,
        unit_of_work: Callable[[], PricingUnitOfWork],
        catalog: PromotionCatalog,
        *,
        config: QuotingConfig = QuotingConfig(),
        report_limit: int = DEFAULT_REPORT_LIMIT,
        clock: Clock = utc_now,
        ids: IdFactory = new_id,
    ) -> None:
        self._uow = unit_of_work
        self._catalog = catalog
        self._config = config
        self._report_limit = report_limit
        self._clock = clock
        self._ids = ids

    async def SetPrices(
        self, request: pricing_pb2.SetPricesRequest, context: grpc.aio.ServicerContext
    ) -> pricing_pb2.SetPricesResponse:
        entries = tuple(_price_entry(p, i) for i, p in enumerate(request.prices))
        result = await handlers.set_prices(SetPrices(request.request_id, entries), self._uow(), self._clock)
        return pricing_pb2.SetPricesResponse(
            prices=[protos.price_out(p) for p in result.prices], changed_count=result.changed_count
        )

    async def GetPrices(
        self, request: pricing_pb2.GetPricesRequest, context: grpc.aio.ServicerContext
    ) -> pricing_pb2.GetPricesResponse:
        found = await handlers.get_prices(GetPrices(tuple(request.skus), request.currency), self._uow())
        return pricing_pb2.GetPricesResponse(
            prices=[protos.price_out(p) for p in found.prices], missing_skus=found.missing_skus
        )

    async def SetShippingRule(
        self, request: pricing_pb2.SetShippingRuleRequest, context: grpc.aio.ServicerContext
    ) -> pricing_pb2.SetShippingRuleResponse:
        rule = request.rule
        flat_fee = protos.money_in(rule.flat_fee, "rule.flat_fee", DEFAULT_CURRENCY)
        free_over = (
            protos.money_in(rule.free_over, "rule.free_over", flat_fee.currency) if rule.HasField("free_over") else None
        )
        command = SetShippingRule(request.request_id, rule.country, rule.province, flat_fee, free_over)
        result = await handlers.set_shipping_rule(command, self._uow(), self._catalog, self._clock)
        return pricing_pb2.SetShippingRuleResponse(rule=protos.rule_out(result.rule))

    async def Quote(
        self, request: pricing_pb2.QuoteRequest, context: grpc.aio.ServicerContext
    ) -> pricing_pb2.QuoteResponse:
        command = quote_command(request)
        if command.customer_tier:
            trace.get_current_span().set_attribute(attributes.CUSTOMER_TIER, command.customer_tier)
        quote = await handlers.quote_basket(command, self._uow(), self._catalog, self._clock, self._ids, self._config)
        return pricing_pb2.QuoteResponse(quote=protos.quote_out(quote))

    async def GetQuote(
        self, request: pricing_pb2.GetQuoteRequest, context: grpc.aio.ServicerContext
    ) -> pricing_pb2.GetQuoteResponse:
        quote = await handlers.get_quote(GetQuote(request.quote_id), self._uow(), self._clock)
        return pricing_pb2.GetQuoteResponse(quote=protos.quote_out(quote))

    async def CreatePromotion(
        self, request: pricing_pb2.CreatePromotionRequest, context: grpc.aio.ServicerContext
    ) -> pricing_pb2.CreatePromotionResponse:
        definition = protos.definition_in(request.promotion, "promotion")
        promotion = await handlers.create_promotion(
            CreatePromotion(request.request_id, definition), self._uow(), self._clock, self._ids
        )
        return pricing_pb2.CreatePromotionResponse(promotion=protos.promotion_out(promotion))

    async def GetPromotion(
        self, request: pricing_pb2.GetPromotionRequest, context: grpc.aio.ServicerContext
    ) -> pricing_pb2.GetPromotionResponse:
        promotion = await handlers.get_promotion(GetPromotion(request.promotion_id), self._uow())
        return pricing_pb2.GetPromotionResponse(promotion=protos.promotion_out(promotion))

    async def ListPromotions(
        self, request: pricing_pb2.ListPromotionsRequest, context: grpc.aio.ServicerContext
    ) -> pricing_pb2.ListPromotionsResponse:
        query = ListPromotions(
            status=protos.status_in(request.status, "status"),
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        page = await handlers.list_promotions(query, self._uow())
        return pricing_pb2.ListPromotionsResponse(
            promotions=[protos.promotion_out(p) for p in page.promotions],
            page=common_pb2.PageResponse(next_page_token=page.next_page_token),
        )

    async def ValidatePromotionLaunch(
        self, request: pricing_pb2.ValidatePromotionLaunchRequest, context: grpc.aio.ServicerContext
    ) -> pricing_pb2.ValidatePromotionLaunchResponse:
        target = request.WhichOneof("target")
        query = ValidatePromotionLaunch(
            promotion_id=request.promotion_id if target == "promotion_id" else "",
            draft=protos.definition_in(request.draft, "draft") if target == "draft" else None,
        )
        report = await handlers.validate_promotion_launch(query, self._uow(), self._clock, self._report_limit)
        return protos.report_out(report)

    async def ActivatePromotion(
        self, request: pricing_pb2.ActivatePromotionRequest, context: grpc.aio.ServicerContext
    ) -> pricing_pb2.ActivatePromotionResponse:
        activation = await handlers.activate_promotion(
            ActivatePromotion(request.request_id, request.promotion_id),
            self._uow(),
            self._catalog,
            self._clock,
            self._report_limit,
        )
        return pricing_pb2.ActivatePromotionResponse(
            promotion=protos.promotion_out(activation.promotion),
            launch_check=protos.report_out(activation.launch_check),
        )

    async def DeactivatePromotion(
        self, request: pricing_pb2.DeactivatePromotionRequest, context: grpc.aio.ServicerContext
    ) -> pricing_pb2.DeactivatePromotionResponse:
        promotion = await handlers.deactivate_promotion(
            DeactivatePromotion(request.request_id, request.promotion_id, request.reason),
            self._uow(),
            self._catalog,
            self._clock,
        )
        return pricing_pb2.DeactivatePromotionResponse(promotion=protos.promotion_out(promotion))
