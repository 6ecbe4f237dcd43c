"""The saga's production wiring of its participants over real loopback gRPC: one call per engine attempt, with
the saga's service credentials."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from oms.customers.v1 import customers_pb2, customers_pb2_grpc

from services.saga.adapters.participants import PEERS, grpc_participants
from services.saga.application.ports import ParticipantError
from services.saga.bootstrap import Settings, peer_clients
from services.saga.domain.placement import Buyer
from shared.runtime import Infrastructure


class Overloaded(customers_pb2_grpc.CustomersServiceServicer):
    """A customers service that is always overloaded, recording the calls that reach it."""

    def __init__(self) -> None:
        self.metadata: list[dict[str, str]] = []

    async def UpsertCustomer(
        self, request: customers_pb2.UpsertCustomerRequest, context: grpc.aio.ServicerContext
    ) -> customers_pb2.UpsertCustomerResponse:
        self.metadata.append({k: v for k, v in context.invocation_metadata() or () if isinstance(v, str)})
        await context.abort(grpc.StatusCode.UNAVAILABLE, "overloaded")
        raise AssertionError("abort raises")


@pytest.fixture
async def overloaded() -> AsyncIterator[tuple[Overloaded, str]]:
    servicer = Overloaded()
    server = grpc.aio.server()
    customers_pb2_grpc.add_CustomersServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield servicer, f"127.0.0.1:{port}"
    finally:
        await server.stop(0)


async def test_the_channel_leaves_retrying_to_the_engine_and_names_the_saga(
    overloaded: tuple[Overloaded, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    servicer, address = overloaded
    for peer in PEERS:
        monkeypatch.setenv(f"OMS_{peer.upper()}_ADDRESS", address)
    settings = Settings(service_name="saga", database_url="postgresql://unused/x", redis_url="redis://unused")
    # Only the peer channels are used: no database or Redis is touched.
    infra = Infrastructure(settings, engine=None, sessions=None, redis=None)  # type: ignore[arg-type]
    participants = grpc_participants(peer_clients(settings, infra))
    try:
        with pytest.raises(ParticipantError) as failed:
            await participants.customers.upsert_customer("saga-1:upsert_customer", Buyer("张伟"), "tmall")
    finally:
        for channel in infra.channels:
            await channel.close()

    assert failed.value.error.code == "UNAVAILABLE"
    # A retrying channel would have called up to four times behind the engine's back.
    assert len(servicer.metadata) == 1
    assert servicer.metadata[0]["x-oms-role"] == "service"
    assert servicer.metadata[0]["x-oms-subject"] == "svc:saga"
