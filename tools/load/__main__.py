"""``python -m tools.load``: the load command on its own (the same options as ``oms load``)."""

import typer

from tools.load.cli import load_command

typer.run(load_command)
