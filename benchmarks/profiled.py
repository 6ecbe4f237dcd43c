"""Runs one suite service under cProfile, for the benchmarks only: start it as
``ServiceSpec(name, "benchmarks.profiled")``; the profile goes to ``$OMS_STATE_DIR/profile-<name>.pstats``
when the service stops (cProfile sees the event loop's thread, where all of a service's Python runs). The clock
is the process's CPU time, so time spent idle waiting for the network or the database does not count."""

from __future__ import annotations

import cProfile
import os
import runpy
import time
from pathlib import Path

name = os.environ["OMS_SERVICE_NAME"]
destination = Path(os.environ.get("OMS_STATE_DIR", ".")) / f"profile-{name}.pstats"
profiler = cProfile.Profile(time.process_time)
profiler.enable()
try:
    runpy.run_module(f"services.{name}", run_name="__main__", alter_sys=True)
finally:
    profiler.disable()
    profiler.dump_stats(destination)
