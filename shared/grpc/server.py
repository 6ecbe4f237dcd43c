"""The gRPC server bootstrap: business servicers plus health, reflection, interceptors and size limits."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from opentelemetry.instrumentation.grpc import aio_server_interceptor, filters

from shared.auth import TokenAuthority
from shared.grpc.auth import AuthInterceptor, PermissionMatrix
from shared.grpc.interceptors import CallContextInterceptor, ErrorInterceptor, MetricsInterceptor
from shared.settings import ServiceSettings, project_root

BackgroundTask = Callable[[asyncio.Event], Awaitable[None]]


@dataclass(frozen=True)
class GrpcService:
    """One servicer: the generated ``add_XServicer_to_server``, its implementation, and the full service name."""

    register: Callable[[Any, grpc.aio.Server], None]
    implementation: Any
    name: str


@dataclass
class ServiceDefinition:
    """What a service's bootstrap hands to the runtime: servicers, background tasks, clean-up."""

    name: str
    services: list[GrpcService]
    background: list[BackgroundTask] = field(default_factory=list)
    on_stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


def build_server(settings: ServiceSettings, definition: ServiceDefinition) -> tuple[grpc.aio.Server, int, Any]:
    """A started-ready server bound to ``settings.grpc_address``; returns it, its port, its health servicer."""
    limit = settings.grpc_max_message_bytes
    server = grpc.aio.server(
        interceptors=[
            # Health checks are not traced: probes would flood the traces, and the instrumentation cannot run
            # Health/Watch (a stream answered with context.write, not an async generator).
            aio_server_interceptor(filter_=filters.negate(filters.health_check())),
            ErrorInterceptor(domain=f"oms.{definition.name}"),
            CallContextInterceptor(settings.grpc_default_deadline_seconds),
            auth_interceptor(settings, definition.name),
            MetricsInterceptor(),
        ],
        options=[
            ("grpc.max_receive_message_length", limit),
            ("grpc.max_send_message_length", limit),
            # Only the processes of one service share a port; otherwise a second stack must fail to bind.
            ("grpc.so_reuseport", 1 if settings.processes > 1 else 0),
            ("grpc.keepalive_permit_without_calls", 1),
        ],
    )
    for service in definition.services:
        service.register(service.implementation, server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names = [s.name for s in definition.services]
    reflection.enable_server_reflection([*names, health.SERVICE_NAME, reflection.SERVICE_NAME], server)
    port = server.add_insecure_port(settings.grpc_address)
    if port == 0:
        raise OSError(f"cannot bind gRPC address {settings.grpc_address}")
    return server, port, health_servicer


def auth_interceptor(settings: ServiceSettings, service: str) -> AuthInterceptor:
    """Token checks with the service's permission matrix (``services/<service>/permissions.yaml``)."""
    authority = TokenAuthority(settings.auth_secret) if settings.auth_secret else None
    matrix_path = project_root() / "services" / service / "permissions.yaml"
    matrix = PermissionMatrix.load(matrix_path) if matrix_path.exists() else None
    return AuthInterceptor(authority, matrix, required=settings.auth_required)


async def set_serving(health_servicer: Any, names: list[str], serving: bool) -> None:
    status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
    for name in ["", *names]:
        await health_servicer.set(name, status)
