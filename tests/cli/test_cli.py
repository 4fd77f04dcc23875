"""`kvchat plan` and `kvchat probe`, run as a user would run them."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.engine.memory import MIB


def kvchat(*args, json_out=False):
    exe = shutil.which("kvchat", path=str(Path(sys.executable).parent))
    cmd = [exe] if exe else [sys.executable, "-m", "app"]
    result = subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=300)
    return result, (json.loads(result.stdout) if json_out and result.stdout.strip() else None)


def test_plan_prints_bytes_mib_and_all_nine_types(starter_model):
    result, _ = kvchat("plan", str(starter_model), "--ctx", "8192", "--type-k", "q8_0", "--type-v", "q4_0")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "76,677,120 B  (73.12 MiB)" in out  # K q8_0 + V q4_0 at 8192 tokens
    assert "188,743,680 B  (180.00 MiB)" in out  # what f16/f16 would take
    assert "59.4 %" in out
    for name in ("f32", "f16", "bf16", "q8_0", "q5_1", "q5_0", "q4_1", "q4_0", "iq4_nl"):
        assert f"\n  {name} " in out


def test_plan_with_gpu_options_places_everything_on_the_cpu_without_a_gpu(starter_model):
    from app.engine.planner import available_gpus

    if available_gpus():
        pytest.skip("this build has a GPU: tests/gpu covers it")
    result, data = kvchat("plan", str(starter_model), "--gpu-layers", "all", "--kv-in-ram", "--split-mode", "none",
                          "--json", json_out=True)
    assert result.returncode == 0, result.stderr
    assert data["gpus"] == [] and data["gpu_layers"] == 0
    assert [d["device"] for d in data["devices"]] == ["CPU"]
    assert any("no GPU" in w for w in data["warnings"])
    result, _ = kvchat("plan", str(starter_model), "--gpu-layers", "1000")
    assert result.returncode == 2 and "GPU layers must be between 0 and 31" in result.stdout
    result, _ = kvchat("plan", str(starter_model), "--gpu-layers", "many")
    assert result.returncode == 2 and "auto, all, none or a number" in result.stderr


def test_plan_dry_run_agrees_with_the_plan(starter_model):
    """llama.cpp's own allocator, run without allocating, places every layer where the plan does."""
    result, data = kvchat("plan", str(starter_model), "--type-k", "q8_0", "--type-v", "q4_0", "--dry-run", "--json",
                          json_out=True)
    assert result.returncode == 0, result.stderr
    assert data["dry_run"]["same_placement"]
    cpu = data["dry_run"]["devices"][0]
    assert cpu["device"] == "CPU" and cpu["kv_bytes_placed"] == cpu["kv_bytes_estimate"] > 0
    assert cpu["compute_bytes_dry_run"] > 0


def test_plan_json_for_the_starter_model_by_default():
    result, data = kvchat("plan", "--ctx", "2048", "--json", json_out=True)
    assert result.returncode == 0, result.stderr
    assert data["model"]["architecture"] == "llama" and data["ok"]
    assert data["estimate"]["kv"]["total_bytes"] == 45 * MIB
    assert len(data["types"]) == 9
    assert all(row["largest_context"] > 0 for row in data["types"])


def test_plan_refuses_with_a_reason_and_exit_code(starter_model):
    result, data = kvchat("plan", str(starter_model), "--type-v", "q4_0", "--flash-attn", "off", "--json",
                          json_out=True)
    assert result.returncode == 2
    assert not data["ok"] and "needs flash attention" in data["error"]


def test_plan_of_a_broken_file(tmp_path):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"not a model at all")
    result, _ = kvchat("plan", str(bad))
    assert result.returncode == 2 and "not a GGUF model" in result.stdout


@pytest.mark.parametrize("window", [False, True])
def test_probe_measures_what_it_estimated(gemma_model, window):
    args = ["probe", str(gemma_model), "--ctx", "8192", "--type-k", "q8_0", "--type-v", "q4_0", "--json"]
    if window:
        args.append("--compact-window")
    result, data = kvchat(*args, json_out=True)
    assert result.returncode == 0, result.stderr
    assert data["kv_matches"] and data["measured"]["kv_exact"]
    assert data["measured"]["kv"] == data["estimate"]["kv"]
    # per cell per layer: K q8_0 8 blocks x 34 B + V q4_0 8 blocks x 18 B = 416 B
    expected = 3 * 8192 * 416 + 15 * 1024 * 416 if window else 18 * 8192 * 416
    assert data["measured"]["kv"]["total_bytes"] == expected


def test_probe_text_output(starter_model):
    result, _ = kvchat("probe", str(starter_model), "--ctx", "4096")
    assert result.returncode == 0, result.stderr
    assert "equal to the byte" in result.stdout


def test_lab_prints_the_table_as_json(starter_model):
    result, data = kvchat("lab", str(starter_model), "--pairs", "q8_0/q4_0", "--tokens", "96", "--ctx", "2048",
                          "--no-cache", "--json", json_out=True)
    assert result.returncode == 0, result.stderr
    assert data["scored_tokens"] >= 96 and data["reference"]["kl_mean"] == 0.0
    (pair,) = data["results"]
    assert pair["pair"] == "q8_0/q4_0" and pair["kl_mean"] > 0 and pair["kv_bytes"] == 2048 * 30 * 192 * (34 + 18) // 32
    assert data["noise_floor"]["pair"] == "f16/f16 FA on"
    assert data["recommendation"]["pair"] in ("f16/f16", "q8_0/q4_0")


def test_lab_on_a_real_text_file_reports_in_words(tmp_path):
    text = tmp_path / "readme.txt"
    readme = Path(__file__).resolve().parents[2] / "README.md"
    text.write_text(readme.read_text(encoding="utf-8")[:12_000], encoding="utf-8")  # ~3,000 tokens of prose
    result, _ = kvchat("lab", "--text", str(text), "--pairs", "q8_0/q8_0", "--tokens", "255", "--no-cache")
    assert result.returncode == 0, result.stderr  # it ended in "llama_decode returned 1"
    out = result.stdout
    assert "255 scored tokens (readme.txt text)" in out  # one 512-token chunk, its second half scored
    assert "  q8_0/q8_0: the same next word as f16 " in out and "% of the time (mean KL " in out
    assert "Recommended for a mean KL budget of 0.01: K " in out and "the same next word as f16" in out
    assert "it fits the whole trained context (8,192) in the" in out  # SmolLM2 was trained on 8,192 tokens
    # Speeds: one read of the one chunk, and the spread of the generation runs.
    assert re.search(r"\| q8_0/q8_0 \* \| on \|.*\| \d+ \| \d+ \(\d+–\d+\) \|", out)
    assert "%] Measuring q8_0/q8_0: 512 of 512 tokens read" in result.stderr  # the progress, in words


def test_lab_refuses_a_pair_it_cannot_read():
    result, _ = kvchat("lab", "--pairs", "q8_0-q4_0")
    assert result.returncode == 2 and "K/V pair" in result.stderr


def test_screenshot_of_the_gpu_settings(tmp_path):
    out = tmp_path / "gpu.png"
    result, _ = kvchat("screenshot", str(out), "--tab", "gpu")
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000


def test_screenshots_of_the_connect_and_about_dialogs(tmp_path):
    for tab in ("connect", "about"):
        out = tmp_path / f"{tab}.png"
        result, _ = kvchat("screenshot", str(out), "--tab", tab)
        assert result.returncode == 0, result.stderr
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 5_000
