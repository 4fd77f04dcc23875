"""ChatEngine: owns one llama-cpp-python `Llama` and does the work on the caller's thread.

It is not thread-safe on purpose. `EngineHost` calls it from its one dedicated thread only:
a `Llama` used, or closed, from two threads can crash the process.
"""

from __future__ import annotations

import codecs
import logging
import random
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import llama_cpp.llama_cpp as llama_c
from llama_cpp import Llama

from app.engine import llama_log
from app.engine.config import ResolvedConfig
from app.engine.devices.allocation import DeviceReport
from app.engine.errors import ContextOverflowError, GenerationError, NoModelLoadedError
from app.engine.history_fit import FittedPrompt, fit_history, reply_reserve
from app.engine.kept import sequence
from app.engine.kept.caches import KeptCaches
from app.engine.kept.occupant import Occupant, Restore, common_prefix
from app.engine.memory import N_UBATCH, window_cells
from app.engine.model_load import load_model, release_freed_memory
from app.engine.prompt import PromptBuilder
from app.engine.records import CacheUsage, ChatMessage, LoadReport, ReplyChunk, ReplyStats, SamplingParams
from app.i18n import translate

_log = logging.getLogger(__name__)
# The prompt is read this many tokens at a time, so a long one can say how far it has got (and be
# stopped) between batches; one ubatch a step costs nothing over llama.cpp's own batching.
PROMPT_STEP = N_UBATCH


class _Cancelled(Exception):
    pass


@dataclass(frozen=True)
class LoadedModel:
    """A loaded model: the Llama, the settings it was loaded with, and its prompt formatting."""

    llm: Llama
    resolved: ResolvedConfig
    prompts: PromptBuilder


