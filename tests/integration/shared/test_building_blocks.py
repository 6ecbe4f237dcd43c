"""The shared building blocks against real PostgreSQL and Redis: unit of work, idempotency, outbox, consumer."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from oms.common.v1 import common_pb2
from sqlalchemy import text

from shared.db import UnitOfWork
from shared.kernel.errors import InvalidArgument
from shared.messaging import StreamConsumer
from shared.runtime import Infrastructure
from shared.settings import ServiceSettings


@dataclass(frozen=True)
class Deposit:
    request_id: str
    account: str
    amount: int


@dataclass(frozen=True)
class Deposited:
    account: str
    balance: int


@pytest.fixture
async def infra(service_database, redis_url, stream_prefix):
    url = await service_database("blocks")
    settings = ServiceSettings(
        service_name="blocks", database_url=url, redis_url=redis_url, stream_prefix=stream_prefix
    )
    infrastructure = Infrastructure.connect(settings)
    async with infrastructure.engine.begin() as connection:
        await connection.execute(text("CREATE TABLE accounts (id text PRIMARY KEY, balance bigint NOT NULL DEFAULT 0)"))
    yield infrastructure
    await infrastructure.close()


async def deposit(uow: UnitOfWork, command: Deposit) -> Deposited:
    """A small idempotent command in the shape every service handler has."""
    async with uow:
        if (previous := await uow.replay(command, Deposited)) is not None:
            return previous
        balance = await uow.session.scalar(
            text(
                "INSERT INTO accounts (id, balance) VALUES (:a, :n) ON CONFLICT (id)"
                " DO UPDATE SET balance = accounts.balance + :n RETURNING balance"
            ),
            {"a": command.account, "n": command.amount},
        )
        uow.emit(
            common_pb2.Money(amount_minor=command.amount, currency="CNY"),
            aggregate_type="account",
            aggregate_id=command.account,
        )
        result = Deposited(command.account, balance)
        await uow.remember(command, result)
        await uow.commit()
    return result


async def balance_of(infra: Infrastructure, account: str) -> int | None:
    async with infra.engine.connect() as connection:
        return await connection.scalar(text("SELECT balance FROM accounts WHERE id = :a"), {"a": account})


async def outbox_rows(infra: Infrastructure) -> int:
    async with infra.engine.connect() as connection:
        return await connection.scalar(text("SELECT count(*) FROM outbox"))


async def test_unit_of_work_rolls_back_unless_committed(infra):
    new_uow = infra.unit_of_work(UnitOfWork)
    async with new_uow() as uow:
        await uow.session.execute(text("INSERT INTO accounts (id, balance) VALUES ('a', 5)"))
        uow.emit(common_pb2.Money(amount_minor=5, currency="CNY"), aggregate_type="account", aggregate_id="a")
    with pytest.raises(RuntimeError):
        async with new_uow() as uow:
            await uow.session.execute(text("INSERT INTO accounts (id, balance) VALUES ('b', 5)"))
            raise RuntimeError("handler failed half way")
    assert await balance_of(infra, "a") is None
    assert await balance_of(infra, "b") is None
    assert await outbox_rows(infra) == 0


async def test_replay_returns_the_first_answer_and_has_one_effect(infra):
    new_uow = infra.unit_of_work(UnitOfWork)
    first = await deposit(new_uow(), Deposit("req-1", "acc", 300))
    again = await deposit(new_uow(), Deposit("req-1", "acc", 300))
    assert first == again == Deposited("acc", 300)
    assert await balance_of(infra, "acc") == 300
    assert await outbox_rows(infra) == 1


async def test_same_key_with_other_arguments_is_invalid_argument(infra):
    new_uow = infra.unit_of_work(UnitOfWork)
    await deposit(new_uow(), Deposit("req-2", "acc", 300))
    with pytest.raises(InvalidArgument) as refused:
        await deposit(new_uow(), Deposit("req-2", "acc", 999))
    assert refused.value.reason == "IDEMPOTENCY_KEY_REUSED"
    assert refused.value.violations[0].field == "request_id"
    assert await balance_of(infra, "acc") == 300


async def test_concurrent_duplicates_make_one_effect(infra):
    new_uow = infra.unit_of_work(UnitOfWork)
    results = await asyncio.gather(*[deposit(new_uow(), Deposit("req-3", "hot", 70)) for _ in range(10)])
    assert set(results) == {Deposited("hot", 70)}
    assert await balance_of(infra, "hot") == 70
    assert await outbox_rows(infra) == 1


async def test_missing_request_id_names_the_field(infra):
    with pytest.raises(InvalidArgument) as refused:
        await deposit(infra.unit_of_work(UnitOfWork)(), Deposit("", "acc", 1))
    assert refused.value.violations[0].field == "request_id"


async def test_relay_and_consumer_apply_each_event_once_across_a_consumer_crash(infra):
    """A consumer dies after its effect committed but before XACK; the redelivery makes no second effect."""
    new_uow = infra.unit_of_work(UnitOfWork)
    for number in range(5):
        await deposit(new_uow(), Deposit(f"dep-{number}", "source", 10))
    relay = infra.outbox_relay()
    assert await relay.publish_batch() == 5
    assert await relay.publish_batch() == 0

    stream = infra.settings.stream_name("blocks")

    async def mirror(envelope, uow):
        money = common_pb2.Money()
        envelope.payload.Unpack(money)
        await uow.session.execute(
            text(
                "INSERT INTO accounts (id, balance) VALUES ('mirror', :n) ON CONFLICT (id)"
                " DO UPDATE SET balance = accounts.balance + :n"
            ),
            {"n": money.amount_minor},
        )

    crashing = StreamConsumer(
        infra.redis,
        group="mirror",
        consumer="first",
        streams=[stream],
        handler=mirror,
        unit_of_work=new_uow,
        block_ms=50,
        reclaim_idle_ms=0,
    )
    await crashing.ensure_groups()
    entries = await infra.redis.xreadgroup("mirror", "first", {stream: ">"}, count=2)
    ((_, batch),) = entries
    for entry_id, fields in batch:
        # The effect commits, then the process "dies" before acknowledging.
        original_ack = infra.redis.xack
        infra.redis.xack = _dies_before_ack
        with pytest.raises(ConnectionError):
            await crashing.handle_entry(stream, entry_id, fields)
        infra.redis.xack = original_ack
    assert await balance_of(infra, "mirror") == 20

    survivor = StreamConsumer(
        infra.redis,
        group="mirror",
        consumer="second",
        streams=[stream],
        handler=mirror,
        unit_of_work=new_uow,
        block_ms=50,
        reclaim_idle_ms=0,
    )
    assert await survivor.reclaim() == 2  # the two unacknowledged entries, handled without a second effect
    assert await survivor.poll_once() == 3
    assert await balance_of(infra, "mirror") == 50
    assert (await infra.redis.xpending(stream, "mirror"))["pending"] == 0


async def _dies_before_ack(*_args, **_kwargs):
    raise ConnectionError("consumer process died before XACK")
