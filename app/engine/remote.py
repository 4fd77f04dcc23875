"""RemoteHost: chat with a model on an OpenAI-compatible server (llama.cpp's llama-server,
llama-cpp-python's server, Ollama, LM Studio) when it outgrows this machine.

It streams replies exactly as EngineHost does (the same ReplyChunk records), one worker thread
per request so the event loop never waits on the network. The server owns its KV cache: its
type, context and flash attention are set where the server was started; what the server reports
about them is gathered in a RemoteReport.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace

from app.engine.errors import EngineError
from app.engine.i18n import QT_TRANSLATE_NOOP, translate
from app.engine.records import ChatMessage, ReplyChunk, ReplyStats, SamplingParams


TIMEOUT_SECONDS = 30
_END = object()

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


class RemoteError(EngineError):
    """The server could not be reached or refused the request; the message says which."""


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
        self._streams: set[threading.Event] = set()
        self._lock = threading.Lock()

    @property
    def report(self) -> RemoteReport | None:
        return self._report

    @property
    def busy(self) -> bool:
        with self._lock:
            return bool(self._streams)

    # -- HTTP ---------------------------------------------------------------------------------

    def _request(self, path: str, body: dict | None = None, timeout: float = TIMEOUT_SECONDS):
        headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers,
                                         method="POST" if body is not None else "GET")
        try:
            return urllib.request.urlopen(request, timeout=timeout)
        except urllib.error.HTTPError as exc:
            detail = exc.read(2000).decode("utf-8", "replace").strip()
            raise RemoteError(translate("RemoteHost", "{url} answered {code} {reason} to {path}: {detail}").format(
                url=self.base_url, code=exc.code, reason=exc.reason, path=path, detail=detail)) from None
        except (urllib.error.URLError, OSError, socket.timeout) as exc:
            reason = getattr(exc, "reason", exc)
            raise RemoteError(translate(
                "RemoteHost", "{url} cannot be reached: {reason}. Is the server running?").format(
                url=self.base_url, reason=reason)) from None

    def _get_json(self, path: str, timeout: float = TIMEOUT_SECONDS):
        with self._request(path, timeout=timeout) as response:
            return json.loads(response.read().decode("utf-8"))

    def _probe(self, path: str):
        """A GET that may fail: servers answer only some of these."""
        try:
            return self._get_json(path, timeout=5)
        except (RemoteError, ValueError):
            return None

    # -- connecting -----------------------------------------------------------------------------

    def _connect(self, model: str | None) -> RemoteReport:
        listing = self._get_json("/v1/models")
        models = tuple(m.get("id", "") for m in listing.get("data", []) if isinstance(m, dict))
        if not models:
            raise RemoteError(translate("RemoteHost", "{url} lists no models at /v1/models.").format(url=self.base_url))
        chosen = model if model in models else models[0]
        kind, facts = OPENAI_SERVER, {}
        props = self._probe("/props")
        ollama = self._probe("/api/ps")
        lmstudio = self._probe("/api/v0/models")
        if isinstance(props, dict) and ("default_generation_settings" in props or "total_slots" in props):
            kind = LLAMA_SERVER
            settings = props.get("default_generation_settings") or {}
            if "n_ctx" in settings:
                facts[translate("RemoteHost", "context")] = translate("RemoteHost", "{count:,} tokens per slot").format(
                    count=settings["n_ctx"])
            if "total_slots" in props:
                facts[translate("RemoteHost", "slots")] = str(props["total_slots"])
        elif isinstance(ollama, dict) and "models" in ollama:
            kind = OLLAMA
            for m in ollama["models"]:
                if m.get("name") == chosen or m.get("model") == chosen:
                    if m.get("context_length"):
                        facts[translate("RemoteHost", "context")] = translate("RemoteHost", "{count:,} tokens").format(
                            count=m["context_length"])
                    if m.get("size"):
                        facts[translate("RemoteHost", "memory in use")] = translate(
                            "RemoteHost", "{mib:,.0f} MiB (weights and cache)").format(mib=m["size"] / 2**20)
        elif isinstance(lmstudio, dict) and isinstance(lmstudio.get("data"), list):
            kind = LM_STUDIO
            for m in lmstudio["data"]:
                if m.get("id") == chosen:
                    if m.get("max_context_length"):
                        facts[translate("RemoteHost", "trained context")] = translate(
                            "RemoteHost", "{count:,} tokens").format(count=m["max_context_length"])
                    if m.get("quantization"):
                        facts[translate("RemoteHost", "weights")] = str(m["quantization"])
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
                loop.call_soon_threadsafe(deliver, self._connect(model))
            except BaseException as exc:  # delivered to the caller
                loop.call_soon_threadsafe(deliver, None, exc)

        threading.Thread(target=work, name="kvchat-remote", daemon=True).start()
        self._report = await done
        return self._report

    # -- chatting -------------------------------------------------------------------------------

    def chat(self, messages: Sequence[ChatMessage], sampling: SamplingParams | None = None,
             overflow: str = "drop_oldest") -> AsyncIterator[ReplyChunk]:
        body = {"messages": [m.as_dict() for m in messages]}
        return self._stream("/v1/chat/completions", body, sampling or SamplingParams(), chat=True)

    def complete(self, prompt: str, sampling: SamplingParams | None = None) -> AsyncIterator[ReplyChunk]:
        return self._stream("/v1/completions", {"prompt": prompt}, sampling or SamplingParams(), chat=False)

    def cancel(self) -> None:
        with self._lock:
            for event in self._streams:
                event.set()

    async def usage(self):
        return None  # the server does not say how full its cache is

    async def close(self) -> None:
        self.cancel()

    async def _stream(self, path: str, body: dict, sampling: SamplingParams, chat: bool):
        if self._report is None:
            raise RemoteError(translate("RemoteHost", "Not connected to a server."))
        body = {**body, "model": self._report.model, "stream": True, "temperature": sampling.temperature,
                "top_p": sampling.top_p, "max_tokens": sampling.max_tokens,
                # llama.cpp-family extensions; other servers ignore what they do not know
                "top_k": sampling.top_k, "min_p": sampling.min_p, "repeat_penalty": sampling.repeat_penalty}
        if sampling.seed is not None:
            body["seed"] = sampling.seed
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()
        cancel = threading.Event()
        with self._lock:
            self._streams.add(cancel)
        worker = threading.Thread(target=self._pump, args=(path, body, chat, cancel, loop, queue),
                                  name="kvchat-remote", daemon=True)
        worker.start()
        try:
            while True:
                item = await queue.get()
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            cancel.set()
            with self._lock:
                self._streams.discard(cancel)

    def _pump(self, path, body, chat, cancel, loop, queue) -> None:
        """On the worker thread: read server-sent events, push ReplyChunks."""
        def push(item):
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:
                pass

        started = time.monotonic()
        stats = ReplyStats()
        push(ReplyChunk(0, "prompt", "", stats))
        finish, first_at, generated = "stop", None, 0
        try:
            with self._request(path, body) as response:
                for raw in response:
                    if cancel.is_set():
                        finish = "cancelled"
                        break
                    line = raw.decode("utf-8", "replace").strip()
                    if not line.startswith("data:"):
                        continue
                    payload = line[5:].strip()
                    if payload == "[DONE]":
                        break
                    event = json.loads(payload)
                    choice = (event.get("choices") or [{}])[0]
                    text = (choice.get("delta") or {}).get("content") if chat else choice.get("text")
                    if event.get("usage"):
                        stats = replace(stats, prompt_tokens=int(event["usage"].get("prompt_tokens") or 0))
                    if text:
                        now = time.monotonic()
                        first_at = first_at or now
                        generated += 1
                        since = now - first_at
                        stats = replace(stats, generated_tokens=generated, time_to_first_token=first_at - started,
                                        tokens_per_second=(generated - 1) / since if generated > 1 and since else None)
                        push(ReplyChunk(0, "generating", text, stats))
                    if choice.get("finish_reason"):
                        finish = {"length": "length"}.get(choice["finish_reason"], "stop")
            push(ReplyChunk(0, "done", "", stats, None, finish))
            push(_END)
        except RemoteError as exc:
            push(exc)
        except (OSError, ValueError) as exc:
            if cancel.is_set():
                push(ReplyChunk(0, "done", "", stats, None, "cancelled"))
                push(_END)
            else:
                push(RemoteError(translate("RemoteHost", "The connection to {url} broke off: {error}").format(
                    url=self.base_url, error=exc)))
