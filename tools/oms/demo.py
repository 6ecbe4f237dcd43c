"""What ``oms demo`` does with a running stack; ``run_demo`` is the hook the order walkthrough grows from."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from tools.oms.stack import SERVING, Stack


async def run_demo(stack: Stack, console: Console | None = None) -> bool:
    """Exercise the running ``stack`` and print what happened; return whether everything went well.

    For now it checks every service's health; placing orders through the saga comes here next.
    """
    console = console or Console()
    health = await stack.health(timeout=2.0)
    table = Table(title="Service health", title_justify="left")
    table.add_column("service")
    table.add_column("gRPC")
    table.add_column("health")
    for name, status in health.items():
        style = "green" if status == SERVING else "red"
        table.add_row(name, stack.services[name].grpc_address, f"[{style}]{status}[/{style}]")
    console.print(table)
    healthy = all(status == SERVING for status in health.values())
    if not health:
        console.print("[yellow]no services are present yet; only PostgreSQL and Redis ran[/yellow]")
    elif healthy:
        console.print(f"[green]all {len(health)} services are SERVING[/green]")
    else:
        unhealthy = sorted(name for name, status in health.items() if status != SERVING)
        console.print(f"[red]not serving: {', '.join(unhealthy)}[/red]")
    return healthy
