"""The saga's participant channels over real loopback gRPC: each engine attempt is exactly one call."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from oms.customers.v1 import customers_pb2, customers_pb2_grpc

from services.saga.adapters.participants import PEERS, PeerChannels
from services.saga.application.ports import ParticipantError
from services.saga.domain.placement import Buyer


class Unavailable(customers_pb2_grpc.CustomersServiceServicer):
    """A customers service that is always overloaded, counting the calls that reach it."""

    def __init__(self) -> None:
        self.calls = 0

    async def UpsertCustomer(
        self, request: customers_pb2.UpsertCustomerRequest, context: grpc.aio.ServicerContext
    ) -> customers_pb2.UpsertCustomerResponse:
        self.calls += 1
        await context.abort(grpc.StatusCode.UNAVAILABLE, "overloaded")
        raise AssertionError("abort raises")


@pytest.fixture
async def overloaded() -> AsyncIterator[tuple[Unavailable, str]]:
    servicer = Unavailable()
    server = grpc.aio.server()
    customers_pb2_grpc.add_CustomersServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield servicer, f"127.0.0.1:{port}"
    finally:
        await server.stop(0)


async def test_the_channel_leaves_retrying_to_the_engine(overloaded: tuple[Unavailable, str]) -> None:
    servicer, address = overloaded
    peers = PeerChannels(dict.fromkeys(PEERS, address), timeout_seconds=5.0)
    try:
        with pytest.raises(ParticipantError) as failed:
            await peers.participants().customers.upsert_customer("saga-1:upsert_customer", Buyer("张伟"), "tmall")
    finally:
        await peers.close()

    assert failed.value.error.code == "UNAVAILABLE"
    # A retrying channel would have called up to four times behind the engine's back.
    assert servicer.calls == 1
