"""Serves the payments context: `python -m services.payments`."""

from services.payments.bootstrap import Settings, build
from shared.runtime import run

run("payments", build, Settings)
