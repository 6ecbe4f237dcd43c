"""Input checks of the pricing model (SKUs, codes, tiers, currencies); every violation is collected, not the first."""

from __future__ import annotations

import re
import unicodedata

from shared.kernel.errors import FieldViolation, InvalidArgument

MAX_SKU_LENGTH = 64
MAX_CODE_LENGTH = 64
MAX_TIER_LENGTH = 32
DEFAULT_CURRENCY = "CNY"
# Minor units beyond this are certainly an input mistake and would overflow BIGINT arithmetic in sums.
MAX_AMOUNT_MINOR = 10**15

_CURRENCY = re.compile(r"[A-Z]{3}")
_TIER = re.compile(r"[A-Z0-9_]+")


class Violations:
    """Collects every bad field of one request, so the caller learns all of them at once."""

    def __init__(self) -> None:
        self._found: list[FieldViolation] = []

    def add(self, field: str, description: str) -> None:
        self._found.append(FieldViolation(field, description))

    def __bool__(self) -> bool:
        return bool(self._found)

    def raise_if_any(self) -> None:
        if self._found:
            summary = "; ".join(f"{v.field}: {v.description}" for v in self._found[:5])
            raise InvalidArgument(summary, violations=self._found)


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text)


def check_identifier(text: str, field: str, violations: Violations, *, max_length: int, what: str) -> None:
    """An identifier-like text (SKU, coupon code, category): non-empty, no outer blanks, no control characters."""
    if not text:
        violations.add(field, f"{what} is required")
    elif len(text) > max_length:
        violations.add(field, f"{what} is longer than {max_length} characters")
    elif text != text.strip() or _has_control(text):
        violations.add(field, f"{what} must not have surrounding blanks or control characters")


def check_text(text: str, field: str, violations: Violations, *, max_length: int, required: bool) -> None:
    """Free text (names, reasons): any UTF-8 including characters outside the BMP, no control characters."""
    if required and not text.strip():
        violations.add(field, "is required")
    elif len(text) > max_length:
        violations.add(field, f"is longer than {max_length} characters")
    elif _has_control(text.replace("\n", "")):
        violations.add(field, "must not contain control characters")


def normalize_currency(code: str, field: str, violations: Violations) -> str:
    """An ISO 4217 code; empty means the default currency."""
    if not code:
        return DEFAULT_CURRENCY
    if not _CURRENCY.fullmatch(code):
        violations.add(field, "must be a 3-letter upper-case ISO 4217 code")
    return code


def normalize_tier(text: str, field: str, violations: Violations) -> str:
    """A customer tier as the customers context names it: "vip", "VIP" and "CUSTOMER_TIER_VIP" are all "VIP"."""
    tier = text.strip().upper().removeprefix("CUSTOMER_TIER_")
    if tier in ("", "UNSPECIFIED"):
        return ""
    if len(tier) > MAX_TIER_LENGTH or not _TIER.fullmatch(tier):
        violations.add(field, f"must be a tier name of at most {MAX_TIER_LENGTH} letters, digits or '_'")
    return tier


def check_amount(amount: int, field: str, violations: Violations, *, allow_zero: bool = True) -> None:
    if amount < 0 or (amount == 0 and not allow_zero):
        violations.add(field, "must be positive" if not allow_zero else "must not be negative")
    elif amount > MAX_AMOUNT_MINOR:
        violations.add(field, f"must be at most {MAX_AMOUNT_MINOR} minor units")
