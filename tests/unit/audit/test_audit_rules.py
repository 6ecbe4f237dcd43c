"""Input rules, the retention policy and page tokens of the audit context."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.audit.application import pagination
from services.audit.application.commands import EntryFilter
from services.audit.domain import rules
from services.audit.domain.errors import RetentionBelowMinimum
from services.audit.domain.retention import RetentionPolicy
from shared.kernel.errors import InvalidArgument
from shared.kernel.ids import new_id

NOW = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize("value", ["order", "sku_price", "a", "x" * 64, "payment2"])
def test_entity_types_that_name_a_chain(value):
    assert rules.check_entity_type("entity_type", value) == value


@pytest.mark.parametrize("value", ["", "Order", "2fa", "_x", "order-line", "x" * 65, "订单"])
def test_entity_types_refused(value):
    with pytest.raises(InvalidArgument) as refused:
        rules.check_entity_type("entity_type", value)
    assert refused.value.violations[0].field == "entity_type"


@pytest.mark.parametrize(
    ("raw", "chain"),
    [("order", "order"), ("SkuPrice", "skuprice"), ("sku-price", "sku_price"), ("", "unknown"), ("9x", "x9x")],
)
def test_event_aggregate_types_always_map_to_a_chain(raw, chain):
    assert rules.entity_type_of(raw) == chain


def test_text_rules_name_the_field():
    assert rules.check_text("entity_id", "𠮷" * 10, 10) == "𠮷" * 10
    for bad, why in [("", "is required"), ("   ", "is required"), ("x" * 11, "at most"), ("a\x00b", "NUL")]:
        with pytest.raises(InvalidArgument) as refused:
            rules.check_text("entity_id", bad, 10)
        assert refused.value.violations[0].field == "entity_id"
        assert why in refused.value.violations[0].description
    assert rules.check_text("note", "", 10, required=False) == ""
    assert rules.clean_text("a\x00b", 10) == "a\ufffdb"
    assert rules.clean_text("x" * 20, 5) == "xxxxx"


def test_retention_is_at_least_180_days_unless_forced():
    assert RetentionPolicy().days == 180
    assert RetentionPolicy(365).cutoff(NOW) == NOW - timedelta(days=365)
    with pytest.raises(RetentionBelowMinimum) as refused:
        RetentionPolicy(179)
    assert refused.value.reason == "RETENTION_BELOW_MINIMUM"
    assert RetentionPolicy(7, forced=True).cutoff(NOW) == NOW - timedelta(days=7)
    with pytest.raises(InvalidArgument):
        RetentionPolicy(0, forced=True)


def test_page_tokens_round_trip_and_are_bound_to_their_filter():
    query = EntryFilter(entity_type="order", entity_id="o-1")
    entry_id = new_id()
    at = datetime(2026, 3, 1, 8, 0, 0, 654321, tzinfo=UTC)
    token = pagination.encode(at, entry_id, query)
    assert pagination.decode(token, query) == (at, entry_id)
    assert pagination.decode("", query) is None
    for bad in ["nonsense", "e30", token[:-3]]:
        with pytest.raises(InvalidArgument) as refused:
            pagination.decode(bad, query)
        assert refused.value.violations[0].field == "page.page_token"
    with pytest.raises(InvalidArgument) as refused:
        pagination.decode(token, EntryFilter(entity_type="order", entity_id="o-2"))
    assert "other filters" in refused.value.violations[0].description


def test_page_size_defaults_and_caps():
    assert pagination.page_size(0) == pagination.DEFAULT_PAGE_SIZE
    assert pagination.page_size(10_000) == pagination.MAX_PAGE_SIZE
    with pytest.raises(InvalidArgument) as refused:
        pagination.page_size(-1)
    assert refused.value.violations[0].field == "page.page_size"
