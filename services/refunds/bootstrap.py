"""Wires the refunds service: settings (policies as configuration), unit of work, servicer and the sweeper."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from oms.refunds.v1 import refunds_pb2, refunds_pb2_grpc
from pydantic import Field, model_validator

from services.refunds.adapters.grpc_servicer import RefundsServicer
from services.refunds.adapters.unit_of_work import RefundsUnitOfWork
from services.refunds.application.ports import RefundsConfig
from services.refunds.application.sweepers import sweep
from services.refunds.domain.policy import (
    EscalationLevel,
    ExceptionEscalation,
    RefundPolicies,
    ShippingFeePolicy,
    TargetTimes,
    tiered_policy,
)
from services.refunds.domain.values import RefundKind
from shared.aio import every
from shared.grpc.server import GrpcService, ServiceDefinition
from shared.runtime import Infrastructure
from shared.settings import ServiceSettings

HOUR = 3600.0


class Settings(ServiceSettings):
    """Refunds settings: OMS_REFUNDS_* environment variables (the users' numbers are the defaults)."""

    refunds_approval_threshold_minor: int = Field(
        default=20_000, gt=0, description="Totals below it need a cs_supervisor; from it, finance and operations."
    )
    refunds_approval_currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    refunds_decision_timeout_seconds: float = Field(
        default=4 * HOUR, gt=0, description="An undecided request escalates (RefundEscalated) after this long."
    )
    refunds_target_before_shipment_seconds: float = Field(default=24 * HOUR, gt=0)
    refunds_target_after_shipment_seconds: float = Field(default=48 * HOUR, gt=0)
    refunds_target_partial_seconds: float = Field(default=72 * HOUR, gt=0, description="Partial and compensation.")
    refunds_exception_supervisor_after_seconds: float = Field(default=2 * HOUR, gt=0)
    refunds_exception_operations_after_seconds: float = Field(default=24 * HOUR, gt=0)
    refunds_sweep_interval_seconds: float = Field(default=30.0, gt=0)
    refunds_sweep_batch_size: int = Field(default=200, ge=1, le=10_000)

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.refunds_exception_operations_after_seconds <= self.refunds_exception_supervisor_after_seconds:
            raise ValueError("the second exception escalation must come after the first")
        return self

    def config(self) -> RefundsConfig:
        partial = timedelta(seconds=self.refunds_target_partial_seconds)
        return RefundsConfig(
            policies=RefundPolicies(
                approval=tiered_policy(
                    self.refunds_approval_threshold_minor,
                    self.refunds_approval_currency,
                    timedelta(seconds=self.refunds_decision_timeout_seconds),
                ),
                shipping=ShippingFeePolicy(),
                targets=TargetTimes(
                    {
                        RefundKind.FULL_BEFORE_SHIPMENT: timedelta(seconds=self.refunds_target_before_shipment_seconds),
                        RefundKind.FULL_AFTER_SHIPMENT: timedelta(seconds=self.refunds_target_after_shipment_seconds),
                        RefundKind.PARTIAL: partial,
                        RefundKind.COMPENSATION: partial,
                    }
                ),
            ),
            exception_escalation=ExceptionEscalation(
                (
                    EscalationLevel(
                        timedelta(seconds=self.refunds_exception_supervisor_after_seconds), "cs_supervisor"
                    ),
                    EscalationLevel(timedelta(seconds=self.refunds_exception_operations_after_seconds), "operations"),
                )
            ),
            sweep_batch_size=self.refunds_sweep_batch_size,
        )


def utc_now() -> datetime:
    return datetime.now(UTC)


def build(settings: Settings, infra: Infrastructure) -> ServiceDefinition:
    uow = infra.unit_of_work(RefundsUnitOfWork)
    config = settings.config()

    async def sweeper(stop: asyncio.Event) -> None:
        await every(
            settings.refunds_sweep_interval_seconds, stop, lambda: sweep(uow, utc_now, config), name="refunds.sweeper"
        )

    return ServiceDefinition(
        name="refunds",
        services=[
            GrpcService(
                refunds_pb2_grpc.add_RefundsServiceServicer_to_server,
                RefundsServicer(uow, config, utc_now),
                refunds_pb2.DESCRIPTOR.services_by_name["RefundsService"].full_name,
            )
        ],
        background=[sweeper],
    )
