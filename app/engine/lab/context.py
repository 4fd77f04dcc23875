"""A measurement context: a second llama.cpp context over the loaded model's weights, with its
own K/V types, that returns the full next-token distribution at every position.

Contexts are cheap next to the weights, so the KV lab creates one per cache pair without
reloading the model, and frees it before the next.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Sequence

import llama_cpp.llama_cpp as llama_c
import numpy as np
from llama_cpp import Llama
from llama_cpp._internals import LlamaBatch, LlamaContext

from app.engine import llama_log
from app.engine.errors import ModelLoadError
from app.engine.memory import N_UBATCH, pad_ctx
from app.i18n import translate

ROWS_PER_BLOCK = 32  # distributions handled at once: bounds the scratch memory of big vocabularies



class LabCancelled(Exception):
    """The lab's cancel event was set: measuring stops where it is. Not an EngineError, since it is no
    failure: run_lab catches it and returns no report."""

def log_softmax(logits: np.ndarray) -> np.ndarray:
    top = logits.max(axis=1, keepdims=True)
    shifted = logits - top
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def kl_divergence(lp_ref: np.ndarray, lp_x: np.ndarray) -> np.ndarray:
    """KL(ref || x) per row, in nats; exactly 0 where the rows are equal."""
    p = np.exp(lp_ref, dtype=np.float64)
    kl = (p * (lp_ref.astype(np.float64) - lp_x)).sum(axis=1)
    return np.maximum(kl, 0.0)


class LabContext:
    def __init__(self, llm: Llama, n_ctx: int, type_k: int, type_v: int, flash_attn: bool,
                 compact_window: bool, threads: int):
        params = llama_c.llama_context_default_params()
        params.n_ctx = pad_ctx(n_ctx)
        params.n_batch = params.n_ubatch = N_UBATCH
        params.n_seq_max = 1
        params.n_threads = params.n_threads_batch = threads
        params.type_k, params.type_v = type_k, type_v
        params.flash_attn_type = llama_c.LLAMA_FLASH_ATTN_TYPE_ENABLED if flash_attn else llama_c.LLAMA_FLASH_ATTN_TYPE_DISABLED
        params.swa_full = not compact_window
        params.no_perf = True
        with llama_log.capture() as log:
            try:
                self._ctx = LlamaContext(model=llm._model, params=params, verbose=False)
            except ValueError as exc:
                raise ModelLoadError(
                    translate("KvLab", "llama.cpp could not create a measuring context: {error}").format(error=exc),
                    log.at_least(llama_log.ERROR)) from None
        self._batch = LlamaBatch(n_tokens=N_UBATCH, embd=0, n_seq_max=1, verbose=False)
        self.n_vocab = llm.n_vocab()
        self._cancel: threading.Event | None = None
        self._abort = llama_c.ggml_abort_callback(lambda _data: bool(self._cancel and self._cancel.is_set()))
        self._no_abort = llama_c.ggml_abort_callback()
        self.decode_seconds = 0.0
        self.decoded_tokens = 0

    def close(self) -> None:
        self._batch.close()
        self._ctx.close()

    def _decode(self, tokens: Sequence[int], n_past: int, all_logits: bool, cancel: threading.Event) -> None:
        if cancel.is_set():
            raise LabCancelled
        # A batch can be interrupted part-way; single tokens are quick and checked between them,
        # without llama.cpp calling into Python for every graph node.
        abortable = len(tokens) > 1
        self._cancel = cancel
        if abortable:
            llama_c.llama_set_abort_callback(self._ctx.ctx, self._abort, None)
        self._batch.set_batch(list(tokens), n_past=n_past, logits_all=all_logits)
        started = time.perf_counter()
        try:
            self._ctx.decode(self._batch)
        except RuntimeError:
            if cancel.is_set():
                raise LabCancelled from None
            raise
        finally:
            if abortable:
                llama_c.llama_set_abort_callback(self._ctx.ctx, self._no_abort, None)
            self._cancel = None
        self.decode_seconds += time.perf_counter() - started
        self.decoded_tokens += len(tokens)

    def log_probs(self, tokens: Sequence[int], cancel: threading.Event) -> np.ndarray:
        """Next-token log-probabilities after each of `tokens` (len x n_vocab, float32), from an empty cache."""
        if len(tokens) > N_UBATCH:
            raise ValueError(f"a lab sequence holds at most {N_UBATCH} tokens")
        llama_c.llama_memory_clear(self._ctx.memory, True)
        self._decode(tokens, 0, True, cancel)
        pointer = self._ctx.get_logits()
        logits = np.ctypeslib.as_array(ctypes.cast(pointer, ctypes.POINTER(ctypes.c_float)),
                                       shape=(len(tokens), self.n_vocab))
        out = np.empty((len(tokens), self.n_vocab), dtype=np.float32)
        for start in range(0, len(tokens), ROWS_PER_BLOCK):
            rows = slice(start, start + ROWS_PER_BLOCK)
            out[rows] = log_softmax(logits[rows])
        return out

    def greedy(self, prompt: Sequence[int], n_new: int, cancel: threading.Event, repeat_penalty: float = 1.1,
               banned: frozenset[int] = frozenset()) -> list[int]:
        """Continue `prompt` by always taking the likeliest token; deterministic for a given model
        and cache. A mild repeat penalty keeps small models out of loops, and `banned` tokens (the
        end of text) are never taken, so the text reaches the length asked for."""
        llama_c.llama_memory_clear(self._ctx.memory, True)
        tokens = list(prompt)
        self._decode(tokens, 0, False, cancel)
        generated: list[int] = []
        for _ in range(n_new):
            pointer = self._ctx.get_logits_ith(-1)
            row = np.ctypeslib.as_array(ctypes.cast(pointer, ctypes.POINTER(ctypes.c_float)),
                                        shape=(self.n_vocab,)).copy()
            recent = np.unique(np.asarray(tokens[-64:]))
            row[recent] = np.where(row[recent] > 0, row[recent] / repeat_penalty, row[recent] * repeat_penalty)
            row[list(banned)] = -np.inf
            token = int(row.argmax())
            if len(tokens) + 1 >= N_UBATCH:
                break
            generated.append(token)
            self._decode([token], len(tokens), False, cancel)
            tokens.append(token)
        return generated

    def generation_speed(self, prompt: Sequence[int], n_new: int, cancel: threading.Event) -> float:
        """Tokens per second decoding one token at a time after `prompt`."""
        llama_c.llama_memory_clear(self._ctx.memory, True)
        self._decode(prompt, 0, False, cancel)
        token = int(prompt[-1])
        started = time.perf_counter()
        for i in range(n_new):
            self._decode([token], len(prompt) + i, False, cancel)
        return n_new / (time.perf_counter() - started)
