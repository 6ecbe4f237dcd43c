"""The ``oms`` command: run the whole suite locally (up, down, status) and a demo that exercises it."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from shared.auth import ROLES, Principal, TokenAuthority
from shared.embedded import EmbeddedServerError, default_state_dir, redact_url
from shared.kernel.ids import new_id
from tools.load.cli import load_command
from tools.oms import audit as audit_tools
from tools.oms.demo import CATALOGUE, run_demo
from tools.oms.demo import seed as seed_catalogue
from tools.oms.stack import (
    SERVING,
    ServiceSpec,
    Stack,
    StackConfig,
    StackError,
    read_state,
    signing_secret,
    stack_status,
    stop_recorded,
)
from tools.oms.trace import trace_command
from tools.reconcile.cli import reconcile_command

app = typer.Typer(
    name="oms",
    help="Run the order-management suite on this machine.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(highlight=False)
audit_app = typer.Typer(help="Work with the audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
app.command("trace")(trace_command)
app.command("reconcile")(reconcile_command)
app.command("load")(load_command)

StateDir = Annotated[
    Path | None,
    typer.Option(
        "--state-dir",
        envvar="OMS_STATE_DIR",
        help="Where servers keep data, logs and stack.json [default: .oms/ in the project].",
        show_default=False,
    ),
]
Services = Annotated[
    list[str] | None,
    typer.Option(
        "--service",
        "-s",
        help="Run only this service (repeatable); NAME=MODULE runs NAME from another module.",
        show_default=False,
    ),
]
DatabasePrefix = Annotated[str, typer.Option(help="Each service's database is <prefix><service>.")]
StreamPrefix = Annotated[
    str | None, typer.Option(help="Prefix of the Redis stream names [default: the services' own].")
]
Timeout = Annotated[float, typer.Option(help="Seconds to wait for every service to be SERVING.")]
Processes = Annotated[
    list[str] | None,
    typer.Option(
        "--processes",
        help="SERVICE=N: run that service as N processes on its port (repeatable), e.g. --processes orders=2.",
    ),
]


def _processes(texts: list[str] | None) -> dict[str, int]:
    counts: dict[str, int] = {}
    for text in texts or ():
        name, _, count = text.partition("=")
        if not count.strip().isdigit():
            raise StackError(f"--processes {text}: write SERVICE=N, e.g. orders=2")
        counts[name.strip()] = int(count)
    return counts


def _config(
    state_dir: Path | None,
    services: list[str] | None,
    database_prefix: str,
    stream_prefix: str | None,
    timeout: float,
    command: str,
    processes: list[str] | None = None,
) -> StackConfig:
    try:
        return StackConfig(
            processes=_processes(processes),
            state_dir=state_dir or default_state_dir(),
            services=tuple(ServiceSpec.parse(s) for s in services) if services else None,
            database_prefix=database_prefix,
            stream_prefix=stream_prefix,
            startup_timeout=timeout,
            owner_command=command,
        )
    except StackError as exc:
        console.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from exc


def _progress(message: str) -> None:
    console.print(f"  {escape(message)}", soft_wrap=True)


def _print_failure(exc: Exception) -> None:
    console.print(f"[bold red]{escape(str(exc))}[/bold red]", soft_wrap=True)
    if isinstance(exc, StackError) and exc.log_tail:
        console.rule(f"last lines of the {exc.service} log")
        console.print(escape(exc.log_tail), soft_wrap=True)
        console.rule()


def _print_stack(stack: Stack) -> None:
    if stack.services:
        table = Table(title="OMS stack", title_justify="left")
        for column in ("service", "pid", "address", "metrics", "database"):
            table.add_column(column, overflow="fold")
        for service in stack.services.values():
            table.add_row(service.name, str(service.pid), service.address, service.metrics_address, service.database)
        console.print(table)
    servers = stack.servers
    postgres = servers.postgres if servers else None
    redis = servers.redis if servers else None
    postgres_pid = f" (pid {postgres.ref.pid})" if postgres and postgres.ref else " (external)"
    redis_pid = f" (pid {redis.ref.pid})" if redis and redis.ref else " (external)"
    console.print(f"postgres  {escape(redact_url(stack.database_url))}{postgres_pid}", soft_wrap=True)
    console.print(f"redis     {escape(stack.redis_url)}{redis_pid}", soft_wrap=True)
    console.print(f"logs      {stack.log_dir}/<service>.log", soft_wrap=True)
    console.print(f"state     {stack.state_path}", soft_wrap=True)
    if stack.startup_seconds is not None:
        console.print(f"started in {stack.startup_seconds:.2f}s")


async def _until_signal(work: Callable[[asyncio.Event], Awaitable[int]]) -> int:
    """Run ``work`` with SIGINT/SIGTERM setting the event it is given; a signal during start-up cancels
    it (the stack then stops what it started)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        return await work(stop)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


