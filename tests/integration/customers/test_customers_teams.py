"""Team-limited callers over real gRPC with signed tokens: other teams' customers are indistinguishable from
missing ones, lists hold only the caller's teams, and only unlimited supervisors move customers between teams."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
import pytest
from oms.common.v1 import common_pb2
from oms.customers.v1 import customers_pb2 as pb
from oms_client import OmsRpcError, ServiceClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.customers.bootstrap import Settings, build
from shared.auth import Principal, TokenAuthority
from shared.kernel.ids import new_id
from tests.harness import running_service

SECRET = "customers-integration-secret-0123456789abcdef"
AUTHORITY = TokenAuthority(SECRET)
EAST, NORTH = "east-sales", "north-sales-𠮷"


def bearer(subject: str, role: str, *teams: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {AUTHORITY.issue(Principal(subject, role, teams=teams))}"),)


ADMIN = bearer("admin-1", "admin")
EAST_SUPERVISOR = bearer("sup-east", "cs_supervisor", EAST)
EAST_AGENT = bearer("agent-east", "customer_service", EAST)
NORTH_SUPERVISOR = bearer("sup-north", "cs_supervisor", NORTH)
# A supervisor of both teams, with no reach beyond them.
BOTH_SUPERVISOR = bearer("sup-both", "cs_supervisor", EAST, NORTH)


def mobile() -> str:
    return "137" + "".join(secrets.choice("0123456789") for _ in range(8))


def rare_name(given: str) -> str:
    """A surname from CJK Extension B (outside the BMP) that no other test uses, then ``given``."""
    return chr(0x20000 + secrets.randbelow(0xA6D0)) + given


def rid() -> str:
    return f"teams:{secrets.token_hex(8)}"


@pytest.fixture(scope="module")
async def settings(service_database, redis_url: str, stream_prefix: str) -> Settings:
    return Settings(
        service_name="customers",
        database_url=await service_database("customers"),
        redis_url=redis_url,
        stream_prefix=stream_prefix,
        grpc_address="127.0.0.1:0",
        auth_secret=SECRET,
        auth_required=True,
    )


@pytest.fixture(scope="module")
async def customers(settings: Settings) -> AsyncIterator[ServiceClient]:
    async with running_service(settings, build) as channel:
        yield ServiceClient.for_service(channel, "customers")


@pytest.fixture(scope="module")
async def stored_team(settings: Settings):
    engine = create_async_engine(settings.database_url)

    async def read(customer_id: str) -> object:
        async with engine.connect() as connection:
            return await connection.scalar(text("SELECT team FROM customers WHERE id = :id"), {"id": customer_id})

    yield read
    await engine.dispose()


async def register(customers: ServiceClient, caller: Any, name: str = "张伟", **fields: Any) -> pb.Customer:
    request = pb.UpsertCustomerRequest(request_id=rid(), name=name, phone=fields.pop("phone", mobile()), **fields)
    reply = await customers.UpsertCustomer(request, metadata=caller)
    assert reply.created
    return reply.customer


async def refusal(call: Awaitable[Any]) -> OmsRpcError:
    with pytest.raises(OmsRpcError) as caught:
        await call
    return caught.value


Call = Callable[[ServiceClient, str, str, Any], Awaitable[Any]]

# Every RPC that takes a customer id, called with ``customer_id`` (``partner``: an own-team customer a merge
# pairs it with) by ``caller``.
ID_TAKING: dict[str, Call] = {
    "GetCustomer": lambda c, customer_id, partner, caller: c.GetCustomer(
        pb.GetCustomerRequest(customer_id=customer_id, purpose="ticket 1"), metadata=caller
    ),
    "FindSimilarCustomers": lambda c, customer_id, partner, caller: c.FindSimilarCustomers(
        pb.FindSimilarCustomersRequest(customer_id=customer_id), metadata=caller
    ),
    "MergeCustomers(survivor)": lambda c, customer_id, partner, caller: c.MergeCustomers(
        pb.MergeCustomersRequest(
            request_id=rid(), survivor_customer_id=customer_id, merged_customer_id=partner, reason="dup"
        ),
        metadata=caller,
    ),
    "MergeCustomers(merged)": lambda c, customer_id, partner, caller: c.MergeCustomers(
        pb.MergeCustomersRequest(
            request_id=rid(), survivor_customer_id=partner, merged_customer_id=customer_id, reason="dup"
        ),
        metadata=caller,
    ),
    "SetCustomerTier": lambda c, customer_id, partner, caller: c.SetCustomerTier(
        pb.SetCustomerTierRequest(request_id=rid(), customer_id=customer_id, tier=pb.CUSTOMER_TIER_GOLD),
        metadata=caller,
    ),
    "TagCustomer": lambda c, customer_id, partner, caller: c.TagCustomer(
        pb.TagCustomerRequest(request_id=rid(), customer_id=customer_id, tags=["高复购"]), metadata=caller
    ),
    "UntagCustomer": lambda c, customer_id, partner, caller: c.UntagCustomer(
        pb.UntagCustomerRequest(request_id=rid(), customer_id=customer_id, tags=["高复购"]), metadata=caller
    ),
}


@pytest.mark.parametrize("rpc", sorted(ID_TAKING))
async def test_another_teams_customer_is_answered_as_a_missing_one(customers: ServiceClient, rpc: str) -> None:
    call = ID_TAKING[rpc]
    north = await register(customers, NORTH_SUPERVISOR)
    unassigned = await register(customers, ADMIN)
    own = await register(customers, EAST_SUPERVISOR)
    missing = new_id()

    absent = await refusal(call(customers, missing, own.customer_id, EAST_SUPERVISOR))
    assert (absent.code, absent.reason) == (grpc.StatusCode.NOT_FOUND, "CUSTOMER_NOT_FOUND")
    for hidden in (north, unassigned):
        refused = await refusal(call(customers, hidden.customer_id, own.customer_id, EAST_SUPERVISOR))
        assert (refused.code, refused.reason) == (absent.code, absent.reason)
        assert refused.message == absent.message.replace(missing, hidden.customer_id)
        assert refused.metadata == {"customer_id": hidden.customer_id}

    # Nothing was changed: the owner still reads its customer as it was registered.
    read = await customers.GetCustomer(pb.GetCustomerRequest(customer_id=north.customer_id), metadata=NORTH_SUPERVISOR)
    assert (read.customer.version, read.customer.tier, list(read.customer.tags)) == (
        north.version,
        north.tier,
        list(north.tags),
    )
    assert read.customer.status == pb.CUSTOMER_STATUS_ACTIVE


@pytest.mark.parametrize("rpc", sorted(ID_TAKING))
async def test_the_same_caller_reaches_its_own_teams_customer(customers: ServiceClient, rpc: str) -> None:
    name = rare_name("娜")
    own = await register(customers, EAST_SUPERVISOR, name=name)
    partner = await register(customers, EAST_SUPERVISOR, name=f"{name}_北京")
    reply = await ID_TAKING[rpc](customers, own.customer_id, partner.customer_id, EAST_SUPERVISOR)
    if rpc == "FindSimilarCustomers":
        assert partner.customer_id in [c.customer.customer_id for c in reply.candidates]
    elif rpc.startswith("MergeCustomers"):
        assert {reply.survivor.customer_id, reply.merged_customer_id} == {own.customer_id, partner.customer_id}
    else:
        assert reply.customer.customer_id == own.customer_id and reply.customer.team == EAST


async def test_registration_takes_the_callers_team_and_lists_hold_only_its_teams(
    customers: ServiceClient, stored_team
) -> None:
    name = rare_name("芳")
    east = await register(customers, EAST_AGENT, name=name)
    north = await register(customers, NORTH_SUPERVISOR, name=name)
    chosen = await register(customers, ADMIN, name=name, team=NORTH)
    unassigned = await register(customers, ADMIN, name=name)
    assert (east.team, north.team, chosen.team) == (EAST, NORTH, NORTH)
    assert await stored_team(east.customer_id) == EAST
    refused = await refusal(register(customers, EAST_AGENT, name=name, team=NORTH))
    assert (refused.code, refused.reason) == (grpc.StatusCode.PERMISSION_DENIED, "TEAM_NOT_ALLOWED")

    async def listed(caller: Any) -> list[pb.Customer]:
        found, token = [], ""
        while True:
            reply = await customers.ListCustomers(
                pb.ListCustomersRequest(page=common_pb2.PageRequest(page_size=2, page_token=token)), metadata=caller
            )
            found += reply.customers
            if not (token := reply.page.next_page_token):
                return found

    east_listed, north_listed, everyone = await listed(EAST_AGENT), await listed(NORTH_SUPERVISOR), await listed(ADMIN)
    assert {c.team for c in east_listed} == {EAST} and east.customer_id in {c.customer_id for c in east_listed}
    assert {c.team for c in north_listed} == {NORTH}
    assert {north.customer_id, chosen.customer_id} <= {c.customer_id for c in north_listed}
    assert unassigned.team == ""
    assert {east.customer_id, north.customer_id, unassigned.customer_id} <= {c.customer_id for c in everyone}
    assert {c.team for c in await listed(BOTH_SUPERVISOR)} == {EAST, NORTH}

    similar = await customers.FindSimilarCustomers(
        pb.FindSimilarCustomersRequest(probe=pb.CustomerProbe(name=name)), metadata=EAST_AGENT
    )
    assert [c.customer.customer_id for c in similar.candidates] == [east.customer_id]


async def test_upserting_another_teams_identity_writes_nothing_and_reveals_nothing(customers: ServiceClient) -> None:
    phone = mobile()
    north = await register(customers, NORTH_SUPERVISOR, name="赵敏", phone=phone)
    request = pb.UpsertCustomerRequest(request_id=rid(), name="赵先生", phone=phone, email="zhao@example.com")
    refused = await refusal(customers.UpsertCustomer(request, metadata=EAST_AGENT))
    assert (refused.code, refused.reason) == (grpc.StatusCode.PERMISSION_DENIED, "CUSTOMER_OF_ANOTHER_TEAM")
    assert north.customer_id not in refused.message and refused.metadata == {}
    read = await customers.GetCustomer(pb.GetCustomerRequest(customer_id=north.customer_id), metadata=ADMIN)
    assert (read.customer.version, read.customer.email) == (1, "")
    # The owning team's upsert of the same identity finds its customer (the blank email is filled).
    found = await customers.UpsertCustomer(request, metadata=NORTH_SUPERVISOR)
    assert (found.created, found.customer.customer_id, found.customer.version) == (False, north.customer_id, 2)


async def test_only_supervisors_without_team_limits_move_customers(customers: ServiceClient, stored_team) -> None:
    customer = await register(customers, NORTH_SUPERVISOR, name="孙丽")

    def move(team: str, caller: Any, customer_id: str = customer.customer_id) -> Awaitable[Any]:
        request = pb.SetCustomerTeamRequest(request_id=rid(), customer_id=customer_id, team=team, reason="重组")
        return customers.SetCustomerTeam(request, metadata=caller)

    for customer_id in (customer.customer_id, new_id()):
        refused = await refusal(move(EAST, NORTH_SUPERVISOR, customer_id))
        assert (refused.code, refused.reason) == (grpc.StatusCode.PERMISSION_DENIED, "TEAM_LIMITED_CALLER")
    agent = await refusal(move(EAST, bearer("agent-free", "customer_service")))
    assert (agent.code, agent.reason) == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_NOT_ALLOWED")
    missing = await refusal(move(EAST, ADMIN, new_id()))
    assert (missing.code, missing.reason) == (grpc.StatusCode.NOT_FOUND, "CUSTOMER_NOT_FOUND")

    moved = (await move(EAST, bearer("sup-free", "cs_supervisor"))).customer
    assert (moved.team, moved.version) == (EAST, customer.version + 1)
    assert await stored_team(customer.customer_id) == EAST
    seen = await customers.GetCustomer(pb.GetCustomerRequest(customer_id=customer.customer_id), metadata=EAST_AGENT)
    assert seen.customer.team == EAST
    lost = await refusal(
        customers.GetCustomer(pb.GetCustomerRequest(customer_id=customer.customer_id), metadata=NORTH_SUPERVISOR)
    )
    assert lost.code == grpc.StatusCode.NOT_FOUND
    unassigned = (await move("", ADMIN)).customer
    assert unassigned.team == "" and await stored_team(customer.customer_id) == ""


async def test_the_token_decides_who_views_pii(customers: ServiceClient) -> None:
    customer = await register(customers, EAST_SUPERVISOR, name="周杰")
    on_behalf = pb.GetCustomerRequest(
        customer_id=customer.customer_id, viewer=common_pb2.Actor(subject="ops-1", role="admin")
    )
    claimed = await customers.GetCustomer(on_behalf, metadata=EAST_AGENT)
    assert claimed.customer.pii_masked
    shown = await customers.GetCustomer(on_behalf, metadata=bearer("svc:gateway", "service"))
    assert not shown.customer.pii_masked
    missing_token = await refusal(customers.GetCustomer(pb.GetCustomerRequest(customer_id=customer.customer_id)))
    assert (missing_token.code, missing_token.reason) == (grpc.StatusCode.UNAUTHENTICATED, "TOKEN_MISSING")
