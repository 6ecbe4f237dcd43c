"""Input rules of the payments context: what a token, an amount and a reason may be."""

from __future__ import annotations

import re

from shared.kernel.errors import InvalidArgument
from shared.kernel.money import Money

MAX_TOKEN_LENGTH = 256
MAX_REASON_LENGTH = 500
MAX_IDENTIFIER_LENGTH = 200

# 13 to 19 digits, possibly grouped by spaces or hyphens as printed on a card.
_CARD_NUMBER = re.compile(r"\d(?:[ -]?\d){12,18}")
_EMBEDDED_DIGITS = re.compile(r"(?<!\d)\d{13,19}(?!\d)")


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def looks_like_card_number(token: str) -> bool:
    """Whether ``token`` is, or carries, what could be a card number (PAN).

    Providers' tokens are opaque strings like ``tok_1Nc...``. A token that is 13-19 digits (grouped or not)
    is refused outright; a 13-19 digit run inside a longer token is refused when it passes the Luhn check
    that every real card number passes, so ids with long numbers in them are not caught by chance.
    """
    if _CARD_NUMBER.fullmatch(token.strip()):
        return True
    return any(_luhn_valid(run) for run in _EMBEDDED_DIGITS.findall(token))


def check_token(field: str, token: str) -> None:
    if not token:
        raise InvalidArgument.field(field, "is required")
    if looks_like_card_number(token):
        # The message never echoes the value: it may be a card number.
        raise InvalidArgument.field(field, "looks like a card number; send the provider's token instead")
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidArgument.field(field, f"must be at most {MAX_TOKEN_LENGTH} characters")
    if not token.isprintable():
        raise InvalidArgument.field(field, "must be printable text")


def check_positive(field: str, amount: Money) -> None:
    if amount.amount_minor <= 0:
        raise InvalidArgument.field(field, "must be positive")


def check_text(field: str, value: str, *, required: bool = False, max_length: int = MAX_REASON_LENGTH) -> None:
    if required and not value.strip():
        raise InvalidArgument.field(field, "is required")
    if len(value) > max_length:
        raise InvalidArgument.field(field, f"must be at most {max_length} characters")
    if "\x00" in value:
        raise InvalidArgument.field(field, "must not contain NUL characters")
