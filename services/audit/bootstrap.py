"""Wires the audit service: settings, unit of work, servicer, the event consumer and the retention job."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable
from typing import Annotated

from oms.audit.v1 import audit_pb2_grpc
from pydantic import Field, field_validator, model_validator
from pydantic_settings import NoDecode

from services.audit.adapters.consumer import AuditEventConsumer
from services.audit.adapters.envelopes import EnvelopeMapper
from services.audit.adapters.grpc_servicer import SERVICE_NAME, AuditServicer
from services.audit.adapters.unit_of_work import AuditUnitOfWork
from services.audit.application.handlers import prune_expired
from services.audit.domain.retention import DEFAULT_RETENTION_DAYS, MINIMUM_RETENTION_DAYS, RetentionPolicy
from shared.aio import every
from shared.db import utc_now
from shared.grpc import GrpcService, ServiceDefinition
from shared.runtime import Infrastructure
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)

DEFAULT_STREAMS = ("orders", "inventory", "customers", "pricing", "payments", "refunds", "saga")


class Settings(ServiceSettings):
    # Audit publishes no events, so its outbox stays empty: no relay, no LISTEN connection, no polling.
    relay_enabled: bool = False
    audit_streams: Annotated[tuple[str, ...], NoDecode] = Field(
        default=DEFAULT_STREAMS,
        description="Contexts whose streams <prefix>.<context> are recorded; OMS_AUDIT_STREAMS=orders,inventory",
    )
    audit_retention_days: int = Field(
        default=DEFAULT_RETENTION_DAYS, ge=1, description=f"At least {MINIMUM_RETENTION_DAYS} unless forced."
    )
    audit_retention_force: bool = Field(default=False, description="Allow a retention below the minimum.")
    audit_retention_interval_seconds: float = Field(default=3600.0, gt=0)
    audit_consumer_batch_size: int = Field(default=200, ge=1, le=5000)

    @field_validator("audit_streams", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("audit_streams")
    @classmethod
    def _names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("must name at least one context")
        for name in value:
            if not name.isidentifier() or not name.islower():
                raise ValueError(f"{name!r} is not a context name")
        return value

    @model_validator(mode="after")
    def _retention(self) -> Settings:
        if self.audit_retention_days < MINIMUM_RETENTION_DAYS and not self.audit_retention_force:
            raise ValueError(
                f"audit_retention_days={self.audit_retention_days} is below {MINIMUM_RETENTION_DAYS};"
                " set OMS_AUDIT_RETENTION_FORCE=true to allow it"
            )
        return self

    def retention(self) -> RetentionPolicy:
        return RetentionPolicy(self.audit_retention_days, forced=self.audit_retention_force)


class RetentionJob:
    """Prunes entries past the retention window every ``interval`` seconds."""

    def __init__(self, unit_of_work: Callable[[], AuditUnitOfWork], policy: RetentionPolicy, interval: float) -> None:
        self._uow = unit_of_work
        self._policy = policy
        self._interval = interval

    async def prune(self) -> None:
        checkpoints = await prune_expired(self._policy, self._uow, now=utc_now())
        for checkpoint in checkpoints:
            log.info(
                "retention removed %d entries of chain %s through sequence %d (checkpoint hash %s)",
                checkpoint.removed,
                checkpoint.chain,
                checkpoint.through_sequence,
                checkpoint.through_hash,
            )

    async def run(self, stop: asyncio.Event) -> None:
        await every(self._interval, stop, self.prune, name="audit.retention")


def build(settings: Settings, infra: Infrastructure) -> ServiceDefinition:
    uow = infra.unit_of_work(AuditUnitOfWork)
    consumer = AuditEventConsumer(
        infra.redis,
        consumer=f"audit-{socket.gethostname()}-{os.getpid()}",
        streams=[settings.stream_name(context) for context in settings.audit_streams],
        mapper=EnvelopeMapper(settings.audit_streams),
        unit_of_work=uow,
        batch_size=settings.audit_consumer_batch_size,
    )
    retention = RetentionJob(uow, settings.retention(), settings.audit_retention_interval_seconds)
    return ServiceDefinition(
        name="audit",
        services=[GrpcService(audit_pb2_grpc.add_AuditServiceServicer_to_server, AuditServicer(uow), SERVICE_NAME)],
        background=[consumer.run, retention.run],
    )
