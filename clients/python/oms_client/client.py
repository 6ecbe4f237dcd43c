"""A thin async client over a generated stub: default deadline, metadata, and OmsRpcError on failure."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import grpc

from oms_client.errors import OmsRpcError

DEFAULT_TIMEOUT_SECONDS = 5.0

Metadata = Sequence[tuple[str, str]] | Callable[[], Sequence[tuple[str, str]]]


class ServiceClient:
    """Calls ``client.Reserve(request)`` like the stub, with a deadline by default and decoded errors."""

    def __init__(
        self,
        channel: grpc.aio.Channel,
        stub_type: type,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        metadata: Metadata = (),
    ) -> None:
        self._stub = stub_type(channel)
        self._timeout = timeout
        # A callable is asked on every call, so credentials that expire can be renewed behind it.
        self._metadata = metadata if callable(metadata) else tuple(metadata)

    def _base_metadata(self) -> tuple[tuple[str, str], ...]:
        return tuple(self._metadata()) if callable(self._metadata) else self._metadata

    @classmethod
    def for_service(cls, channel: grpc.aio.Channel, context: str, **options: Any) -> ServiceClient:
        """The client of ``oms.<context>.v1.<Context>Service``."""
        module = importlib.import_module(f"oms.{context}.v1.{context}_pb2_grpc")
        stub_type = getattr(module, f"{context.capitalize()}ServiceStub")
        return cls(channel, stub_type, **options)

    def __getattr__(self, method: str) -> Callable[..., Awaitable[Any]]:
        if method.startswith("_"):
            raise AttributeError(method)
        rpc = getattr(self._stub, method)

        async def call(request: Any, *, timeout: float | None = None, metadata: Sequence[tuple[str, str]] = ()) -> Any:
            try:
                return await rpc(
                    request, timeout=timeout or self._timeout, metadata=(*self._base_metadata(), *metadata) or None
                )
            except grpc.aio.AioRpcError as error:
                raise OmsRpcError.from_call(error) from None

        call.__name__ = method
        return call
