"""What one load run does: arrival rate and shape, scenario mix, limits; validated before anything is sent."""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass, field
from pathlib import Path

# Every scenario the tool can drive, in the order reports list them.
SCENARIOS: tuple[str, ...] = ("place", "cancel", "retry", "decline", "flash", "refund", "ingest")

# Channel ingest (``ingest``) is off by default: its marketplace orders are another kind of traffic.
DEFAULT_MIX = "place=76,cancel=8,refund=4,retry=6,decline=6"
ARRIVAL_PROCESSES = ("poisson", "uniform")
MAX_RATE = 100_000.0
MAX_DURATION = 24 * 3600.0


class LoadConfigError(ValueError):
    """A load option is invalid; ``field`` names the option and ``reason`` is stable for callers."""

    reason = "INVALID_ARGUMENT"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Mix:
    """Scenario weights; an arrival picks a scenario with probability weight / total."""

    weights: tuple[tuple[str, float], ...]

    @property
    def total(self) -> float:
        return sum(weight for _, weight in self.weights)

    def weight(self, scenario: str) -> float:
        return dict(self.weights).get(scenario, 0.0)

    def names(self) -> list[str]:
        return [name for name, weight in self.weights if weight > 0]

    def describe(self) -> str:
        return ",".join(f"{name}={weight:g}" for name, weight in self.weights if weight > 0)


def parse_mix(text: str) -> Mix:
    """``place=80,cancel=10,flash=10``: weights of the scenarios (any non-negative numbers, not all zero)."""
    weights: dict[str, float] = {}
    for index, part in enumerate(p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sep, raw = part.partition("=")
        name = name.strip().lower()
        where = f"mix[{index}]"
        if not sep:
            raise LoadConfigError(where, f"{part!r} is not NAME=WEIGHT")
        if name not in SCENARIOS:
            raise LoadConfigError(where, f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
        if name in weights:
            raise LoadConfigError(where, f"scenario {name!r} is given twice")
        try:
            weight = float(raw)
        except ValueError:
            raise LoadConfigError(where, f"weight {raw.strip()!r} is not a number") from None
        if not math.isfinite(weight) or weight < 0:
            raise LoadConfigError(where, "weight must be a finite number of 0 or more")
        weights[name] = weight
    if not weights or sum(weights.values()) <= 0:
        raise LoadConfigError("mix", "at least one scenario needs a positive weight")
    return Mix(tuple((name, weights[name]) for name in SCENARIOS if name in weights))


@dataclass(frozen=True)
class LoadConfig:
    """One run. ``rate`` is the peak arrival rate (arrivals/s); a ramp climbs to it in ``ramp_steps`` equal
    steps over ``ramp`` seconds, then holds it until ``duration`` seconds have passed."""

    rate: float = 50.0
    duration: float = 30.0
    ramp: float = 0.0
    ramp_steps: int = 5
    arrivals: str = "poisson"
    max_in_flight: int = 2_000
    max_requests: int | None = None
    mix: Mix = field(default_factory=lambda: parse_mix(DEFAULT_MIX))
    stock: int = 1_000_000
    flash_units: int = 1_000
    safety_stock: int = 10
    timeout: float = 30.0
    retry_copies: int = 3
    refund_minor: int = 1_000
    ingest_batch: int = 20
    ingest_duplicates: float = 0.2
    seed: int = 7
    saga_sample: int = 200
    settle_timeout: float = 60.0
    verify_concurrency: int = 32
    output_dir: Path | None = None
    run_id: str = field(default_factory=lambda: secrets.token_hex(4))

    def __post_init__(self) -> None:
        _finite_range("rate", self.rate, 0.0, MAX_RATE, low_open=True)
        _finite_range("duration", self.duration, 0.0, MAX_DURATION, low_open=True)
        _finite_range("ramp", self.ramp, 0.0, self.duration)
        _int_range("ramp_steps", self.ramp_steps, 1, 1_000)
        if self.arrivals not in ARRIVAL_PROCESSES:
            raise LoadConfigError("arrivals", f"must be one of {', '.join(ARRIVAL_PROCESSES)}")
        _int_range("max_in_flight", self.max_in_flight, 1, 1_000_000)
        if self.max_requests is not None:
            _int_range("max_requests", self.max_requests, 1, 100_000_000)
        _int_range("stock", self.stock, 1, 1_000_000_000)
        _int_range("flash_units", self.flash_units, 1, 1_000_000_000)
        _int_range("safety_stock", self.safety_stock, 0, 1_000_000)
        if self.safety_stock >= self.stock:
            raise LoadConfigError("safety_stock", "must be below stock")
        _finite_range("timeout", self.timeout, 0.0, 3_600.0, low_open=True)
        _int_range("retry_copies", self.retry_copies, 2, 20)
        _int_range("refund_minor", self.refund_minor, 1, 10**12)
        _int_range("ingest_batch", self.ingest_batch, 1, 5_000)
        _finite_range("ingest_duplicates", self.ingest_duplicates, 0.0, 0.9)
        _int_range("saga_sample", self.saga_sample, 0, 100_000)
        _finite_range("settle_timeout", self.settle_timeout, 0.0, 3_600.0)
        _int_range("verify_concurrency", self.verify_concurrency, 1, 1_000)
        if not (1 <= len(self.run_id) <= 16 and self.run_id.isascii() and self.run_id.isalnum()):
            raise LoadConfigError("run_id", "must be 1-16 ASCII letters or digits")

    @property
    def ramped(self) -> bool:
        return self.ramp > 0 and self.ramp_steps > 1


def _finite_range(name: str, value: float, low: float, high: float, *, low_open: bool = False) -> None:
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise LoadConfigError(name, "must be a finite number")
    if value < low or (low_open and value == low) or value > high:
        bound = f"above {low:g}" if low_open else f"at least {low:g}"
        raise LoadConfigError(name, f"must be {bound} and at most {high:g} (got {value:g})")


def _int_range(name: str, value: int, low: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise LoadConfigError(name, "must be a whole number")
    if not low <= value <= high:
        raise LoadConfigError(name, f"must be between {low} and {high} (got {value})")
