"""The consistency report: the verdicts of a window's orders, the consistency component of the order health
index, a terminal rendering (summary table and one line per difference) and the full JSON form."""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, write_to_textfile
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from shared.metrics import HEALTH_INDEX, HEALTH_TARGETS, HealthIndex
from tools.reconcile.rules import Difference, Policy, Verdict, describe

CROSS_SYSTEM = "cross_system_consistency"
REPORT_VERSION = 1
# The terminal lists every difference; in-flight and unreadable orders beyond this are left to --json.
LISTED_ASIDE = 50


@dataclass(frozen=True)
class Unchecked:
    order_id: str
    error: str


@dataclass
class Report:
    since: datetime
    until: datetime
    generated_at: datetime
    policy: Policy = field(default_factory=Policy)
    orders_listed: int = 0
    judged: int = 0
    consistent: int = 0
    differences: list[tuple[str, Difference]] = field(default_factory=list)
    in_flight: list[tuple[str, str, str]] = field(default_factory=list)
    unchecked: list[Unchecked] = field(default_factory=list)

    def add(self, verdict: Verdict) -> None:
        self.orders_listed += 1
        if verdict.in_flight is not None:
            self.in_flight.append((verdict.order_id, verdict.status, verdict.in_flight))
            return
        self.judged += 1
        self.consistent += not verdict.differences
        self.differences.extend((verdict.status, d) for d in verdict.differences)

    def add_unchecked(self, order_id: str, error: str) -> None:
        self.orders_listed += 1
        self.unchecked.append(Unchecked(order_id, error))

    @property
    def health(self) -> HealthIndex:
        """The cross-system consistency component: the share of judged orders without any difference."""
        return HealthIndex.measure(
            step_times={},
            exceptions_due=0,
            exceptions_closed_in_time=0,
            orders_checked=self.judged,
            orders_consistent=self.consistent,
        )

    @property
    def orders_with_differences(self) -> int:
        return self.judged - self.consistent

    def by_rule(self) -> Counter[str]:
        """How many orders each rule found a difference in."""
        return Counter(rule for _, rule in {(d.order_id, d.rule) for _, d in self.differences})

    def to_json(self) -> dict[str, Any]:
        health = self.health
        return {
            "version": REPORT_VERSION,
            "generated_at": self.generated_at.isoformat(),
            "window": {"created_since": self.since.isoformat(), "created_until": self.until.isoformat()},
            "stuck_after_seconds": self.policy.stuck_after.total_seconds(),
            "orders": {
                "listed": self.orders_listed,
                "judged": self.judged,
                "consistent": self.consistent,
                "with_differences": self.orders_with_differences,
                "in_flight": len(self.in_flight),
                "unchecked": len(self.unchecked),
            },
            "health_index": {
                CROSS_SYSTEM: health.cross_system_consistency,
                "target": HEALTH_TARGETS[CROSS_SYSTEM][1],
                "met": health.within_targets().get(CROSS_SYSTEM),
            },
            "rules": describe(),
            "differences_by_rule": dict(sorted(self.by_rule().items())),
            "differences": [
                {"order_id": d.order_id, "order_status": status, "rule": d.rule, "found": d.found, "cause": d.cause}
                for status, d in self.differences
            ],
            "in_flight": [
                {"order_id": order_id, "order_status": status, "why": why} for order_id, status, why in self.in_flight
            ],
            "unchecked": [{"order_id": u.order_id, "error": u.error} for u in self.unchecked],
        }

    def write_json(self, path: Path) -> None:
        """Write the full report, replacing ``path`` at once (a reader never sees half a report)."""
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            temporary.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            temporary.replace(path)
        finally:
            temporary.unlink(missing_ok=True)

    def publish(self, textfile: Path | None = None) -> None:
        """Set the health index gauge of this process and, given a path, write it in the Prometheus text
        format for a node exporter's textfile collector (a one-shot command has no endpoint to scrape)."""
        health = self.health
        health.publish()
        if textfile is not None:
            registry = CollectorRegistry()
            (metric,) = HEALTH_INDEX.describe()
            gauge = Gauge(metric.name, metric.documentation, ["component"], registry=registry)
            health.publish(gauge)
            write_to_textfile(str(textfile), registry)

    def render(self, console: Console) -> None:
        summary = Table(title="Consistency report", title_justify="left", show_header=False)
        summary.add_column("what")
        summary.add_column("count", justify="right")
        summary.add_row("orders created since", self.since.isoformat(timespec="seconds"))
        summary.add_row("and before", self.until.isoformat(timespec="seconds"))
        summary.add_row("orders in the window", str(self.orders_listed))
        summary.add_row("judged", str(self.judged))
        summary.add_row("consistent", str(self.consistent))
        summary.add_row("with differences", _red(str(self.orders_with_differences), self.orders_with_differences))
        summary.add_row("differences", _red(str(len(self.differences)), len(self.differences)))
        summary.add_row("in flight (not judged)", str(len(self.in_flight)))
        summary.add_row("could not be read", _red(str(len(self.unchecked)), len(self.unchecked)))
        value = self.health.cross_system_consistency
        met = self.health.within_targets().get(CROSS_SYSTEM, True)
        shown = "n/a (no order judged)" if value is None else f"{value:.2%}"
        target = HEALTH_TARGETS[CROSS_SYSTEM][1]
        summary.add_row("cross-system consistency", f"{'[green]' if met else '[red]'}{shown}[/] (target {target:.0%})")
        console.print(summary)
        if self.differences:
            rules = describe()
            table = Table(title="Differences by rule", title_justify="left")
            for column in ("rule", "orders", "what it demands"):
                table.add_column(column, overflow="fold")
            for rule, count in sorted(self.by_rule().items()):
                table.add_row(rule, str(count), escape(rules.get(rule, "")))
            console.print(table)
            for status, d in self.differences:
                console.print(
                    f"[red]DIFFERENCE[/red] order {d.order_id} ({status}) [bold]{d.rule}[/bold]: "
                    f"{escape(d.found)}; likely cause: {escape(d.cause)}",
                    soft_wrap=True,
                )
        for order_id, status, why in self.in_flight[:LISTED_ASIDE]:
            console.print(f"in flight: order {order_id} ({status}): {escape(why)}", soft_wrap=True)
        for unchecked in self.unchecked[:LISTED_ASIDE]:
            console.print(f"[red]NOT READ[/red] order {unchecked.order_id}: {escape(unchecked.error)}", soft_wrap=True)
        aside = max(0, len(self.in_flight) - LISTED_ASIDE) + max(0, len(self.unchecked) - LISTED_ASIDE)
        if aside:
            console.print(f"... and {aside} more in flight or not read (the --json report lists every one)")


def _red(text: str, count: int) -> str:
    return f"[red]{text}[/red]" if count else text
