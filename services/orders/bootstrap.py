"""Wires the orders service: settings, unit of work, the gRPC servicer, the channel ingest and SLA tasks."""

from __future__ import annotations

from datetime import timedelta

from oms.orders.v1 import orders_pb2_grpc
from pydantic import Field

from services.orders.adapters.allocation_guard import AdvisoryAllocationGuard
from services.orders.adapters.channel_source import HttpChannelSource
from services.orders.adapters.channel_tasks import (
    ChannelPulls,
    ChannelWatchdog,
    FailedIngestRetrier,
    StockLoop,
    StopAwareSleep,
)
from services.orders.adapters.grpc_servicer import SERVICE_NAME, OrdersServicer
from services.orders.adapters.inventory_client import InventoryLink
from services.orders.adapters.sla_tasks import HealthPublisher, SlaSweeper
from services.orders.adapters.unit_of_work import OrdersUnitOfWork
from services.orders.application.channel_ingest import IngestContext
from services.orders.application.channel_ports import RetryPolicy
from services.orders.application.channel_pull import ChannelPuller, PullPolicy
from services.orders.application.fulfilment import FulfilmentContext
from services.orders.application.rule_sets import RuleBook
from services.orders.application.sla import SlaContext
from services.orders.application.stock_sync import StockPolicy, StockReconciler
from services.orders.domain.channels import SurgePolicy
from services.orders.domain.shipments import ShipmentDeadlines
from services.orders.domain.sla import SlaPolicy
from shared.db import utc_now
from shared.grpc import GrpcService, ServiceDefinition
from shared.kernel.ids import new_id
from shared.runtime import Infrastructure
from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """Orders settings (OMS_*), with the users' numbers as defaults. A channel's own pull interval (300 s by
    default) and page size are per channel (ConfigureChannel)."""

    channel_pull_tick_seconds: float = Field(default=5.0, gt=0, description="How often due pulls are looked for.")
    channel_http_timeout_seconds: float = Field(default=10.0, gt=0, description="Per page request.")
    channel_backoff_base_seconds: float = Field(default=1.0, gt=0, description="First back-off of a failed page.")
    channel_backoff_cap_seconds: float = Field(default=60.0, gt=0)
    channel_page_attempts: int = Field(default=6, ge=1, description="Tries of one page before the round gives up.")
    channel_max_pages_per_round: int = Field(default=1000, ge=1)
    channel_watch_interval_seconds: float = Field(default=30.0, gt=0, description="How often stalls are looked for.")
    channel_stall_grace_seconds: float = Field(
        default=60.0, ge=0, description="Silence beyond a channel's interval before ChannelSyncStalled."
    )
    surge_threshold_percent: int = Field(
        default=300, ge=100, description="New orders in an hour above this % of the previous hour pause a channel."
    )
    surge_floor_orders: int = Field(
        default=100, ge=0, description="A previous hour quieter than this counts as this many orders."
    )
    failed_ingest_retry_interval_seconds: float = Field(default=30.0, gt=0)
    failed_ingest_backoff_base_seconds: float = Field(default=60.0, gt=0)
    failed_ingest_backoff_cap_seconds: float = Field(default=3600.0, gt=0)
    failed_ingest_max_attempts: int = Field(default=10, ge=1, description="Automatic retries; then by hand only.")
    stock_sync_interval_seconds: float = Field(default=1.0, gt=0)
    stock_sync_batch_size: int = Field(default=500, ge=1)
    stock_sync_concurrency: int = Field(default=8, ge=1)
    stock_reservation_ttl_seconds: int = Field(
        default=7 * 86_400, ge=60, le=7 * 86_400, description="How long a paid channel order holds its stock."
    )
    inventory_timeout_seconds: float = Field(default=5.0, gt=0)
    auto_review: bool = Field(
        default=True, description="Review every paid order by the active review rules (off: paid orders stay PAID)."
    )
    shipment_confirm_hours: float = Field(default=24.0, gt=0, description="Claim to confirmation, else overdue.")
    rush_shipment_confirm_hours: float = Field(default=4.0, gt=0)
    sla_untouched_minutes: float = Field(default=30.0, gt=0, description="A waiting order untouched this long is red.")
    # The standard time of each step (DOMAIN.md section 1), and of rush orders.
    sla_review_minutes: float = Field(default=30.0, gt=0)
    sla_allocation_minutes: float = Field(default=60.0, gt=0)
    sla_picking_minutes: float = Field(default=240.0, gt=0)
    sla_shipping_minutes: float = Field(default=1440.0, gt=0)
    sla_rush_review_minutes: float = Field(default=10.0, gt=0)
    sla_rush_allocation_minutes: float = Field(default=15.0, gt=0)
    sla_rush_picking_minutes: float = Field(default=60.0, gt=0)
    sla_rush_shipping_minutes: float = Field(default=240.0, gt=0)
    sla_sweep_interval_seconds: float = Field(default=60.0, gt=0, description="How often red orders are looked for.")
    sla_sweep_batch_size: int = Field(default=500, ge=1)
    health_interval_seconds: float = Field(
        default=900.0, gt=0, description="How often the 7-day health index is computed (a scan of 7 days of history)."
    )

    def sla_policy(self) -> SlaPolicy:
        def steps(prefix: str) -> dict[str, timedelta]:
            return {
                step: timedelta(minutes=getattr(self, f"sla_{prefix}{step}_minutes"))
                for step in ("review", "allocation", "picking", "shipping")
            }

        return SlaPolicy(steps(""), steps("rush_"), timedelta(minutes=self.sla_untouched_minutes))