class ChatEngine:
    def __init__(self, kept: KeptCaches | None = None) -> None:
        self._occupant = Occupant(kept)  # whose tokens the context holds; the kept caches of the others
        self._llm: Llama | None = None
        self._resolved: ResolvedConfig | None = None
        self._prompts: PromptBuilder | None = None
        self._report: LoadReport | None = None
        self._abort_event: threading.Event | None = None
        self._device_report: DeviceReport | None = None  # where llama.cpp put each layer and buffer
        # Armed only while a prompt is evaluated: llama.cpp calls it once per graph node,
        # and calling into Python that often would slow every generated token.
        self._abort_callback = llama_c.ggml_abort_callback(self._should_abort)
        self._no_abort = llama_c.ggml_abort_callback()

    # -- lifetime -------------------------------------------------------------------------

    @property
    def report(self) -> LoadReport | None:
        return self._report

    @property
    def device_report(self) -> DeviceReport | None:
        """llama.cpp's own account of where the loaded model's layers, KV layers and buffers went."""
        return self._device_report if self._llm is not None else None

    def load(self, resolved: ResolvedConfig) -> LoadReport:
        self.unload()
        loaded = load_model(resolved)
        self._occupant.loaded(loaded.state_key, loaded.n_caches)
        self._llm, self._prompts, self._report = loaded.llm, loaded.prompts, loaded.report
        self._resolved = resolved
        self._device_report = loaded.placement
        return self._report

    def unload(self) -> None:
        if self._llm is None:
            return
        self._occupant.leave(self._llm)  # a reload with the same settings, or the next start, restores it
        llm, self._llm = self._llm, None
        self._prompts = None
        self._report = None
        self._resolved = None
        llm.close()
        del llm
        release_freed_memory()

    def _require(self) -> Llama:
        if self._llm is None:
            raise NoModelLoadedError(translate("ChatEngine", "No model is loaded. Load a model first."))
        return self._llm

    # -- prompts --------------------------------------------------------------------------

    def fitted_chat_tokens(self, messages: Sequence[ChatMessage], sampling: SamplingParams,
                           policy: str) -> FittedPrompt:
        """The conversation's tokens, its oldest turns left out if it has outgrown the context."""
        llm = self._require()
        reserve = reply_reserve(sampling.max_tokens, llm.n_ctx())
        return fit_history(messages, llm.n_ctx(), reserve, self._prompts.chat_tokens, policy)

    def completion_tokens(self, text: str) -> list[int]:
        self._require()
        return self._prompts.completion_tokens(text)

    def loaded(self) -> LoadedModel:
        """The loaded model itself, for work that runs on it beside the chat (the KV lab)."""
        return LoadedModel(self._require(), self._resolved, self._prompts)

    # -- cache state ----------------------------------------------------------------------

    def usage(self) -> CacheUsage | None:
        if self._llm is None:
            return None
        memory = llama_c.llama_get_memory(self._llm.ctx)
        pos_max = llama_c.llama_memory_seq_pos_max(memory, 0)
        pos_min = llama_c.llama_memory_seq_pos_min(memory, 0)
        used = pos_max + 1 if pos_max >= 0 else 0
        resolved = self._resolved
        if not resolved.model.has_sliding_window:
            return CacheUsage(used, self._llm.n_ctx())
        window = window_cells(resolved.model, resolved.n_ctx, resolved.compact_window)
        held = pos_max - pos_min + 1 if pos_max >= 0 else 0
        return CacheUsage(used, self._llm.n_ctx(), min(held, window), window)

    def _reusable_prefix(self, tokens: Sequence[int]) -> int:
        """How many leading prompt tokens can stay in the cache from the previous request."""
        llm = self._llm
        keep = common_prefix(llm.input_ids[:llm.n_tokens], tokens)
        if keep == len(tokens):
            keep -= 1  # the last prompt token is evaluated again to get fresh logits
        resolved = self._resolved
        if keep > 0 and resolved.model.has_sliding_window:
            # A compact window cache has already dropped old positions, and so has any window cache
            # restored from a kept state (llama.cpp saves only the cells still inside the window, even
            # with the full-size window). Reusing a prefix whose end needs them (an edit or regenerate
            # far back) would silently attend to nothing.
            pos_min = llama_c.llama_memory_seq_pos_min(llama_c.llama_get_memory(llm.ctx), 0)
            if pos_min > 0 and keep < pos_min + resolved.model.sliding_window:
                return 0
        return max(keep, 0)

    # -- kept caches ----------------------------------------------------------------------

    @property
    def kept(self) -> KeptCaches | None:
        return self._occupant.kept

    # -- generation -----------------------------------------------------------------------

    def _should_abort(self, _data) -> bool:
        event = self._abort_event
        return bool(event is not None and event.is_set())

    def _evaluate_prompt(self, tokens: Sequence[int], cancel: threading.Event) -> Iterator[int]:
        """Read the prompt's tokens the cache does not hold, a batch at a time; yields how many it holds."""
        llm = self._llm
        keep = self._reusable_prefix(tokens)
        llm.n_tokens = keep
        self._occupant.changed()
        self._abort_event = cancel
        llama_c.llama_set_abort_callback(llm.ctx, self._abort_callback, None)
        try:
            for start in range(keep, len(tokens), PROMPT_STEP):
                with llama_log.capture() as log:
                    llm.eval(list(tokens[start:start + PROMPT_STEP]))
                if llm.n_tokens < len(tokens):
                    yield llm.n_tokens
        except RuntimeError as exc:
            # llama.cpp drops the failed batch's cells; keep the wrapper's count in step with it.
            llm.n_tokens = min(llm.n_tokens, sequence.held_positions(llm))
            if cancel.is_set():
                raise _Cancelled from None
            raise GenerationError(
                translate("ChatEngine", "llama.cpp failed while reading the prompt: {error}").format(error=exc)
                + "\n" + "\n".join(log.at_least(llama_log.WARN))
            ) from None
        finally:
            llama_c.llama_set_abort_callback(llm.ctx, self._no_abort, None)
            self._abort_event = None

    def stream(
        self,
        tokens: Sequence[int],
        sampling: SamplingParams,
        cancel: threading.Event,
        dropped_messages: int = 0,
        conversation: str | None = None,
    ) -> Iterator[ReplyChunk]:
        """Generate a reply to prompt `tokens`, one chunk per token, ending with a "done" chunk.

        `conversation` names whose prompt this is: its kept cache is restored first if it has one, and
        the cache it leaves is kept for it when the reply ends."""
        llm = self._require()
        resolved = self._resolved
        n_ctx = llm.n_ctx()
        if not tokens:
            raise GenerationError(translate("ChatEngine", "There is nothing to reply to: the prompt is empty."))
        if len(tokens) >= n_ctx:
            raise ContextOverflowError(translate(
                "ChatEngine",
                "The conversation is {length:,} tokens long, but the context holds {n_ctx:,}. "
                "Start a new conversation, shorten it, or load the model with a longer context.",
            ).format(length=len(tokens), n_ctx=n_ctx))
        seed = sampling.seed if sampling.seed is not None else random.randrange(2**31)
        started = time.monotonic()
        restored = self._occupant.bring_in(llm, conversation, tokens)
        cached = self._reusable_prefix(tokens)
        if restored.source and cached == 0:
            # A sliding-window state holds only the window's last positions: a change older than them
            # (an edit, a regenerate) cannot continue from it, and the whole prompt is read.
            restored = Restore(reason=translate("ChatEngine", "the change is older than the window the kept cache "
                                                 "holds"))
        stats = ReplyStats(
            prompt_tokens=len(tokens), seed=seed, type_k=resolved.type_k.name, type_v=resolved.type_v.name,
            dropped_messages=dropped_messages, cache_source=restored.source, restore_seconds=restored.seconds,
            read_again=restored.reason,
        )
        yield ReplyChunk(phase="prompt", text="", stats=stats, usage=self.usage(), prompt_read=cached)
        if cancel.is_set():
            yield ReplyChunk(phase="done", text="", stats=stats, usage=self.usage(), finish_reason="cancelled")
            return
        try:
            for read in self._evaluate_prompt(tokens, cancel):
                yield ReplyChunk(phase="prompt", text="", stats=stats, usage=self.usage(), prompt_read=read)
        except _Cancelled:
            self._occupant.keep(self._llm)
            yield ReplyChunk(phase="done", text="", stats=stats, usage=self.usage(), finish_reason="cancelled")
            return
        prompt_done = time.monotonic()
        evaluated = len(tokens) - cached
        stats = replace(
            stats,
            cached_tokens=cached,
            prompt_tokens_per_second=evaluated / (prompt_done - started) if prompt_done > started else None,
        )
        llm.set_seed(seed)
        vocab = llama_c.llama_model_get_vocab(llm.model)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        generator = llm.generate(
            tokens,
            top_k=sampling.top_k,
            top_p=sampling.top_p,
            min_p=sampling.min_p,
            temp=sampling.temperature,
            repeat_penalty=sampling.repeat_penalty,
            reset=True,
        )
        generated = 0
        first_at = None
        finish = "stop"
        try:
            for token in generator:
                now = time.monotonic()
                if first_at is None:
                    first_at = now
                if cancel.is_set():
                    finish = "cancelled"
                    break
                if llama_c.llama_vocab_is_eog(vocab, token):
                    break
                generated += 1
                since_first = now - first_at
                stats = replace(
                    stats,
                    generated_tokens=generated,
                    time_to_first_token=first_at - started,
                    tokens_per_second=(generated - 1) / since_first if generated > 1 and since_first > 0 else None,
                )
                yield ReplyChunk(phase="generating", text=decoder.decode(llm.detokenize([token])), stats=stats,
                                 usage=self.usage())
                if generated >= sampling.max_tokens:
                    finish = "length"
                    break
                if llm.n_tokens >= n_ctx:
                    finish = "context_full"
                    break
        except RuntimeError as exc:
            raise GenerationError(translate("ChatEngine", "llama.cpp failed while generating: {error}").format(
                error=exc)) from None
        finally:
            generator.close()
        tail = decoder.decode(b"", final=True)
        # Kept before the last chunk goes: once the reader has it, the window may be closed.
        self._occupant.keep(self._llm)
        yield ReplyChunk(phase="done", text=tail, stats=stats, usage=self.usage(), finish_reason=finish)

