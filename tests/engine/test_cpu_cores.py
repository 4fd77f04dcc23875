"""The default thread counts: physical cores among the CPUs this process may use, one left free where
there are several; read from sysfs, else /proc/cpuinfo (fake topologies here)."""

from __future__ import annotations

import pytest

from app.engine.cpu_cores import (
    CpuTopology,
    generation_threads,
    linux_physical_cores,
    parse_cpu_list,
    prompt_threads,
    read_topology,
)


@pytest.mark.parametrize(("logical", "physical", "expected"), [
    (1, 1, 1),  # one core: it has to do the work
    (2, 2, 1),  # two cores, no hyper-threads: one left to the rest of the computer
    (2, 1, 1),  # one core with two hyper-threads: one thread
    (4, 2, 1),  # two cores with hyper-threads: the hyper-threads do not count
    (8, 4, 3),
    (16, 8, 7),
    (64, 32, 31),
])
def test_the_default_is_the_physical_cores_less_one(logical, physical, expected):
    cpus = CpuTopology(logical=logical, physical=physical)
    assert generation_threads(cpus) == expected
    assert prompt_threads(cpus) == expected


def fake_sysfs(root, siblings: dict[int, str], name: str = "thread_siblings_list"):
    for cpu, text in siblings.items():
        topology = root / f"cpu{cpu}" / "topology"
        topology.mkdir(parents=True)
        (topology / name).write_text(text + "\n")
    return root


def test_hyper_threads_of_one_core_count_once(tmp_path):
    # 4 cores with 2 hyper-threads each, numbered as Linux numbers them on Intel: cpu n and n + 4 share a core.
    sysfs = fake_sysfs(tmp_path, {n: f"{n % 4},{n % 4 + 4}" for n in range(8)})
    assert linux_physical_cores(set(range(8)), sysfs, tmp_path / "no-cpuinfo") == 4
    assert linux_physical_cores({0, 4}, sysfs, tmp_path / "no-cpuinfo") == 1  # pinned to one core's two threads
    assert linux_physical_cores({0, 1, 4}, sysfs, tmp_path / "no-cpuinfo") == 2


def test_the_newer_core_cpus_list_is_read_too(tmp_path):
    sysfs = fake_sysfs(tmp_path, {0: "0-1", 1: "0-1", 2: "2-3", 3: "2-3"}, name="core_cpus_list")
    assert linux_physical_cores({0, 1, 2, 3}, sysfs, tmp_path / "no-cpuinfo") == 2


CPUINFO = "".join(f"processor\t: {n}\nphysical id\t: 0\ncore id\t\t: {n // 2}\n\n" for n in range(6))


def test_without_sysfs_proc_cpuinfo_says(tmp_path):
    (tmp_path / "cpuinfo").write_text(CPUINFO)
    assert linux_physical_cores(set(range(6)), tmp_path / "no-sysfs", tmp_path / "cpuinfo") == 3
    assert linux_physical_cores({0, 1}, tmp_path / "no-sysfs", tmp_path / "cpuinfo") == 1


def test_with_neither_it_says_it_does_not_know(tmp_path):
    assert linux_physical_cores({0, 1}, tmp_path / "no-sysfs", tmp_path / "no-cpuinfo") is None


def test_the_kernels_cpu_list_format():
    assert parse_cpu_list("0-3,8,10-11\n") == {0, 1, 2, 3, 8, 10, 11}
    with pytest.raises(ValueError):
        parse_cpu_list("zero")


def test_this_computer_has_at_least_one_core_and_no_more_cores_than_cpus():
    cpus = read_topology()
    assert 1 <= cpus.physical <= cpus.logical
