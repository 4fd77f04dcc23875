"""On a real GPU backend: the estimate per device equals what llama.cpp allocated on each device,
to the byte for the KV cache, with layers offloaded at none / some / all, the cache in VRAM or in
RAM, several K/V pairs and contexts, on both test models. llama.cpp's own placement of layers
and KV layers (its debug log) is the reference the planner's placement is held to."""

from __future__ import annotations

import pytest

from app.engine.config import LoadConfig, resolve
from app.engine.devices.dry_run import checked_against_dry_run, dry_run
from app.engine.devices.placement import CPU
from app.engine.gguf.info import read_model_info
from app.engine.llm import ChatEngine
from app.engine.memory import MIB

PLENTY = 16 * 1024 * MIB

CASES = [
    # (model, n_ctx, type_k, type_v, gpu layers, KV in VRAM)
    ("starter", 2048, "f16", "f16", "all", True),
    ("starter", 2048, "q8_0", "q8_0", "all", True),
    ("starter", 4096, "q8_0", "q4_0", "all", True),
    ("starter", 4096, "q4_0", "q4_0", "all", True),
    ("starter", 3000, "q8_0", "q4_0", 12, True),
    ("starter", 3000, "q8_0", "q4_0", 1, True),  # only the output layer on the GPU
    ("starter", 2048, "q8_0", "q4_0", "all", False),  # the KV cache stays in RAM
    ("starter", 2048, "f16", "q8_0", 16, False),
    ("starter", 2048, "q8_0", "q4_0", "none", True),
    ("gemma", 2048, "f16", "f16", "all", True),
    ("gemma", 4096, "q8_0", "q4_0", "all", True),
    ("gemma", 3000, "q4_0", "q4_0", 10, True),
    ("gemma", 2048, "q8_0", "q8_0", "all", False),
]


@pytest.fixture(scope="module")
def engine():
    engine = ChatEngine()
    yield engine
    engine.unload()


def case_id(case):
    model, n_ctx, tk, tv, layers, kv = case
    return f"{model}-{n_ctx}-{tk}-{tv}-ngl_{layers}-{'kv_gpu' if kv else 'kv_ram'}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_estimate_equals_allocation_per_device(engine, gpus, starter_model, gemma_model, case):
    model, n_ctx, tk, tv, layers, kv_offload = case
    path = str(starter_model if model == "starter" else gemma_model)
    info = read_model_info(path)
    resolved = resolve(LoadConfig(path, n_ctx=n_ctx, type_k=tk, type_v=tv, gpu_layers=layers, kv_offload=kv_offload),
                       info, PLENTY, gpus)
    resolved = checked_against_dry_run(resolved, dry_run(resolved))  # as EngineHost loads it
    report = engine.load(resolved)
    assert report.kv_exact
    assert report.kv == resolved.estimate.kv  # the whole cache, to the byte
    placement = resolved.placement
    assert report.offloaded_layers == placement.offloaded_layers
    measured = {d.name: d for d in report.devices}
    estimated = {d.name: d for d in resolved.estimate.devices}
    assert set(measured) == set(estimated) | ({CPU} if CPU in measured else set())
    for name, e in estimated.items():
        m = measured[name]
        assert (m.k_bytes, m.v_bytes) == (e.k_bytes, e.v_bytes), name  # to the byte, per device
        assert m.compute_bytes == e.compute_bytes, name  # the dry run's, at the report's 0.01 MiB
        if m.is_gpu:
            # The GPU's weights are the tensors of the layers placed there (0.01 MiB report resolution),
            # less a tensor the device cannot use, which llama.cpp keeps in RAM: lavapipe's largest
            # storage buffer (128 MiB) refuses Gemma's 178 MB embedding copied for the output layer.
            lavapipe = "llvmpipe" in m.description
            refused = info.weights.tied_output_bytes if lavapipe and info.weights.tied_output_bytes > 128 * MIB else 0
            assert abs(m.weights_bytes - (e.weights_bytes - refused)) <= 0.006 * MIB, name
    if layers == "none":
        assert not report.gpu_devices
    else:
        assert report.gpu_devices
    if not kv_offload:
        assert all(d.kv_bytes == 0 for d in report.gpu_devices)


def test_planned_placement_is_llamas(engine, gpus, starter_model):
    """The planner's layer placement is the one llama.cpp's debug log reports, layer by layer."""
    path = str(starter_model)
    info = read_model_info(path)
    for layers in (0, 1, 2, 17, info.n_layer, info.n_layer + 1):
        resolved = resolve(LoadConfig(path, n_ctx=1024, gpu_layers=layers), info, PLENTY, gpus)
        engine.load(resolved)
        placed = engine.device_report
        assert placed.layer_devices == resolved.placement.layer_devices, layers
        assert placed.output_device == resolved.placement.output_device, layers
        assert sum(placed.cache_layer_devices, ()) == resolved.placement.kv_devices, layers
