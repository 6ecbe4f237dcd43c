"""How deliverable a shipping address looks: a score, the issues found, and whether it is fuzzy (a person
should check it before goods leave)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from services.orders.domain.values import Address

MIN_DETAIL_CHARS = 5
# Text buyers and sellers type when they do not know yet. Found anywhere in a field:
_PLACEHOLDER_PARTS = ("待定", "待填", "待补", "未知", "不详", "暂无", "测试", "某某", "xxx", "tbd")
# Whole-field placeholders (too common as parts of real addresses to look for inside them):
_PLACEHOLDER_WHOLE = frozenset(
    {"无", "空", "test", "n/a", "na", "none", "null", "unknown", "-", "--", "?", "？", ".", "...", "…", "0", "x"}
)
_HOME_COUNTRIES = frozenset({"", "CN"})


class AddressIssue(enum.Enum):
    MISSING_RECIPIENT = "MISSING_RECIPIENT"
    MISSING_PHONE = "MISSING_PHONE"
    MISSING_PROVINCE = "MISSING_PROVINCE"
    MISSING_CITY = "MISSING_CITY"
    # Only for Chinese addresses (or addresses without a country), where a district is always part of one.
    MISSING_DISTRICT = "MISSING_DISTRICT"
    MISSING_DETAIL = "MISSING_DETAIL"
    DETAIL_TOO_SHORT = "DETAIL_TOO_SHORT"
    PLACEHOLDER = "PLACEHOLDER"


_PENALTY = {
    AddressIssue.MISSING_RECIPIENT: 15,
    AddressIssue.MISSING_PHONE: 10,
    AddressIssue.MISSING_PROVINCE: 30,
    AddressIssue.MISSING_CITY: 25,
    AddressIssue.MISSING_DISTRICT: 15,
    AddressIssue.MISSING_DETAIL: 40,
    AddressIssue.DETAIL_TOO_SHORT: 30,
    AddressIssue.PLACEHOLDER: 50,
}
# Issues about where the parcel goes; recipient and phone alone do not make an address fuzzy (marketplaces
# mask phones, and the courier can still find the door).
_LOCATION_ISSUES = frozenset(_PENALTY) - {AddressIssue.MISSING_RECIPIENT, AddressIssue.MISSING_PHONE}


@dataclass(frozen=True)
class AddressQuality:
    """``score`` from 0 (unusable) to 100; ``issues`` with the field each concerns."""

    score: int
    issues: tuple[tuple[AddressIssue, str], ...]

    @property
    def fuzzy(self) -> bool:
        return any(issue in _LOCATION_ISSUES for issue, _ in self.issues)


def _placeholder(value: str) -> bool:
    folded = " ".join(value.casefold().split())
    if not folded:
        return False
    if folded in _PLACEHOLDER_WHOLE or any(part in folded for part in _PLACEHOLDER_PARTS):
        return True
    compact = folded.replace(" ", "")
    # "aaaa", "1111", "。。。": one character typed over and over.
    return len(compact) >= 2 and len(set(compact)) == 1


def assess_address(address: Address) -> AddressQuality:
    issues: list[tuple[AddressIssue, str]] = []
    if not address.recipient.strip():
        issues.append((AddressIssue.MISSING_RECIPIENT, "recipient"))
    if not address.phone.strip():
        issues.append((AddressIssue.MISSING_PHONE, "phone"))
    if not address.province.strip():
        issues.append((AddressIssue.MISSING_PROVINCE, "province"))
    if not address.city.strip():
        issues.append((AddressIssue.MISSING_CITY, "city"))
    if address.country in _HOME_COUNTRIES and not address.district.strip():
        issues.append((AddressIssue.MISSING_DISTRICT, "district"))
    detail = "".join(address.detail.split())
    if not detail:
        issues.append((AddressIssue.MISSING_DETAIL, "detail"))
    elif len(detail) < MIN_DETAIL_CHARS:
        issues.append((AddressIssue.DETAIL_TOO_SHORT, "detail"))
    for name in ("recipient", "province", "city", "district", "detail"):
        if _placeholder(getattr(address, name)):
            issues.append((AddressIssue.PLACEHOLDER, name))
    penalty = sum(_PENALTY[issue] for issue in dict.fromkeys(issue for issue, _ in issues))
    return AddressQuality(max(0, 100 - penalty), tuple(issues))
