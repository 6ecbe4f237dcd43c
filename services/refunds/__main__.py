"""Serves the refunds context: `python -m services.refunds`."""

from services.refunds.bootstrap import Settings, build
from shared.runtime import run

run("refunds", build, Settings)
