"""RemoteHost: chat with a model on an OpenAI-compatible server (llama.cpp's llama-server,
llama-cpp-python's server, Ollama, LM Studio) when it outgrows this machine.

It streams replies exactly as EngineHost does (the same ReplyChunk records in a ThreadStream), one
worker thread per request so the event loop never waits on the network. The server owns its KV cache: its
type, context and flash attention are set where the server was started; what the server reports
about them is gathered in a RemoteReport.

Whatever the server sends is checked where it enters: remote_http keeps requests (and the API
key) to the typed origin and bounds every read in bytes and time; remote_stream reads each event
whatever its shape. A reply always ends: with its text, or a RemoteError saying what the server
did; cancel() ends it at once, even while the worker is blocked in a read, keeping what arrived.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from app.engine.backend import ReplyStream, ThreadStream
from app.engine.records import ChatMessage, ReplyChunk, ReplyStats, SamplingParams
from app.engine.remote.http import MAX_BODY_BYTES, BodyReader, HttpExchange, RemoteError, cut
from app.engine.remote.stream import parse_event_line, parse_json_answer
from app.engine.sampling_check import check_sampling
from app.i18n import QT_TRANSLATE_NOOP, translate

__all__ = ["RemoteError", "RemoteHost", "RemoteReport"]

TIMEOUT_SECONDS = 30  # for each answer while connecting
PROBE_TIMEOUT_SECONDS = 5  # for the optional questions (what kind of server, its context)
# While a reply streams, the longest the server may take to start its answer, and then to stay
# silent (or take over one line). Generous: a big model on a slow machine may read a long prompt
# for minutes before its first word. The user's Esc ends a reply at once regardless.
ANSWER_TIMEOUT_SECONDS = 300
READ_TIMEOUT_SECONDS = 300
MAX_REPLY_CHARS = 1_000_000  # a reply is stopped here ("length"), whatever the server does
MAX_MODELS = 1000
MAX_NAME_CHARS = 256


# Kinds of server, in English; RemoteReport.server holds them in the user's language.
LLAMA_SERVER = QT_TRANSLATE_NOOP("RemoteHost", "llama.cpp server")
OLLAMA = "Ollama"
LM_STUDIO = "LM Studio"
OPENAI_SERVER = QT_TRANSLATE_NOOP("RemoteHost", "OpenAI-compatible server")
_WHERE_SETTINGS_LIVE = {
    LLAMA_SERVER: QT_TRANSLATE_NOOP(
        "RemoteHost", "llama-server's command line: -c (context), -ctk / -ctv (K/V types), -fa"),
    OLLAMA: QT_TRANSLATE_NOOP(
        "RemoteHost", "Ollama's environment: OLLAMA_KV_CACHE_TYPE, OLLAMA_FLASH_ATTENTION, and num_ctx"),
    LM_STUDIO: QT_TRANSLATE_NOOP("RemoteHost", "the model's load settings in LM Studio"),
}
_OTHER_SERVER_SETTINGS = QT_TRANSLATE_NOOP(
    "RemoteHost", "the server's own start-up options (for llama-cpp-python: --n_ctx, --type_k, --type_v, --flash_attn)")


@dataclass(frozen=True)
class RemoteReport:
    url: str
    model: str
    models: tuple[str, ...]
    server: str  # what kind of server answered, as the user reads it
    facts: dict[str, str] = field(default_factory=dict)  # what it says about its context and cache (shown as is)
    chat_template: bool = True  # servers format chats themselves
    kind: str = ""  # LLAMA_SERVER, OLLAMA, LM_STUDIO or OPENAI_SERVER (English, for lookups)

    @property
    def where_settings_live(self) -> str:
        return translate("RemoteHost", _WHERE_SETTINGS_LIVE.get(self.kind or self.server, _OTHER_SERVER_SETTINGS))


class RemoteHost:
    def __init__(self, base_url: str, api_key: str | None = None):
        self.base_url = base_url.rstrip("/")
        if self.base_url.endswith("/v1"):
            self.base_url = self.base_url[:-3]
        self.api_key = api_key
        self._report: RemoteReport | None = None
        self._streams: set[ThreadStream] = set()
        self._lock = threading.Lock()
        self.bytes_received = 0  # from the server, all requests together (bounded reads keep it small)

    @property
    def report(self) -> RemoteReport | None:
        return self._report

    @property
    def busy(self) -> bool:
        with self._lock:
            return bool(self._streams)

    # -- HTTP ---------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        if self.api_key:
            if any(not " " <= c <= "~" for c in self.api_key):  # never echoed: it is a secret
                raise RemoteError(translate(
                    "RemoteHost", "The API key holds characters that cannot be sent (line breaks, tabs or letters "
                    "beyond ASCII). Copy it again from the server's settings."))
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def _counted(self, exchange: HttpExchange) -> None:
        exchange.close()
        with self._lock:
            self.bytes_received += exchange.bytes_read

    def _get_json(self, path: str, timeout: float):
        exchange = HttpExchange(self.base_url, self._headers())
        try:
            response = exchange.open("GET", path, None, timeout)
            body = BodyReader(exchange, response, timeout).read_all(MAX_BODY_BYTES)
        finally:
            self._counted(exchange)
        try:
            return json.loads(body.decode("utf-8", "replace"))
        except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
            raise RemoteError(translate(
                "RemoteHost", "{url} answered {path} with something that is not JSON. Is this an OpenAI-compatible "
                "server?").format(url=self.base_url, path=path)) from None

    def _probe(self, path: str):
        """A GET that may fail: servers answer only some of these."""
        try:
            return self._get_json(path, PROBE_TIMEOUT_SECONDS)
        except RemoteError:
            return None

    # -- connecting -----------------------------------------------------------------------------

    def _connect(self, model: str | None) -> RemoteReport:
        listing = self._get_json("/v1/models", TIMEOUT_SECONDS)
        entries = listing.get("data") if isinstance(listing, dict) else listing
        if not isinstance(entries, list):
            raise RemoteError(translate(
                "RemoteHost", "{url} answered /v1/models with something that is not a list of models. Is this an "
                "OpenAI-compatible server?").format(url=self.base_url))
        models = tuple(dict.fromkeys(name for entry in entries if isinstance(entry, dict)
                                     if (name := _name(entry.get("id")))))[:MAX_MODELS]
        if not models:
            raise RemoteError(translate("RemoteHost", "{url} lists no models at /v1/models.").format(url=self.base_url))
        chosen = model if model in models else models[0]
        kind, facts = OPENAI_SERVER, {}
        props = self._probe("/props")
        ollama = self._probe("/api/ps")
        lmstudio = self._probe("/api/v0/models")
        if isinstance(props, dict) and ("default_generation_settings" in props or "total_slots" in props):
            kind = LLAMA_SERVER
            settings = props.get("default_generation_settings")
            n_ctx = _count(settings.get("n_ctx")) if isinstance(settings, dict) else None
            if n_ctx is not None:
                facts[translate("RemoteHost", "context")] = translate("RemoteHost", "{count:,} tokens per slot").format(
                    count=n_ctx)
            if (slots := _count(props.get("total_slots"))) is not None:
                facts[translate("RemoteHost", "slots")] = str(slots)
        elif isinstance(ollama, dict) and isinstance(ollama.get("models"), list):
            kind = OLLAMA
            for m in _entries(ollama["models"]):
                if chosen in (m.get("name"), m.get("model")):
                    if n_ctx := _count(m.get("context_length")):
                        facts[translate("RemoteHost", "context")] = translate("RemoteHost", "{count:,} tokens").format(
                            count=n_ctx)
                    if size := _count(m.get("size")):
                        facts[translate("RemoteHost", "memory in use")] = translate(
                            "RemoteHost", "{mib:,.0f} MiB (weights and cache)").format(mib=size / 2**20)
        elif isinstance(lmstudio, dict) and isinstance(lmstudio.get("data"), list):
            kind = LM_STUDIO
            for m in _entries(lmstudio["data"]):
                if m.get("id") == chosen:
                    if n_ctx := _count(m.get("max_context_length")):
                        facts[translate("RemoteHost", "trained context")] = translate(
                            "RemoteHost", "{count:,} tokens").format(count=n_ctx)
                    if quantization := _name(m.get("quantization")):
                        facts[translate("RemoteHost", "weights")] = quantization
        # Other servers (llama-cpp-python's among them) say nothing about their context or cache.
        return RemoteReport(self.base_url, chosen, models, translate("RemoteHost", kind), facts, kind=kind)

    async def connect(self, model: str | None = None) -> RemoteReport:
        """Ask the server what it serves and what it says about its cache (on a worker thread)."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future = loop.create_future()

        def deliver(result=None, error=None):
            if not done.done():
                done.set_exception(error) if error is not None else done.set_result(result)

        def work():
            try:
                result = self._connect(model)
            except BaseException as exc:  # the thread's top: every failure reaches the caller as a RemoteError
                loop.call_soon_threadsafe(deliver, None, self._as_remote_error(exc))
            else:
                loop.call_soon_threadsafe(deliver, result)

        threading.Thread(target=work, name="kvchat-remote", daemon=True).start()
        self._report = await done
        return self._report

    def _as_remote_error(self, exc: BaseException) -> RemoteError:
        if isinstance(exc, RemoteError):
            return exc
        error = RemoteError(translate(
            "RemoteHost", "The answer from {url} could not be read ({error}). The server may not be an "
            "OpenAI-compatible one.").format(url=self.base_url, error=cut(f"{type(exc).__name__}: {exc}", 200)))
        error.__cause__ = exc
        return error

    # -- chatting -------------------------------------------------------------------------------

    def chat(self, messages: Sequence[ChatMessage], sampling: SamplingParams | None = None,
             overflow: str = "drop_oldest", conversation: str | None = None) -> ReplyStream:
        # A server keeps its own cache; `conversation` names nothing to it.
        body = {"messages": [m.as_dict() for m in messages]}
        return self._stream("/v1/chat/completions", body, sampling or SamplingParams())

    def complete(self, prompt: str, sampling: SamplingParams | None = None,
                 conversation: str | None = None) -> ReplyStream:
        return self._stream("/v1/completions", {"prompt": prompt}, sampling or SamplingParams())

    def cancel(self) -> None:
        """Stop every reply at once, even one whose read is blocked; what arrived is kept."""
        with self._lock:
            streams = list(self._streams)
        for stream in streams:
            stream.cancel()

    async def usage(self):
        return None  # the server does not say how full its cache is

    async def close(self) -> None:
        self.cancel()

    def _stream(self, path: str, body: dict, sampling: SamplingParams) -> ReplyStream:
        stream = ThreadStream(on_closed=self._forget)
        try:
            if self._report is None:
                raise RemoteError(translate("RemoteHost", "Not connected to a server."))
            check_sampling(sampling)  # from a file or the database, it may hold anything
        except Exception as exc:  # said through the stream, like any other failure of a reply
            stream.end(exc)
            return stream
        body = {**body, "model": self._report.model, "stream": True, "temperature": sampling.temperature,
                "top_p": sampling.top_p, "max_tokens": sampling.max_tokens,
                # llama.cpp-family extensions; other servers ignore what they do not know
                "top_k": sampling.top_k, "min_p": sampling.min_p, "repeat_penalty": sampling.repeat_penalty}
        if sampling.seed is not None:
            body["seed"] = sampling.seed
        with self._lock:
            self._streams.add(stream)
        threading.Thread(target=self._reply_on_thread, args=(stream, path, body, sampling), name="kvchat-remote",
                         daemon=True).start()
        return stream

    def _forget(self, stream: ThreadStream) -> None:
        with self._lock:
            self._streams.discard(stream)

    def _reply_on_thread(self, stream: ThreadStream, path: str, body: dict, sampling: SamplingParams) -> None:
        """On the worker thread: read the answer into `stream`; always ends the reply, one way or another.

        A cancel ends the reply at once, from the cancelling thread, with the stats of the last chunk
        the reader was given; the worker's own ending then comes too late and is dropped."""
        lock = threading.Lock()  # a chunk handed over and its stats noted, as one step
        given = ReplyStats()

        def send(chunk: ReplyChunk) -> None:
            nonlocal given
            with lock:
                if stream.put(chunk):
                    given = chunk.stats

        def end_cancelled() -> None:
            with lock:
                stream.end(last=ReplyChunk(phase="done", text="", stats=given, finish_reason="cancelled"))

        stream.on_cancel(end_cancelled)
        try:
            send(ReplyChunk(phase="prompt", text="", stats=ReplyStats()))
            exchange = HttpExchange(self.base_url, self._headers())
            stream.on_cancel(exchange.abort)  # a blocked read returns at once
            try:
                stats, finish = self._read_reply(exchange, stream, send, path, json.dumps(body).encode(), sampling)
            finally:
                self._counted(exchange)
            stream.end(last=ReplyChunk(phase="done", text="", stats=stats, finish_reason=finish))
        except BaseException as exc:  # the thread's top: every failure ends the reply with a message
            if not stream.cancelled.is_set():  # a cancelled reply has ended already; its aborted read is no failure
                stream.end(self._as_remote_error(exc))
        finally:
            self._forget(stream)

    def _read_reply(self, exchange: HttpExchange, stream: ThreadStream, send: Callable[[ReplyChunk], None],
                    path: str, body: bytes, sampling: SamplingParams) -> tuple[ReplyStats, str]:
        started = time.monotonic()
        response = exchange.open("POST", path, body, ANSWER_TIMEOUT_SECONDS)
        reader = BodyReader(exchange, response, READ_TIMEOUT_SECONDS)
        if "json" in (response.getheader("Content-Type") or "").lower():
            parts = iter([parse_json_answer(reader.read_all(MAX_BODY_BYTES))])  # it ignored "stream": true
        else:
            parts = (parse_event_line(line) for line in reader.lines())
        max_pieces = sampling.max_tokens if isinstance(sampling.max_tokens, int) and sampling.max_tokens > 0 else None
        stats, finish = ReplyStats(), "stop"
        first_at, pieces, chars, unreadable = None, 0, 0, 0
        for part in parts:
            if stream.cancelled.is_set():
                return stats, "cancelled"
            if part.done:
                break
            if part.error:
                raise RemoteError(translate("RemoteHost", "{url} reported an error: {message}").format(
                    url=self.base_url, message=part.error))
            unreadable += not part.understood
            if part.prompt_tokens is not None:
                stats = replace(stats, prompt_tokens=part.prompt_tokens)
            if part.finish:
                finish = part.finish
            if part.text:
                text = part.text[:MAX_REPLY_CHARS - chars]
                now = time.monotonic()
                first_at = first_at or now
                pieces, chars = pieces + 1, chars + len(text)
                since = now - first_at
                stats = replace(stats, generated_tokens=pieces, time_to_first_token=first_at - started,
                                tokens_per_second=(pieces - 1) / since if pieces > 1 and since else None)
                send(ReplyChunk(phase="generating", text=text, stats=stats))
                # A server that ignores max_tokens is stopped here; leaving closes the connection.
                if (max_pieces is not None and pieces >= max_pieces) or chars >= MAX_REPLY_CHARS:
                    return stats, "length"
        if not pieces and unreadable:
            raise RemoteError(translate(
                "RemoteHost", "{url} answered in a form this app cannot read: {count} of its events held no reply "
                "text where an OpenAI-compatible server puts it.").format(url=self.base_url, count=unreadable))
        return stats, finish


def _count(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _name(value) -> str | None:
    """A server-given name worth showing: a short non-empty string."""
    return value.strip() if isinstance(value, str) and value.strip() and len(value) <= MAX_NAME_CHARS else None


def _entries(items: list) -> list[dict]:
    return [item for item in items if isinstance(item, dict)]
