"""``python -m tools.oms`` is the ``oms`` command."""

from tools.oms.cli import app

app(prog_name="oms")
