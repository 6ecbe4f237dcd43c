"""Wires the saga coordinator: settings, store, participants' clients, engine, coordinator, servicer."""

from __future__ import annotations

import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from oms.saga.v1 import saga_pb2_grpc
from pydantic import Field

from services.saga.adapters.grpc_servicer import SERVICE_NAME, SagaServicer
from services.saga.adapters.metrics import PrometheusObserver
from services.saga.adapters.participants import grpc_participants
from services.saga.adapters.refund_events import RefundReadyHandler
from services.saga.adapters.repository import SagaUnitOfWork, SqlSagaStore
from services.saga.application.cancel_order import cancel_order_saga
from services.saga.application.coordinator import Coordinator, CoordinatorSettings
from services.saga.application.engine import SagaEngine
from services.saga.application.execute_refund import execute_refund_saga
from services.saga.application.place_order import DEFAULT_RESERVATION_TTL_SECONDS, place_order_saga
from services.saga.application.ports import Participants
from services.saga.domain.model import SagaKind
from services.saga.domain.retry import RetryPolicy
from shared.db import UnitOfWork
from shared.grpc import GrpcService, ServiceDefinition
from shared.kernel.ids import new_id
from shared.messaging import StreamConsumer
from shared.runtime import Infrastructure
from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """The saga's own settings (OMS_SAGA_*), with the peers' addresses from OMS_<PEER>_ADDRESS."""

    saga_lease_seconds: float = Field(default=30.0, gt=1, description="How long a saga stays claimed without a write.")
    saga_recovery_interval_seconds: float = Field(default=5.0, gt=0)
    saga_recovery_batch: int = Field(default=100, ge=1)
    saga_park_seconds: float = Field(default=30.0, ge=0, description="Wait before retrying a parked saga.")
    saga_step_attempts: int = Field(default=3, ge=1, description="Calls of a step before it counts as failed.")
    saga_step_backoff_seconds: float = Field(default=0.05, ge=0)
    saga_compensation_attempts: int = Field(default=8, ge=1, description="Calls of an undo before parking.")
    saga_compensation_backoff_seconds: float = Field(default=0.1, ge=0)
    saga_peer_timeout_seconds: float = Field(default=5.0, gt=0, description="Deadline of each participant call.")
    saga_max_running: int = Field(
        default=256,
        ge=0,
        description="New placements are refused (SAGA_OVERLOADED) past this many running; 0: no limit.",
    )
    reservation_ttl_seconds: int = Field(default=DEFAULT_RESERVATION_TTL_SECONDS, ge=60, le=7 * 24 * 3600)
    saga_refund_events: bool = Field(
        default=True, description="Start refund execution sagas on refunds' RefundReadyForExecution events."
    )


def build_coordinator(
    settings: Settings, infra: Infrastructure, participants: Participants, *, owner: str
) -> Coordinator:
    """The coordinator on ``infra``'s database calling ``participants`` (tests pass fakes or local servers)."""
    lease = settings.saga_lease_seconds
    stream = settings.stream_name("saga")
    store = SqlSagaStore(
        infra.engine,
        lambda: SagaUnitOfWork(infra.sessions, source="saga", stream=stream, owner=owner, lease_seconds=lease),
        owner=owner,
        lease_seconds=lease,
    )
    engine = SagaEngine(
        {
            SagaKind.PLACE_ORDER: place_order_saga(
                participants, reservation_ttl_seconds=settings.reservation_ttl_seconds
            ),
            SagaKind.CANCEL_ORDER: cancel_order_saga(participants),
            SagaKind.EXECUTE_REFUND: execute_refund_saga(participants),
        },
        store,
        action_retry=RetryPolicy(
            settings.saga_step_attempts,
            settings.saga_step_backoff_seconds,
            max(2.0, settings.saga_step_backoff_seconds),
        ),
        compensation_retry=RetryPolicy(
            settings.saga_compensation_attempts,
            settings.saga_compensation_backoff_seconds,
            max(5.0, settings.saga_compensation_backoff_seconds),
        ),
        observer=PrometheusObserver(),
    )
    return Coordinator(
        engine,
        store,
        CoordinatorSettings(
            recovery_interval_seconds=settings.saga_recovery_interval_seconds,
            recovery_batch=settings.saga_recovery_batch,
            renew_interval_seconds=lease / 3,
            park_seconds=settings.saga_park_seconds,
            default_wait_seconds=settings.grpc_default_deadline_seconds,
            max_running=settings.saga_max_running,
        ),
    )


def build_service(
    settings: Settings,
    infra: Infrastructure,
    participants: Participants,
    *,
    owner: str | None = None,
    on_stop: Sequence[Callable[[], Awaitable[None]]] = (),
) -> ServiceDefinition:
    """The service definition around a coordinator calling ``participants``."""
    # Unique per process: a restarted coordinator must not pass the lease check of its former self.
    owner = owner or f"{socket.gethostname()}/{os.getpid()}/{new_id()}"
    coordinator = build_coordinator(settings, infra, participants, owner=owner)
    servicer = SagaServicer(coordinator, default_deadline_seconds=settings.grpc_default_deadline_seconds)

    async def stop() -> None:
        await coordinator.close(settings.shutdown_grace_seconds)
        for clean_up in on_stop:
            await clean_up()

    background = [coordinator.recover_forever, coordinator.renew_forever]
    if settings.saga_refund_events:
        consumer = StreamConsumer(
            infra.redis,
            group="saga",
            consumer=owner,
            streams=[settings.stream_name("refunds")],
            handler=RefundReadyHandler(coordinator),
            unit_of_work=infra.unit_of_work(UnitOfWork),
        )
        background.append(consumer.run)
    return ServiceDefinition(
        name="saga",
        services=[GrpcService(saga_pb2_grpc.add_SagaServiceServicer_to_server, servicer, SERVICE_NAME)],
        background=background,
        on_stop=[stop],
    )


def peer_clients(settings: Settings, infra: Infrastructure) -> Callable[[str], Any]:
    """``client(peer)``: a client of the peer at OMS_<PEER>_ADDRESS with the saga's service credentials, on a
    channel that leaves retrying to the engine (its backoff, its budget, each repeat on record)."""

    def client(peer: str) -> Any:
        return infra.peer_client(peer, timeout=settings.saga_peer_timeout_seconds, retries=False)

    return client


def build(settings: Settings, infra: Infrastructure) -> ServiceDefinition:
    """The production wiring: participants are the peer services."""
    return build_service(settings, infra, grpc_participants(peer_clients(settings, infra)))
