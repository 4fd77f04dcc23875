"""llama.cpp's allocator dry run (no_alloc, no mmap, as common/fit.cpp sets it) against a real
load on this build's devices: the same placement and the same compute buffers, nothing allocated."""

from __future__ import annotations

from dataclasses import replace

import psutil
import pytest

from app.engine.config import LoadConfig, resolve
from app.engine.devices.dry_run import checked_against_dry_run, dry_run
from app.engine.errors import InsufficientMemoryError
from app.engine.gguf.info import read_model_info
from app.engine.llm import ChatEngine
from app.engine.memory import MIB

PLENTY = 16 * 1024 * MIB


@pytest.mark.parametrize("model,n_ctx,tk,tv", [("starter", 4096, "q8_0", "q4_0"), ("starter", 2048, "f16", "f16"),
                                               ("gemma", 4096, "q8_0", "q8_0")])
def test_a_dry_run_sizes_what_the_real_load_allocates(starter_model, gemma_model, model, n_ctx, tk, tv):
    path = str(starter_model if model == "starter" else gemma_model)
    resolved = resolve(LoadConfig(path, n_ctx=n_ctx, type_k=tk, type_v=tv), read_model_info(path), PLENTY)
    rss_before = psutil.Process().memory_info().rss
    simulated = dry_run(resolved)
    assert psutil.Process().memory_info().rss - rss_before < 64 * MIB  # the weights were not read
    engine = ChatEngine()
    try:
        engine.load(resolved)
        real = engine.device_report
        assert simulated.layer_devices == real.layer_devices
        assert simulated.cache_layer_devices == real.cache_layer_devices
        assert simulated.mib("compute", "CPU") == real.mib("compute", "CPU") > 0
    finally:
        engine.unload()


def test_a_load_the_dry_run_finds_too_big_is_refused_with_the_numbers(starter_model):
    path = str(starter_model)
    resolved = resolve(LoadConfig(path, n_ctx=4096), read_model_info(path), PLENTY)
    report = dry_run(resolved)
    ram = resolved.estimate.devices[0]
    # The same plan, were the computer to have just enough RAM for everything but the compute buffer.
    tight = replace(ram, free_bytes=ram.total_bytes - ram.compute_bytes + ram.margin_bytes)
    squeezed = replace(resolved, estimate=replace(resolved.estimate, devices=(tight,)))
    with pytest.raises(InsufficientMemoryError, match="MiB of RAM"):
        checked_against_dry_run(squeezed, report)
    assert checked_against_dry_run(resolved, report).estimate.devices[0].compute_bytes == round(
        (report.mib("compute", "CPU") + report.mib("output", "CPU")) * MIB)


def test_a_dry_run_of_a_file_llama_cpp_cannot_read_says_why(tmp_path, starter_model):
    from app.engine.errors import ModelLoadError
    from tests.model_files import truncated_copy

    path = str(starter_model)
    resolved = resolve(LoadConfig(path), read_model_info(path), PLENTY)
    broken = truncated_copy(starter_model, tmp_path / "cut.gguf", 0.6)
    with pytest.raises(ModelLoadError, match="dry run"):
        dry_run(replace(resolved, model=replace(resolved.model, path=str(broken))))
