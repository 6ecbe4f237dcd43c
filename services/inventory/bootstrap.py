"""Wires the inventory service: settings, unit of work, admission gate, servicer and background tasks."""

from __future__ import annotations

from datetime import timedelta

from oms.inventory.v1 import inventory_pb2_grpc
from pydantic import Field

from services.inventory.adapters.background import GateReconciler, ReservationSweeper
from services.inventory.adapters.gate import RedisGate
from services.inventory.adapters.grpc_servicer import SERVICE_NAME, InventoryServicer
from services.inventory.adapters.unit_of_work import InventoryUnitOfWork
from services.inventory.application.ports import AdmissionGate, Dependencies, NoGate
from services.inventory.domain.rules import BreakerPolicy, PressurePolicy
from shared.db import utc_now
from shared.grpc import GrpcService, ServiceDefinition
from shared.runtime import Infrastructure
from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """Inventory settings (OMS_*), with the users' numbers as defaults."""

    reservation_ttl_seconds: int = Field(default=1800, ge=1, description="How long a reservation holds.")
    reservation_max_ttl_seconds: int = Field(default=7 * 86_400, ge=1)
    sweep_interval_seconds: float = Field(default=5.0, gt=0, description="How often expired holds are released.")
    sweep_batch_size: int = Field(default=500, ge=1)
    breaker_failures: int = Field(default=3, ge=1, description="Failed reservations that pause a SKU...")
    breaker_window_seconds: int = Field(default=300, ge=1, description="...within this many seconds.")
    pressure_threshold_percent: int = Field(default=30, ge=0, le=10_000)
    gate_enabled: bool = Field(default=True, description="Answer sold-out and paused SKUs from Redis markers.")
    gate_marker_ttl_seconds: int = Field(default=300, ge=1)
    gate_reconcile_interval_seconds: float = Field(default=60.0, gt=0)


def dependencies(settings: Settings, gate: AdmissionGate) -> Dependencies:
    return Dependencies(
        clock=utc_now,
        gate=gate,
        breaker=BreakerPolicy(settings.breaker_failures, timedelta(seconds=settings.breaker_window_seconds)),
        pressure=PressurePolicy(settings.pressure_threshold_percent),
        default_ttl=timedelta(seconds=settings.reservation_ttl_seconds),
        max_ttl=timedelta(seconds=settings.reservation_max_ttl_seconds),
        sweep_batch_size=settings.sweep_batch_size,
    )


def build(settings: Settings, infra: Infrastructure) -> ServiceDefinition:
    unit_of_work = infra.unit_of_work(InventoryUnitOfWork)
    gate: AdmissionGate = (
        RedisGate(infra.redis, settings.stream_prefix, marker_ttl_seconds=settings.gate_marker_ttl_seconds)
        if settings.gate_enabled
        else NoGate()
    )
    deps = dependencies(settings, gate)
    background = [ReservationSweeper(unit_of_work, deps, settings.sweep_interval_seconds).run]
    if settings.gate_enabled:
        background.append(GateReconciler(unit_of_work, deps, settings.gate_reconcile_interval_seconds).run)
    servicer = InventoryServicer(unit_of_work, deps)
    return ServiceDefinition(
        name="inventory",
        services=[GrpcService(inventory_pb2_grpc.add_InventoryServiceServicer_to_server, servicer, SERVICE_NAME)],
        background=background,
    )
