"""Runs the consistency report on its own: `python -m tools.reconcile --help` (the same as `oms reconcile`)."""

import typer

from tools.reconcile.cli import reconcile_command

typer.run(reconcile_command)
