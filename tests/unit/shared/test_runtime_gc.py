"""Unit tests of the garbage collector tuning every service process applies once it serves."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from shared.runtime import tune_garbage_collector
from shared.settings import ServiceSettings


@pytest.fixture
def restored_gc() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


@pytest.mark.usefixtures("restored_gc")
def test_a_threshold_collects_less_often_and_freezes_what_start_up_loaded() -> None:
    gc.unfreeze()
    tune_garbage_collector(50_000)
    assert gc.get_threshold()[0] == 50_000
    assert gc.get_freeze_count() > 0


@pytest.mark.usefixtures("restored_gc")
def test_zero_keeps_pythons_own_settings() -> None:
    gc.set_threshold(700, 10, 10)
    tune_garbage_collector(0)
    assert gc.get_threshold() == (700, 10, 10)


def test_the_default_is_tuned_and_the_setting_refuses_negative_numbers() -> None:
    urls = {"database_url": "postgresql://x@127.0.0.1/db", "redis_url": "redis://127.0.0.1:6379/0"}
    assert ServiceSettings(**urls).gc_threshold == 50_000
    with pytest.raises(ValueError, match="gc_threshold"):
        ServiceSettings(**urls, gc_threshold=-1)
