"""The customers service over real gRPC on loopback, with real PostgreSQL and Redis (relay included)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import grpc
import pytest
from oms.common.v1 import common_pb2
from oms.customers.v1 import customers_pb2 as pb
from oms.customers.v1 import events_pb2
from oms.events.v1 import events_pb2 as envelope_pb2
from oms_client import OmsRpcError, ServiceClient
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.customers.bootstrap import Settings, build
from tests.harness import running_service
from tests.support import eventually

SUPERVISOR = (("x-oms-role", "cs_supervisor"), ("x-oms-subject", "u-42"))
ADMIN = (("x-oms-role", "admin"), ("x-oms-subject", "test-admin"))


def mobile() -> str:
    """A random mainland mobile number, so tests sharing one database never share identities."""
    return "139" + "".join(secrets.choice("0123456789") for _ in range(8))


def rare_surname() -> str:
    """A random ideograph from CJK Extension B (outside the BMP): a surname no other test uses."""
    return chr(0x20000 + secrets.randbelow(0xA6D0))


def rid() -> str:
    return f"test:{secrets.token_hex(8)}"


@pytest.fixture(scope="module")
async def settings(service_database, redis_url, stream_prefix) -> Settings:
    url = await service_database("customers")
    return Settings(
        service_name="customers",
        database_url=url,
        redis_url=redis_url,
        stream_prefix=stream_prefix,
        grpc_address="127.0.0.1:0",
    )


@pytest.fixture(scope="module")
async def customers(settings: Settings) -> AsyncIterator[ServiceClient]:
    async with running_service(settings, build) as channel:
        # Without authentication a call acts as the role it declares; an admin may call every RPC.
        # A call's own metadata comes after this and wins (tests/integration/customers/test_customers_teams.py
        # covers signed tokens).
        yield ServiceClient.for_service(channel, "customers", metadata=ADMIN)


@pytest.fixture(scope="module")
async def sql(settings: Settings):
    engine = create_async_engine(settings.database_url)

    async def scalar(statement: str, **params: object) -> object:
        async with engine.connect() as connection:
            return await connection.scalar(text(statement), params)

    yield scalar
    await engine.dispose()


@pytest.fixture(scope="module")
async def stream_events(settings: Settings, redis_url: str):
    redis = Redis.from_url(redis_url)

    async def read(event_type: type, customer_id: str) -> list:
        found = []
        for _, fields in await redis.xrange(settings.stream_name("customers")):
            envelope = envelope_pb2.EventEnvelope.FromString(fields[b"envelope"])
            if envelope.aggregate_id == customer_id and envelope.payload.Is(event_type.DESCRIPTOR):
                event = event_type()
                envelope.payload.Unpack(event)
                found.append(event)
        return found

    yield read
    await redis.aclose()


async def upsert(customers: ServiceClient, **fields: object) -> pb.UpsertCustomerResponse:
    return await customers.UpsertCustomer(pb.UpsertCustomerRequest(request_id=rid(), **fields))


async def rejected(call) -> OmsRpcError:
    with pytest.raises(OmsRpcError) as caught:
        await call
    return caught.value


async def test_notations_of_one_phone_make_one_customer(customers, stream_events) -> None:
    national = mobile()
    first = await upsert(customers, name="张伟", phone=f"+86 {national[:3]}-{national[3:7]}-{national[7:]}")
    again = await upsert(customers, name="张伟", phone=national)
    third = await upsert(customers, name="张先生", phone=f"0086 {national}", email="zw@example.com")
    assert first.created and not again.created and not third.created
    assert first.customer.customer_id == again.customer.customer_id == third.customer.customer_id
    assert first.customer.phone == f"{national[:3]}****{national[-4:]}"
    assert first.customer.pii_masked
    assert third.customer.name == "张伟"
    assert third.customer.email == "z***@example.com"
    assert third.customer.version == 2
    customer_id = first.customer.customer_id
    registered = await eventually(lambda: stream_events(events_pb2.CustomerRegistered, customer_id))
    assert registered[0].phone_masked == first.customer.phone
    updated = await eventually(lambda: stream_events(events_pb2.CustomerUpdated, customer_id))
    assert list(updated[0].changed_fields) == ["email"]


async def test_company_is_found_by_tax_id(customers) -> None:
    tax_id = "91310000" + secrets.token_hex(5).upper()
    first = await upsert(customers, name="上海某某贸易有限公司", tax_id=tax_id.lower())
    again = await upsert(customers, name="上海某某贸易", tax_id=f"{tax_id[:4]} {tax_id[4:]}", phone=mobile())
    assert first.customer.kind == pb.CUSTOMER_KIND_COMPANY
    assert not again.created and again.customer.customer_id == first.customer.customer_id
    assert first.customer.tax_id == tax_id


async def test_concurrent_upserts_of_one_phone_make_one_customer(customers, sql) -> None:
    national = mobile()
    notations = [national, f"+86{national}", f"0086 {national}", f"{national[:3]} {national[3:]}"]
    answers = await asyncio.gather(
        *(upsert(customers, name=f"买家{i}", phone=notations[i % 4], channel="tmall") for i in range(16))
    )
    assert len({a.customer.customer_id for a in answers}) == 1
    assert sum(a.created for a in answers) == 1
    assert await sql("SELECT count(*) FROM customers WHERE phone = :p", p=f"+86{national}") == 1
    assert await sql("SELECT count(*) FROM customer_identities WHERE value = :p", p=f"+86{national}") == 1


async def test_concurrent_fills_of_one_blank_write_it_once(customers, sql) -> None:
    national = mobile()
    customer_id = (await upsert(customers, name="陈静", phone=national)).customer.customer_id
    emails = [f"chen{i}@example.com" for i in range(8)]
    answers = await asyncio.gather(*(upsert(customers, name="陈静", phone=national, email=e) for e in emails))
    assert {a.customer.customer_id for a in answers} == {customer_id}
    read = await customers.GetCustomer(pb.GetCustomerRequest(customer_id=customer_id), metadata=SUPERVISOR)
    assert read.customer.email in emails
    assert read.customer.version == 2
    # The outbox, not the stream: every committed event is there at once, so a second one could not hide.
    updates = await sql(
        "SELECT count(*) FROM outbox WHERE aggregate_id = :c AND event_type = 'oms.customers.v1.CustomerUpdated'",
        c=customer_id,
    )
    assert updates == 1


async def test_replay_returns_the_first_answer_and_reuse_is_refused(customers) -> None:
    request = pb.UpsertCustomerRequest(request_id=rid(), name="李娜", phone=mobile())
    first = await customers.UpsertCustomer(request)
    replayed = await customers.UpsertCustomer(request)
    assert replayed == first and replayed.created
    request.name = "李娜娜"
    error = await rejected(customers.UpsertCustomer(request))
    assert (error.code, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "IDEMPOTENCY_KEY_REUSED")
    assert [v.field for v in error.violations] == ["request_id"]


@pytest.mark.parametrize(
    ("fields", "reason", "field"),
    [
        ({"name": "张伟"}, "IDENTITY_REQUIRED", "phone"),
        ({"name": "张伟", "phone": "138-0013-800x"}, "INVALID_PHONE", "phone"),
        ({"name": "张伟", "phone": "12800138000"}, "INVALID_PHONE", "phone"),
        ({"name": "张伟", "tax_id": "913#"}, "INVALID_TAX_ID", "tax_id"),
        ({"name": "张伟", "phone": "13800138000", "email": "nobody"}, "INVALID_EMAIL", "email"),
        ({"name": "", "phone": "13800138000"}, "INVALID_ARGUMENT", "name"),
        ({"name": "张\x00伟", "phone": "13800138000"}, "INVALID_ARGUMENT", "name"),
        (
            {"name": "张伟", "phone": "13800138000", "address": common_pb2.Address(country="CHN")},
            "INVALID_ARGUMENT",
            "address.country",
        ),
        (
            {"name": "张伟", "phone": "13800138000", "address": common_pb2.Address(detail="路" * 501)},
            "INVALID_ARGUMENT",
            "address.detail",
        ),
    ],
)
async def test_bad_upserts_are_refused_and_write_nothing(customers, sql, fields, reason, field) -> None:
    before = await sql("SELECT count(*) FROM customers")
    error = await rejected(upsert(customers, **fields))
    assert (error.code, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT, reason)
    assert [v.field for v in error.violations] == [field]
    assert await sql("SELECT count(*) FROM customers") == before


async def test_missing_request_id_is_refused(customers) -> None:
    error = await rejected(customers.UpsertCustomer(pb.UpsertCustomerRequest(name="张伟", phone=mobile())))
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in error.violations] == ["request_id"]


async def test_text_outside_the_bmp_round_trips(customers) -> None:
    address = common_pb2.Address(recipient="𠮷田 花子", city="北京市", detail="𠮷祥路 𩸽 1 号", country="CN")
    created = await upsert(customers, name="𠮷田 花子😀", phone=mobile(), address=address)
    read = await customers.GetCustomer(
        pb.GetCustomerRequest(customer_id=created.customer.customer_id), metadata=SUPERVISOR
    )
    assert read.customer.name == "𠮷田 花子😀"
    assert read.customer.address == address
    assert created.customer.address.recipient == "𠮷****"


async def test_pii_is_shown_only_to_allowed_roles_and_every_view_is_audited(customers, stream_events) -> None:
    national = mobile()
    created = await upsert(
        customers,
        name="王芳",
        phone=national,
        email="wangfang@example.com",
        address=common_pb2.Address(recipient="王芳", phone=national, city="杭州", detail="西湖区文三路 1 号"),
    )
    customer_id = created.customer.customer_id
    request = pb.GetCustomerRequest(customer_id=customer_id)
    # Without authentication a call acts as the role it declares (a call declaring none is a service).
    for metadata in [(("x-oms-role", "customer_service"),), (("x-oms-role", "operations"),)]:
        masked = await customers.GetCustomer(request, metadata=metadata)
        assert masked.customer.pii_masked
        assert masked.customer.phone == f"{national[:3]}****{national[-4:]}"
        assert (masked.customer.email, masked.customer.address.detail) == ("w***@example.com", "****")
        assert masked.customer.address.city == "杭州"
    shown = await customers.GetCustomer(
        pb.GetCustomerRequest(customer_id=customer_id, purpose="ticket 7"), metadata=SUPERVISOR
    )
    assert not shown.customer.pii_masked
    assert (shown.customer.phone, shown.customer.email) == (f"+86{national}", "wangfang@example.com")
    assert shown.customer.address.detail == "西湖区文三路 1 号"
    on_behalf = pb.GetCustomerRequest(customer_id=customer_id, viewer=common_pb2.Actor(subject="ops-1", role="admin"))
    by_field = await customers.GetCustomer(on_behalf, metadata=(("x-oms-role", "service"),))
    assert not by_field.customer.pii_masked
    # Only a service reads on behalf of someone: an agent naming an admin as viewer still reads masked.
    claimed = await customers.GetCustomer(on_behalf, metadata=(("x-oms-role", "customer_service"),))
    assert claimed.customer.pii_masked
    views = await eventually(
        lambda: _two(stream_events(events_pb2.CustomerPiiViewed, customer_id)), message="two PII views audited"
    )
    assert [(v.viewer.subject, v.viewer.role, v.purpose) for v in views] == [
        ("u-42", "cs_supervisor", "ticket 7"),
        ("ops-1", "admin", ""),
    ]
    assert list(views[0].fields) == ["phone", "email", "address"]


async def _two(pending):
    found = await pending
    return found if len(found) >= 2 else None


async def test_unknown_and_malformed_ids(customers) -> None:
    missing = await rejected(
        customers.GetCustomer(pb.GetCustomerRequest(customer_id="0190c1a2-0000-7000-8000-000000000000"))
    )
    assert (missing.code, missing.reason) == (grpc.StatusCode.NOT_FOUND, "CUSTOMER_NOT_FOUND")
    malformed = await rejected(customers.GetCustomer(pb.GetCustomerRequest(customer_id="42")))
    assert malformed.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in malformed.violations] == ["customer_id"]


async def test_find_similar_proposes_decorated_names_and_honorifics(customers) -> None:
    surname = rare_surname()
    national = mobile()
    base = await upsert(customers, name=f"{surname}伟", phone=national, address=common_pb2.Address(city="北京市"))
    decorated = await upsert(customers, name=f"{surname}伟_北京", phone=mobile())
    department = await upsert(customers, name=f"{surname}伟-采购部", phone=mobile())
    honorific = await upsert(customers, name=f"{surname}先生{national[:3]}****", phone=mobile())
    same_phone = await upsert(customers, name="另一个公司", tax_id="91" + secrets.token_hex(5).upper(), phone=national)
    unrelated = await upsert(customers, name=f"{surname}娜", phone=mobile(), address=common_pb2.Address(city="北京"))
    found = await customers.FindSimilarCustomers(pb.FindSimilarCustomersRequest(customer_id=base.customer.customer_id))
    by_id = {c.customer.customer_id: c for c in found.candidates}
    assert base.customer.customer_id not in by_id
    assert unrelated.customer.customer_id not in by_id
    assert set(by_id[decorated.customer.customer_id].reasons) == {
        pb.SIMILARITY_REASON_SAME_CORE_NAME,
        pb.SIMILARITY_REASON_SAME_CITY,
    }
    assert list(by_id[department.customer.customer_id].reasons) == [pb.SIMILARITY_REASON_SAME_CORE_NAME]
    assert set(by_id[honorific.customer.customer_id].reasons) == {
        pb.SIMILARITY_REASON_SURNAME_HONORIFIC,
        pb.SIMILARITY_REASON_PHONE_FRAGMENT,
    }
    assert list(by_id[same_phone.customer.customer_id].reasons) == [pb.SIMILARITY_REASON_SAME_PHONE]
    scores = [c.score for c in found.candidates]
    assert scores == sorted(scores, reverse=True)
    assert all(c.customer.pii_masked for c in found.candidates)
    probe = await customers.FindSimilarCustomers(
        pb.FindSimilarCustomersRequest(probe=pb.CustomerProbe(name=f"{surname}伟", city="北京"), limit=2)
    )
    assert [c.customer.customer_id for c in probe.candidates] == [
        base.customer.customer_id,
        decorated.customer.customer_id,
    ]


async def test_find_similar_bad_input(customers) -> None:
    neither = await rejected(customers.FindSimilarCustomers(pb.FindSimilarCustomersRequest()))
    assert neither.code == grpc.StatusCode.INVALID_ARGUMENT
    too_many = await rejected(
        customers.FindSimilarCustomers(pb.FindSimilarCustomersRequest(probe=pb.CustomerProbe(name="x"), limit=51))
    )
    assert [v.field for v in too_many.violations] == ["limit"]
    bad_phone = await rejected(
        customers.FindSimilarCustomers(pb.FindSimilarCustomersRequest(probe=pb.CustomerProbe(phone="abc")))
    )
    assert (bad_phone.reason, [v.field for v in bad_phone.violations]) == ("INVALID_PHONE", ["probe.phone"])


async def test_merge_keeps_both_histories_and_old_ids_resolve(customers, stream_events) -> None:
    survivor = await upsert(customers, name="赵敏", phone=mobile())
    merged_phone = mobile()
    merged = await upsert(customers, name="赵敏_上海", phone=merged_phone, email="zm@example.com")
    s_id, m_id = survivor.customer.customer_id, merged.customer.customer_id
    await customers.SetCustomerTier(
        pb.SetCustomerTierRequest(request_id=rid(), customer_id=m_id, tier=pb.CUSTOMER_TIER_GOLD)
    )
    await customers.TagCustomer(pb.TagCustomerRequest(request_id=rid(), customer_id=m_id, tags=["高复购"]))
    request = pb.MergeCustomersRequest(
        request_id=rid(), survivor_customer_id=s_id, merged_customer_id=m_id, reason="same phone call"
    )
    result = await customers.MergeCustomers(request)
    assert await customers.MergeCustomers(request) == result
    assert result.survivor.customer_id == s_id
    assert result.survivor.tier == pb.CUSTOMER_TIER_GOLD
    assert list(result.survivor.tags) == ["高复购"]
    assert result.survivor.email == "z***@example.com"
    read = await customers.GetCustomer(pb.GetCustomerRequest(customer_id=m_id))
    assert (read.customer.customer_id, read.resolved_from_customer_id) == (s_id, m_id)
    assert list(read.merged_customer_ids) == [m_id]
    again = await upsert(customers, name="赵敏", phone=merged_phone)
    assert (again.customer.customer_id, again.created) == (s_id, False)
    # The merged record can neither be merged again nor survive a merge.
    for pair in [(s_id, m_id), (m_id, s_id)]:
        error = await rejected(
            customers.MergeCustomers(
                pb.MergeCustomersRequest(request_id=rid(), survivor_customer_id=pair[0], merged_customer_id=pair[1])
            )
        )
        assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "CUSTOMER_MERGED")
        assert error.metadata["survivor_customer_id"] == s_id
    # A later merge of the survivor carries the old id along.
    third = await upsert(customers, name="赵敏", phone=mobile())
    await customers.MergeCustomers(
        pb.MergeCustomersRequest(
            request_id=rid(), survivor_customer_id=third.customer.customer_id, merged_customer_id=s_id
        )
    )
    chained = await customers.GetCustomer(pb.GetCustomerRequest(customer_id=m_id))
    assert chained.customer.customer_id == third.customer.customer_id
    assert list(chained.merged_customer_ids) == [m_id, s_id]
    merges = await eventually(lambda: stream_events(events_pb2.CustomersMerged, s_id))
    assert (merges[0].merged_customer_id, merges[0].reason) == (m_id, "same phone call")
    assert list(merges[0].filled_fields) == ["email"]


async def test_merge_bad_input(customers) -> None:
    one = (await upsert(customers, name="钱多多", phone=mobile())).customer.customer_id
    same = await rejected(
        customers.MergeCustomers(
            pb.MergeCustomersRequest(request_id=rid(), survivor_customer_id=one, merged_customer_id=one)
        )
    )
    assert [v.field for v in same.violations] == ["merged_customer_id"]
    missing_id = "0190c1a2-0000-7000-8000-000000000001"
    missing = await rejected(
        customers.MergeCustomers(
            pb.MergeCustomersRequest(request_id=rid(), survivor_customer_id=one, merged_customer_id=missing_id)
        )
    )
    assert (missing.reason, missing.metadata["customer_id"]) == ("CUSTOMER_NOT_FOUND", missing_id)


async def test_crossed_concurrent_merges_let_exactly_one_win(customers) -> None:
    a = (await upsert(customers, name="孙悟空", phone=mobile())).customer.customer_id
    b = (await upsert(customers, name="孙悟空_花果山", phone=mobile())).customer.customer_id
    outcomes = await asyncio.gather(
        customers.MergeCustomers(
            pb.MergeCustomersRequest(request_id=rid(), survivor_customer_id=a, merged_customer_id=b)
        ),
        customers.MergeCustomers(
            pb.MergeCustomersRequest(request_id=rid(), survivor_customer_id=b, merged_customer_id=a)
        ),
        return_exceptions=True,
    )
    wins = [o for o in outcomes if isinstance(o, pb.MergeCustomersResponse)]
    losses = [o for o in outcomes if isinstance(o, OmsRpcError)]
    assert len(wins) == 1 and len(losses) == 1
    assert losses[0].reason == "CUSTOMER_MERGED"


async def test_tier_and_tags(customers, stream_events) -> None:
    customer_id = (await upsert(customers, name="周杰", phone=mobile())).customer.customer_id
    tiered = await customers.SetCustomerTier(
        pb.SetCustomerTierRequest(request_id=rid(), customer_id=customer_id, tier=pb.CUSTOMER_TIER_VIP, reason="50k")
    )
    assert tiered.customer.tier == pb.CUSTOMER_TIER_VIP
    changes = await eventually(lambda: stream_events(events_pb2.CustomerTierChanged, customer_id))
    assert (changes[0].previous_tier, changes[0].tier, changes[0].reason) == (
        pb.CUSTOMER_TIER_REGULAR,
        pb.CUSTOMER_TIER_VIP,
        "50k",
    )
    tagged = await customers.TagCustomer(
        pb.TagCustomerRequest(request_id=rid(), customer_id=customer_id, tags=["price_sensitive", " ＶＩＰ ", "VIP"])
    )
    assert list(tagged.customer.tags) == ["VIP", "price_sensitive"]
    untagged = await customers.UntagCustomer(
        pb.UntagCustomerRequest(request_id=rid(), customer_id=customer_id, tags=["VIP", "absent"])
    )
    assert list(untagged.customer.tags) == ["price_sensitive"]
    removed = await eventually(lambda: stream_events(events_pb2.CustomerUntagged, customer_id))
    assert list(removed[0].removed_tags) == ["VIP"]
    no_tier = await rejected(
        customers.SetCustomerTier(pb.SetCustomerTierRequest(request_id=rid(), customer_id=customer_id))
    )
    assert [v.field for v in no_tier.violations] == ["tier"]
    bad_tag = await rejected(
        customers.TagCustomer(pb.TagCustomerRequest(request_id=rid(), customer_id=customer_id, tags=["ok", "\t"]))
    )
    assert [v.field for v in bad_tag.violations] == ["tags[1]"]


async def test_concurrent_tagging_loses_no_tag(customers) -> None:
    customer_id = (await upsert(customers, name="吴用", phone=mobile())).customer.customer_id
    await asyncio.gather(
        *(
            customers.TagCustomer(pb.TagCustomerRequest(request_id=rid(), customer_id=customer_id, tags=[f"t{i}"]))
            for i in range(10)
        )
    )
    read = await customers.GetCustomer(pb.GetCustomerRequest(customer_id=customer_id))
    assert sorted(read.customer.tags) == sorted(f"t{i}" for i in range(10))
    assert read.customer.version == 11


async def test_list_filters_by_tier_and_tag_with_cursor_pages(customers) -> None:
    tag = f"campaign-{secrets.token_hex(4)}"
    ids = []
    for i in range(5):
        customer_id = (await upsert(customers, name=f"客户{i}", phone=mobile())).customer.customer_id
        await customers.TagCustomer(pb.TagCustomerRequest(request_id=rid(), customer_id=customer_id, tags=[tag]))
        if i % 2 == 0:
            await customers.SetCustomerTier(
                pb.SetCustomerTierRequest(request_id=rid(), customer_id=customer_id, tier=pb.CUSTOMER_TIER_SILVER)
            )
        ids.append(customer_id)
    seen, token, pages = [], "", 0
    while True:
        page = await customers.ListCustomers(
            pb.ListCustomersRequest(tag=tag, page=common_pb2.PageRequest(page_size=2, page_token=token))
        )
        seen += [c.customer_id for c in page.customers]
        pages += 1
        token = page.page.next_page_token
        if not token:
            break
    assert seen == ids and pages == 3
    silver = await customers.ListCustomers(pb.ListCustomersRequest(tag=tag, tier=pb.CUSTOMER_TIER_SILVER))
    assert [c.customer_id for c in silver.customers] == ids[0::2]
    assert all(c.pii_masked for c in silver.customers)
    bad = await rejected(
        customers.ListCustomers(pb.ListCustomersRequest(page=common_pb2.PageRequest(page_token="not-a-token")))
    )
    assert [v.field for v in bad.violations] == ["page.page_token"]
