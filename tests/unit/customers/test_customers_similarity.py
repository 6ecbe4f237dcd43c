"""Duplicate proposals: decorated names, honorifics, phone fragments, cities."""

from __future__ import annotations

import pytest

from services.customers.domain.similarity import NameKey, Reason, SimilarityKey, city_key, compare


@pytest.mark.parametrize(
    ("name", "core", "surname", "honorific", "decoration", "fragment"),
    [
        ("张伟_北京", "张伟", "张", False, "北京", ""),
        ("张伟-采购部", "张伟", "张", False, "采购部", ""),
        ("张伟（上海）", "张伟", "张", False, "上海", ""),
        ("张伟 北京", "张伟", "张", False, "北京", ""),
        ("张先生", "", "张", True, "", ""),
        ("张先生138****", "", "张", True, "", "138****"),
        ("欧阳娜娜", "欧阳娜娜", "欧阳", False, "", ""),
        ("欧阳女士", "", "欧阳", True, "", ""),
        ("𠮷田", "𠮷田", "𠮷", False, "", ""),
        ("John  Smith", "john smith", "", False, "", ""),
    ],
)
def test_name_keys(name: str, core: str, surname: str, honorific: bool, decoration: str, fragment: str) -> None:
    assert NameKey.of(name) == NameKey(core, surname, honorific, decoration, fragment)


def test_city_key() -> None:
    assert city_key("北京市") == city_key("北京") == "北京"
    assert city_key(" Beijing ") == "beijing"
    assert city_key("市") == "市"


def test_decorated_names_in_the_same_city_match() -> None:
    match = compare(SimilarityKey.of(name="张伟_北京"), SimilarityKey.of(name="张伟", city="北京市"))
    assert match is not None
    assert match.reasons == (Reason.SAME_CORE_NAME, Reason.SAME_CITY)
    assert match.score == 55


def test_same_core_name_elsewhere_is_weaker() -> None:
    here = compare(SimilarityKey.of(name="张伟-采购部", city="北京"), SimilarityKey.of(name="张伟", city="北京"))
    there = compare(SimilarityKey.of(name="张伟-采购部", city="上海"), SimilarityKey.of(name="张伟", city="北京"))
    assert here is not None and there is not None
    assert there.reasons == (Reason.SAME_CORE_NAME,)
    assert here.score > there.score


def test_honorific_with_a_matching_phone_fragment() -> None:
    probe = SimilarityKey.of(name="张先生138****")
    match = compare(probe, SimilarityKey.of(name="张伟", phone="+8613812345678"))
    assert match is not None
    assert match.reasons == (Reason.SURNAME_HONORIFIC, Reason.PHONE_FRAGMENT)
    assert compare(probe, SimilarityKey.of(name="张伟", phone="+8613912345678")) is None
    assert compare(probe, SimilarityKey.of(name="李伟", phone="+8613812345678")) is None


def test_same_phone_alone_is_enough_and_city_alone_is_not() -> None:
    phone = "+8613800138000"
    same_phone = compare(SimilarityKey.of(name="A", phone=phone), SimilarityKey.of(name="B", phone=phone))
    assert same_phone is not None and same_phone.reasons == (Reason.SAME_PHONE,)
    assert compare(SimilarityKey.of(name="张伟", city="北京"), SimilarityKey.of(name="李娜", city="北京")) is None


def test_score_is_capped() -> None:
    key = SimilarityKey.of(name="张伟", phone="+8613800138000", email="a@example.com", tax_id="X123456", city="北京")
    match = compare(key, key)
    assert match is not None and match.score == 100
