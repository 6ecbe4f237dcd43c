"""Wires the gateway: settings, channels to the upstream services, the ASGI app, and uvicorn serving it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import grpc
import uvicorn
from fastapi import FastAPI
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from services.gateway.adapters.app import HttpPolicy, create_app
from services.gateway.adapters.upstream import Timeouts, connect_channels, upstreams_over
from services.gateway.domain.rate_limit import BucketPolicy, RateLimiter
from shared.auth import TokenAuthority
from shared.settings import project_root

log = logging.getLogger(__name__)


def split_address(address: str) -> tuple[str, int]:
    """``"127.0.0.1:8080"`` -> ``("127.0.0.1", 8080)``; ValueError naming what is wrong otherwise."""
    host, separator, port = address.rpartition(":")
    if not separator or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"{address!r} is not host:port")
    return host.strip("[]"), int(port)


class Settings(BaseSettings):
    """The gateway's settings, from OMS_* environment variables. It has no database and no Redis."""

    model_config = SettingsConfigDict(env_prefix="OMS_", extra="ignore", frozen=True)

    http_address: str = Field(default="127.0.0.1:8080", description="host:port to serve HTTP on.")
    auth_secret: SecretStr = Field(min_length=32, description="The shared secret of caller tokens (shared.auth).")
    orders_address: str = Field(description="gRPC host:port of the orders service.")
    saga_address: str = Field(description="gRPC host:port of the saga coordinator.")
    payments_address: str = Field(description="gRPC host:port of the payments service.")
    inventory_address: str = Field(description="gRPC host:port of the inventory service.")
    pricing_address: str = Field(description="gRPC host:port of the pricing service.")
    refunds_address: str = Field(default="", description="gRPC host:port of the refunds service; empty: none.")
    upstream_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    saga_timeout_seconds: float = Field(default=30.0, gt=0, le=600, description="Deadline of placing/cancelling.")
    rate_limit_per_second: float = Field(default=20.0, gt=0, le=1_000_000, description="Per client, sustained.")
    rate_limit_burst: int = Field(default=40, ge=1, le=1_000_000, description="Per client, at once.")
    rate_limit_max_clients: int = Field(default=100_000, ge=1, description="Buckets kept in memory.")
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    cors_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), description="Comma-separated web origins allowed to call from browsers; empty: none."
    )
    forwarded_allow_ips: str = Field(
        default="127.0.0.1", description="Proxies trusted for X-Forwarded-For (the client address of the limiter)."
    )
    shutdown_grace_seconds: float = Field(default=5.0, ge=0)
    state_dir: Path = Field(default_factory=lambda: project_root() / ".oms")
    otlp_endpoint: str = Field(default="", description="OTLP/gRPC collector endpoint; empty: local span store.")
    trace_sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)
    log_level: str = "INFO"

    @field_validator(
        "http_address", "orders_address", "saga_address", "payments_address", "inventory_address", "pricing_address"
    )
    @classmethod
    def _host_port(cls, value: str) -> str:
        split_address(value)
        return value

    @field_validator("refunds_address")
    @classmethod
    def _optional_host_port(cls, value: str) -> str:
        if value:
            split_address(value)
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(origin.strip() for origin in value.split(",") if origin.strip())
        return value

    def upstream_addresses(self) -> dict[str, str]:
        addresses = {
            "orders": self.orders_address,
            "saga": self.saga_address,
            "payments": self.payments_address,
            "inventory": self.inventory_address,
            "pricing": self.pricing_address,
        }
        if self.refunds_address:
            addresses["refunds"] = self.refunds_address
        return addresses


def build(settings: Settings, channels: dict[str, grpc.aio.Channel]) -> FastAPI:
    """The app over open channels to every upstream (see adapters.upstream.SERVICES)."""
    timeouts = Timeouts(call_seconds=settings.upstream_timeout_seconds, saga_seconds=settings.saga_timeout_seconds)
    limiter = RateLimiter(
        BucketPolicy(settings.rate_limit_per_second, settings.rate_limit_burst),
        max_clients=settings.rate_limit_max_clients,
    )
    return create_app(
        upstreams_over(channels, timeouts),
        TokenAuthority(settings.auth_secret.get_secret_value()),
        limiter,
        HttpPolicy(max_body_bytes=settings.max_body_bytes, cors_origins=settings.cors_origins),
    )


def listening_socket(address: str) -> socket.socket:
    """A socket bound and listening on ``address``, so the port is known (and connectable) before serving."""
    host, port = split_address(address)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
    return sock


async def serve(
    settings: Settings, *, stop: asyncio.Event | None = None, ready: Callable[[int], None] | None = None
) -> None:
    """Serve HTTP until ``stop`` is set (or SIGINT/SIGTERM when serving from the main thread)."""
    channels = connect_channels(settings.upstream_addresses())
    sock = listening_socket(settings.http_address)
    server = uvicorn.Server(
        uvicorn.Config(
            build(settings, channels),
            lifespan="off",
            log_config=None,
            proxy_headers=True,
            forwarded_allow_ips=settings.forwarded_allow_ips,
            timeout_graceful_shutdown=math.ceil(settings.shutdown_grace_seconds),
            server_header=False,
        )
    )

    async def stop_when_asked() -> None:
        if stop is not None:
            await stop.wait()
            server.should_exit = True

    watcher = asyncio.create_task(stop_when_asked())
    try:
        port = sock.getsockname()[1]
        log.info("gateway serving HTTP on %s:%s", sock.getsockname()[0], port)
        if ready is not None:
            ready(port)
        await server.serve(sockets=[sock])
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
        sock.close()
        await asyncio.gather(*(channel.close() for channel in channels.values()))
