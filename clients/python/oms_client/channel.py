"""Channels to the suite's services: retry of UNAVAILABLE through the gRPC service config, round-robin
over every address a DNS name resolves to (Kubernetes headless services), keepalive, tracing."""

from __future__ import annotations

import json
from collections.abc import Sequence

import grpc
from opentelemetry.instrumentation.grpc import aio_client_interceptors

MAX_MESSAGE_BYTES = 4 * 1024 * 1024


def service_config(
    services: Sequence[str] = (),
    *,
    max_attempts: int = 4,
    initial_backoff: float = 0.05,
    max_backoff: float = 1.0,
) -> str:
    """The service config JSON: retry UNAVAILABLE for ``services`` (every service when empty)."""
    names = [{"service": s} for s in services] or [{}]
    method: dict[str, object] = {"name": names}
    if max_attempts > 1:
        method["retryPolicy"] = {
            "maxAttempts": max_attempts,
            "initialBackoff": f"{initial_backoff}s",
            "maxBackoff": f"{max_backoff}s",
            "backoffMultiplier": 2,
            "retryableStatusCodes": ["UNAVAILABLE"],
        }
    return json.dumps({"loadBalancingConfig": [{"round_robin": {}}], "methodConfig": [method]})


def connect(
    address: str, *, tracing: bool = True, retries: bool = True, options: Sequence[tuple[str, object]] = ()
) -> grpc.aio.Channel:
    """An insecure channel for loopback and in-cluster use (TLS terminates at the mesh or gateway).

    ``retries=False`` leaves retrying to the caller (the saga retries with its own backoff and budget).
    """
    channel_options = [
        ("grpc.service_config", service_config(max_attempts=4 if retries else 1)),
        ("grpc.enable_retries", 1 if retries else 0),
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ("grpc.keepalive_time_ms", 30_000),
        *options,
    ]
    interceptors = aio_client_interceptors() if tracing else None
    return grpc.aio.insecure_channel(address, options=channel_options, interceptors=interceptors)
