"""Serves the saga coordinator: `python -m services.saga`."""

from services.saga.bootstrap import Settings, build
from shared.runtime import run

run("saga", build, Settings)
