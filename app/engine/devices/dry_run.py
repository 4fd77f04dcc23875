"""A dry run of llama.cpp's own allocator: what a load would put on each device, allocating nothing.

llama.cpp simulates a load when the model parameter `no_alloc` is set (common/fit.cpp does this
to fit models to devices). The parameters are fit.cpp's: `no_alloc = true` and no memory mapping
(`load_mode = NONE`; with mmap llama.cpp aborts on `GGML_ASSERT(!ml.no_alloc)`). The model and
context are then created as for a real load, and llama.cpp's report says, per device, which
layers and which KV layers went there and how large each compute buffer is. Its weight and KV
buffers are empty placeholders in this mode, so their sizes come from the layer placement.

This is the truth for compute buffers and placement; the formulas of memory.py and
device_estimate.py are the instant path the panel uses, and tests hold the two equal.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import replace

import llama_cpp.llama_cpp as llama_c

from app.engine import llama_log
from app.engine.config import ResolvedConfig, does_not_fit
from app.engine.devices.allocation import DeviceReport, parse_device_report
from app.engine.devices.placement import CPU
from app.engine.errors import InsufficientMemoryError, ModelLoadError
from app.engine.memory import MIB, N_UBATCH
from app.i18n import translate

_backend_ready = False


def _init_backend() -> None:
    global _backend_ready
    if not _backend_ready:
        with llama_log.capture(), contextlib.redirect_stderr(io.StringIO()):
            llama_c.llama_backend_init()
        _backend_ready = True


def offload_params(resolved: ResolvedConfig) -> dict:
    """How `resolved` asks llama.cpp to offload: n_gpu_layers, split_mode and main_gpu. Nothing on a
    GPU means no GPU at all (main_gpu -1 with split mode none), not merely no layers: with none,
    llama.cpp would still reserve a compute buffer on each GPU to run some operations there."""
    if resolved.placement.devices == (CPU,):
        return {"n_gpu_layers": 0, "split_mode": llama_c.LLAMA_SPLIT_MODE_NONE, "main_gpu": -1}
    return {
        "n_gpu_layers": resolved.placement.n_gpu_layers,
        "split_mode": llama_c.LLAMA_SPLIT_MODE_NONE if resolved.config.split_mode == "none"
        else llama_c.LLAMA_SPLIT_MODE_LAYER,
        "main_gpu": resolved.config.main_gpu,
    }


def dry_run(resolved: ResolvedConfig, n_threads: int = 1) -> DeviceReport:
    """What llama.cpp would allocate for `resolved`, per device. Takes a fraction of a second:
    the model's metadata is read, its weights are not."""
    _init_backend()
    params = llama_c.llama_model_default_params()
    for name, value in offload_params(resolved).items():
        setattr(params, name, value)
    params.no_alloc = True
    params.load_mode = llama_c.LLAMA_LOAD_MODE_NONE
    model = ctx = None
    with llama_log.capture() as log, contextlib.redirect_stderr(io.StringIO()):
        try:
            model = llama_c.llama_model_load_from_file(resolved.model.path.encode(), params)
            if model:
                cparams = llama_c.llama_context_default_params()
                cparams.n_ctx = resolved.n_ctx
                cparams.n_batch = N_UBATCH
                cparams.n_ubatch = N_UBATCH
                cparams.n_threads = cparams.n_threads_batch = n_threads
                cparams.type_k = resolved.type_k.ggml_id
                cparams.type_v = resolved.type_v.ggml_id
                cparams.flash_attn_type = llama_c.LLAMA_FLASH_ATTN_TYPE_ENABLED if resolved.flash_attn \
                    else llama_c.LLAMA_FLASH_ATTN_TYPE_DISABLED
                cparams.offload_kqv = resolved.config.kv_offload
                cparams.swa_full = not resolved.compact_window
                ctx = llama_c.llama_init_from_model(model, cparams)
        finally:
            if ctx:
                llama_c.llama_free(ctx)
            if model:
                llama_c.llama_model_free(model)
    if not model or not ctx:
        problems = "\n".join(log.at_least(llama_log.ERROR))
        raise ModelLoadError(translate("DryRun", "llama.cpp's dry run of this load failed: {error}").format(
            error=problems or translate("DryRun", "it gave no reason")))
    return parse_device_report(log.lines)


def checked_against_dry_run(resolved: ResolvedConfig, report: DeviceReport) -> ResolvedConfig:
    """`resolved` with each device's compute buffer as llama.cpp's dry run sized it; raises
    InsufficientMemoryError when, so sized, a device no longer fits."""
    devices = tuple(
        replace(d, compute_bytes=round((report.mib("compute", d.name) + report.mib("output", d.name)) * MIB))
        for d in resolved.estimate.devices
    )
    estimate = replace(resolved.estimate, devices=devices)
    if not estimate.fits:
        raise InsufficientMemoryError(does_not_fit(estimate, resolved.n_ctx, resolved.type_k, resolved.type_v),
                                      estimate)
    return replace(resolved, estimate=estimate)
