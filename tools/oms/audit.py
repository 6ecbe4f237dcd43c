"""`oms audit verify`: ask the running audit service to recompute its hash chains and name the first broken link."""

from __future__ import annotations

import oms_client
from oms.audit.v1 import audit_pb2
from rich.console import Console
from rich.table import Table

INTACT, BROKEN, FAILED = 0, 1, 2


async def verify(address: str, *, chain: str, console: Console, credentials: tuple[tuple[str, str], ...] = ()) -> int:
    """Verify ``chain`` (every chain when empty); print one row per chain; return the exit code."""
    channel = oms_client.connect(address)
    try:
        audit = oms_client.ServiceClient.for_service(channel, "audit", timeout=300.0, metadata=credentials)
        try:
            report = await audit.Verify(audit_pb2.VerifyRequest(chain=chain))
        except oms_client.OmsRpcError as error:
            console.print(f"[red]cannot verify: {error}[/red]")
            return FAILED
    finally:
        await channel.close()
    table = Table(title="Audit chains", title_justify="left")
    for column in ("chain", "entries", "sequences", "result"):
        table.add_column(column)
    for verified in report.chains:
        if verified.HasField("broken"):
            link = verified.broken
            result = (
                f"[red]BROKEN at #{link.sequence} (entry {link.entry_id}): "
                f"{audit_pb2.BreakKind.Name(link.kind)} {link.detail}[/red]"
            )
        else:
            result = "[green]intact[/green]"
        span = f"{verified.first_sequence}..{verified.last_sequence}"
        table.add_row(verified.chain, str(verified.entries_checked), span, result)
    console.print(table)
    return INTACT if report.intact else BROKEN
