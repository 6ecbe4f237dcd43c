"""Wires the payments service: settings, providers (the sandbox by default), servicer and background tasks."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from oms.payments.v1 import payments_pb2, payments_pb2_grpc
from pydantic import Field, model_validator

from services.payments.adapters.grpc_servicer import PaymentsServicer
from services.payments.adapters.sandbox import SandboxConfig, SandboxProvider
from services.payments.adapters.unit_of_work import PaymentsUnitOfWork
from services.payments.application.callbacks import handle_provider_callback, retry_due_callbacks
from services.payments.application.commands import HandleProviderCallback
from services.payments.application.handlers import Policy, repair_pending_operations
from services.payments.application.ports import Providers
from shared.aio import every
from shared.grpc.server import GrpcService, ServiceDefinition
from shared.runtime import Infrastructure
from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """Payments settings: OMS_PAYMENTS_* environment variables."""

    payments_default_provider: str = Field(default="sandbox", description="The provider an empty name means.")
    payments_provider_timeout_seconds: float = Field(
        default=4.0, gt=0, description="Below the callers' usual 5 s deadline, so they hear UNAVAILABLE, not a cut."
    )
    payments_repair_grace_seconds: float = Field(
        default=60.0, gt=0, description="Age after which a PENDING intent is settled by asking the provider."
    )
    payments_sweep_interval_seconds: float = Field(default=5.0, gt=0)
    payments_sweep_batch_size: int = Field(default=100, ge=1, le=10_000)
    payments_callback_retry_delays_seconds: tuple[float, ...] = Field(
        default=(60.0, 180.0, 600.0), description="Retries of a failed callback, counted from its receipt."
    )
    payments_sandbox_latency_ms: int = Field(default=20, ge=0)
    payments_sandbox_decline_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    payments_sandbox_timeout_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    payments_sandbox_callbacks: bool = True
    payments_sandbox_callback_min_delay_ms: int = Field(default=100, ge=0)
    payments_sandbox_callback_max_delay_ms: int = Field(default=3000, ge=0)
    payments_sandbox_callback_duplicate_rate: float = Field(default=0.1, ge=0.0, le=1.0)
    payments_sandbox_secret: str = Field(default="sandbox-callback-secret", min_length=8)

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.payments_repair_grace_seconds <= self.payments_provider_timeout_seconds:
            # Otherwise the repair could find "no record" of a call that is still on its way to the provider.
            raise ValueError("payments_repair_grace_seconds must exceed payments_provider_timeout_seconds")
        if any(delay <= 0 for delay in self.payments_callback_retry_delays_seconds) or list(
            self.payments_callback_retry_delays_seconds
        ) != sorted(self.payments_callback_retry_delays_seconds):
            raise ValueError("payments_callback_retry_delays_seconds must be positive and increasing")
        if self.payments_default_provider != "sandbox":
            raise ValueError(f"payments_default_provider {self.payments_default_provider!r} is not configured")
        return self

    def policy(self) -> Policy:
        return Policy(
            provider_timeout=timedelta(seconds=self.payments_provider_timeout_seconds),
            callback_retry_delays=tuple(timedelta(seconds=s) for s in self.payments_callback_retry_delays_seconds),
            repair_grace=timedelta(seconds=self.payments_repair_grace_seconds),
            sweep_batch_size=self.payments_sweep_batch_size,
        )

    def sandbox(self) -> SandboxConfig:
        return SandboxConfig(
            latency_ms=self.payments_sandbox_latency_ms,
            decline_rate=self.payments_sandbox_decline_rate,
            timeout_rate=self.payments_sandbox_timeout_rate,
            callbacks=self.payments_sandbox_callbacks,
            callback_min_delay_ms=self.payments_sandbox_callback_min_delay_ms,
            callback_max_delay_ms=self.payments_sandbox_callback_max_delay_ms,
            callback_duplicate_rate=self.payments_sandbox_callback_duplicate_rate,
            secret=self.payments_sandbox_secret,
        )


def utc_now() -> datetime:
    return datetime.now(UTC)


def build(settings: Settings, infra: Infrastructure) -> ServiceDefinition:
    uow = infra.unit_of_work(PaymentsUnitOfWork)
    policy = settings.policy()
    sandbox = SandboxProvider(settings.sandbox())
    providers = Providers({sandbox.name: sandbox}, default=settings.payments_default_provider)

    async def deliver(callback: HandleProviderCallback) -> object:
        # The sandbox lives in this process, so its notifications take the handler's path directly.
        return await handle_provider_callback(callback, uow(), providers, utc_now, policy)

    sandbox.connect(deliver)
    interval = settings.payments_sweep_interval_seconds

    async def repair(stop: asyncio.Event) -> None:
        await every(
            interval, stop, lambda: repair_pending_operations(uow(), providers, utc_now, policy), name="payments.repair"
        )

    async def retry_callbacks(stop: asyncio.Event) -> None:
        await every(
            interval, stop, lambda: retry_due_callbacks(uow(), utc_now, policy), name="payments.callback_retries"
        )

    return ServiceDefinition(
        name="payments",
        services=[
            GrpcService(
                payments_pb2_grpc.add_PaymentsServiceServicer_to_server,
                PaymentsServicer(uow, providers, utc_now, policy),
                payments_pb2.DESCRIPTOR.services_by_name["PaymentsService"].full_name,
            )
        ],
        background=[repair, retry_callbacks],
        on_stop=[sandbox.close],
    )
