"""Sequence 0 of a loaded `Llama`, out to bytes and back: llama.cpp's per-sequence state API.

Not `Llama.save_state()`: that also copies n_batch x n_vocab floats of logits (100 MB for SmolLM2,
512 MiB for Gemma's vocabulary), more than the cache itself. A sequence state holds the cache's
cells in their own K and V types, so a quantized cache makes a small one.
"""

from __future__ import annotations

import ctypes
import logging
import os
from pathlib import Path

import llama_cpp
import llama_cpp.llama_cpp as llama_c
import numpy as np
from llama_cpp import Llama

from app.engine.devices.allocation import StateFormatError, parse_sequence_state
from app.engine.kept.state_file import StateKey
from app.engine.kvtypes import cache_type_by_id

_log = logging.getLogger(__name__)
_SEQ = 0
_F16_BYTES = 2


def state_key(model_path: str, type_k: str, type_v: str, n_ctx: int, compact_window: bool,
              flash_attn: bool) -> StateKey:
    """What a state made now will need of the context it is restored into."""
    path = Path(model_path).resolve()
    info = os.stat(path)
    return StateKey(str(path), info.st_size, info.st_mtime_ns, llama_cpp.__version__, type_k, type_v, n_ctx,
                    compact_window, flash_attn, os.environ.get("LLAMA_ATTN_ROT_DISABLE", ""))


def _pointer(state: np.ndarray):
    return state.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8))


def held_positions(llm: Llama) -> int:
    """One past the last position sequence 0 holds (0 when it holds none)."""
    return llama_c.llama_memory_seq_pos_max(llama_c.llama_get_memory(llm.ctx), _SEQ) + 1


def snapshot(llm: Llama) -> tuple[np.ndarray, np.ndarray] | None:
    """The tokens and state of sequence 0, or None when the wrapper and llama.cpp disagree on what it holds."""
    n = llm.n_tokens
    if n == 0 or held_positions(llm) != n:
        return None
    size = llama_c.llama_state_seq_get_size(llm.ctx, _SEQ)
    state = np.empty(size, dtype=np.uint8)  # not zero-filled: llama.cpp writes all of it
    written = llama_c.llama_state_seq_get_data(llm.ctx, _pointer(state), size, _SEQ)
    if written != size:
        _log.warning("llama.cpp wrote %s of %s state bytes", written, size)
        return None
    return np.array(llm.input_ids[:n], dtype=np.int32), state


def restore(llm: Llama, tokens: np.ndarray, state: np.ndarray) -> bool:
    """Put a snapshot back as sequence 0. False (and an empty sequence) when llama.cpp refuses it."""
    memory = llama_c.llama_get_memory(llm.ctx)
    llama_c.llama_memory_seq_rm(memory, _SEQ, -1, -1)
    llm.n_tokens = 0
    n = len(tokens)
    if n > llm.n_ctx() or n == 0:
        return False
    read = llama_c.llama_state_seq_set_data(llm.ctx, _pointer(state), len(state), _SEQ)
    if read != len(state) or held_positions(llm) != n:
        llama_c.llama_memory_seq_rm(memory, _SEQ, -1, -1)
        return False
    llm.input_ids[:n] = tokens
    llm.n_tokens = n
    return True


def f16_state_bytes(state: np.ndarray, n_caches: int) -> int:
    """What the same cells would take in an f16 cache: the state with each K and V row at 2 bytes a value."""
    try:
        caches = parse_sequence_state(memoryview(state), n_caches)
    except StateFormatError as exc:
        _log.warning("state layout not read (%s); its f16 size is taken as its own", exc)
        return len(state)
    total = len(state)
    for cache in caches:
        for ggml_id, row in (*cache.k_rows, *cache.v_rows):
            kind = cache_type_by_id(ggml_id)
            elements = row // kind.block_bytes * kind.block_elements
            total += (elements * _F16_BYTES - row) * cache.cells
    return total
