"""Serves the inventory context: `python -m services.inventory`."""

from services.inventory.bootstrap import Settings, build
from shared.runtime import run

run("inventory", build, Settings)
