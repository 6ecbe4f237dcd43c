"""Duplicate detection: comparable keys of a name ("张伟_北京" -> 张伟 in 北京) and a score with reasons.

The score only proposes; a human decides the merge. Points are additive and capped at 100.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass

from services.customers.domain.identity import email_key, national_digits
from services.customers.domain.model import Customer

HONORIFICS = ("先生", "女士", "小姐", "老师", "经理", "老板", "师傅", "总")
COMPOUND_SURNAMES = frozenset(
    {"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯", "令狐"}
)
# What people append to a name to tell records apart: "张伟_北京", "张伟-采购部", "张伟（公司）".
_DECORATION = re.compile(r"[_\-—–/\\|()\[\]【】,，]")
# A phone number or a masked one written into a name: "张先生138****", "李13912345678".
_PHONE_FRAGMENT = re.compile(r"\d[\d*]{2,}")
_CITY_SUFFIXES = ("市", "省")

MIN_SCORE = 30


class Reason(enum.Enum):
    SAME_PHONE = "SAME_PHONE"
    SAME_EMAIL = "SAME_EMAIL"
    SAME_TAX_ID = "SAME_TAX_ID"
    SAME_CORE_NAME = "SAME_CORE_NAME"
    SAME_CITY = "SAME_CITY"
    SURNAME_HONORIFIC = "SURNAME_HONORIFIC"
    PHONE_FRAGMENT = "PHONE_FRAGMENT"


POINTS = {
    Reason.SAME_PHONE: 60,
    Reason.SAME_TAX_ID: 60,
    Reason.SAME_EMAIL: 40,
    Reason.SAME_CORE_NAME: 35,
    Reason.SURNAME_HONORIFIC: 20,
    Reason.SAME_CITY: 20,
    Reason.PHONE_FRAGMENT: 30,
}


def is_han(ch: str) -> bool:
    """A CJK ideograph, including the extension planes ("𠮷" is U+20BB7)."""
    return unicodedata.name(ch, "").startswith("CJK ")


def city_key(city: str) -> str:
    """ "北京市" and "北京" compare equal; Latin names compare case-insensitively."""
    text = " ".join(unicodedata.normalize("NFKC", city).split()).casefold()
    for suffix in _CITY_SUFFIXES:
        if len(text) > len(suffix) and text.endswith(suffix):
            return text[: -len(suffix)]
    return text


def _surname_of(han_name: str) -> str:
    if len(han_name) >= 3 and han_name[:2] in COMPOUND_SURNAMES:
        return han_name[:2]
    return han_name[:1]


@dataclass(frozen=True)
class NameKey:
    """A name reduced to what identifies a person: its core, surname, honorific and any phone fragment."""

    core: str = ""
    surname: str = ""
    honorific: bool = False
    decoration: str = ""
    phone_fragment: str = ""

    @classmethod
    def of(cls, name: str) -> NameKey:
        text = unicodedata.normalize("NFKC", name).strip()
        fragment = ""
        if found := _PHONE_FRAGMENT.search(text):
            fragment = found.group()
            text = (text[: found.start()] + " " + text[found.end() :]).strip()
        parts = [p.strip() for p in _DECORATION.split(text)]
        parts = [p for p in parts if p]
        core = parts[0] if parts else ""
        decoration = parts[1] if len(parts) > 1 else ""
        words = core.split()
        if len(words) > 1 and all(is_han(ch) for ch in words[0]):
            # "张伟 北京": a Han name does not contain spaces, so what follows is a decoration.
            core, decoration = words[0], decoration or words[1]
        core = " ".join(core.split()).casefold()
        han = bool(core) and all(is_han(ch) for ch in core)
        if han:
            for title in HONORIFICS:
                stem = core[: -len(title)]
                if core.endswith(title) and stem and (len(stem) == 1 or stem in COMPOUND_SURNAMES):
                    return cls("", stem, True, decoration, fragment)
        surname = _surname_of(core) if han and 2 <= len(core) <= 4 else ""
        return cls(core, surname, False, decoration, fragment)


def fragment_matches(fragment: str, phone: str) -> bool:
    """Whether a written fragment ("138****") fits the start of an E.164 phone; '*' is any digit."""
    literal = sum(ch.isdigit() for ch in fragment)
    digits = national_digits(phone)
    if literal < 3 or len(fragment) > len(digits):
        return False
    return all(f == "*" or f == d for f, d in zip(fragment, digits, strict=False))


@dataclass(frozen=True)
class SimilarityKey:
    """The comparable facts of a customer or of a probe."""

    phone: str = ""
    email: str = ""
    tax_id: str = ""
    name: NameKey = NameKey()
    cities: frozenset[str] = frozenset()
    # The one city stored for indexing: the address city, else the decoration ("张伟_北京").
    primary_city: str = ""

    @classmethod
    def of(cls, *, name: str, phone: str = "", email: str = "", tax_id: str = "", city: str = "") -> SimilarityKey:
        """Keys from normalised values (phone in E.164, tax id normalised)."""
        name_key = NameKey.of(name)
        primary = city_key(city) or city_key(name_key.decoration)
        cities = frozenset({city_key(city), city_key(name_key.decoration)} - {""})
        return cls(phone, email_key(email) if email else "", tax_id, name_key, cities, primary)

    @classmethod
    def of_customer(cls, customer: Customer) -> SimilarityKey:
        return cls.of(
            name=customer.name,
            phone=customer.phone,
            email=customer.email,
            tax_id=customer.tax_id,
            city=customer.address.city,
        )


@dataclass(frozen=True)
class Match:
    score: int
    reasons: tuple[Reason, ...]


def compare(probe: SimilarityKey, candidate: SimilarityKey) -> Match | None:
    """How likely ``candidate`` is the same customer as ``probe``; None below MIN_SCORE."""
    reasons: list[Reason] = []
    if probe.phone and probe.phone == candidate.phone:
        reasons.append(Reason.SAME_PHONE)
    if probe.tax_id and probe.tax_id == candidate.tax_id:
        reasons.append(Reason.SAME_TAX_ID)
    if probe.email and probe.email == candidate.email:
        reasons.append(Reason.SAME_EMAIL)
    a, b = probe.name, candidate.name
    same_surname = bool(a.surname) and a.surname == b.surname
    named = False
    if a.core and a.core == b.core:
        reasons.append(Reason.SAME_CORE_NAME)
        named = True
    elif same_surname and (a.honorific or b.honorific):
        reasons.append(Reason.SURNAME_HONORIFIC)
        named = True
    if named and probe.cities & candidate.cities:
        reasons.append(Reason.SAME_CITY)
    if (same_surname or named) and (
        (a.phone_fragment and candidate.phone and fragment_matches(a.phone_fragment, candidate.phone))
        or (b.phone_fragment and probe.phone and fragment_matches(b.phone_fragment, probe.phone))
    ):
        reasons.append(Reason.PHONE_FRAGMENT)
    score = min(100, sum(POINTS[r] for r in reasons))
    if score < MIN_SCORE:
        return None
    return Match(score, tuple(reasons))
