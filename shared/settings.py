"""Typed settings read from OMS_* environment variables, validated once at start-up (fail fast)."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.kernel.errors import InvalidArgument


def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


class ServiceSettings(BaseSettings):
    """What every service process needs; a service subclasses it to add its own fields."""

    model_config = SettingsConfigDict(env_prefix="OMS_", extra="ignore", frozen=True)

    service_name: str = Field(default="", description="The context this process serves, e.g. 'inventory'.")
    database_url: str = Field(description="postgresql+asyncpg:// URL of this service's own database.")
    redis_url: str = Field(description="redis:// URL of the event streams server.")
    grpc_address: str = Field(default="127.0.0.1:0", description="host:port to serve gRPC on.")
    metrics_address: str = Field(default="", description="host:port for the Prometheus endpoint; empty: off.")
    state_dir: Path = Field(default_factory=lambda: project_root() / ".oms")
    stream_prefix: str = Field(default="oms", description="Redis stream names are <prefix>.<context>.")
    otlp_endpoint: str = Field(default="", description="OTLP/gRPC collector endpoint; empty: local span store.")
    trace_sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=10, ge=0, le=200)
    grpc_max_message_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    grpc_default_deadline_seconds: float = Field(default=10.0, gt=0)
    shutdown_grace_seconds: float = Field(default=5.0, ge=0)
    relay_enabled: bool = True
    relay_batch_size: int = Field(default=500, ge=1)
    log_level: str = "INFO"
    processes: int = Field(
        default=1, ge=1, le=64, description="Processes serving grpc_address together; the first runs background work."
    )
    worker_index: int = Field(default=0, ge=0, description="Which of those processes this is (set by the first).")
    gc_threshold: int = Field(
        default=50_000,
        ge=0,
        description="Allocations between young garbage collections (Python's default is 700; 0 keeps it).",
    )
    auth_secret: str = Field(default="", description="Secret that signs caller tokens (32+ characters).")
    auth_required: bool = Field(default=False, description="Refuse calls without a valid bearer token.")

    @field_validator("database_url")
    @classmethod
    def _asyncpg_url(cls, value: str) -> str:
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if not value.startswith("postgresql+asyncpg://"):
            raise ValueError("must be a postgresql:// or postgresql+asyncpg:// URL")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis:// URL")
        return value

    def stream_name(self, context: str) -> str:
        return f"{self.stream_prefix}.{context}"

    def peer_address(self, service: str) -> str:
        """The gRPC address of another service, from OMS_<SERVICE>_ADDRESS."""
        variable = f"OMS_{service.upper()}_ADDRESS"
        address = os.environ.get(variable, "")
        if not address:
            raise InvalidArgument.field(variable, "is not set; the address of the peer service is required")
        return address
