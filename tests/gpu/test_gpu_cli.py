"""`kvchat plan` and `kvchat probe` with a GPU, run as a user runs them."""

from __future__ import annotations

from tests.cli.test_cli import kvchat


def test_probe_offloads_and_every_device_matches_its_estimate(gpus, starter_model):
    result, data = kvchat("probe", str(starter_model), "--type-k", "q8_0", "--type-v", "q4_0", "--gpu-layers", "20",
                          "--json", json_out=True)
    assert result.returncode == 0, result.stderr
    assert data["offloaded_layers"] == 19 and data["devices_kv_match"]
    by_device = {d["device"]: d for d in data["devices"]}
    gpu = by_device[gpus[0].name]
    assert gpu["k_bytes"] == gpu["k_bytes_estimate"] > 0 and gpu["v_bytes"] == gpu["v_bytes_estimate"] > 0
    assert by_device["CPU"]["k_bytes"] > 0  # the 11 layers left on the CPU keep their cache in RAM


def test_plan_lists_the_gpu_and_its_dry_run_agrees(gpus, starter_model):
    result, data = kvchat("plan", str(starter_model), "--gpu-layers", "all", "--dry-run", "--json", json_out=True)
    assert result.returncode == 0, result.stderr
    assert data["gpus"][0]["device"] == gpus[0].name and data["gpu_layers"] == 31
    assert data["dry_run"]["same_placement"]
    gpu = next(d for d in data["dry_run"]["devices"] if d["device"] == gpus[0].name)
    assert gpu["kv_bytes_placed"] == gpu["kv_bytes_estimate"] > 0 and gpu["compute_bytes_dry_run"] > 0
    result, _ = kvchat("plan", str(starter_model), "--gpu-layers", "all", "--kv-in-ram")
    assert result.returncode == 0 and f"{gpus[0].name} " in result.stdout


def test_a_gpu_that_is_not_there_is_refused_by_number(gpus, starter_model):
    result, _ = kvchat("plan", str(starter_model), "--split-mode", "none", "--main-gpu", str(len(gpus)))
    assert result.returncode == 2 and f"no GPU number {len(gpus)}" in result.stdout
