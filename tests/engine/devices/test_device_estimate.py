"""What each device is planned to hold, on the real test models' headers, with stand-in GPUs of
chosen sizes (the GPU tests check the same figures against llama.cpp's real allocation)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.engine.config import LoadConfig, resolve
from app.engine.devices.placement import CPU
from app.engine.devices.registry import Device
from app.engine.errors import InsufficientMemoryError, KvConfigError
from app.engine.gguf.info import read_model_info
from app.engine.memory import MIB
from app.engine.planner import available_gpus, plan_load

PLENTY = 16 * 1024 * MIB


def gpu(free_mib: int, name: str = "CUDA0") -> Device:
    return Device(name, "stand-in GPU", "CUDA", "gpu", free_mib * MIB, free_mib * MIB)


def test_all_layers_on_the_gpu_put_weights_kv_and_compute_there(starter_model):
    info = read_model_info(starter_model)
    resolved = resolve(LoadConfig(str(starter_model), n_ctx=4096, type_k="q8_0", type_v="q4_0", gpu_layers="all"),
                       info, PLENTY, (gpu(8192),))
    ram, vram = resolved.estimate.devices
    assert (ram.name, vram.name) == (CPU, "CUDA0") and vram.is_gpu and not ram.is_gpu
    w = info.weights
    assert ram.weights_bytes == w.input_bytes  # the token embedding always stays on the CPU
    # SmolLM2 has no output matrix: llama.cpp copies the embedding to the output layer's device.
    assert vram.weights_bytes == sum(w.layer_bytes) + w.output_bytes + w.tied_output_bytes
    assert ram.kv_bytes == 0 and vram.kv_bytes == resolved.estimate.kv_bytes
    assert vram.f16_kv_bytes == resolved.estimate.f16_kv_bytes
    assert vram.saving_bytes == resolved.estimate.saving_bytes > 0


def test_kv_in_ram_moves_every_cache_byte_to_the_cpu(starter_model):
    info = read_model_info(starter_model)
    resolved = resolve(LoadConfig(str(starter_model), gpu_layers="all", kv_offload=False), info, PLENTY, (gpu(8192),))
    ram, vram = resolved.estimate.devices
    assert vram.kv_bytes == 0 and ram.kv_bytes == resolved.estimate.kv_bytes


def test_partial_offload_splits_the_cache_by_layer(gemma_model):
    info = read_model_info(gemma_model)
    resolved = resolve(LoadConfig(str(gemma_model), n_ctx=4096, gpu_layers=10), info, PLENTY, (gpu(8192),))
    ram, vram = resolved.estimate.devices
    assert ram.kv_bytes and vram.kv_bytes
    assert ram.k_bytes + vram.k_bytes == resolved.estimate.k_bytes
    assert ram.v_bytes + vram.v_bytes == resolved.estimate.v_bytes
    assert resolved.placement.offloaded_layers == 9


def test_not_enough_vram_is_refused_with_the_numbers_and_what_to_do(starter_model):
    info = read_model_info(starter_model)
    small = gpu(1100)  # 1 GiB is kept free: about 76 MiB left for the model
    with pytest.raises(InsufficientMemoryError) as caught:
        resolve(LoadConfig(str(starter_model), n_ctx=4096, gpu_layers="all"), info, PLENTY, (small,))
    message = str(caught.value)
    assert "CUDA0" in message and "1,100 MiB free" in message and "fewer layers" in message
    assert not caught.value.estimate.fits


def test_auto_puts_on_the_gpu_what_fits_and_leaves_the_rest_on_the_cpu(starter_model):
    info = read_model_info(starter_model)
    plan = plan_load(LoadConfig(str(starter_model), n_ctx=4096, gpu_layers="auto"),
                     available_bytes=PLENTY, gpus=(gpu(1200),))
    assert plan.ok, plan.error
    placement = plan.resolved.placement
    assert 0 < placement.offloaded_layers < info.n_layer
    assert all(d.fits for d in plan.estimate.devices)
    assert any("Auto puts" in w for w in plan.warnings)
    one_more = resolve(LoadConfig(str(starter_model), n_ctx=4096, gpu_layers=placement.n_gpu_layers + 1),
                       info, PLENTY, (gpu(100_000),))
    vram = one_more.estimate.devices[1]
    assert vram.total_bytes + vram.margin_bytes > 1200 * MIB  # one more layer would not have fit


def test_a_gpu_that_is_not_there_is_refused(starter_model):
    info = read_model_info(starter_model)
    with pytest.raises(KvConfigError, match="no GPU number 3"):
        resolve(LoadConfig(str(starter_model), split_mode="none", main_gpu=3), info, PLENTY, (gpu(8192),))
    with pytest.raises(KvConfigError, match="split"):
        resolve(LoadConfig(str(starter_model), split_mode="rows"), info, PLENTY, (gpu(8192),))


def test_the_capacity_table_reaches_only_as_far_as_the_gpu_holds(starter_model):
    on_gpu = plan_load(LoadConfig(str(starter_model), gpu_layers="all"), available_bytes=PLENTY, gpus=(gpu(2048),))
    in_ram = plan_load(LoadConfig(str(starter_model), gpu_layers="none"), available_bytes=PLENTY, gpus=(gpu(2048),))
    reach = {r.cache_type.name: r.largest_ctx for r in on_gpu.capacity}
    assert 0 < reach["f16"] < reach["q4_0"] < {r.cache_type.name: r.largest_ctx for r in in_ram.capacity}["q4_0"]


def test_this_cpu_build_finds_no_gpu_and_plans_everything_on_the_cpu(starter_model):
    if available_gpus():
        pytest.skip("this build has a GPU")
    plan = plan_load(LoadConfig(str(starter_model), gpu_layers="all"))
    assert plan.ok and plan.gpus == ()
    assert [d.name for d in plan.estimate.devices] == [CPU]
    assert any("no GPU" in w for w in plan.warnings)


def test_a_cache_layer_larger_than_a_vulkan_device_can_address_is_refused(starter_model):
    """llama.cpp aborts the process when a KV layer exceeds a Vulkan device's maxStorageBufferRange."""
    info = read_model_info(starter_model)
    vulkan = Device("Vulkan0", "stand-in", "Vulkan", "gpu", 64 << 30, 64 << 30, max_tensor_bytes=128 * MIB)
    config = LoadConfig(str(starter_model), n_ctx=200_000, type_k="f32", type_v="f32", gpu_layers="all")
    with pytest.raises(KvConfigError, match="maxStorageBufferRange") as caught:
        resolve(config, info, 64 << 30, (vulkan,))
    assert "146.6 MiB" in str(caught.value) and "128.0 MiB" in str(caught.value)
    assert resolve(replace(config, kv_offload=False), info, 64 << 30, (vulkan,))  # the cache in RAM is fine
    assert resolve(replace(config, type_k="q4_0", type_v="q4_0"), info, 64 << 30, (vulkan,))


def test_with_the_cache_in_ram_attention_is_priced_on_the_cpu(starter_model):
    info = read_model_info(starter_model)
    on_gpu = resolve(LoadConfig(str(starter_model), n_ctx=32768, gpu_layers="all"), info, PLENTY, (gpu(65536),))
    in_ram = resolve(LoadConfig(str(starter_model), n_ctx=32768, gpu_layers="all", kv_offload=False), info, PLENTY,
                     (gpu(65536),))
    # f16 without flash attention: the scores of one micro-batch against every cell dominate the graph.
    assert on_gpu.estimate.devices[1].compute_bytes > 500 * MIB > in_ram.estimate.devices[1].compute_bytes
    assert in_ram.estimate.devices[0].compute_bytes > 500 * MIB
