"""CPU used by the parts of a run, read from the processes themselves: each service (with its children), every
PostgreSQL and Redis process on the machine, this process, and the whole machine. The benchmarks report CPU per
order with it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import psutil


class CpuMeter:
    """CPU seconds used between two readings by each service (with its children), PostgreSQL and Redis (every
    such process on the machine: others' use of them counts too), this process (the load generator), and the
    whole machine. Processes are found again at each reading, so backends born during the run are counted."""

    def __init__(self, service_pids: Mapping[str, int]) -> None:
        self.service_pids = dict(service_pids)

    def _processes(self) -> dict[int, tuple[str, psutil.Process]]:
        found: dict[int, tuple[str, psutil.Process]] = {}
        for name, pid in self.service_pids.items():
            try:
                leader = psutil.Process(pid)
                for process in (leader, *leader.children(recursive=True)):
                    found[process.pid] = (name, process)
            except psutil.Error:
                continue
        for process in psutil.process_iter(["name"]):
            process_name = process.info.get("name") or ""
            if process_name.startswith("postgres"):
                found.setdefault(process.pid, ("postgres (all)", process))
            elif process_name.startswith("redis-server"):
                found.setdefault(process.pid, ("redis (all)", process))
        found[os.getpid()] = ("load generator", psutil.Process(os.getpid()))
        return found

    def reading(self) -> dict[Any, tuple[str, float]]:
        seen: dict[Any, tuple[str, float]] = {}
        for pid, (group, process) in self._processes().items():
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            seen[(pid, process.create_time())] = (group, times.user + times.system)
        machine = psutil.cpu_times()
        seen["machine"] = ("machine (all)", sum(machine) - machine.idle - getattr(machine, "iowait", 0.0))
        return seen


def cpu_used(before: Mapping[Any, tuple[str, float]], after: Mapping[Any, tuple[str, float]]) -> dict[str, float]:
    """Seconds per group between two readings (a process born in between counts from zero)."""
    used: dict[str, float] = {}
    for key, (group, seconds) in after.items():
        used[group] = used.get(group, 0.0) + seconds - before.get(key, (group, 0.0))[1]
    return used
