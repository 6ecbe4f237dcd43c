"""The unit of work of orders: the shared transaction with every repository of orders and event publishing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from services.orders.adapters.channel_repository import SqlChannelRepository, SqlIngestRepository
from services.orders.adapters.events import channel_integration_event, integration_event, shipment_integration_event
from services.orders.adapters.fulfilment_repository import (
    SqlReviewDecisionRepository,
    SqlRuleRepository,
    SqlShipmentRepository,
    SqlSlaRepository,
)
from services.orders.adapters.repository import SqlOrderRepository
from services.orders.domain.channel_events import ChannelEvent
from services.orders.domain.events import DomainEvent, ShipmentEvent
from services.orders.domain.values import Channel
from shared.db import UnitOfWork

AGGREGATE_TYPE = "order"
CHANNEL_AGGREGATE_TYPE = "channel"
SHIPMENT_AGGREGATE_TYPE = "shipment"


class OrdersUnitOfWork(UnitOfWork):
    orders: SqlOrderRepository
    channels: SqlChannelRepository
    ingest: SqlIngestRepository
    rules: SqlRuleRepository
    reviews: SqlReviewDecisionRepository
    shipments: SqlShipmentRepository
    sla: SqlSlaRepository

    def _open(self) -> None:
        self.orders = SqlOrderRepository(self.session)
        self.channels = SqlChannelRepository(self.session)
        self.ingest = SqlIngestRepository(self.session)
        self.rules = SqlRuleRepository(self.session)
        self.reviews = SqlReviewDecisionRepository(self.session)
        self.shipments = SqlShipmentRepository(self.session)
        self.sla = SqlSlaRepository(self.session)

    def publish(self, order_id: str, events: Sequence[DomainEvent]) -> None:
        if events:
            self.emit(*(integration_event(e) for e in events), aggregate_type=AGGREGATE_TYPE, aggregate_id=order_id)

    async def release_stock_hold(self, order_id: str, now: datetime) -> None:
        await self.ingest.release_if_held(order_id, now)

    def publish_channel(self, channel: Channel, events: Sequence[ChannelEvent]) -> None:
        if events:
            self.emit(
                *(channel_integration_event(e) for e in events),
                aggregate_type=CHANNEL_AGGREGATE_TYPE,
                aggregate_id=channel.value,
            )

    def publish_shipment(self, shipment_id: str, events: Sequence[ShipmentEvent]) -> None:
        if events:
            self.emit(
                *(shipment_integration_event(e) for e in events),
                aggregate_type=SHIPMENT_AGGREGATE_TYPE,
                aggregate_id=shipment_id,
            )
