"""A Vulkan device's limits, read from the Vulkan loader, keep llama.cpp from aborting the process."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.engine.config import LoadConfig
from app.engine.errors import KvConfigError
from app.engine.planner import plan_load


def test_the_storage_buffer_limit_is_read_and_a_cache_layer_beyond_it_is_refused(gpus, starter_model):
    vulkan = [d for d in gpus if d.backend == "Vulkan"]
    if not vulkan:
        pytest.skip("not a Vulkan build")
    limit = vulkan[0].max_tensor_bytes
    assert limit and limit >= 1 << 20
    # One layer's f32 K is 768 bytes a token on SmolLM2: this context makes it just larger than the limit.
    n_ctx = limit // 768 + 256
    plan = plan_load(LoadConfig(str(starter_model), n_ctx=n_ctx, type_k="f32", type_v="f32", gpu_layers="all"),
                     available_bytes=256 << 30, gpus=tuple(replace(d, free_bytes=256 << 30)
                                                           for d in gpus))
    assert isinstance(plan.error, KvConfigError) and "maxStorageBufferRange" in str(plan.error)
