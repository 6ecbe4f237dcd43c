"""Server interceptors: call context (request id, caller, deadline), RED metrics and error mapping."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from prometheus_client import Counter, Histogram

from shared.context import CallContext, current_call
from shared.grpc.status import internal_status, to_grpc_status, transient_error
from shared.kernel.errors import OmsError

log = logging.getLogger(__name__)

Behaviour = Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]]

RPC_REQUESTS = Counter("oms_rpc_requests_total", "RPCs served, by method and status code", ["method", "code"])
RPC_DURATION = Histogram(
    "oms_rpc_duration_seconds",
    "Time to serve an RPC, by method",
    ["method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class UnaryInterceptor(grpc.aio.ServerInterceptor):
    """Base for interceptors that wrap unary-unary behaviours; other kinds pass through untouched."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None or handler.unary_unary is None:
            return handler
        return grpc.unary_unary_rpc_method_handler(
            self.wrap(handler.unary_unary, details),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    def wrap(self, behaviour: Behaviour, details: grpc.HandlerCallDetails) -> Behaviour:
        raise NotImplementedError


def metadata_of(details: grpc.HandlerCallDetails) -> dict[str, str]:
    return {key: value for key, value in details.invocation_metadata or () if isinstance(value, str)}


class CallContextInterceptor(UnaryInterceptor):
    """Puts the request id and caller into ``shared.context.current_call``, and bounds calls without a deadline."""

    def __init__(self, default_deadline_seconds: float) -> None:
        self._default_deadline = default_deadline_seconds

    def wrap(self, behaviour: Behaviour, details: grpc.HandlerCallDetails) -> Behaviour:
        metadata = metadata_of(details)

        async def with_context(request: Any, context: grpc.aio.ServicerContext) -> Any:
            request_id = getattr(request, "request_id", "") or metadata.get("x-request-id", "")
            current_call.set(
                CallContext(
                    request_id=request_id,
                    subject=metadata.get("x-oms-subject", ""),
                    role=metadata.get("x-oms-role", ""),
                    peer=context.peer() or "",
                )
            )
            remaining = context.time_remaining()
            budget = self._default_deadline if remaining is None else min(remaining, self._default_deadline * 6)
            async with asyncio.timeout(budget):
                return await behaviour(request, context)

        return with_context


class MetricsInterceptor(UnaryInterceptor):
    """RED metrics per RPC: rate and errors by status code, duration histogram."""

    def wrap(self, behaviour: Behaviour, details: grpc.HandlerCallDetails) -> Behaviour:
        method = details.method

        async def measured(request: Any, context: grpc.aio.ServicerContext) -> Any:
            started = time.perf_counter()
            code = "OK"
            try:
                return await behaviour(request, context)
            except OmsError as error:
                code = error.kind.value
                raise
            except TimeoutError:
                code = "DEADLINE_EXCEEDED"
                raise
            except BaseException:
                code = "INTERNAL"
                raise
            finally:
                RPC_REQUESTS.labels(method, code).inc()
                RPC_DURATION.labels(method).observe(time.perf_counter() - started)

        return measured


class ErrorInterceptor(UnaryInterceptor):
    """Turns an OmsError into its rich status; anything unexpected into INTERNAL (and logs it)."""

    def __init__(self, domain: str) -> None:
        self._domain = domain

    def wrap(self, behaviour: Behaviour, details: grpc.HandlerCallDetails) -> Behaviour:
        async def mapped(request: Any, context: grpc.aio.ServicerContext) -> Any:
            try:
                return await behaviour(request, context)
            except OmsError as error:
                await context.abort_with_status(to_grpc_status(error, domain=self._domain))
            except TimeoutError:
                await context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "the call ran out of time")
            except (asyncio.CancelledError, grpc.aio.AbortError):
                raise
            except Exception as error:
                if (meaning := transient_error(error)) is not None:
                    log.warning("%s in %s: %s", meaning.reason, details.method, error)
                    await context.abort_with_status(to_grpc_status(meaning, domain=self._domain))
                log.exception("unexpected error in %s", details.method)
                await context.abort_with_status(internal_status())

        return mapped