async def _start_or_stop(config: StackConfig, stop: asyncio.Event) -> Stack | None:
    """Start the stack unless a signal comes first (then whatever started is stopped, and None returned)."""
    starting = asyncio.create_task(Stack.start(config, progress=_progress))
    interrupted = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({starting, interrupted}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        interrupted.cancel()
    if starting.done():
        return starting.result()
    console.print("interrupted; stopping what started")
    starting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await starting
    return None


async def _up(config: StackConfig, stop: asyncio.Event) -> int:
    console.print(f"starting the stack in {config.state_dir}")
    try:
        stack = await _start_or_stop(config, stop)
    except (StackError, EmbeddedServerError) as exc:
        _print_failure(exc)
        return 1
    if stack is None:
        return 130
    reported: set[str] = set()
    try:
        _print_stack(stack)
        console.print("[bold]running; Ctrl-C (or `oms down`) stops it[/bold]")
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=0.5)
            for name, code in stack.exited().items():
                if name not in reported:
                    reported.add(name)
                    log_path = escape(str(stack.services[name].log_path))
                    console.print(f"[red]{name} exited with status {code}; see {log_path}[/red]", soft_wrap=True)
    finally:
        console.print("stopping")
        await stack.stop()
    console.print("stopped")
    return 1 if reported else 0  # a service that died while running is a failure worth an exit status


async def _demo(config: StackConfig, stop: asyncio.Event) -> int:
    try:
        stack = await _start_or_stop(config, stop)
    except (StackError, EmbeddedServerError) as exc:
        _print_failure(exc)
        return 1
    if stack is None:
        return 130
    try:
        _print_stack(stack)
        demo = asyncio.create_task(run_demo(stack, console))
        interrupted = asyncio.create_task(stop.wait())
        await asyncio.wait({demo, interrupted}, return_when=asyncio.FIRST_COMPLETED)
        interrupted.cancel()
        if not demo.done():
            demo.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await demo
            return 130
        ok = demo.result()
    finally:
        await stack.stop()
    console.print("stack stopped")
    return 0 if ok else 1


@app.command()
def up(
    state_dir: StateDir = None,
    service: Services = None,
    database_prefix: DatabasePrefix = "oms_",
    stream_prefix: StreamPrefix = None,
    timeout: Timeout = 90.0,
    processes: Processes = None,
) -> None:
    """Start PostgreSQL, Redis and every service, and keep them running until Ctrl-C or `oms down`."""
    config = _config(state_dir, service, database_prefix, stream_prefix, timeout, "oms up", processes)
    raise typer.Exit(asyncio.run(_until_signal(lambda stop: _up(config, stop))))


@app.command()
def down(
    state_dir: StateDir = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each part to stop.")] = 30.0,
) -> None:
    """Stop the stack that `oms up` runs (from another terminal), using its stack.json."""
    directory = (state_dir or default_state_dir()).resolve()
    try:
        found = stop_recorded(directory, timeout=timeout, progress=_progress)
    except (StackError, EmbeddedServerError) as exc:
        _print_failure(exc)
        raise typer.Exit(1) from exc
    console.print("stopped" if found else f"no stack is recorded in {directory}")


