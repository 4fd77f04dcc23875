"""A measurement context: a second llama.cpp context over the loaded model's weights, with its
own K/V types, that hands back the raw next-token logits at the positions being scored.

Contexts are cheap next to the weights, so the KV lab creates one per cache pair without
reloading the model, and frees it before the next.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Iterator, Sequence

import llama_cpp.llama_cpp as llama_c
import numpy as np
from llama_cpp import Llama
from llama_cpp._internals import LlamaBatch, LlamaContext

from app.engine import llama_log
from app.engine.errors import EngineError, ModelLoadError
from app.engine.memory import N_UBATCH, pad_ctx
from app.i18n import translate

STEP_TOKENS = 128  # tokens per decode call: progress and cancel are checked between steps


class LabCancelled(Exception):
    """The lab's cancel event was set: measuring stops where it is. Not an EngineError, since it is no
    failure: run_lab catches it and returns no report."""


class LabDecodeError(EngineError):
    """llama.cpp could not evaluate a batch in a measuring context."""


class LabContext:
    def __init__(self, llm: Llama, n_ctx: int, type_k: int, type_v: int, flash_attn: bool,
                 compact_window: bool, threads: int, batch_threads: int | None = None):
        """`threads` generate one token at a time, `batch_threads` (default: as many) read a text."""
        params = llama_c.llama_context_default_params()
        params.n_ctx = pad_ctx(n_ctx)
        params.n_batch = params.n_ubatch = N_UBATCH
        params.n_seq_max = 1
        params.n_threads, params.n_threads_batch = threads, batch_threads or threads
        params.type_k, params.type_v = type_k, type_v
        params.flash_attn_type = (llama_c.LLAMA_FLASH_ATTN_TYPE_ENABLED if flash_attn
                                  else llama_c.LLAMA_FLASH_ATTN_TYPE_DISABLED)
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
        self.n_cells = llama_c.llama_n_ctx(self._ctx.ctx)
        self._cancel: threading.Event | None = None
        self._abort = llama_c.ggml_abort_callback(lambda _data: bool(self._cancel and self._cancel.is_set()))
        self._no_abort = llama_c.ggml_abort_callback()
        self.read_speeds: list[float] = []

    def close(self) -> None:
        self._batch.close()
        self._ctx.close()

    def _decode(self, tokens: Sequence[int], n_past: int, outputs: Sequence[bool], cancel: threading.Event) -> None:
        if cancel.is_set():
            raise LabCancelled
        if n_past + len(tokens) > self.n_cells:
            raise self._decode_error(len(tokens), n_past, "it does not fit")
        batch = self._batch.batch
        batch.n_tokens = len(tokens)
        for i, token in enumerate(tokens):
            batch.token[i], batch.pos[i], batch.n_seq_id[i], batch.seq_id[i][0] = token, n_past + i, 1, 0
            batch.logits[i] = outputs[i]
        # A batch can be interrupted part-way; single tokens are quick and checked between them,
        # without llama.cpp calling into Python for every graph node.
        abortable = len(tokens) > 1
        self._cancel = cancel
        if abortable:
            llama_c.llama_set_abort_callback(self._ctx.ctx, self._abort, None)
        try:
            code = llama_c.llama_decode(self._ctx.ctx, batch)
        finally:
            if abortable:
                llama_c.llama_set_abort_callback(self._ctx.ctx, self._no_abort, None)
            self._cancel = None
        if code != 0:
            if cancel.is_set():
                raise LabCancelled
            raise self._decode_error(len(tokens), n_past, f"llama_decode returned {code}")

    def _decode_error(self, n_tokens: int, n_past: int, why: str) -> LabDecodeError:
        return LabDecodeError(translate(
            "KvLab", "llama.cpp could not evaluate {n} tokens at position {pos} of the {cells}-cell measuring "
                     "context ({why}).").format(n=n_tokens, pos=n_past, cells=self.n_cells, why=why))

    def scored_logits(self, sequence: Sequence[int], first_scored: int,
                      cancel: threading.Event) -> Iterator[tuple[int, np.ndarray]]:
        """Read `sequence` from an empty cache; yield (row, logits) blocks for positions `first_scored`
        to the next-to-last, whose next tokens are known. `row` counts from `first_scored`; a block is
        a view into llama.cpp's buffer, valid until the next one. The speed of the whole read, in
        tokens per second, is added to `self.read_speeds` (its steps differ: only some compute logits)."""
        llama_c.llama_memory_clear(self._ctx.memory, True)
        last = len(sequence) - 1  # the last token's prediction has nothing to compare with
        seconds = 0.0
        for start in range(0, len(sequence), STEP_TOKENS):
            step = sequence[start : start + STEP_TOKENS]
            outputs = [first_scored <= start + i < last for i in range(len(step))]
            began = time.perf_counter()
            self._decode(step, start, outputs, cancel)
            seconds += time.perf_counter() - began
            if start + len(step) == len(sequence):
                self.read_speeds.append(len(sequence) / seconds)
            n_out = sum(outputs)
            if n_out:
                pointer = llama_c.llama_get_logits(self._ctx.ctx)
                block = np.ctypeslib.as_array(ctypes.cast(pointer, ctypes.POINTER(ctypes.c_float)),
                                              shape=(n_out, self.n_vocab))
                yield max(start, first_scored) - first_scored, block

    def greedy(self, prompt: Sequence[int], n_new: int, cancel: threading.Event, repeat_penalty: float = 1.1,
               banned: frozenset[int] = frozenset(), on_token=None) -> list[int]:
        """Continue `prompt` by always taking the likeliest token; deterministic for a given model
        and cache. A mild repeat penalty keeps small models out of loops, and `banned` tokens (the
        end of text) are never taken, so the text reaches the length asked for. `on_token(i)` is
        told after each new token."""
        llama_c.llama_memory_clear(self._ctx.memory, True)
        tokens = list(prompt)
        self._decode(tokens, 0, [i == len(tokens) - 1 for i in range(len(tokens))], cancel)
        generated: list[int] = []
        for i in range(n_new):
            pointer = llama_c.llama_get_logits_ith(self._ctx.ctx, -1)
            row = np.ctypeslib.as_array(ctypes.cast(pointer, ctypes.POINTER(ctypes.c_float)),
                                        shape=(self.n_vocab,)).copy()
            recent = np.unique(np.asarray(tokens[-64:]))
            row[recent] = np.where(row[recent] > 0, row[recent] / repeat_penalty, row[recent] * repeat_penalty)
            row[list(banned)] = -np.inf
            token = int(row.argmax())
            if len(tokens) + 1 >= self.n_cells:
                break
            generated.append(token)
            self._decode([token], len(tokens), [True], cancel)
            tokens.append(token)
            if on_token is not None:
                on_token(i)
        return generated

    def generation_speeds(self, after: int, token: int, runs: int, per_run: int,
                          cancel: threading.Event) -> list[float]:
        """Tokens per second of `runs` runs of `per_run` single-token decodes, continuing the cache
        the last read left (`after` cells). The runs start early enough to fit in the context,
        whatever the text's length: cells past that point are dropped first."""
        start = min(after, self.n_cells - runs * per_run)
        if start < 1:
            raise self._decode_error(runs * per_run, max(start, 0), "the speed probe does not fit")
        llama_c.llama_memory_seq_rm(self._ctx.memory, 0, start, -1)
        speeds = []
        for run in range(runs):
            began = time.perf_counter()
            for i in range(per_run):
                self._decode([token], start + run * per_run + i, [True], cancel)
            speeds.append(per_run / (time.perf_counter() - began))
        return speeds
