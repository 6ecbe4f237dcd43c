"""Money as integer minor units plus an ISO 4217 currency code; no floats anywhere near it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shared.kernel.errors import InvalidArgument

DEFAULT_CURRENCY = "CNY"


@dataclass(frozen=True, order=True)
class Money:
    """An exact amount: ``Money(120000, "CNY")`` is 1,200.00 yuan."""

    amount_minor: int
    currency: str = DEFAULT_CURRENCY

    def __post_init__(self) -> None:
        if type(self.amount_minor) is not int:
            raise InvalidArgument.field("amount_minor", "must be an integer number of minor units")
        if len(self.currency) != 3 or not self.currency.isascii() or not self.currency.isupper():
            raise InvalidArgument.field("currency", "must be a 3-letter ISO 4217 code")

    @classmethod
    def zero(cls, currency: str = DEFAULT_CURRENCY) -> Money:
        return cls(0, currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise InvalidArgument.field("currency", f"cannot mix {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount_minor - other.amount_minor, self.currency)

    def __mul__(self, factor: int) -> Money:
        if type(factor) is not int:
            raise InvalidArgument.field("quantity", "must be an integer")
        return Money(self.amount_minor * factor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount_minor, self.currency)

    @property
    def is_negative(self) -> bool:
        return self.amount_minor < 0

    def percent_off(self, basis_points: int) -> Money:
        """The discount of ``basis_points`` (1/100 of a percent) on this amount, rounded down."""
        return Money(self.amount_minor * basis_points // 10_000, self.currency)

    def allocate(self, weights: Sequence[int]) -> list[Money]:
        """Split this amount in proportion to ``weights`` so the parts add up exactly (largest remainder)."""
        total = sum(weights)
        if total <= 0:
            raise InvalidArgument.field("weights", "must have a positive sum")
        shares = [self.amount_minor * w // total for w in weights]
        remainders = sorted(range(len(weights)), key=lambda i: (self.amount_minor * weights[i]) % total, reverse=True)
        for i in remainders[: self.amount_minor - sum(shares)]:
            shares[i] += 1
        return [Money(s, self.currency) for s in shares]

    def __str__(self) -> str:
        sign = "-" if self.amount_minor < 0 else ""
        units, cents = divmod(abs(self.amount_minor), 100)
        return f"{sign}{units}.{cents:02d} {self.currency}"
