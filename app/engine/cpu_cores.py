"""How many CPU threads llama.cpp gets unless the user says: physical cores, not hyper-threads,
less one core left to the rest of the computer where there are several.

llama.cpp's threads spin at a barrier after every operation, so one thread the OS takes away
stalls all of them: beside other work, SmolLM2 generated at 55 tok/s on 1 thread and 5.7 on 2
on a 2-core machine, and read a prompt at 145 against 19 tok/s. Two hyper-threads of one core
share its arithmetic units, so counting them adds threads to wait for, not speed
(benchmarks/threads.py measures it)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import psutil

SYS_CPU = Path("/sys/devices/system/cpu")
PROC_CPUINFO = Path("/proc/cpuinfo")
MAX_THREADS = 512  # ggml's GGML_MAX_N_THREADS


@dataclass(frozen=True)
class CpuTopology:
    logical: int  # CPUs this process may run on
    physical: int  # the cores among them; a core's hyper-threads count once


def generation_threads(cpus: CpuTopology) -> int:
    """Every physical core but one, where there are several: a descheduled thread costs all of them."""
    return max(1, cpus.physical - 1)


def prompt_threads(cpus: CpuTopology) -> int:
    """The same rule: reading a prompt waits at the same barriers (2 threads read 8x slower than 1
    beside other work on 2 cores), and one core less costs a quiet machine of several at most its share."""
    return max(1, cpus.physical - 1)


@lru_cache(maxsize=1)
def machine_topology() -> CpuTopology:
    """This process's CPUs, read once (every plan asks)."""
    return read_topology()


def read_topology() -> CpuTopology:
    allowed = _allowed_cpus()
    physical = linux_physical_cores(allowed) if allowed is not None else None
    logical = len(allowed) if allowed else (os.cpu_count() or 1)
    if physical is None:  # macOS (sysctl hw.physicalcpu), Windows and the rest, through psutil
        physical = min(psutil.cpu_count(logical=False) or logical, logical)
    return CpuTopology(logical=max(1, logical), physical=max(1, min(physical, logical)))


def _allowed_cpus() -> set[int] | None:
    try:
        return set(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return None


def linux_physical_cores(allowed: set[int], sys_cpu: Path = SYS_CPU, cpuinfo: Path = PROC_CPUINFO) -> int | None:
    """The cores the allowed CPUs belong to: from sysfs (the CPUs sharing a core are its siblings),
    else /proc/cpuinfo (physical id, core id); None when neither says."""
    cores = set()
    for cpu in sorted(allowed):
        topology = sys_cpu / f"cpu{cpu}" / "topology"
        for name in ("core_cpus_list", "thread_siblings_list"):
            try:
                cores.add(frozenset(parse_cpu_list((topology / name).read_text())))
                break
            except (OSError, ValueError):
                continue
        else:
            cores = set()
            break
    if cores:
        return len(cores)
    return _cpuinfo_cores(allowed, cpuinfo)


def _cpuinfo_cores(allowed: set[int], cpuinfo: Path) -> int | None:
    try:
        text = cpuinfo.read_text()
    except OSError:
        return None
    cores = set()
    for block in text.split("\n\n"):
        fields = dict((k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in block.splitlines()))
        if "processor" not in fields or "core id" not in fields:
            continue
        if fields["processor"].isdigit() and int(fields["processor"]) in allowed:
            cores.add((fields.get("physical id", "0"), fields["core id"]))
    return len(cores) or None


def parse_cpu_list(text: str) -> set[int]:
    """The kernel's CPU list format: "0-3,8,10-11"."""
    cpus = set()
    for part in text.strip().split(","):
        match = re.fullmatch(r"(\d+)(?:-(\d+))?", part.strip())
        if match is None:
            raise ValueError(f"not a CPU list: {text!r}")
        first, last = int(match[1]), int(match[2] or match[1])
        cpus.update(range(first, last + 1))
    return cpus
