"""The ``oms load`` command: options, the run, the report, the exit status (0 all checks pass, 1 a check
failed, 2 bad options or no stack to drive).

``tools/oms/cli.py`` registers it with ``app.command(name="load")(load_command)``; until then
``python -m tools.load`` runs it on its own.
"""

from __future__ import annotations

import asyncio
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from shared.embedded import default_state_dir
from tools.load.config import ARRIVAL_PROCESSES, DEFAULT_MIX, LoadConfig, LoadConfigError, parse_mix
from tools.load.report import LoadResult, print_report, write_files
from tools.load.run import LoadRun
from tools.load.scenarios import Transport
from tools.load.target import (
    Credentials,
    GatewayTransport,
    Target,
    addresses_from_state,
    gateway_from_state,
    parse_addresses,
    secret_of_stack,
)

console = Console(highlight=False)


async def run_load(
    config: LoadConfig,
    addresses: dict[str, str],
    *,
    credentials: Credentials | None = None,
    gateway: tuple[str, str] | None = None,
    progress: bool = True,
    out: Console | None = None,
) -> LoadResult:
    """Run ``config`` against the services at ``addresses`` (orders through ``gateway`` = (url, token) if
    given) and return the result; the caller prints and stores it."""
    out = out or console
    target = Target(addresses, credentials)
    transport: Transport | None = GatewayTransport(*gateway) if gateway else None
    try:
        run = LoadRun(
            config,
            target,
            transport=transport,
            console=out,
            progress=progress,
            say=lambda message: out.print(f"  {escape(message)}", soft_wrap=True),
        )
        return await run.run()
    finally:
        if transport is not None:
            await transport.close()
        await target.close()


def load_command(
    rate: Annotated[float, typer.Option(help="Peak arrival rate (arrivals/s, open model).")] = 50.0,
    duration: Annotated[float, typer.Option(help="Seconds of arrivals.")] = 30.0,
    ramp: Annotated[float, typer.Option(help="Seconds to climb to --rate in steps (0: start at it).")] = 0.0,
    ramp_steps: Annotated[int, typer.Option(help="Steps of the ramp.")] = 5,
    arrivals: Annotated[str, typer.Option(help=f"Arrival process: {' or '.join(ARRIVAL_PROCESSES)}.")] = "poisson",
    mix: Annotated[
        str,
        typer.Option(
            help="Scenario weights: place, cancel, refund, retry (same idempotency key), decline, flash (hot SKU),"
            " ingest (batches of marketplace orders through IngestChannelOrders; off by default)."
        ),
    ] = DEFAULT_MIX,
    max_in_flight: Annotated[
        int, typer.Option(help="Hard cap on requests in flight; arrivals beyond it are counted as not sent.")
    ] = 2_000,
    max_requests: Annotated[int | None, typer.Option(help="Stop after this many arrivals.")] = None,
    flash_units: Annotated[int, typer.Option(help="Units of the hot SKU for the flash sale.")] = 1_000,
    stock: Annotated[int, typer.Option(help="Units of each regular SKU.")] = 1_000_000,
    ingest_batch: Annotated[int, typer.Option(help="Marketplace orders per ingest arrival (1-5,000).")] = 20,
    ingest_duplicates: Annotated[
        float, typer.Option(help="Share of each ingest batch resent from earlier batches (0-0.9).")
    ] = 0.2,
    timeout: Annotated[float, typer.Option(help="Deadline of each request, seconds.")] = 30.0,
    seed: Annotated[int, typer.Option(help="Seed of the arrival times and the scenario choices.")] = 7,
    saga_sample: Annotated[int, typer.Option(help="Sagas read back for the per-step timings.")] = 200,
    settle_timeout: Annotated[float, typer.Option(help="Seconds to wait for unanswered sagas to end.")] = 60.0,
    state_dir: Annotated[
        Path | None,
        typer.Option(
            "--state-dir",
            envvar="OMS_STATE_DIR",
            help="The stack to drive (its stack.json) [default: .oms/ in the project].",
            show_default=False,
        ),
    ] = None,
    address: Annotated[
        list[str] | None,
        typer.Option("--address", "-a", help="SERVICE=HOST:PORT instead of stack.json (repeatable)."),
    ] = None,
    via_gateway: Annotated[
        str | None,
        typer.Option(
            help="Send orders through the gateway at this URL, or `stack` for the stack's own (checks use gRPC)."
        ),
    ] = None,
    gateway_token: Annotated[
        str,
        typer.Option(
            envvar="OMS_GATEWAY_TOKEN",
            help="Bearer token for --via-gateway [default: one minted with the stack's secret].",
            show_default=False,
        ),
    ] = "",
    auth_secret: Annotated[
        str,
        typer.Option(
            envvar="OMS_AUTH_SECRET",
            help="Secret that signs the tool's tokens [default: the local stack's, from its state dir].",
            show_default=False,
        ),
    ] = "",
    output: Annotated[
        Path | None, typer.Option(help="Where the JSON and HTML results go [default: <state dir>/load].")
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show the progress bar.")] = True,
) -> None:
    """Drive a running stack at a fixed arrival rate, then report throughput, latency and the checks."""
    directory = (state_dir or default_state_dir()).resolve()
    try:
        config = LoadConfig(
            rate=rate,
            duration=duration,
            ramp=ramp,
            ramp_steps=ramp_steps,
            arrivals=arrivals,
            max_in_flight=max_in_flight,
            max_requests=max_requests,
            mix=parse_mix(mix),
            stock=stock,
            flash_units=flash_units,
            ingest_batch=ingest_batch,
            ingest_duplicates=ingest_duplicates,
            timeout=timeout,
            seed=seed,
            saga_sample=saga_sample,
            settle_timeout=settle_timeout,
        )
        addresses = parse_addresses(address) if address else addresses_from_state(directory)
        credentials = Credentials(auth_secret or secret_of_stack(directory))
        gateway = None
        if via_gateway:
            url = gateway_from_state(directory) if via_gateway == "stack" else via_gateway
            gateway = (url, gateway_token or credentials.token("service"))
    except LoadConfigError as exc:
        console.print(f"[red]{escape(str(exc))}[/red]", soft_wrap=True)
        raise typer.Exit(2) from exc
    console.print(
        f"oms load {config.run_id}: {escape(config.mix.describe())} at up to {config.rate:,.0f}/s for "
        f"{config.duration:g}s{' via the gateway' if gateway else ''}"
    )
    try:
        result = asyncio.run(run_load(config, addresses, credentials=credentials, gateway=gateway, progress=progress))
    except LoadConfigError as exc:
        console.print(f"[red]{escape(str(exc))}[/red]", soft_wrap=True)
        raise typer.Exit(2) from exc
    arguments = sys.argv[1:]
    if arguments[:1] == ["load"]:
        arguments = arguments[1:]
    write_files(result, output or directory / "load", command=shlex.join(["oms", "load", *arguments]))
    print_report(result, console)
    raise typer.Exit(0 if result.passed else 1)
