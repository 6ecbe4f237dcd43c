"""The peak-day benchmarks: the suite's own figures (saga throughput, latency at 300 orders/s, the flash sale)
beside the machine's limits measured in the same run, with CPU time per process to say where the time goes.

Runs on demand, never in the test suite. Starts its own stack on the embedded servers (as `oms up` does; or
on --database-url / --redis-url) unless --state-dir names a running one, and writes
benchmarks/results/<stamp>.json plus a section of benchmarks/results/RESULTS.md:

    .venv/bin/python -m benchmarks.suite --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import pstats
import secrets
import shlex
import signal
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from benchmarks.baseline import bare_order_transactions, empty_grpc_calls
from tools.load.config import LoadConfig, parse_mix
from tools.load.cpu import CpuMeter, cpu_used
from tools.load.driver import profile_of
from tools.load.report import LoadResult, environment, print_report, write_files
from tools.load.run import LoadRun
from tools.load.stats import LatencySummary
from tools.load.target import Credentials, Target, addresses_from_state, secret_of_stack
from tools.oms.stack import ServiceSpec, Stack, StackConfig, available_services, drop_databases, read_state

RESULTS = Path(__file__).resolve().parent / "results"
console = Console(highlight=False)


@dataclass(frozen=True)
class Scenario:
    """One measured load and the target it is held to."""

    name: str
    what: str
    config: LoadConfig
    figure: str  # the key of the measured figure in the scenario's record
    target: float | None  # None: measured for information (the knee)
    higher_is_better: bool


SCENARIOS = ("cost", "knee", "capacity", "latency", "flash")
# Groups of processes that make up the suite (the load generator and the machine total are not its cost).
NOT_THE_SUITE = frozenset({"load generator", "machine (all)"})


def scenarios(seconds: float, only: Iterable[str], knee_peak: float = 200.0) -> list[Scenario]:
    common = {"arrivals": "poisson", "settle_timeout": 180.0, "saga_sample": 300, "timeout": 30.0}
    everything = [
        Scenario(
            "cost",
            "place-order saga at 5 orders/s, well below saturation: CPU per order, and the ceiling it implies",
            LoadConfig(rate=5.0, duration=2 * seconds, mix=parse_mix("place=1"), **common),  # type: ignore[arg-type]
            "projected_ceiling_per_s",
            None,
            True,
        ),
        Scenario(
            "knee",
            f"place-order saga, stepped ramp to {knee_peak:g} orders/s: the best 5 s of placed orders/s",
            LoadConfig(
                rate=knee_peak,
                duration=2 * seconds,
                ramp=2 * seconds,
                ramp_steps=10,
                mix=parse_mix("place=1"),
                **common,  # type: ignore[arg-type]
            ),
            "peak_5s_ok_per_s",
            None,
            True,
        ),
        Scenario(
            "capacity",
            "place-order saga, 600 orders/s offered",
            LoadConfig(rate=600.0, duration=seconds, mix=parse_mix("place=1"), **common),  # type: ignore[arg-type]
            "orders_per_s",
            500.0,
            True,
        ),
        Scenario(
            "latency",
            "place-order saga, 300 orders/s offered: p99 end to end",
            LoadConfig(rate=300.0, duration=seconds, mix=parse_mix("place=1"), **common),  # type: ignore[arg-type]
            "p99_ms",
            100.0,
            False,
        ),
        Scenario(
            "flash",
            "flash sale: 10,000 buyers for 1,000 units, offered at 4,000/s",
            LoadConfig(
                rate=4_000.0,
                duration=10_000 / 4_000,
                max_requests=10_000,
                flash_units=1_000,
                mix=parse_mix("flash=1"),
                **common,  # type: ignore[arg-type]
            ),
            "decided_per_s",
            3_000.0,
            True,
        ),
    ]
    wanted = set(only)
    return [s for s in everything if s.name in wanted]


def scenario_record(scenario: Scenario, result: LoadResult, cpu: dict[str, float], wall: float) -> dict[str, Any]:
    figures = result.figures()
    measured = {
        "orders_per_s": figures["orders_per_s"],
        "decided_per_s": figures["decided_per_s"],
        "p99_ms": figures["end_to_end"]["p99_ms"],
        "peak_5s_ok_per_s": peak_window(result, 5),
    }
    placed = figures["orders_placed"]
    suite_cpu = sum(seconds for name, seconds in cpu.items() if name not in NOT_THE_SUITE)
    cpu_ms_per_order = {name: round(seconds * 1000 / placed, 2) for name, seconds in cpu.items()} if placed else {}
    # If CPU were the only limit, the machine's cores divided by the suite's CPU per order.
    measured["projected_ceiling_per_s"] = round((os.cpu_count() or 1) * placed / suite_cpu, 1) if suite_cpu else 0.0
    value = measured[scenario.figure]
    met: bool | None = None
    if scenario.target is not None:
        met = value >= scenario.target if scenario.higher_is_better else value <= scenario.target
    return {
        "what": scenario.what,
        "run_id": result.config.run_id,
        "target": {"figure": scenario.figure, "target": scenario.target, "measured": value, "met": met},
        "offered_per_s": figures["offered_per_s"],
        "orders_per_s": figures["orders_per_s"],
        "decided_per_s": figures["decided_per_s"],
        "peak_5s_ok_per_s": measured["peak_5s_ok_per_s"],
        "steps": step_table(result),
        "end_to_end": figures["end_to_end"],
        "end_to_end_placed": figures["end_to_end_placed"],
        "outcomes": figures["outcomes"],
        "refusals": figures["refusals"],
        "saga_steps": {name: s.to_json() for name, s in result.steps.items()},
        "checks": {check.name: check.verdict for check in result.checks},
        "cpu_seconds": {name: round(seconds, 2) for name, seconds in cpu.items()},
        "cores_busy": {name: round(seconds / wall, 2) for name, seconds in cpu.items()},
        "cpu_ms_per_order": cpu_ms_per_order,
        "projected_ceiling_per_s": measured["projected_ceiling_per_s"],
        "drive_wall_s": round(wall, 2),
        "files": result.files,
    }


def step_table(result: LoadResult) -> list[dict[str, float]]:
    """Per step of a ramp: offered and placed per second and the p99 of the answers in that step."""
    segments = profile_of(result.config).segments()
    rows = []
    for segment in segments:
        inside = [a for a in result.traffic.attempts if segment.start <= a.due < segment.end]
        latencies = [a.latency for a in inside if a.latency is not None]
        width = segment.end - segment.start
        rows.append(
            {
                "from_s": round(segment.start, 2),
                "offered_per_s": round(len(inside) / width, 1),
                "placed_per_s": round(sum(1 for a in inside if a.outcome == "ok") / width, 1),
                "not_sent": sum(1 for a in inside if a.outcome == "not_sent"),
                "p50_ms": round(LatencySummary.of(latencies).p50 * 1000, 1),
                "p99_ms": round(LatencySummary.of(latencies).p99 * 1000, 1),
            }
        )
    return rows


def peak_window(result: LoadResult, width: int) -> float:
    """The best ``width``-second stretch of answered-ok per second (the sustained peak of a run)."""
    ok = [row["ok"] for row in result.traffic.timeline.rows()]
    if len(ok) < width:
        return float(sum(ok)) / max(len(ok), 1)
    return max(sum(ok[i : i + width]) / width for i in range(len(ok) - width + 1))


def signal_profiled(pids: Iterable[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


async def run_scenario(
    target: Target,
    scenario: Scenario,
    services: Mapping[str, int],
    output: Path,
    *,
    profiled: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    console.rule(f"{scenario.name}: {scenario.what}")
    run = LoadRun(scenario.config, target, console=console, say=lambda m: console.print(f"  {m}", soft_wrap=True))
    await run.prepare()
    meter = CpuMeter(services)
    signal_profiled((profiled or {}).values(), signal.SIGUSR1)
    before, started = meter.reading(), time.monotonic()
    await run.drive()
    wall = time.monotonic() - started
    cpu = cpu_used(before, meter.reading())
    signal_profiled((profiled or {}).values(), signal.SIGUSR2)
    result = await run.verify()
    write_files(result, output, command=f"benchmarks.suite scenario {scenario.name}")
    print_report(result, console)
    return scenario_record(scenario, result, cpu, wall)


def ratios(baseline: Mapping[str, Any], records: Mapping[str, Any]) -> dict[str, float]:
    """The suite's figures over the machine's: how much of the ceiling each figure reaches."""
    bare = baseline.get("bare_order_transaction", {})
    empty = baseline.get("empty_grpc_call", {})
    found: dict[str, float] = {}
    for name, record in records.items():
        if bare.get("per_s"):
            found[f"{name}: orders/s / bare order transactions/s"] = round(record["orders_per_s"] / bare["per_s"], 4)
            found[f"{name}: decided/s / bare order transactions/s"] = round(record["decided_per_s"] / bare["per_s"], 4)
        if empty.get("per_s"):
            found[f"{name}: decided/s / empty gRPC calls/s"] = round(record["decided_per_s"] / empty["per_s"], 4)
        if empty.get("latency", {}).get("p50_ms"):
            found[f"{name}: p50 end to end / empty gRPC p50"] = round(
                record["end_to_end"]["p50_ms"] / empty["latency"]["p50_ms"], 1
            )
    return found


PROJECT_ROOT = Path(__file__).resolve().parent.parent


def package_of(filename: str) -> str:
    """Where a profiled function lives: a third-party package, a part of the project, or the standard library."""
    if filename == "~":
        return "builtin"
    path = Path(filename)
    parts = path.parts
    if "site-packages" in parts:
        name = parts[parts.index("site-packages") + 1]
        return name.removesuffix(".py").split("-")[0]
    if path.is_relative_to(PROJECT_ROOT):
        relative = path.relative_to(PROJECT_ROOT).parts
        if relative[0] == "services" and len(relative) > 2:
            return f"services.{relative[1]}"
        return relative[0]
    return "asyncio" if "asyncio" in parts else "stdlib"


def own_time_by_package(stats: pstats.Stats) -> dict[str, float]:
    """Own CPU time per package; a built-in function's time goes to the packages that called it."""
    totals: dict[str, float] = {}
    for (filename, _, _), (_, _, own, _, callers) in stats.stats.items():  # type: ignore[attr-defined]
        package = package_of(filename)
        if package == "builtin" and callers:
            called_for = sum(entry[2] for entry in callers.values()) or 1.0
            for (caller_file, _, _), entry in callers.items():
                share = package_of(caller_file)
                totals[share] = totals.get(share, 0.0) + own * entry[2] / called_for
        else:
            totals[package] = totals.get(package, 0.0) + own
    return dict(sorted(totals.items(), key=lambda item: -item[1]))


