"""The result of a load run: figures and checks as JSON, a table on the terminal, an HTML page with a chart."""

from __future__ import annotations

import html
import json
import os
import platform
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tools.load.catalogue import Catalogue
from tools.load.checks import CheckResult
from tools.load.config import SCENARIOS, LoadConfig
from tools.load.driver import Traffic
from tools.load.scenarios import Attempt
from tools.load.stats import LatencySummary

RESULT_VERSION = 1


@dataclass
class LoadResult:
    """One run: what was asked, what happened, and whether the suite stayed correct."""

    config: LoadConfig
    catalogue: Catalogue
    traffic: Traffic
    checks: list[CheckResult]
    steps: dict[str, LatencySummary]
    sagas_sampled: int
    target: str
    verify_seconds: float = 0.0
    files: dict[str, str] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    def figures(self) -> dict[str, Any]:
        return summarise(self.traffic, self.config)

    def to_json(self, *, command: str = "") -> dict[str, Any]:
        config = self.config
        return {
            "version": RESULT_VERSION,
            "run_id": config.run_id,
            "command": command,
            "started_at": self.traffic.started_at.isoformat(),
            "target": self.target,
            "environment": environment(),
            "config": {
                "rate": config.rate,
                "duration_s": config.duration,
                "ramp_s": config.ramp,
                "ramp_steps": config.ramp_steps,
                "arrivals": config.arrivals,
                "max_in_flight": config.max_in_flight,
                "max_requests": config.max_requests,
                "mix": config.mix.describe(),
                "flash_units": config.flash_units,
                "timeout_s": config.timeout,
                "seed": config.seed,
            },
            "catalogue": self.catalogue.to_json(),
            "figures": self.figures(),
            "saga_steps": {
                "sampled": self.sagas_sampled,
                "steps": {name: s.to_json() for name, s in self.steps.items()},
            },
            "checks": [check.to_json() for check in self.checks],
            "passed": self.passed,
            "verify_seconds": round(self.verify_seconds, 3),
            "timeline": self.traffic.timeline.rows(),
        }


def environment() -> dict[str, Any]:
    """The machine and code a result was measured on."""
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "git_commit": commit,
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        # The machine may be shared (other people's tests): its load when the result was taken says how much.
        "load_average": [round(v, 2) for v in os.getloadavg()],
    }


def summarise(traffic: Traffic, config: LoadConfig) -> dict[str, Any]:
    """Throughput, latency and refusals of a run's traffic."""
    attempts = traffic.attempts
    outcomes = Counter(a.outcome for a in attempts)
    placements = [a for a in attempts if a.places_order]
    placed = sum(1 for a in placements if a.outcome == "ok")
    decided = outcomes["ok"] + outcomes["refused"]
    window = max(traffic.arrivals_ended, 1e-9)
    # Rates over the arrival window or until the last answer of the kind counted, whichever is longer: a
    # system that falls behind is not credited with answers it gave after the window, nor penalised for
    # the stragglers that only timed out.
    last_placed = max((a.finished for a in placements if a.outcome == "ok" and a.finished is not None), default=0.0)
    last_decided = max(
        (a.finished for a in attempts if a.outcome in ("ok", "refused") and a.finished is not None), default=0.0
    )
    refusals: Counter[str] = Counter()
    for attempt in attempts:
        if attempt.outcome not in ("ok", "pending"):
            refusals[f"{attempt.outcome}:{attempt.reason}"] += 1
    per_scenario = {}
    for scenario in SCENARIOS:
        mine = [a for a in attempts if a.scenario == scenario]
        if not mine:
            continue
        per_scenario[scenario] = {
            "arrivals": len(mine),
            "outcomes": dict(Counter(a.outcome for a in mine)),
            "latency": LatencySummary.of(a.latency for a in mine if a.latency is not None).to_json(),
        }
    return {
        "arrivals": len(attempts),
        "arrival_window_s": round(traffic.arrivals_ended, 3),
        "last_answer_s": round(traffic.ended, 3),
        "offered_per_s": round(len(attempts) / window, 2),
        "offered_orders_per_s": round(len(placements) / window, 2),
        "sent": len(attempts) - outcomes["not_sent"],
        "outcomes": dict(outcomes),
        "orders_placed": placed,
        "orders_per_s": round(placed / max(window, last_placed), 2),
        "decided_per_s": round(decided / max(window, last_decided), 2),
        "peak_in_flight": traffic.peak_in_flight,
        "late_sends": traffic.late_sends,
        "cancel_fallbacks": traffic.cancel_fallbacks,
        "client_errors": dict(traffic.client_errors),
        "end_to_end": LatencySummary.of(a.latency for a in attempts if a.latency is not None).to_json(),
        "end_to_end_placed": LatencySummary.of(
            a.latency for a in placements if a.outcome == "ok" and a.latency is not None
        ).to_json(),
        "scenarios": per_scenario,
        "refusals": dict(refusals.most_common()),
        "ingest": ingest_figures(attempts, window),
    }


