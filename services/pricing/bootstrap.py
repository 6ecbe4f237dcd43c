"""Wires the pricing service: settings, unit of work, the promotion cache, the quote purge and the servicer."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from oms.pricing.v1 import pricing_pb2_grpc
from pydantic import Field

from services.pricing.adapters.catalog import CachedPromotionCatalog, database_loader
from services.pricing.adapters.grpc_servicer import SERVICE_NAME, PricingServicer
from services.pricing.adapters.unit_of_work import PricingUnitOfWork
from services.pricing.application.handlers import QuotingConfig
from services.pricing.domain.quoting import PricingPolicy
from shared.aio import every
from shared.db import utc_now
from shared.grpc import GrpcService, ServiceDefinition
from shared.runtime import Infrastructure
from shared.settings import ServiceSettings

PURGE_BATCH = 5_000


class Settings(ServiceSettings):
    """Pricing settings, from OMS_* variables; the defaults are the merchants' own numbers."""

    quote_validity_seconds: int = Field(default=900, ge=60, le=86_400, description="How long a quote holds.")
    max_discount_bps: int = Field(
        default=5_000, ge=0, le=10_000, description="Global cap on a quote's combined discount, bps of the subtotal."
    )
    promotion_cache_ttl_seconds: float = Field(
        default=5.0, ge=0.0, le=300.0, description="How long a process serves promotions from memory."
    )
    quote_retention_hours: int = Field(
        default=24, ge=1, description="Expired quotes are deleted this long after their validity ends."
    )
    quote_purge_interval_seconds: float = Field(default=600.0, gt=0)
    launch_report_limit: int = Field(default=100, ge=1, le=1_000, description="Violations listed by a launch check.")


def build(settings: Settings, infra: Infrastructure) -> ServiceDefinition:
    unit_of_work = infra.unit_of_work(PricingUnitOfWork)
    catalog = CachedPromotionCatalog(
        database_loader(unit_of_work, utc_now), ttl_seconds=settings.promotion_cache_ttl_seconds
    )
    config = QuotingConfig(
        policy=PricingPolicy(max_discount_bps=settings.max_discount_bps),
        validity=timedelta(seconds=settings.quote_validity_seconds),
    )
    servicer = PricingServicer(unit_of_work, catalog, config=config, report_limit=settings.launch_report_limit)
    retention = timedelta(hours=settings.quote_retention_hours)

    async def purge_expired_quotes() -> None:
        while True:
            async with unit_of_work() as uow:
                deleted = await uow.quotes.purge(utc_now() - retention, PURGE_BATCH)
                await uow.commit()
            if deleted < PURGE_BATCH:
                return

    async def purge_loop(stop: asyncio.Event) -> None:
        await every(settings.quote_purge_interval_seconds, stop, purge_expired_quotes, name="pricing.quote_purge")

    return ServiceDefinition(
        name="pricing",
        services=[GrpcService(pricing_pb2_grpc.add_PricingServiceServicer_to_server, servicer, SERVICE_NAME)],
        background=[purge_loop],
    )
