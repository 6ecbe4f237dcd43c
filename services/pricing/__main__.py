"""Serves the pricing context: `python -m services.pricing`."""

from services.pricing.bootstrap import Settings, build
from shared.runtime import run

run("pricing", build, Settings)
