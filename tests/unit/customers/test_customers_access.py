"""Team-limited callers: the access rule, and every handler that takes a customer id answering as for a missing one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from services.customers.application import handlers
from services.customers.application.commands import (
    FindSimilarCustomers,
    GetCustomer,
    ListCustomers,
    MergeCustomers,
    Probe,
    SetCustomerTeam,
    SetCustomerTier,
    TagCustomer,
    UntagCustomer,
    UpsertCustomer,
)
from services.customers.domain import events
from services.customers.domain.access import may_access, registration_team, visible_teams
from services.customers.domain.errors import CustomerNotFound, CustomerOfAnotherTeam, TeamLimitedCaller, TeamNotAllowed
from services.customers.domain.values import Address, CustomerTier
from shared.kernel.errors import InvalidArgument, OmsError
from tests.unit.customers.customers_fakes import FakeUnitOfWork, ids

NOW = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
TEAM_A = ("east-sales",)
TEAM_B = ("north-sales",)
MISSING = "0190c1a2-0000-7000-8000-0000000000aa"


@pytest.mark.parametrize(
    ("principal_teams", "customer_team", "allowed"),
    [
        ((), "east-sales", True),
        ((), "", True),
        (("east-sales",), "east-sales", True),
        (("north-sales", "east-sales"), "east-sales", True),
        (("east-sales",), "north-sales", False),
        # Unassigned customers belong to no team, so no team-limited caller sees them.
        (("east-sales",), "", False),
        # Team names compare exactly, as the token carries them.
        (("east-sales",), "East-Sales", False),
        (("团队𠮷",), "团队𠮷", True),
    ],
)
def test_may_access(principal_teams: tuple[str, ...], customer_team: str, allowed: bool) -> None:
    assert may_access(principal_teams, customer_team) is allowed
    narrowed = visible_teams(principal_teams)
    assert (narrowed is None or customer_team in narrowed) is allowed


def test_registration_team() -> None:
    assert registration_team((), "") == ""
    assert registration_team((), " north-sales ") == "north-sales"
    assert registration_team(("east-sales", "west-sales"), "") == "east-sales"
    assert registration_team(("east-sales", "west-sales"), "west-sales") == "west-sales"
    with pytest.raises(TeamNotAllowed) as refused:
        registration_team(("east-sales",), "north-sales")
    assert refused.value.metadata == {"team": "north-sales"}
    for bad in ("x" * 65, "east\x00sales"):
        with pytest.raises(InvalidArgument) as invalid:
            registration_team((), bad)
        assert invalid.value.violations[0].field == "team"


class World:
    """Two customers of team A, two of team B, one unassigned; ids in registration order."""

    def __init__(self) -> None:
        self.uow = FakeUnitOfWork()
        self.new_id = ids()
        self.a1 = self.a2 = self.b1 = self.b2 = self.unassigned = ""

    async def register(self, name: str, phone: str, team: str) -> str:
        cmd = UpsertCustomer(f"reg-{phone}", name, phone=phone, team=team)
        result = await handlers.upsert_customer(cmd, self.uow, now=NOW, new_id=self.new_id)
        return result.customer.customer_id

    async def build(self) -> World:
        self.a1 = await self.register("张伟", "13800138001", TEAM_A[0])
        self.a2 = await self.register("张伟_北京", "13800138002", TEAM_A[0])
        self.b1 = await self.register("张伟-采购部", "13800138003", TEAM_B[0])
        self.b2 = await self.register("张先生", "13800138004", TEAM_B[0])
        self.unassigned = await self.register("张伟", "13800138005", "")
        self.uow.published.clear()
        return self


@pytest.fixture
async def world() -> World:
    return await World().build()


Call = Callable[[World, str, tuple[str, ...]], Awaitable[Any]]

# Every handler that takes a customer id, called with that id by a caller limited to ``teams``.
ID_TAKING: dict[str, Call] = {
    "GetCustomer": lambda w, cid, teams: handlers.get_customer(
        GetCustomer(cid, "agent", "customer_service", caller_teams=teams), w.uow, now=NOW
    ),
    "FindSimilarCustomers": lambda w, cid, teams: handlers.find_similar_customers(
        FindSimilarCustomers(customer_id=cid, caller_teams=teams), w.uow
    ),
    "MergeCustomers(survivor)": lambda w, cid, teams: handlers.merge_customers(
        MergeCustomers("m-s", cid, w.a2 if cid != w.a2 else w.a1, "dup", caller_teams=teams), w.uow, now=NOW
    ),
    "MergeCustomers(merged)": lambda w, cid, teams: handlers.merge_customers(
        MergeCustomers("m-m", w.a1 if cid != w.a1 else w.a2, cid, "dup", caller_teams=teams), w.uow, now=NOW
    ),
    "SetCustomerTier": lambda w, cid, teams: handlers.set_customer_tier(
        SetCustomerTier("tier", cid, CustomerTier.VIP, "spend", caller_teams=teams), w.uow, now=NOW
    ),
    "TagCustomer": lambda w, cid, teams: handlers.tag_customer(
        TagCustomer("tag", cid, ("高复购",), caller_teams=teams), w.uow, now=NOW
    ),
    "UntagCustomer": lambda w, cid, teams: handlers.untag_customer(
        UntagCustomer("untag", cid, ("高复购",), caller_teams=teams), w.uow, now=NOW
    ),
}


async def _refusal(call: Awaitable[Any]) -> OmsError:
    with pytest.raises(OmsError) as caught:
        await call
    return caught.value


@pytest.mark.parametrize("rpc", sorted(ID_TAKING))
@pytest.mark.parametrize("target", ["b1", "unassigned"])
async def test_another_teams_customer_answers_exactly_like_a_missing_one(world: World, rpc: str, target: str) -> None:
    call = ID_TAKING[rpc]
    customer_id = getattr(world, target)
    stored = {cid: (c.version, c.tier, c.tags) for cid, c in world.uow.customers.rows.items()}
    remembered = dict(world.uow.results)

    hidden = await _refusal(call(world, customer_id, TEAM_A))
    missing = await _refusal(call(world, MISSING, TEAM_A))

    assert isinstance(hidden, CustomerNotFound) and isinstance(missing, CustomerNotFound)
    assert hidden.message == missing.message.replace(MISSING, customer_id)
    assert hidden.metadata == {"customer_id": customer_id} and missing.metadata == {"customer_id": MISSING}
    # Nothing was written, published or remembered.
    assert {cid: (c.version, c.tier, c.tags) for cid, c in world.uow.customers.rows.items()} == stored
    assert world.uow.published == [] and world.uow.results == remembered


@pytest.mark.parametrize("rpc", sorted(ID_TAKING))
async def test_the_same_caller_reaches_its_own_teams_customer(world: World, rpc: str) -> None:
    shown = _shown(await ID_TAKING[rpc](world, world.a1, TEAM_A))
    # Duplicate proposals of A's customer hold only A's other customer; every other answer shows the customer.
    assert shown == {world.a2} if rpc == "FindSimilarCustomers" else world.a1 in shown
    # A caller without team limits reaches every customer, the unassigned one included, and sees every team.
    other = await World().build()
    shown = _shown(await ID_TAKING[rpc](other, other.unassigned, ()))
    assert shown >= {other.a1, other.b1} if rpc == "FindSimilarCustomers" else other.unassigned in shown


def _shown(result: Any) -> set[str]:
    """The customer ids a handler's answer shows (a merge shows the survivor and the merged id)."""
    if hasattr(result, "candidates"):
        return {c.customer.customer_id for c in result.candidates}
    if hasattr(result, "survivor"):
        return {result.survivor.customer_id, result.merged_customer_id}
    return {result.customer.customer_id}


