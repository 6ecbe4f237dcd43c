"""Normalised identities (phone, tax id) that make two records the same customer, and email checks."""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass

from shared.kernel.errors import InvalidArgument

CHINA_CALLING_CODE = "86"

# Separators people type inside phone numbers; NFKC has already folded full-width forms.
_PHONE_SEPARATORS = re.compile(r"[\s\-‐‑‒–—.()/]")
_CHINA_MOBILE = re.compile(r"1[3-9]\d{9}")
_TAX_ID_SEPARATORS = re.compile(r"[\s\-‐‑‒–—]")
_TAX_ID = re.compile(r"[0-9A-Z]{6,32}")


class IdentityKind(enum.Enum):
    """Kinds of identity, in the order an upsert looks them up (a company's tax id beats a phone)."""

    TAX_ID = "TAX_ID"
    PHONE = "PHONE"


@dataclass(frozen=True)
class Identity:
    """One unique identity value; at most one customer owns it."""

    kind: IdentityKind
    value: str


def _invalid_phone(field: str, description: str) -> InvalidArgument:
    return InvalidArgument.field(field, description, reason="INVALID_PHONE")


def _china_number(national: str, field: str) -> str:
    """E.164 of a Chinese national number: a mobile (11 digits from 13..19) or a landline with area code."""
    if national.startswith("0"):
        # The trunk prefix ("010 1234 5678", "0138...") is not part of the international form.
        national = national[1:]
    if len(national) == 11 and national.startswith("1"):
        if not _CHINA_MOBILE.fullmatch(national):
            raise _invalid_phone(field, "is not a valid mainland China mobile number")
        return f"+{CHINA_CALLING_CODE}{national}"
    landline = national.startswith("10") or national[:1] in set("23456789")
    if not landline or not 10 <= len(national) <= 11:
        raise _invalid_phone(field, "is not a valid mainland China number (a mobile, or area code and number)")
    return f"+{CHINA_CALLING_CODE}{national}"


def normalise_phone(raw: str, field: str = "phone") -> str:
    """The E.164 form of a phone number in any common notation; mainland China is the default region.

    "+86 138-0013-8000", "13800138000", "0086 13800138000" and "８６１３８００１３８０００" are all
    "+8613800138000". Raises InvalidArgument (INVALID_PHONE) naming ``field``.
    """
    text = _PHONE_SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))
    if not text:
        raise _invalid_phone(field, "is empty")
    international = False
    if text.startswith("+"):
        international, text = True, text[1:]
    elif text.startswith("00"):
        international, text = True, text[2:]
    if not (text.isascii() and text.isdigit()):
        raise _invalid_phone(field, "may hold only digits, spaces, dashes, dots, parentheses and a leading +")
    if international:
        if text.startswith(CHINA_CALLING_CODE):
            return _china_number(text[len(CHINA_CALLING_CODE) :], field)
        if text.startswith("0") or not 8 <= len(text) <= 15:
            raise _invalid_phone(field, "is not a valid international number (country code and 7 to 14 digits)")
        return f"+{text}"
    if len(text) == 13 and text.startswith(CHINA_CALLING_CODE + "1"):
        # "86 13800138000" typed without the plus sign.
        return _china_number(text[len(CHINA_CALLING_CODE) :], field)
    return _china_number(text, field)


def national_digits(e164: str) -> str:
    """The number as dialled inside its country when Chinese ("13800138000"), else the digits after '+'."""
    digits = e164.removeprefix("+")
    if digits.startswith(CHINA_CALLING_CODE):
        return digits[len(CHINA_CALLING_CODE) :]
    return digits


def normalise_tax_id(raw: str, field: str = "tax_id") -> str:
    """A tax id upper-cased without spaces or dashes ("9131 0000-ma1fl0000x" -> "91310000MA1FL0000X").

    Only the shape is checked (6 to 32 letters and digits): the suite sells abroad too, so no one
    country's checksum applies.
    """
    text = _TAX_ID_SEPARATORS.sub("", unicodedata.normalize("NFKC", raw)).upper()
    if not _TAX_ID.fullmatch(text):
        raise InvalidArgument.field(field, "must be 6 to 32 letters and digits", reason="INVALID_TAX_ID")
    return text


def normalise_email(raw: str, field: str = "email") -> str:
    """The email trimmed, with its domain in lower case; raises InvalidArgument (INVALID_EMAIL)."""
    text = raw.strip()
    local, at, domain = text.rpartition("@")
    problem = ""
    if not at or not local or not domain:
        problem = "must look like name@example.com"
    elif len(text) > 254 or len(local) > 64:
        problem = "must be at most 254 characters with at most 64 before the @"
    elif "." not in domain.strip(".") or domain.startswith(".") or domain.endswith(".") or ".." in domain:
        problem = "must have a domain like example.com"
    elif any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cs") for ch in text):
        problem = "must not contain spaces or control characters"
    if problem:
        raise InvalidArgument.field(field, problem, reason="INVALID_EMAIL")
    return f"{local}@{domain.lower()}"


def email_key(email: str) -> str:
    """The case-insensitive form two emails are compared by when looking for duplicates."""
    return email.casefold()
