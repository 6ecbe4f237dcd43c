"""Unit tests of the channel mapper: each platform's sample through its default tables, money and time
formats, defaults, SKU tables, field specs, and every way a record can fail to map."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from services.orders.adapters.channel_defaults import default_tables
from services.orders.domain.channel_mapping import (
    ChannelProfile,
    FieldSpec,
    MappingEntry,
    MappingKind,
    build_profile,
    customer_id_for,
    map_record,
    parse_payload,
    validate_entry,
)
from services.orders.domain.channels import ChannelState
from services.orders.domain.errors_channels import MappingFailure
from services.orders.domain.values import Channel
from shared.kernel.errors import InvalidArgument
from shared.kernel.money import Money

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "channels"
TABLES = {t.platform: t for t in default_tables()}


def profile(platform: str, *extra: MappingEntry) -> ChannelProfile:
    table = TABLES[platform]
    return build_profile(table.channel, [*table.entries, *extra])


def sample(platform: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{platform}.json").read_text(encoding="utf-8"), parse_float=Decimal)


def mapped(platform: str, payload: dict[str, Any], *extra: MappingEntry) -> Any:
    return map_record(profile(platform, *extra), payload)


def failure(platform: str, payload: dict[str, Any], *extra: MappingEntry) -> MappingFailure:
    with pytest.raises(MappingFailure) as failed:
        mapped(platform, payload, *extra)
    return failed.value


def test_every_platform_has_default_tables_and_a_sample() -> None:
    assert sorted(TABLES) == ["douyin", "jd", "mini_program", "pinduoduo", "shopify", "taobao"]
    assert {t.channel for t in TABLES.values()} == set(Channel)
    for platform in TABLES:
        assert (FIXTURES / f"{platform}.json").exists()


@pytest.mark.parametrize(
    ("platform", "order_id", "state", "total", "shipping", "discount", "created", "lines"),
    [
        (
            "taobao",
            "4012345678901234567",
            ChannelState.PAID,
            12800,
            800,
            1000,
            "2026-11-10T16:00:05",
            [("SKU-TEE-M", 2, 6500)],
        ),
        ("jd", "230000012345", ChannelState.PAID, 28700, 0, 1000, "2026-11-10T16:01:00", [("SKU-MUG", 3, 9900)]),
        (
            "douyin",
            "6921234567890123456",
            ChannelState.PAID,
            5900,
            0,
            1000,
            "2026-11-10T16:02:00",
            [("SKU-CAP", 1, 6900)],
        ),
        (
            "pinduoduo",
            "261111-080123456789012",
            ChannelState.PAID,
            9490,
            0,
            500,
            "2026-11-10T16:02:00",
            [("SKU-BAG", 1, 9990)],
        ),
        ("shopify", "450789469", ChannelState.PAID, 1200, 200, 100, "2026-11-10T16:00:05", [("SKU-TEE-M", 1, 1100)]),
        (
            "mini_program",
            "MP202611110000123",
            ChannelState.PAID,
            17900,
            0,
            2000,
            "2026-11-10T16:03:00",
            [("SKU-LAMP", 1, 19900)],
        ),
    ],
)
def test_samples_map_to_the_unified_order(
    platform: str,
    order_id: str,
    state: ChannelState,
    total: int,
    shipping: int,
    discount: int,
    created: str,
    lines: list[tuple[str, int, int]],
) -> None:
    snapshot = mapped(platform, sample(platform))
    draft = snapshot.draft
    currency = "USD" if platform == "shopify" else "CNY"
    assert snapshot.channel_order_id == order_id and draft.channel_order_id == order_id
    assert snapshot.state is state
    assert draft.total == Money(total, currency)
    assert draft.shipping_fee == Money(shipping, currency)
    assert draft.discount_total == Money(discount, currency)
    assert snapshot.created_at == datetime.fromisoformat(created).replace(tzinfo=UTC)
    assert [(line.sku, line.quantity, line.unit_price.amount_minor) for line in draft.lines] == lines
    assert snapshot.version > 0


def test_taobao_reads_beijing_time_and_composes_the_street() -> None:
    snapshot = mapped("taobao", sample("taobao"))
    assert snapshot.modified_at == datetime(2026, 11, 10, 16, 0, 9, tzinfo=UTC)
    assert snapshot.paid_at == datetime(2026, 11, 10, 16, 0, 9, tzinfo=UTC)
    address = snapshot.draft.shipping_address
    assert (address.recipient, address.country, address.province, address.city, address.district) == (
        "吉𠮷",
        "CN",
        "浙江省",
        "嘉兴市",
        "南湖区",
    )
    assert address.detail == "南湖街道 中环南路 1369 号 3 幢 201 室"
    assert snapshot.buyer_member_id == "AAGkN3fxAAX1c2VyXzAx"
    assert snapshot.draft.buyer_remark == "请尽快发货，谢谢"


def test_shopify_joins_names_and_keeps_the_order_currency() -> None:
    snapshot = mapped("shopify", sample("shopify"))
    assert snapshot.draft.customer_name == "Bob Norman"
    assert snapshot.draft.shipping_address.detail == "Chestnut Street 92 Apt 2"
    assert snapshot.draft.shipping_address.country == "US"
    assert snapshot.created_at == datetime(2026, 11, 10, 16, 0, 5, tzinfo=UTC)
    assert snapshot.draft.lines[0].discount == Money(100, "USD")


def test_douyin_reads_fen_and_unix_seconds_and_nested_addresses() -> None:
    snapshot = mapped("douyin", sample("douyin"))
    assert snapshot.draft.shipping_address.detail == "粤海街道 科技园南区 R2-B 栋"
    assert snapshot.draft.customer_name == "抖音用户𠮷"
    payload = sample("douyin") | {"order_status": 4}
    assert mapped("douyin", payload).state is ChannelState.CANCELLED


def test_pinduoduo_amounts_are_exact_decimals_never_floats() -> None:
    payload = parse_payload(b'{"x": 0.1}')
    assert payload["x"] == Decimal("0.1")
    raw = (FIXTURES / "pinduoduo.json").read_bytes()
    snapshot = map_record(profile("pinduoduo"), parse_payload(raw))
    assert snapshot.draft.total == Money(9490)
    assert snapshot.platform_status == "1 1"
    refunded = sample("pinduoduo") | {"refund_status": 4}
    assert mapped("pinduoduo", refunded).state is ChannelState.CANCELLED
    # Amounts that float arithmetic gets wrong come out exact.
    assert mapped("pinduoduo", sample("pinduoduo") | {"pay_amount": Decimal("0.30")}).draft.total == Money(30)


def test_mini_program_orders_by_its_own_version() -> None:
    payload = sample("mini_program")
    assert mapped("mini_program", payload).version == 3
    assert mapped("mini_program", payload | {"version": 4}).version == 4


def test_version_falls_back_to_the_modified_time_then_the_creation_time() -> None:
    payload = sample("jd")
    with_modified = mapped("jd", payload)
    assert with_modified.version == int(datetime(2026, 11, 10, 16, 1, 12, tzinfo=UTC).timestamp() * 1_000_000)
    without = mapped("jd", {k: v for k, v in payload.items() if k != "modified"})
    assert without.modified_at == without.created_at


def test_defaults_fill_empty_fields() -> None:
    payload = sample("taobao") | {"buyer_nick": "", "receiver_name": "  "}
    snapshot = mapped("taobao", payload)
    assert snapshot.draft.customer_name == "淘宝买家"
    extra = MappingEntry(MappingKind.DEFAULT, "shipping_address.recipient", "收件人")
    assert mapped("taobao", payload, extra).draft.shipping_address.recipient == "收件人"


def test_sku_tables_map_channel_skus_and_can_be_required() -> None:
    mapped_sku = MappingEntry(MappingKind.SKU, "SKU-TEE-M", "TEE-WHITE-M")
    assert mapped("taobao", sample("taobao"), mapped_sku).draft.lines[0].sku == "TEE-WHITE-M"
    required = MappingEntry(MappingKind.FORMAT, "sku_mapping", "required")
    failed = failure("taobao", sample("taobao"), required)
    assert (failed.reason, failed.field, failed.channel_order_id) == (
        "SKU_NOT_MAPPED",
        "lines[0].sku",
        "4012345678901234567",
    )
    assert mapped("taobao", sample("taobao"), required, mapped_sku).draft.lines[0].sku == "TEE-WHITE-M"


def test_a_single_line_object_counts_as_one_line() -> None:
    payload = sample("taobao")
    payload["orders"]["order"] = payload["orders"]["order"][0]
    assert len(mapped("taobao", payload).draft.lines) == 1


def test_customer_identity_is_stable_per_buyer_and_channel() -> None:
    first = mapped("taobao", sample("taobao")).draft.customer_id
    again = mapped("taobao", sample("taobao") | {"tid": 1}).draft.customer_id
    assert first == again == customer_id_for(Channel.TMALL, "AAGkN3fxAAX1c2VyXzAx", "")
    assert customer_id_for(Channel.JD, "AAGkN3fxAAX1c2VyXzAx", "") != first
    # No buyer identity at all (Pinduoduo hides it): the phone stands in.
    assert mapped("pinduoduo", sample("pinduoduo")).draft.customer_id == customer_id_for(
        Channel.PINDUODUO, "", "13633334444"
    )


@pytest.mark.parametrize(
    ("change", "reason", "field"),
    [
        ({"status": "SOMETHING_NEW"}, "UNKNOWN_STATUS", "status"),
        ({"status": ""}, "MISSING_FIELD", "status"),
        ({"tid": None}, "MISSING_FIELD", "channel_order_id"),
        ({"payment": "12.3.4"}, "BAD_AMOUNT", "total"),
        ({"payment": "12.345"}, "BAD_AMOUNT", "total"),
        ({"payment": "NaN"}, "BAD_AMOUNT", "total"),
        ({"payment": True}, "BAD_AMOUNT", "total"),
        ({"payment": {"amount": "1.00"}}, "BAD_AMOUNT", "total"),
        ({"payment": ""}, "MISSING_FIELD", "total"),
        ({"created": "2026-13-45 99:00:00"}, "BAD_TIME", "created_at"),
        ({"created": "yesterday"}, "BAD_TIME", "created_at"),
        ({"orders": {"order": []}}, "MISSING_FIELD", "lines"),
        ({"orders": {"order": ["a line?"]}}, "MALFORMED_FIELD", "lines[0]"),
        ({"orders": "nope"}, "MISSING_FIELD", "lines"),
        ({"receiver_name": ["吉"]}, "MALFORMED_FIELD", "shipping_address.recipient"),
    ],
)
def test_records_that_cannot_be_mapped_name_the_reason_and_field(
    change: dict[str, Any], reason: str, field: str
) -> None:
    failed = failure("taobao", sample("taobao") | change)
    assert (failed.reason, failed.field) == (reason, field)


def test_line_fields_are_named_by_their_position() -> None:
    payload = sample("jd")
    payload["itemInfoList"].append({"outerSkuId": "SKU-2", "jdPrice": "1.00", "itemTotal": "two"})
    failed = failure("jd", payload)
    assert (failed.reason, failed.field) == ("BAD_NUMBER", "lines[1].quantity")
    payload["itemInfoList"][1] = {"jdPrice": "1.00", "itemTotal": "2"}
    assert failure("jd", payload).field == "lines[1].sku"


def test_fen_amounts_must_be_whole() -> None:
    failed = failure("douyin", sample("douyin") | {"pay_amount": "59.5"})
    assert (failed.reason, failed.field) == ("BAD_AMOUNT", "total")
    assert mapped("douyin", sample("douyin") | {"pay_amount": "5900"}).draft.total == Money(5900)


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        ("吉先生".encode("gbk"), "is not UTF-8"),
        (b'{"tid": 1', "is not JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b'{"x": NaN}', "is not JSON"),
        (b"", "is not JSON"),
    ],
)
def test_payloads_that_are_not_json_objects_are_malformed(raw: bytes, detail: str) -> None:
    with pytest.raises(MappingFailure) as failed:
        parse_payload(raw)
    assert failed.value.reason == "MALFORMED_PAYLOAD"
    assert detail in failed.value.detail


def test_characters_outside_the_bmp_pass_and_a_bom_is_tolerated() -> None:
    raw = "\ufeff".encode() + json.dumps(sample("mini_program") | {"remark": "𠮷𠮷"}, ensure_ascii=False).encode()
    snapshot = map_record(profile("mini_program"), parse_payload(raw))
    assert snapshot.draft.buyer_remark == "𠮷𠮷"
    assert snapshot.draft.shipping_address.recipient == "𠮷野家"


def test_field_specs_join_and_fall_back() -> None:
    spec = FieldSpec.parse("a.first + a.last | b.name | items.0.sku", "where")
    assert spec.read({"a": {"first": "Bob", "last": "Norman"}}) == "Bob Norman"
    assert spec.read({"a": {"first": "", "last": ""}, "b": {"name": "B"}}) == "B"
    assert spec.read({"items": [{"sku": 7}]}) == 7
    assert spec.read({}) is None
    with pytest.raises(InvalidArgument) as bad:
        FieldSpec.parse("a..b", "fields[x].value")
    assert bad.value.violations[0].field == "fields[x].value"


@pytest.mark.parametrize(
    ("kind", "key", "value", "field"),
    [
        (MappingKind.FIELD, "no_such_field", "x", "c.key"),
        (MappingKind.FIELD, "total", "", "c.value"),
        (MappingKind.FIELD, "total", "a b", "c.value"),
        (MappingKind.STATUS, "WAIT", "MAYBE", "c.value"),
        (MappingKind.SKU, "A", " B", "c.value"),
        (MappingKind.SKU, "A", "B" * 65, "c.value"),
        (MappingKind.DEFAULT, "lines", "x", "c.key"),
        (MappingKind.DEFAULT, "line.quantity", "one", "c.value"),
        (MappingKind.FORMAT, "money", "cents", "c.value"),
        (MappingKind.FORMAT, "time", "%Y-%m-%d", "c.value"),
        (MappingKind.FORMAT, "time_zone", "+25:00", "c.value"),
        (MappingKind.FORMAT, "time_zone", "Mars/Olympus", "c.value"),
        (MappingKind.FORMAT, "currency", "rmb", "c.value"),
        (MappingKind.FORMAT, "colour", "red", "c.key"),
        (MappingKind.STATUS, " WAIT", "PAID", "c.key"),
        (MappingKind.STATUS, "", "PAID", "c.key"),
    ],
)
def test_table_entries_the_mapper_could_not_use_are_refused(
    kind: MappingKind, key: str, value: str, field: str
) -> None:
    with pytest.raises(InvalidArgument) as refused:
        validate_entry(kind, key, value, "c")
    assert [v.field for v in refused.value.violations] == [field]


@pytest.mark.parametrize(
    ("key", "value"),
    [("time", "%d/%m/%Y %H:%M:%S"), ("time", "epoch_millis"), ("time_zone", "Asia/Shanghai"), ("time_zone", "-05:00")],
)
def test_usable_formats_are_accepted(key: str, value: str) -> None:
    validate_entry(MappingKind.FORMAT, key, value, "c")


def test_an_iana_zone_and_epoch_millis_read_times() -> None:
    entries = [
        MappingEntry(MappingKind.FORMAT, "time", "epoch_millis"),
    ]
    payload = sample("douyin") | {"create_time": 1794326520123}
    assert mapped("douyin", payload, *entries).created_at == datetime(2026, 11, 10, 16, 2, 0, 123000, tzinfo=UTC)
    zone = MappingEntry(MappingKind.FORMAT, "time_zone", "Asia/Shanghai")
    assert mapped("taobao", sample("taobao"), zone).created_at == datetime(2026, 11, 10, 16, 0, 5, tzinfo=UTC)
