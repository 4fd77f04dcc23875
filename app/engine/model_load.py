"""Creating a Llama and measuring what llama.cpp allocated for it: the cache's bytes to the byte (from
the serialized state's row sizes), and where each layer and buffer went, from llama.cpp's own log.

A failed creation raises ModelLoadError with llama.cpp's own words; a model that was created but could
not be measured is freed here, so no half-set-up model is ever left behind."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import io
import logging
import sys
import time
from dataclasses import dataclass

import llama_cpp.llama_cpp as llama_c
from llama_cpp import Llama

from app.engine import llama_log
from app.engine.chat_template import templates_left_uncompiled
from app.engine.config import ResolvedConfig
from app.engine.devices.allocation import (
    AllocationMismatch,
    DeviceReport,
    StateFormatError,
    device_allocations,
    kv_by_device,
    kv_by_device_from_report,
    kv_from_report,
    measure_kv,
    parse_allocation_report,
    parse_device_report,
    parse_sequence_state,
)
from app.engine.devices.dry_run import offload_params
from app.engine.errors import ModelLoadError
from app.engine.kept import sequence
from app.engine.kept.state_file import StateKey
from app.engine.memory import MIB, N_UBATCH
from app.engine.prompt import PromptBuilder
from app.engine.records import LoadReport
from app.i18n import translate

_log = logging.getLogger(__name__)


def describe(error: BaseException) -> str:
    """An exception as a user reads it: its message, or its kind when it has none."""
    text = str(error).strip()
    if not text:
        return type(error).__name__
    return text if len(text) <= 500 else text[:497] + "..."


def release_freed_memory() -> None:
    """Hand memory freed by a closed model back to the OS, so RSS shows what is really held."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)


@dataclass(frozen=True)
class Loaded:
    """A created and measured model, ready for the engine to adopt."""

    llm: Llama
    prompts: PromptBuilder
    report: LoadReport
    placement: DeviceReport  # where llama.cpp put each layer and buffer
    state_key: StateKey  # what a kept cache must match to be restored into this context
    n_caches: int  # llama.cpp's caches in the sequence state (Gemma 3: the full one and the window)


def load_model(resolved: ResolvedConfig) -> Loaded:
    started = time.monotonic()
    llm, lines = _construct(resolved)
    try:
        return _measure(llm, resolved, lines, started)
    except Exception as exc:  # the model loaded but could not be measured: it is not kept half-set-up
        llm.close()
        del llm
        release_freed_memory()
        raise ModelLoadError(translate("ChatEngine", "llama.cpp could not load {model}: {error}").format(
            model=resolved.model.display_name, error=describe(exc))) from None


def _construct(resolved: ResolvedConfig) -> tuple[Llama, list[tuple[int, str]]]:
    """Create the Llama, with llama.cpp's log lines of its creation; or raise ModelLoadError with its words."""
    error = None
    # verbose=True keeps llama-cpp-python from redirecting the process's stdout/stderr file
    # descriptors during the load (unsafe with other threads, and fatal in a windowed app
    # without them); llama.cpp's own log goes to llama_log, the wrapper's chatter is dropped.
    with llama_log.capture() as log, contextlib.redirect_stderr(io.StringIO()), templates_left_uncompiled():
        try:
            llm = Llama(
                model_path=resolved.model.path,
                n_ctx=resolved.n_ctx,
                n_batch=N_UBATCH,
                n_ubatch=N_UBATCH,
                n_threads=resolved.n_threads,
                n_threads_batch=resolved.n_threads_batch,
                type_k=resolved.type_k.ggml_id,
                type_v=resolved.type_v.ggml_id,
                flash_attn=resolved.flash_attn,
                swa_full=not resolved.compact_window,
                **offload_params(resolved),
                offload_kqv=resolved.config.kv_offload,
                verbose=True,
            )
        except Exception as exc:  # ValueError from llama.cpp, or anything the wrapper raises
            error = ModelLoadError(
                translate("ChatEngine", "llama.cpp could not load {model}: {error}").format(
                    model=resolved.model.display_name, error=describe(exc)),
                log.at_least(llama_log.ERROR),
            )
        if error is not None:
            # The half-built Llama is held by the failed call's frames. Free it now, on this
            # thread, rather than whenever the garbage collector next runs (in the middle of
            # another llama.cpp call, or of the log callback).
            gc.collect()
            release_freed_memory()
    if error is not None:
        raise error
    llm.verbose = False
    return llm, log.lines


def _measure(llm: Llama, resolved: ResolvedConfig, lines: list[tuple[int, str]], started: float) -> Loaded:
    allocation = parse_allocation_report("\n".join(line for _, line in lines))
    placed = parse_device_report(lines)
    try:
        rows = cache_rows(llm, len(allocation.caches))
        kv, exact = measure_kv(allocation, rows), True
        kv_devices = kv_by_device(allocation, rows, placed)
    except (StateFormatError, AllocationMismatch) as exc:
        _log.warning("KV bytes taken from llama.cpp's rounded report: %s", exc)
        kv, exact = kv_from_report(allocation), False
        kv_devices = kv_by_device_from_report(kv, placed)
    prompts = PromptBuilder(llm, resolved.model)
    flash_attn = allocation.flash_attn == "enabled"
    report = LoadReport(
        config=resolved.config,
        model=resolved.model,
        n_ctx=llm.n_ctx(),
        type_k=resolved.type_k.name,
        type_v=resolved.type_v.name,
        flash_attn=flash_attn,
        compact_window=resolved.compact_window,
        kv=kv,
        kv_exact=exact,
        estimate=resolved.estimate,
        compute_bytes=round(allocation.compute_mib * MIB),
        weights_bytes=round(sum(allocation.model_buffers_mib.values()) * MIB),
        output_bytes=round(allocation.output_mib * MIB),
        load_seconds=time.monotonic() - started,
        chat_template=prompts.has_chat_template,
        chat_template_problem=prompts.template_problem,
        warnings=resolved.warnings,
        devices=device_allocations(placed, kv_devices, resolved.gpus),
        offloaded_layers=sum(d != "CPU" for d in placed.layer_devices),
    )
    key = sequence.state_key(resolved.model.path, resolved.type_k.name, resolved.type_v.name, llm.n_ctx(),
                             resolved.compact_window, flash_attn)
    return Loaded(llm, prompts, report, placed, key, len(allocation.caches))


def cache_rows(llm: Llama, n_caches: int):
    """Evaluate one token so llama.cpp serializes every cache's row sizes, then forget it."""
    token = llm.token_bos() if llm.token_bos() >= 0 else 0
    llm.eval([token])
    size = llama_c.llama_state_seq_get_size(llm.ctx, 0)
    blob = (ctypes.c_uint8 * size)()
    written = llama_c.llama_state_seq_get_data(llm.ctx, blob, size, 0)
    llm.reset()
    llama_c.llama_memory_clear(llama_c.llama_get_memory(llm.ctx), False)
    return parse_sequence_state(bytes(blob)[:written], n_caches)