async def test_a_caller_of_both_teams_merges_across_them_and_the_survivor_keeps_its_team(world: World) -> None:
    merged = await handlers.merge_customers(
        MergeCustomers("m1", world.a1, world.b1, "same person", caller_teams=TEAM_A + TEAM_B), world.uow, now=NOW
    )
    assert merged.survivor.team == TEAM_A[0]
    # B's old id now resolves to A's survivor, which B may not see.
    with pytest.raises(CustomerNotFound):
        await handlers.get_customer(GetCustomer(world.b1, caller_teams=TEAM_B), world.uow, now=NOW)
    read = await handlers.get_customer(GetCustomer(world.b1, caller_teams=TEAM_A), world.uow, now=NOW)
    assert (read.customer.customer_id, read.resolved_from_customer_id) == (world.a1, world.b1)


async def test_lists_and_duplicate_proposals_hold_only_the_callers_teams(world: World) -> None:
    listed = await handlers.list_customers(ListCustomers(page_size=1, caller_teams=TEAM_A), world.uow)
    rest = await handlers.list_customers(
        ListCustomers(page_size=1, page_token=listed.next_page_token, caller_teams=TEAM_A), world.uow
    )
    assert [c.customer_id for c in listed.customers + rest.customers] == [world.a1, world.a2]
    everyone = await handlers.list_customers(ListCustomers(), world.uow)
    assert len(everyone.customers) == 5

    similar = await handlers.find_similar_customers(
        FindSimilarCustomers(probe=Probe(name="张伟"), caller_teams=TEAM_B), world.uow
    )
    # "张伟-采购部" is proposed; "张先生" only shares a surname with an honorific, below the threshold.
    assert [c.customer.customer_id for c in similar.candidates] == [world.b1]
    by_id = await handlers.find_similar_customers(
        FindSimilarCustomers(customer_id=world.a1, caller_teams=TEAM_A), world.uow
    )
    assert [c.customer.customer_id for c in by_id.candidates] == [world.a2]