@app.command()
def status(state_dir: StateDir = None) -> None:
    """Tell what runs: each recorded process alive or not, and each service's health."""
    directory = (state_dir or default_state_dir()).resolve()
    try:
        state, rows = asyncio.run(stack_status(directory))
    except StackError as exc:
        _print_failure(exc)
        raise typer.Exit(1) from exc
    if state is None:
        console.print(f"no stack is recorded in {directory}")
        raise typer.Exit(1)
    table = Table(title=f"OMS stack ({state.get('status')}, started {state.get('started_at')})", title_justify="left")
    for column in ("process", "pid", "alive", "address", "health"):
        table.add_column(column, overflow="fold")
    healthy = True
    for row in rows:
        alive = "[green]yes[/green]" if row.alive else "[red]no[/red]"
        service_row = row.health not in ("", "external")
        if (service_row and row.health != SERVING) or not row.alive:
            healthy = False
        health = f"[green]{row.health}[/green]" if row.health == SERVING else escape(row.health)
        table.add_row(row.name, str(row.pid or "-"), alive, escape(row.address), health)
    console.print(table)
    raise typer.Exit(0 if healthy else 1)


@app.command()
def demo(
    state_dir: StateDir = None,
    service: Services = None,
    database_prefix: DatabasePrefix = "oms_",
    stream_prefix: StreamPrefix = None,
    timeout: Timeout = 90.0,
) -> None:
    """Start the stack, exercise it (run_demo), print a summary and stop everything."""
    config = _config(state_dir, service, database_prefix, stream_prefix, timeout, "oms demo")
    raise typer.Exit(asyncio.run(_until_signal(lambda stop: _demo(config, stop))))


def _service_address(state_dir: Path | None, service: str) -> str:
    """The gRPC address of ``service`` in the stack recorded under ``state_dir``."""
    directory = (state_dir or default_state_dir()).resolve()
    state = read_state(directory)
    address = ((state or {}).get("services", {}).get(service) or {}).get("grpc_address")
    if not address:
        console.print(f"no running stack with {service} is recorded in {directory}; start one with `oms up`")
        raise typer.Exit(2)
    return address


def _operator_credentials(state_dir: Path | None, *, role: str) -> tuple[tuple[str, str], ...]:
    """A token of ``role`` signed with the local stack's secret (only its owner can read the secret)."""
    directory = (state_dir or default_state_dir()).resolve()
    token = TokenAuthority(signing_secret(directory)).issue(Principal(subject="oms-cli", role=role))
    return (("authorization", f"Bearer {token}"),)


@app.command()
def token(
    state_dir: StateDir = None,
    role: Annotated[str, typer.Option(help="The role to act in: " + ", ".join(sorted(ROLES)) + ".")] = "admin",
    subject: Annotated[str, typer.Option(help="Who the token names (shows in the audit log).")] = "oms-cli",
) -> None:
    """Print a caller token for the local stack: `authorization: Bearer <token>` on gRPC, or the gateway's Bearer."""
    if role not in ROLES:
        console.print(f"unknown role {role!r}; one of {', '.join(sorted(ROLES))}")
        raise typer.Exit(2)
    directory = (state_dir or default_state_dir()).resolve()
    typer.echo(TokenAuthority(signing_secret(directory)).issue(Principal(subject=subject, role=role)))


@app.command()
def seed(state_dir: StateDir = None) -> None:
    """Load the demo catalogue into the running stack: a warehouse, stock and prices of the DEMO-* SKUs."""
    directory = (state_dir or default_state_dir()).resolve()
    state = read_state(directory) or {}
    addresses = {name: entry["grpc_address"] for name, entry in (state.get("services") or {}).items()}
    if not {"inventory", "pricing"} <= set(addresses):
        console.print(
            f"no running stack with inventory and pricing is recorded in {directory}; start one with `oms up`"
        )
        raise typer.Exit(2)
    credentials = _operator_credentials(state_dir, role="operations")
    asyncio.run(seed_catalogue(addresses, run_id=new_id(), credentials=credentials))
    console.print("seeded: " + ", ".join(sorted(CATALOGUE)))


@audit_app.command("verify")
def audit_verify(
    state_dir: StateDir = None,
    chain: Annotated[str, typer.Option(help="Verify only this chain (an entity type) [default: every chain].")] = "",
    address: Annotated[str, typer.Option(help="The audit service's gRPC address [default: the running stack's].")] = "",
) -> None:
    """Recompute the audit log's hash chains; exit 0 intact, 1 broken (the first broken link is named), 2 failed."""
    target = address or _service_address(state_dir, "audit")
    credentials = _operator_credentials(state_dir, role="admin")
    raise typer.Exit(asyncio.run(audit_tools.verify(target, chain=chain, console=console, credentials=credentials)))


if __name__ == "__main__":
    app()