def build(settings: Settings, infra: Infrastructure) -> ServiceDefinition:
    unit_of_work = infra.unit_of_work(OrdersUnitOfWork)
    stock = StockPolicy(
        batch_size=settings.stock_sync_batch_size,
        concurrency=settings.stock_sync_concurrency,
        reservation_ttl_seconds=settings.stock_reservation_ttl_seconds,
    )
    inventory = InventoryLink(lambda: infra.peer_client("inventory", timeout=settings.inventory_timeout_seconds))
    # One cache of parsed rules for payments, channel batches and allocations.
    rules = RuleBook()
    review = rules if settings.auto_review else None
    fulfilment = FulfilmentContext(
        clock=utc_now,
        new_id=new_id,
        stock=inventory,
        rules=rules,
        exclusive=AdvisoryAllocationGuard(infra.engine),
        deadlines=ShipmentDeadlines(
            timedelta(hours=settings.shipment_confirm_hours), timedelta(hours=settings.rush_shipment_confirm_hours)
        ),
    )
    sla = SlaContext(clock=utc_now, policy=settings.sla_policy(), batch_size=settings.sla_sweep_batch_size)
    stock_loop = StockLoop(
        StockReconciler(unit_of_work, inventory, utc_now, stock),
        settings.stock_sync_interval_seconds,
        settings.stock_sync_batch_size,
    )
    ingest = IngestContext(
        clock=utc_now,
        new_id=new_id,
        surge=SurgePolicy(settings.surge_threshold_percent, settings.surge_floor_orders),
        retry=RetryPolicy(
            settings.failed_ingest_backoff_base_seconds,
            settings.failed_ingest_backoff_cap_seconds,
            settings.failed_ingest_max_attempts,
        ),
        stock_wanted=stock_loop.wanted,
        review=review,
    )
    sleep = StopAwareSleep()
    puller = ChannelPuller(
        unit_of_work,
        HttpChannelSource(settings.channel_http_timeout_seconds),
        ingest,
        PullPolicy(
            backoff_base_seconds=settings.channel_backoff_base_seconds,
            backoff_cap_seconds=settings.channel_backoff_cap_seconds,
            page_attempts=settings.channel_page_attempts,
            max_pages_per_round=settings.channel_max_pages_per_round,
        ),
        sleep=sleep,
    )
    servicer = OrdersServicer(unit_of_work, ingest=ingest, fulfilment=fulfilment, sla=sla, review=review)
    return ServiceDefinition(
        name="orders",
        services=[GrpcService(orders_pb2_grpc.add_OrdersServiceServicer_to_server, servicer, SERVICE_NAME)],
        background=[
            ChannelPulls(puller, sleep, settings.channel_pull_tick_seconds).run,
            ChannelWatchdog(
                unit_of_work, ingest, settings.channel_stall_grace_seconds, settings.channel_watch_interval_seconds
            ).run,
            FailedIngestRetrier(unit_of_work, ingest, settings.failed_ingest_retry_interval_seconds, 100).run,
            stock_loop.run,
            SlaSweeper(unit_of_work, sla, settings.sla_sweep_interval_seconds).run,
            HealthPublisher(unit_of_work, sla, settings.health_interval_seconds).run,
        ],
    )
