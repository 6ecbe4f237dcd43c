"""The peak-day benchmarks: the suite's own figures (saga throughput, latency at 300 orders/s, the flash sale)
beside the machine's limits measured in the same run, with CPU time per process to say where the time goes.

Runs on demand, never in the test suite. Starts its own stack (on OMS_TEST_DATABASE_URL / OMS_TEST_REDIS_URL
when set, else the embedded servers) unless --state-dir names a running one, and writes
benchmarks/results/<stamp>.json plus a section of benchmarks/results/RESULTS.md:

    OMS_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
    OMS_TEST_REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python -m benchmarks.suite --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pstats
import secrets
import shlex
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
from rich.console import Console

from benchmarks.baseline import bare_order_transactions, empty_grpc_calls
from tools.load.config import LoadConfig, parse_mix
from tools.load.report import LoadResult, environment, print_report, write_files
from tools.load.run import LoadRun
from tools.load.target import Target, addresses_from_state
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
    target: float
    higher_is_better: bool


def scenarios(seconds: float, only: Iterable[str]) -> list[Scenario]:
    common = {"arrivals": "poisson", "settle_timeout": 180.0, "saga_sample": 300, "timeout": 30.0}
    everything = [
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


class CpuMeter:
    """CPU seconds used by groups of processes between two readings (processes that end are dropped)."""

    def __init__(self, groups: Mapping[str, list[psutil.Process]]) -> None:
        self.groups = groups

    def reading(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for name, processes in self.groups.items():
            total = 0.0
            for process in processes:
                try:
                    times = process.cpu_times()
                    total += times.user + times.system
                except psutil.Error:
                    continue
            totals[name] = total
        return totals


def process_groups(service_pids: Mapping[str, int]) -> dict[str, list[psutil.Process]]:
    """Each service (with its children), PostgreSQL and Redis (every such process on the machine: others'
    use of them shows up here too), and this process, which generates the load."""
    groups: dict[str, list[psutil.Process]] = {}
    for name, pid in service_pids.items():
        try:
            leader = psutil.Process(pid)
            groups[name] = [leader, *leader.children(recursive=True)]
        except psutil.Error:
            continue
    postgres, redis = [], []
    for process in psutil.process_iter(["name"]):
        process_name = process.info.get("name") or ""
        if process_name.startswith("postgres"):
            postgres.append(process)
        elif process_name.startswith("redis-server"):
            redis.append(process)
    groups["postgres (all)"] = postgres
    groups["redis (all)"] = redis
    groups["load generator"] = [psutil.Process(os.getpid())]
    return groups


def scenario_record(scenario: Scenario, result: LoadResult, cpu: dict[str, float], wall: float) -> dict[str, Any]:
    figures = result.figures()
    measured = {
        "orders_per_s": figures["orders_per_s"],
        "decided_per_s": figures["decided_per_s"],
        "p99_ms": figures["end_to_end"]["p99_ms"],
    }
    value = measured[scenario.figure]
    met = value >= scenario.target if scenario.higher_is_better else value <= scenario.target
    return {
        "what": scenario.what,
        "run_id": result.config.run_id,
        "target": {"figure": scenario.figure, "target": scenario.target, "measured": value, "met": met},
        "offered_per_s": figures["offered_per_s"],
        "orders_per_s": figures["orders_per_s"],
        "decided_per_s": figures["decided_per_s"],
        "peak_5s_ok_per_s": peak_window(result, 5),
        "end_to_end": figures["end_to_end"],
        "end_to_end_placed": figures["end_to_end_placed"],
        "outcomes": figures["outcomes"],
        "refusals": figures["refusals"],
        "saga_steps": {name: s.to_json() for name, s in result.steps.items()},
        "checks": {check.name: check.verdict for check in result.checks},
        "cpu_seconds": {name: round(seconds, 2) for name, seconds in cpu.items()},
        "cores_busy": {name: round(seconds / wall, 2) for name, seconds in cpu.items()},
        "drive_wall_s": round(wall, 2),
        "files": result.files,
    }


def peak_window(result: LoadResult, width: int) -> float:
    """The best ``width``-second stretch of answered-ok per second (the sustained peak of a run)."""
    ok = [row["ok"] for row in result.traffic.timeline.rows()]
    if len(ok) < width:
        return float(sum(ok)) / max(len(ok), 1)
    return max(sum(ok[i : i + width]) / width for i in range(len(ok) - width + 1))


async def run_scenario(target: Target, scenario: Scenario, services: Mapping[str, int], output: Path) -> dict[str, Any]:
    console.rule(f"{scenario.name}: {scenario.what}")
    run = LoadRun(scenario.config, target, console=console, say=lambda m: console.print(f"  {m}", soft_wrap=True))
    await run.prepare()
    meter = CpuMeter(process_groups(services))
    before, started = meter.reading(), time.monotonic()
    await run.drive()
    wall = time.monotonic() - started
    after = meter.reading()
    result = await run.verify()
    write_files(result, output, command=f"benchmarks.suite scenario {scenario.name}")
    print_report(result, console)
    cpu = {name: after[name] - before.get(name, 0.0) for name in after}
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


def profile_summary(state_dir: Path, top: int = 25) -> dict[str, list[str]]:
    """The heaviest functions (own time) of each service that ran under benchmarks.profiled."""
    summaries: dict[str, list[str]] = {}
    for path in sorted(state_dir.glob("profile-*.pstats")):
        stats = pstats.Stats(str(path))
        rows = []
        total = sum(entry[2] for entry in stats.stats.values())  # type: ignore[attr-defined]
        ranked = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)  # type: ignore[attr-defined]
        for (filename, line, function), (_, calls, own, cumulative, _) in ranked[:top]:
            where = f"{Path(filename).name}:{line}({function})" if line else function
            rows.append(f"{own / total:6.1%} own {own:8.2f}s cum {cumulative:8.2f}s calls {calls:>9} {where}")
        summaries[path.stem.removeprefix("profile-")] = rows
    return summaries


def markdown(record: Mapping[str, Any]) -> str:
    env = record["environment"]
    lines = [
        f"## {record['started_at']} (commit {env['git_commit'][:12]})",
        "",
        f"- command: `{record['command']}`",
        f"- machine: {env['cores']} cores, {env['memory_gb']} GB, Python {env['python']}, {env['platform']}",
        f"- stack: {record['stack']}; load generator on the same machine",
        "",
        "| scenario | target | measured | met | offered/s | orders/s | decided/s | p50 ms | p99 ms | checks |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, s in record["scenarios"].items():
        target = s["target"]
        sign = ">=" if target["figure"] != "p99_ms" else "<="
        checks = (
            "all PASS"
            if set(s["checks"].values()) == {"PASS"}
            else ", ".join(f"{k} {v}" for k, v in s["checks"].items() if v != "PASS")
        )
        lines.append(
            f"| {name} | {target['figure']} {sign} {target['target']:g} | {target['measured']:g} |"
            f" {'yes' if target['met'] else '**no**'} | {s['offered_per_s']:g} | {s['orders_per_s']:g} |"
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
    lines.append("")
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    chosen = scenarios(args.seconds, args.scenario or ("capacity", "latency", "flash"))
    stack: Stack | None = None
    state_dir: Path = args.work_dir
    prefix = f"oms_bench_{secrets.token_hex(3)}_"
    if args.state_dir:
        addresses = addresses_from_state(args.state_dir)
        state = read_state(args.state_dir) or {}
        services = {n: e["pid"] for n, e in (state.get("services") or {}).items() if e.get("pid")}
        admin_url = args.database_url
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
            owner_command="benchmarks.suite",
            stop_timeout=60.0,
        )
        console.print(f"starting a stack in {state_dir}")
        stack = await Stack.start(config, progress=lambda m: console.print(f"  {m}"))
        addresses = {name: s.grpc_address for name, s in stack.services.items()}
        services = {name: s.pid for name, s in stack.services.items() if s.pid is not None}
        admin_url = stack.database_url
        described = f"own stack ({', '.join(addresses)}), services as shipped"
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
    target = Target(addresses)
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
            record["scenarios"][scenario.name] = await run_scenario(target, scenario, services, state_dir / "load")
    finally:
        await target.close()
        if stack is not None:
            await stack.stop()
            if admin_url:
                await drop_databases(admin_url, [s.database for s in stack.services.values()])
    record["ratios"] = ratios(record["baseline"], record["scenarios"])
    if args.profile:
        record["profile"] = profile_summary(state_dir)
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="Seconds of arrivals per scenario.")
    parser.add_argument("--scenario", action="append", choices=("capacity", "latency", "flash"))
    parser.add_argument("--state-dir", type=Path, help="Drive the stack `oms up` runs there instead of starting one.")
    parser.add_argument("--database-url", default=os.environ.get("OMS_TEST_DATABASE_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("OMS_TEST_REDIS_URL"))
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--baseline-seconds", type=float, default=10.0)
    parser.add_argument(
        "--profile", action="append", default=[], help="Run this service under cProfile (repeatable; slows it)."
    )
    parser.add_argument("--no-record", action="store_true", help="Do not write benchmarks/results/.")
    args = parser.parse_args()
    # The embedded PostgreSQL runs as "nobody" under root, so the stack's directory must be enterable by others.
    args.work_dir = Path(tempfile.mkdtemp(prefix="oms-bench-"))
    args.work_dir.chmod(0o755)
    record = asyncio.run(main_async(args))
    text = markdown(record)
    console.print(text)
    if args.profile:
        for service, rows in record["profile"].items():
            console.print(f"\nprofile of {service} (own time):\n" + "\n".join(rows))
    if not args.no_record:
        RESULTS.mkdir(parents=True, exist_ok=True)
        stamp = record["started_at"].replace(":", "").replace("+0000", "Z")
        (RESULTS / f"{stamp}.json").write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", "utf-8")
        results_md = RESULTS / "RESULTS.md"
        if not results_md.exists():
            results_md.write_text("# Benchmark results\n\nNewest last; see README.md beside it for the analysis.\n\n")
        with results_md.open("a", encoding="utf-8") as handle:
            handle.write(text + "\n")


if __name__ == "__main__":
    main()
