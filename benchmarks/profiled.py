"""Runs one suite service under cProfile, for the benchmarks only: start it as
``ServiceSpec(name, "benchmarks.profiled")``. Profiling starts on SIGUSR1 and stops on SIGUSR2, which writes
``$OMS_STATE_DIR/profile-<name>.pstats``, so start-up (imports, migrations) stays out of the figures. The clock
is the process's CPU time, so time spent idle waiting for the network or the database does not count; cProfile
sees the event loop's thread, where all of a service's Python runs."""

from __future__ import annotations

import cProfile
import os
import runpy
import signal
import time
from pathlib import Path
from types import FrameType

name = os.environ["OMS_SERVICE_NAME"]
destination = Path(os.environ.get("OMS_STATE_DIR", ".")) / f"profile-{name}.pstats"
profiler = cProfile.Profile(time.process_time)


def start(signum: int, frame: FrameType | None) -> None:
    profiler.enable()


def stop(signum: int, frame: FrameType | None) -> None:
    profiler.disable()
    profiler.dump_stats(destination)


signal.signal(signal.SIGUSR1, start)
signal.signal(signal.SIGUSR2, stop)
runpy.run_module(f"services.{name}", run_name="__main__", alter_sys=True)
