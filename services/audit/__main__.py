"""Serves the audit context: `python -m services.audit`."""

from services.audit.bootstrap import Settings, build
from shared.runtime import run

run("audit", build, Settings)