def profile_summary(state_dir: Path, top: int = 25) -> dict[str, dict[str, Any]]:
    """For each service that ran under benchmarks.profiled: its CPU time by package, and its heaviest
    functions by own CPU time."""
    summaries: dict[str, dict[str, Any]] = {}
    for path in sorted(state_dir.glob("profile-*.pstats")):
        stats = pstats.Stats(str(path))
        total = sum(entry[2] for entry in stats.stats.values()) or 1.0  # type: ignore[attr-defined]
        packages = {name: round(seconds / total, 3) for name, seconds in own_time_by_package(stats).items()}
        rows = []
        ranked = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)  # type: ignore[attr-defined]
        for (filename, line, function), (_, calls, own, cumulative, _) in ranked[:top]:
            where = f"{'/'.join(Path(filename).parts[-2:])}:{line}({function})" if line else function
            rows.append(f"{own / total:6.1%} own {own:8.2f}s cum {cumulative:8.2f}s calls {calls:>9} {where}")
        summaries[path.stem.removeprefix("profile-")] = {
            "cpu_seconds": round(total, 2),
            "by_package": packages,
            "functions": rows,
        }
    return summaries


def markdown(record: Mapping[str, Any]) -> str:
    env = record["environment"]
    lines = [
        f"### {record['started_at']} (commit {env['git_commit'][:12]})",
        "",
        f"- command: `{record['command']}`",
        f"- machine: {env['cores']} cores, {env['memory_gb']} GB, Python {env['python']}, {env['platform']};"
        f" load average at the start {env['load_average']}",
        f"- stack: {record['stack']}; load generator on the same machine",
        "",
        "| scenario | target | measured | met | offered/s | orders/s | decided/s | p50 ms | p99 ms | checks |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, s in record["scenarios"].items():
        target = s["target"]
        sign = ">=" if target["figure"] != "p99_ms" else "<="
        wanted = f"{target['figure']} {sign} {target['target']:g}" if target["target"] is not None else target["figure"]
        met = "-" if target["met"] is None else ("yes" if target["met"] else "**no**")
        checks = (
            "all PASS"
            if set(s["checks"].values()) == {"PASS"}
            else ", ".join(f"{k} {v}" for k, v in s["checks"].items() if v != "PASS")
        )
        lines.append(
            f"| {name} | {wanted} | {target['measured']:g} |"
            f" {met} | {s['offered_per_s']:g} | {s['orders_per_s']:g} |"
            f" {s['decided_per_s']:g} | {s['end_to_end']['p50_ms']:g} | {s['end_to_end']['p99_ms']:g} | {checks} |"
        )
    baseline = record.get("baseline") or {}
    if baseline:
        lines += ["", "Machine limits measured in the same run (closed loop, 16 workers):", ""]
        for name, b in baseline.items():
            lines.append(
                f"- {name}: {b['per_s']:g}/s, p50 {b['latency']['p50_ms']:g} ms, p99 {b['latency']['p99_ms']:g} ms"
            )
    if record.get("ratios"):
        lines += ["", "Ratios (suite / machine):", ""]
        lines += [f"- {name}: {value:g}" for name, value in record["ratios"].items()]
    for name, s in record["scenarios"].items():
        busy = ", ".join(f"{k} {v:g}" for k, v in sorted(s["cores_busy"].items(), key=lambda kv: -kv[1]))
        lines += ["", f"Cores busy during `{name}` ({s['drive_wall_s']:g} s): {busy}"]
        steps = ", ".join(f"{k} p50 {v['p50_ms']:g}/p99 {v['p99_ms']:g}" for k, v in s["saga_steps"].items())
        lines += [f"Saga steps (ms) during `{name}`: {steps}"]
        if name == "cost" and s["cpu_ms_per_order"]:
            per_order = ", ".join(f"{k} {v:g}" for k, v in sorted(s["cpu_ms_per_order"].items(), key=lambda kv: -kv[1]))
            lines += [
                f"CPU ms per placed order during `cost`: {per_order};"
                f" ceiling if CPU were the only limit: {s['projected_ceiling_per_s']:g} orders/s"
            ]
        if len(s["steps"]) > 1:
            lines += ["", "| from s | offered/s | placed/s | not sent | p50 ms | p99 ms |", "|---|---|---|---|---|---|"]
            lines += [
                f"| {r['from_s']:g} | {r['offered_per_s']:g} | {r['placed_per_s']:g} | {r['not_sent']} |"
                f" {r['p50_ms']:g} | {r['p99_ms']:g} |"
                for r in s["steps"]
            ]
    if record.get("profile"):
        lines += ["", "CPU time of the profiled services in the measured window, by package (cProfile, CPU clock):", ""]
        for service, profile in record["profile"].items():
            shares = ", ".join(f"{n} {v:.0%}" for n, v in profile["by_package"].items() if v >= 0.02)
            lines.append(f"- {service} ({profile['cpu_seconds']:g} CPU s): {shares}")
    lines.append("")
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    chosen = scenarios(args.seconds, args.scenario or SCENARIOS, args.knee_peak)
    stack: Stack | None = None
    state_dir: Path = args.work_dir
    prefix = f"oms_bench_{secrets.token_hex(3)}_"
    if args.state_dir:
        addresses = addresses_from_state(args.state_dir)
        state = read_state(args.state_dir) or {}
        services = {n: e["pid"] for n, e in (state.get("services") or {}).items() if e.get("pid")}
        admin_url = args.database_url
        secret = secret_of_stack(args.state_dir)
        described = f"running stack in {args.state_dir}"
    else:
        specs = None
        if args.profile:
            specs = tuple(
                ServiceSpec(s.name, "benchmarks.profiled" if s.name in args.profile else "")
                for s in available_services()
            )
        config = StackConfig(
            state_dir=state_dir,
            database_url=args.database_url,
            redis_url=args.redis_url,
            database_prefix=prefix,
            stream_prefix=prefix.rstrip("_"),
            services=specs,
            extra_env=dict(item.split("=", 1) for item in args.service_env),
            owner_command="benchmarks.suite",
            stop_timeout=60.0,
        )
        console.print(f"starting a stack in {state_dir}")
        stack = await Stack.start(config, progress=lambda m: console.print(f"  {m}"))
        addresses = {name: s.grpc_address for name, s in stack.services.items()}
        services = {name: s.pid for name, s in stack.services.items() if s.pid is not None}
        admin_url = stack.database_url
        secret = stack.auth_secret
        described = f"own stack ({', '.join(addresses)}), services as shipped"
        if args.service_env:
            described += f" but for {', '.join(args.service_env)}"
        if args.profile:
            described += f", under cProfile: {', '.join(args.profile)}"
    record: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": shlex.join([Path(sys.executable).name, "-m", "benchmarks.suite", *sys.argv[1:]]),
        "environment": environment(),
        "stack": described,
        "baseline": {},
        "scenarios": {},
    }
    target = Target(addresses, Credentials(secret))
    try:
        if not args.skip_baseline and admin_url:
            console.rule("machine limits")
            record["baseline"]["bare_order_transaction"] = await bare_order_transactions(
                admin_url, seconds=args.baseline_seconds, concurrency=16
            )
            record["baseline"]["empty_grpc_call"] = await empty_grpc_calls(
                seconds=args.baseline_seconds, concurrency=16
            )
            console.print(json.dumps(record["baseline"], indent=2))
        for scenario in chosen:
            profiled = {name: pid for name, pid in services.items() if name in args.profile}
            record["scenarios"][scenario.name] = await run_scenario(
                target, scenario, services, state_dir / "load", profiled=profiled
            )
    finally:
        await target.close()
        if stack is not None:
            await stack.stop()
            if args.database_url:  # an embedded cluster went with the stack; a shared server keeps its databases
                await drop_databases(args.database_url, [s.database for s in stack.services.values()])
    record["ratios"] = ratios(record["baseline"], record["scenarios"])
    if args.profile:
        record["profile"] = profile_summary(state_dir)
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="Seconds of arrivals per scenario.")
    parser.add_argument("--scenario", action="append", choices=SCENARIOS, help="Only this one (repeatable).")
    parser.add_argument("--knee-peak", type=float, default=200.0, help="Peak of the knee scenario's ramp.")
    parser.add_argument("--state-dir", type=Path, help="Drive the stack `oms up` runs there instead of starting one.")
    parser.add_argument("--database-url", help="PostgreSQL for the stack [default: embedded, as `oms up`].")
    parser.add_argument("--redis-url", help="Redis for the stack [default: embedded].")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--baseline-seconds", type=float, default=10.0)
    parser.add_argument(
        "--profile",
        action="append",
        default=[],
        help="Run this service under cProfile while each scenario drives (repeatable; slows it; run one scenario).",
    )
    parser.add_argument(
        "--service-env",
        action="append",
        default=[],
        metavar="OMS_NAME=VALUE",
        help="A setting of every service of the stack it starts (repeatable), e.g. OMS_TRACE_SAMPLE_RATIO=0.01.",
    )
    parser.add_argument("--no-record", action="store_true", help="Do not write benchmarks/results/.")
    args = parser.parse_args()
    if any("=" not in item or not item.startswith("OMS_") for item in args.service_env):
        parser.error("--service-env takes OMS_NAME=VALUE")
    # The embedded PostgreSQL runs as "nobody" under root, so the stack's directory must be enterable by others.
    args.work_dir = Path(tempfile.mkdtemp(prefix="oms-bench-"))
    args.work_dir.chmod(0o755)
    record = asyncio.run(main_async(args))
    text = markdown(record)
    console.print(text)
    if args.profile:
        for service, profile in record["profile"].items():
            packages = ", ".join(
                f"{name} {share:.0%}" for name, share in profile["by_package"].items() if share >= 0.01
            )
            console.print(f"\nprofile of {service}: {profile['cpu_seconds']} CPU s; by package: {packages}")
            console.print("\n".join(profile["functions"]), soft_wrap=True)
    if not args.no_record:
        RESULTS.mkdir(parents=True, exist_ok=True)
        stamp = record["started_at"].replace(":", "").replace("+0000", "Z")
        (RESULTS / f"{stamp}.json").write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", "utf-8")
        results_md = RESULTS / "RESULTS.md"
        if not results_md.exists():
            results_md.write_text("# Benchmark results\n\n## Runs\n\n")
        with results_md.open("a", encoding="utf-8") as handle:
            handle.write(text + "\n")


if __name__ == "__main__":
    main()
