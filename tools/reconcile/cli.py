"""The `oms reconcile` command: find the running stack, read a window's orders as role finance, print the
report, optionally write it as JSON and the health index for Prometheus, and exit with its verdict."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import oms_client
import typer
from rich.console import Console
from rich.markup import escape

from shared.auth import Principal, TokenAuthority
from shared.embedded import default_state_dir
from tools.oms.stack import StackError, read_state, signing_secret
from tools.oms.trace import parse_since
from tools.reconcile.gather import SERVICES, Reader, ReadError
from tools.reconcile.report import Report
from tools.reconcile.rules import Policy
from tools.reconcile.run import reconcile

# Exit statuses: consistent; a difference found (with --fail-on-difference); the report could not be made
# (bad options, no stack, the orders could not be listed); some orders could not be read (incomplete report).
CONSISTENT, DIFFERENT, FAILED, INCOMPLETE = 0, 1, 2, 3
ROLE = "finance"  # the least role that may call every read the report makes (services/*/permissions.yaml)
SUBJECT = "oms-reconcile"
CALL_TIMEOUT_SECONDS = 30.0


class OptionError(ValueError):
    """An option's value is unusable; the message names the option."""


def parse_moment(option: str, text: str, now: datetime) -> datetime:
    """An ISO-8601 time or date (UTC unless it carries an offset), or a duration back from ``now`` (24h, 7d)."""
    try:
        return now - timedelta(seconds=parse_since(text))
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise OptionError(
            f"{option}: {text!r} is neither an ISO-8601 time (2026-05-01T00:00:00Z) nor a duration (24h)"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def window(since: str, until: str | None, now: datetime) -> tuple[datetime, datetime]:
    start = parse_moment("--since", since, now)
    end = parse_moment("--until", until, now) if until else now
    if start >= end:
        raise OptionError(f"--since ({start.isoformat()}) must be before --until ({end.isoformat()})")
    return start, end


def stack_addresses(state_dir: Path) -> dict[str, str]:
    """The gRPC address of each service the report reads, from the stack recorded in ``state_dir``."""
    try:
        state = read_state(state_dir)
    except StackError as error:
        raise OptionError(str(error)) from error
    if state is None:
        raise OptionError(f"no running stack is recorded in {state_dir}; start one with `oms up`")
    services = state.get("services") or {}
    addresses = {name: (services.get(name) or {}).get("grpc_address") or "" for name in SERVICES}
    missing = sorted(name for name, address in addresses.items() if not address)
    if missing:
        raise OptionError(f"the stack in {state_dir} runs no {', '.join(missing)}; the report reads them all")
    return addresses


async def _report(
    addresses: dict[str, str],
    credentials: tuple[tuple[str, str], ...],
    *,
    since: datetime,
    until: datetime,
    now: datetime,
    policy: Policy,
    concurrency: int,
) -> Report:
    channels = {name: oms_client.connect(address) for name, address in addresses.items()}
    try:
        clients = {
            name: oms_client.ServiceClient.for_service(
                channel, name, timeout=CALL_TIMEOUT_SECONDS, metadata=credentials
            )
            for name, channel in channels.items()
        }
        reader = Reader(clients, concurrency=concurrency)
        return await reconcile(reader, since=since, until=until, generated_at=now, policy=policy)
    finally:
        for channel in channels.values():
            await channel.close()


def reconcile_command(
    since: Annotated[
        str,
        typer.Option(
            help="Start of the window on order creation: an ISO-8601 time (UTC unless an offset is "
            "given) or a duration back from now (90m, 24h, 7d)."
        ),
    ] = "24h",
    until: Annotated[
        str | None,
        typer.Option(help="End of the window (exclusive), in the same forms [default: now].", show_default=False),
    ] = None,
    state_dir: Annotated[
        Path | None,
        typer.Option(
            "--state-dir",
            envvar="OMS_STATE_DIR",
            help="The running stack's state directory (addresses and token secret) [default: .oms/ in the project].",
            show_default=False,
        ),
    ] = None,
    json_path: Annotated[
        Path | None,
        typer.Option("--json", help="Also write the full report (every difference) as JSON here.", show_default=False),
    ] = None,
    fail_on_difference: Annotated[
        bool, typer.Option("--fail-on-difference", help="Exit 1 when any order has a difference.")
    ] = False,
    stuck_after: Annotated[
        str,
        typer.Option(help="A saga or refund execution still running after this long is stuck, not in flight."),
    ] = "15m",
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Orders read at once.")] = 8,
    metrics_file: Annotated[
        Path | None,
        typer.Option(
            "--metrics-file",
            help="Write the health index (cross_system_consistency) here in the Prometheus text format, "
            "for a node exporter's textfile collector.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Report every difference between orders, payments, reservations and refunds, with its likely cause.

    Exit status: 0 done, 1 a difference (with --fail-on-difference), 2 no report, 3 some orders unread.
    """
    console = Console(highlight=False)
    now = datetime.now(UTC)
    try:
        start, end = window(since, until, now)
        try:
            policy = Policy(stuck_after=timedelta(seconds=parse_since(stuck_after)))
        except ValueError as error:
            raise OptionError(f"--stuck-after: {error}") from error
        directory = (state_dir or default_state_dir()).resolve()
        addresses = stack_addresses(directory)
    except OptionError as error:
        console.print(f"[red]{escape(str(error))}[/red]", soft_wrap=True)
        raise typer.Exit(FAILED) from error
    token = TokenAuthority(signing_secret(directory)).issue(Principal(subject=SUBJECT, role=ROLE))
    credentials = (("authorization", f"Bearer {token}"),)
    try:
        report = asyncio.run(
            _report(
                addresses,
                credentials,
                since=start,
                until=end,
                now=now,
                policy=policy,
                concurrency=concurrency,
            )
        )
    except ReadError as error:
        console.print(f"[red]cannot list the orders: {escape(str(error))}[/red]", soft_wrap=True)
        raise typer.Exit(FAILED) from error
    report.render(console)
    try:
        if json_path is not None:
            report.write_json(json_path)
            console.print(f"report written to {escape(str(json_path))}", soft_wrap=True)
        report.publish(metrics_file)
    except OSError as error:
        console.print(f"[red]cannot write the report: {escape(str(error))}[/red]", soft_wrap=True)
        raise typer.Exit(FAILED) from error
    if fail_on_difference and report.differences:
        raise typer.Exit(DIFFERENT)
    raise typer.Exit(INCOMPLETE if report.unchecked else CONSISTENT)
