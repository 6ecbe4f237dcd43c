"""Serves the orders context: `python -m services.orders`."""

from services.orders.bootstrap import Settings, build
from shared.runtime import run

run("orders", build, Settings)