def ingest_figures(attempts: list[Attempt], window: float) -> dict[str, Any]:
    """Channel ingest: records sent and what the hub made of them; ``orders_per_s`` counts new orders
    (CREATED) over the arrival window or until the last acknowledged batch, whichever is longer."""
    batches = [a for a in attempts if a.scenario == "ingest"]
    acked = [a for a in batches if a.outcome == "ok"]
    outcomes: Counter[str] = Counter(record.outcome for a in acked for record in a.ingested)
    last = max((a.finished for a in acked if a.finished is not None), default=0.0)
    return {
        "batches": len(batches),
        "batches_acknowledged": len(acked),
        "records_sent": sum(len(a.channel_order_ids) for a in batches if a.sent is not None),
        "duplicates_sent": sum(a.duplicates for a in batches if a.sent is not None),
        "outcomes": dict(outcomes),
        "orders_ingested": outcomes["CREATED"],
        "orders_per_s": round(outcomes["CREATED"] / max(window, last), 2) if batches else 0.0,
    }


def write_files(result: LoadResult, directory: Path, *, command: str = "") -> dict[str, str]:
    """``load-<run>.json`` and ``load-<run>.html`` in ``directory``; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = directory / f"load-{result.config.run_id}"
    data = result.to_json(command=command)
    json_path = stem.with_suffix(".json")
    json_path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    html_path = stem.with_suffix(".html")
    html_path.write_text(render_html(data), encoding="utf-8")
    result.files = {"json": str(json_path), "html": str(html_path)}
    return result.files


def print_report(result: LoadResult, console: Console) -> None:
    figures = result.figures()
    table = Table(title=f"oms load {result.config.run_id}: {result.config.mix.describe()}", title_justify="left")
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("arrivals (offered/s)", f"{figures['arrivals']} ({figures['offered_per_s']:,.1f}/s)")
    table.add_row("order arrivals offered/s", f"{figures['offered_orders_per_s']:,.1f}")
    table.add_row("orders placed (achieved/s)", f"{figures['orders_placed']} ({figures['orders_per_s']:,.1f}/s)")
    table.add_row("decided/s (placed or refused)", f"{figures['decided_per_s']:,.1f}")
    ingest = figures["ingest"]
    if ingest["batches"]:
        table.add_row("channel records sent (duplicates)", f"{ingest['records_sent']} ({ingest['duplicates_sent']})")
        table.add_row(
            "channel orders ingested (achieved/s)", f"{ingest['orders_ingested']} ({ingest['orders_per_s']:,.1f}/s)"
        )
    table.add_row("not sent (in-flight cap)", str(figures["outcomes"].get("not_sent", 0)))
    table.add_row("peak in flight", str(figures["peak_in_flight"]))
    console.print(table)

    latency = Table(title="latency from the scheduled time (ms)", title_justify="left")
    for column in ("what", "count", "p50", "p95", "p99", "max"):
        latency.add_column(column, justify="left" if column == "what" else "right")

    def row(name: str, summary: dict[str, Any]) -> None:
        latency.add_row(
            escape(name),
            str(summary["count"]),
            *(f"{summary[k]:,.1f}" for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms")),
        )

    row("end to end, every answer", figures["end_to_end"])
    row("end to end, orders placed", figures["end_to_end_placed"])
    for scenario, data in figures["scenarios"].items():
        row(f"  {scenario}", data["latency"])
    for name, summary in result.steps.items():
        row(f"step {name} (sample of {result.sagas_sampled})", summary.to_json())
    console.print(latency)

    if figures["refusals"]:
        refusals = Table(title="not placed, by reason", title_justify="left")
        refusals.add_column("outcome:reason")
        refusals.add_column("count", justify="right")
        for reason, count in figures["refusals"].items():
            refusals.add_row(escape(reason), str(count))
        console.print(refusals)

    checks = Table(title="correctness checks", title_justify="left")
    checks.add_column("check")
    checks.add_column("verdict")
    checks.add_column("detail", overflow="fold")
    for check in result.checks:
        verdict = "[green]PASS[/green]" if check.passed else "[bold red]FAIL[/bold red]"
        detail = escape(check.summary)
        if not check.passed and check.examples:
            detail += "\n" + "\n".join(escape(f"  {example}") for example in check.examples[:5])
        checks.add_row(escape(check.title), verdict, detail)
    console.print(checks)
    overall = "[green]all checks PASS[/green]" if result.passed else "[bold red]checks FAILED[/bold red]"
    console.print(overall)
    for kind, path in result.files.items():
        console.print(f"{kind:5} {escape(path)}", soft_wrap=True)


# The chart: two stacked panels sharing the time axis, drawn as plain SVG so the page needs nothing else.
_WIDTH, _PANEL, _LEFT, _RIGHT, _TOP, _GAP = 900, 220, 70, 20, 30, 60
_SERIES_COLOURS = {
    "offered": "#888888",
    "ok": "#2e7d32",
    "refused": "#ef6c00",
    "errors+not sent": "#c62828",
    "p50": "#1565c0",
    "p99": "#6a1b9a",
}


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** len(str(int(value))) / 10
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return value


def _panel(title: str, top: float, seconds: int, series: dict[str, list[float]], unit: str) -> list[str]:
    plot_width = _WIDTH - _LEFT - _RIGHT
    high = _nice_max(max((max(v) for v in series.values() if v), default=0.0))
    parts = [
        f'<text x="{_LEFT}" y="{top - 10}" class="title">{html.escape(title)}</text>',
        f'<rect x="{_LEFT}" y="{top}" width="{plot_width}" height="{_PANEL}" class="frame"/>',
    ]
    for i in range(5):
        value = high * i / 4
        y = top + _PANEL - _PANEL * i / 4
        parts.append(f'<line x1="{_LEFT}" x2="{_LEFT + plot_width}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" class="axis" text-anchor="end">{value:,.0f}{unit}</text>')
    span = max(seconds - 1, 1)
    for i in range(0, seconds, max(1, seconds // 10)):
        x = _LEFT + plot_width * i / span
        parts.append(f'<text x="{x:.1f}" y="{top + _PANEL + 16}" class="axis" text-anchor="middle">{i}s</text>')
    legend_x = _LEFT + 10
    for name, values in series.items():
        colour = _SERIES_COLOURS[name]
        points = " ".join(
            f"{_LEFT + plot_width * i / span:.1f},{top + _PANEL - _PANEL * min(v, high) / high:.1f}"
            for i, v in enumerate(values)
        )
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="1.6"/>')
        parts.append(f'<text x="{legend_x}" y="{top + 16}" fill="{colour}" class="legend">{html.escape(name)}</text>')
        legend_x += 14 + 8 * len(name)
    return parts


def render_svg(timeline: list[dict[str, Any]]) -> str:
    """Throughput (per second) and latency (p50, p99 of the answers in each second) over the run."""
    seconds = max(len(timeline), 1)
    throughput = {
        "offered": [row["offered"] for row in timeline],
        "ok": [row["ok"] for row in timeline],
        "refused": [row["refused"] for row in timeline],
        "errors+not sent": [row["errors"] + row["not_sent"] for row in timeline],
    }
    latency = {"p50": [row["p50_ms"] for row in timeline], "p99": [row["p99_ms"] for row in timeline]}
    height = _TOP + 2 * _PANEL + _GAP + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{height}" viewBox="0 0 {_WIDTH} {height}">',
        "<style>.frame{fill:#fff;stroke:#999}.grid{stroke:#eee}.axis{font:11px sans-serif;fill:#555}"
        ".title{font:bold 13px sans-serif}.legend{font:12px sans-serif}</style>",
        *_panel("throughput (per second)", _TOP, seconds, throughput, ""),
        *_panel("latency from the scheduled time", _TOP + _PANEL + _GAP, seconds, latency, " ms"),
        "</svg>",
    ]
    return "\n".join(parts)


def render_html(data: dict[str, Any]) -> str:
    """A self-contained page: the chart, the figures and the checks."""
    figures = data["figures"]
    rows = "".join(
        f'<tr><td>{html.escape(c["title"])}</td><td class="{c["verdict"].lower()}">{c["verdict"]}</td>'
        f"<td>{html.escape(c['summary'])}</td></tr>"
        for c in data["checks"]
    )
    latency_rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{s['count']}</td><td>{s['p50_ms']:,.1f}</td><td>{s['p95_ms']:,.1f}</td>"
        f"<td>{s['p99_ms']:,.1f}</td><td>{s['max_ms']:,.1f}</td></tr>"
        for name, s in [
            ("end to end, every answer", figures["end_to_end"]),
            ("end to end, orders placed", figures["end_to_end_placed"]),
            *((f"step {n}", s) for n, s in data["saga_steps"]["steps"].items()),
        ]
    )
    refusals = "".join(
        f"<tr><td>{html.escape(reason)}</td><td>{count}</td></tr>" for reason, count in figures["refusals"].items()
    )
    env = data["environment"]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>oms load {html.escape(data["run_id"])}</title>
<style>body{{font:14px sans-serif;margin:2em}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:3px 8px;text-align:left}}.pass{{color:#2e7d32;font-weight:bold}}
.fail{{color:#c62828;font-weight:bold}}</style></head><body>
<h1>oms load {html.escape(data["run_id"])}</h1>
<p>{html.escape(data["config"]["mix"])} at up to {data["config"]["rate"]:,.0f} arrivals/s for
{data["config"]["duration_s"]:g} s ({html.escape(data["config"]["arrivals"])} arrivals);
started {html.escape(data["started_at"])}; commit {html.escape(env["git_commit"][:12])},
{env["cores"]} cores, {env["memory_gb"]} GB, Python {html.escape(env["python"])}.</p>
<p>Offered {figures["offered_per_s"]:,.1f} arrivals/s ({figures["offered_orders_per_s"]:,.1f} orders/s);
placed {figures["orders_placed"]} orders ({figures["orders_per_s"]:,.1f}/s); decided {figures["decided_per_s"]:,.1f}/s;
ingested {figures["ingest"]["orders_ingested"]} channel orders ({figures["ingest"]["orders_per_s"]:,.1f}/s).
</p>
{render_svg(data["timeline"])}
<h2>Checks</h2><table><tr><th>check</th><th>verdict</th><th>detail</th></tr>{rows}</table>
<h2>Latency (ms, from the scheduled time)</h2>
<table><tr><th>what</th><th>count</th><th>p50</th><th>p95</th><th>p99</th><th>max</th></tr>{latency_rows}</table>
<h2>Not placed, by reason</h2><table><tr><th>outcome:reason</th><th>count</th></tr>{refusals}</table>
</body></html>
"""
