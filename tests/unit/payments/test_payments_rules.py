"""Input rules: card numbers are recognised and refused without being echoed."""

from __future__ import annotations

import pytest

from services.payments.domain import rules
from shared.kernel.errors import InvalidArgument
from shared.kernel.money import Money


@pytest.mark.parametrize(
    "token",
    [
        "4111111111111111",  # Visa test number, 16 digits
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        " 4111111111111111 ",
        "371449635398431",  # 15 digits
        "6212345678901265",  # UnionPay layout
        "1234567890123",  # 13 digits: card length is enough on its own
        "1234567890123456789",  # 19 digits
        "tok_4111111111111111",  # a real card number smuggled inside a token
        "４１１１１１１１１１１１１１１１",  # full-width digits are still digits
    ],
)
def test_card_numbers_are_recognised(token: str) -> None:
    assert rules.looks_like_card_number(token)


@pytest.mark.parametrize(
    "token",
    [
        "tok_ok",
        "tok_visa",
        "tok_1Nc7Ykq2eZvKYlo2C0XbWcGZ",
        "123456789012",  # 12 digits: too short for a card
        "12345678901234567890",  # 20 digits: too long
        "tok_1700000000001",  # a 13-digit run that fails the Luhn check
        "𠮷_token",
    ],
)
def test_tokens_are_not_mistaken_for_card_numbers(token: str) -> None:
    assert not rules.looks_like_card_number(token)


def test_a_card_number_is_refused_without_echoing_it() -> None:
    with pytest.raises(InvalidArgument) as refused:
        rules.check_token("payment_method.token", "4111111111111111")
    assert [v.field for v in refused.value.violations] == ["payment_method.token"]
    assert "4111" not in str(refused.value) and "4111" not in refused.value.violations[0].description


@pytest.mark.parametrize(("token", "why"), [("", "is required"), ("x" * 257, "at most 256"), ("tok\n1", "printable")])
def test_other_bad_tokens(token: str, why: str) -> None:
    with pytest.raises(InvalidArgument, match=why):
        rules.check_token("payment_method.token", token)


def test_amounts_must_be_positive_and_texts_bounded() -> None:
    rules.check_positive("amount", Money(1))
    with pytest.raises(InvalidArgument, match="must be positive"):
        rules.check_positive("amount", Money(0))
    rules.check_text("reason", "退款 𠮷" * 100)
    with pytest.raises(InvalidArgument, match="at most 500"):
        rules.check_text("reason", "𠮷" * 501)
    with pytest.raises(InvalidArgument, match="NUL"):
        rules.check_text("reason", "a\x00b")
    with pytest.raises(InvalidArgument, match="required"):
        rules.check_text("provider_event_id", "  ", required=True)