async def test_a_team_limited_caller_registers_into_its_team(world: World) -> None:
    created = await handlers.upsert_customer(
        UpsertCustomer("u1", "李娜", phone="13900139000", caller_teams=TEAM_A), world.uow, now=NOW, new_id=world.new_id
    )
    assert created.created and created.customer.team == TEAM_A[0]
    assert world.uow.published[0].team == TEAM_A[0]
    with pytest.raises(TeamNotAllowed):
        await handlers.upsert_customer(
            UpsertCustomer("u2", "王芳", phone="13900139001", team=TEAM_B[0], caller_teams=TEAM_A),
            world.uow,
            now=NOW,
            new_id=world.new_id,
        )


@pytest.mark.parametrize("target_phone", ["13800138003", "13800138005"])
async def test_upserting_an_identity_outside_the_callers_teams_writes_and_reveals_nothing(
    world: World, target_phone: str
) -> None:
    owner = world.uow.customers.identities
    before = {cid: c.version for cid, c in world.uow.customers.rows.items()}
    cmd = UpsertCustomer(
        "u1", "张伟", phone=target_phone, email="zw@example.com", address=Address(city="北京"), caller_teams=TEAM_A
    )
    refused = await _refusal(handlers.upsert_customer(cmd, world.uow, now=NOW, new_id=world.new_id))
    assert isinstance(refused, CustomerOfAnotherTeam)
    assert refused.reason == "CUSTOMER_OF_ANOTHER_TEAM" and refused.metadata == {}
    assert all(cid not in refused.message for cid in before)
    # No duplicate, no filled blank, no event, and the request id stays free.
    assert {cid: c.version for cid, c in world.uow.customers.rows.items()} == before
    assert len(owner) == 5 and world.uow.published == [] and "u1" not in world.uow.results
    # A caller without team limits gets the existing customer, blanks filled.
    found = await handlers.upsert_customer(
        UpsertCustomer("u2", "张伟", phone=target_phone, email="zw@example.com"), world.uow, now=NOW
    )
    assert not found.created and found.customer.email == "z***@example.com"


async def test_a_request_id_cannot_be_replayed_by_a_caller_of_another_team(world: World) -> None:
    cmd = TagCustomer("t1", world.a1, ("vip",), caller_teams=TEAM_A)
    await handlers.tag_customer(cmd, world.uow, now=NOW)
    with pytest.raises(InvalidArgument) as reused:
        await handlers.tag_customer(TagCustomer("t1", world.a1, ("vip",), caller_teams=TEAM_B), world.uow, now=NOW)
    assert reused.value.reason == "IDEMPOTENCY_KEY_REUSED"


async def test_only_callers_without_team_limits_move_customers(world: World) -> None:
    for customer_id in (world.a1, world.b1, MISSING, "not-a-uuid"):
        refused = await _refusal(
            handlers.set_customer_team(
                SetCustomerTeam("s1", customer_id, TEAM_A[0], caller_teams=TEAM_A), world.uow, now=NOW
            )
        )
        # The same answer whatever the id: nothing is read before the refusal.
        assert isinstance(refused, TeamLimitedCaller)

    moved = await handlers.set_customer_team(
        SetCustomerTeam("s2", world.b1, TEAM_A[0], "reorganised"), world.uow, now=NOW
    )
    assert moved.customer.team == TEAM_A[0]
    assert world.uow.published == [events.CustomerTeamChanged(world.b1, TEAM_B[0], TEAM_A[0], "reorganised", NOW)]
    await handlers.get_customer(GetCustomer(world.b1, caller_teams=TEAM_A), world.uow, now=NOW)
    with pytest.raises(CustomerNotFound):
        await handlers.get_customer(GetCustomer(world.b1, caller_teams=TEAM_B), world.uow, now=NOW)

    again = await handlers.set_customer_team(SetCustomerTeam("s3", world.b1, TEAM_A[0]), world.uow, now=NOW)
    assert again.customer.version == moved.customer.version and len(world.uow.published) == 1
    unassigned = await handlers.set_customer_team(SetCustomerTeam("s4", world.b1, ""), world.uow, now=NOW)
    assert unassigned.customer.team == ""
    with pytest.raises(InvalidArgument) as invalid:
        await handlers.set_customer_team(SetCustomerTeam("s5", world.b1, "t" * 65), world.uow, now=NOW)
    assert invalid.value.violations[0].field == "team"
