"""llama.cpp's allocator dry run (no_alloc) against a real load on the GPU: the same placement of
layers and KV layers, and the same compute buffer on every device."""

from __future__ import annotations

import pytest

from app.engine.config import LoadConfig, resolve
from app.engine.devices.dry_run import dry_run
from app.engine.gguf.info import read_model_info
from app.engine.llm import ChatEngine
from app.engine.memory import MIB

PLENTY = 16 * 1024 * MIB


@pytest.mark.parametrize("model,n_ctx,tk,tv,layers,kv_offload", [
    ("starter", 4096, "q8_0", "q4_0", "all", True),
    ("starter", 2048, "f16", "f16", 20, True),
    ("starter", 2048, "q8_0", "q8_0", "all", False),
    ("gemma", 4096, "q8_0", "q4_0", "all", True),
])
def test_dry_run_matches_the_real_load(gpus, starter_model, gemma_model, model, n_ctx, tk, tv, layers, kv_offload):
    path = str(starter_model if model == "starter" else gemma_model)
    resolved = resolve(LoadConfig(path, n_ctx=n_ctx, type_k=tk, type_v=tv, gpu_layers=layers,
                                  kv_offload=kv_offload), read_model_info(path), PLENTY, gpus)
    simulated = dry_run(resolved)
    engine = ChatEngine()
    try:
        engine.load(resolved)
        real = engine.device_report
        assert simulated.layer_devices == real.layer_devices == resolved.placement.layer_devices
        assert simulated.output_device == real.output_device
        assert simulated.cache_layer_devices == real.cache_layer_devices
        for device in real.devices:
            assert simulated.mib("compute", device) == real.mib("compute", device), device
    finally:
        engine.unload()
