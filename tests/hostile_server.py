"""A loopback OpenAI-compatible server whose paths each misbehave in one way.

The first path segment names the behaviour: `http://127.0.0.1:PORT/<case>` is the address a
RemoteHost connects to, so `<case>/v1/models`, `<case>/v1/chat/completions`, `<case>/props`...
all belong to that case, answered by the method `_case_<case>` (a case that is no method, such as
"plain", behaves). Unless a case says otherwise, /v1/models lists one model ("hostile"), a chat
streams "Hello there", and the other probes answer 404. Every request is recorded (method, path,
headers).

Moments a test waits for are threading.Events, never sleeps: `first_bytes_sent` is set once a
reply's first bytes are written, `client_gone` once a write fails because the client closed the
connection. `bytes_sent` and `events_sent` count what the reply case wrote.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL = "hostile"
BIG_LINE_BYTES = 1 << 30  # the "bigline" case: one line of 1 GiB
WRITE_SIZE = 64 << 10


def event(data) -> bytes:
    return b"data: " + (data if isinstance(data, bytes) else json.dumps(data).encode()) + b"\n\n"


def content(text: str) -> dict:
    return {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}


STOP = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
DONE = b"data: [DONE]\n\n"

# Events of a wrong shape, each followed in its stream by a normal "ok" so that ignoring it is visible.
ODD_EVENTS = {
    "list": [],
    "null": None,
    "number": 5,
    "choices_string": {"choices": "abc"},
    "delta_string": {"choices": [{"index": 0, "delta": "abc"}]},
    "usage_number": {"choices": [], "usage": 5},
    "finish_reason_list": {"choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": ["stop"]}]},
}

ERROR_PAGE = (b"<!DOCTYPE html><html><head><title>500 Internal Server Error</title>"
              b"<style>body { font-family: sans-serif; color: #333 }</style>"
              b"<script>console.log('x'.repeat(1000))</script></head><body><h1>Internal Server Error</h1>"
              b"<p>The server encountered an internal error and was unable to complete your request.</p>"
              + b"<p>" + b"padding " * 2000 + b"</p></body></html>")


class ClientGone(Exception):
    """The client closed the connection while the server was writing."""


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]


class HostileServer:
    def __init__(self):
        self.stop = threading.Event()
        self.first_bytes_sent = threading.Event()
        self.client_gone = threading.Event()
        self.bytes_sent = 0
        self.events_sent = 0
        self.requests: list[Request] = []
        self.redirect_target = ""  # where the redirect cases send the client
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args):
                pass

            def do_GET(self):
                server._handle(self)

            def do_POST(self):
                server._handle(self)

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, args=(0.05,), name="hostile-server",
                                        daemon=True)
        self._thread.start()
        self.port = self._http.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def url_for(self, case: str) -> str:
        return f"{self.url}/{case}"

    def close(self) -> None:
        self.stop.set()
        self._http.shutdown()
        self._http.server_close()

    # -- answering ----------------------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        self.requests.append(Request(h.command, h.path, dict(h.headers.items())))
        h.rfile.read(int(h.headers.get("Content-Length") or 0))  # the request's body is not looked at
        case, _, rest = h.path.lstrip("/").partition("/")
        rest = "/" + rest.split("?")[0]
        try:
            answer = getattr(self, f"_case_{case}", None)
            if answer is not None and answer(h, rest) is not False:
                return
            if rest == "/v1/models":
                self._json(h, {"object": "list", "data": [{"id": MODEL, "object": "model"}]})
            elif rest in ("/v1/chat/completions", "/v1/completions"):
                self._stream(h, [event(content("Hello")), event(content(" there")), event(STOP), DONE])
            else:
                self._json(h, {"error": "not found"}, status=404)
        except ClientGone:
            self.client_gone.set()

    def _json(self, h, data, status: int = 200, content_type: str = "application/json") -> None:
        body = data if isinstance(data, bytes) else json.dumps(data).encode()
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def _start_stream(self, h) -> None:
        """Headers of a server-sent event stream whose end is the connection's close."""
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.flush()
        h.close_connection = True

    def _write(self, h, data: bytes) -> None:
        try:
            h.wfile.write(data)
            h.wfile.flush()
        except OSError:
            raise ClientGone from None
        self.bytes_sent += len(data)
        self.first_bytes_sent.set()

    def _stream(self, h, events: list[bytes]) -> None:
        self._start_stream(h)
        for item in events:
            self._write(h, item)
            self.events_sent += 1

    def _trickle(self, h, data: bytes, every: float) -> None:
        """Write `data` one byte at a time, one byte per `every` seconds, until stopped."""
        for i in range(len(data)):
            if self.stop.wait(every):
                return
            self._write(h, data[i:i + 1])

    # -- the cases: each answers what it changes and returns False for the rest ----------------

    def _case_usage_last(self, h, rest):
        """The last event has "choices": [] and the usage, as real servers send it."""
        if rest != "/v1/chat/completions":
            return False
        self._stream(h, [event(content("Hi")), event(STOP),
                         event({"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 1}}), DONE])

    def _case_error_event(self, h, rest):
        """Some text, then an error event."""
        if rest != "/v1/chat/completions":
            return False
        self._stream(h, [event(content("Partial ")), event({"error": {"code": 500, "message": "the model crashed",
                                                                      "type": "server_error"}})])

    def _case_slowloris(self, h, rest):
        """One whole event, then the next one byte per second, forever."""
        if rest != "/v1/chat/completions":
            return False
        self._start_stream(h)
        self._write(h, event(content("Partial reply. ")))
        self._trickle(h, event(content("never finished")) * 1000, every=1.0)

    def _case_noline(self, h, rest):
        """Bytes that never end a line: a few every 50 ms."""
        if rest != "/v1/chat/completions":
            return False
        self._start_stream(h)
        self._write(h, b"data: ")
        while not self.stop.wait(0.05):
            self._write(h, b"xxxxxxxx")

    def _case_silent(self, h, rest):
        """Headers, then nothing at all."""
        if rest != "/v1/chat/completions":
            return False
        self._start_stream(h)
        self.first_bytes_sent.set()
        self.stop.wait()

    def _case_models_silent(self, h, rest):
        """The model list's headers, then nothing."""
        if rest != "/v1/models":
            return False
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", "100")
        h.end_headers()
        h.wfile.flush()
        self.first_bytes_sent.set()
        self.stop.wait()

    def _case_headers_trickle(self, h, rest):
        """Every answer's headers, one byte per 100 ms (they would take 17 minutes)."""
        self._write(h, b"HTTP/1.1 200 OK\r\n")
        self._trickle(h, b"X-Padding: " + b"a" * 10_000 + b"\r\n\r\n", every=0.1)

    def _case_endless(self, h, rest):
        """Words for ever, whatever max_tokens asked for."""
        if rest != "/v1/chat/completions":
            return False
        self._start_stream(h)
        while not self.stop.is_set():
            self._write(h, event(content("word ")))
            self.events_sent += 1

    def _case_bigline(self, h, rest):
        """One line of BIG_LINE_BYTES, written as fast as the client takes it."""
        if rest != "/v1/chat/completions":
            return False
        self._start_stream(h)
        self._write(h, b'data: {"choices": [{"delta": {"content": "')
        chunk = b"x" * WRITE_SIZE
        for _ in range(BIG_LINE_BYTES // WRITE_SIZE):
            if self.stop.is_set():
                return
            self._write(h, chunk)

    def _case_redirect(self, h, rest):
        """Every path redirected (302) to the same path on `redirect_target`."""
        h.send_response(302)
        h.send_header("Location", self.redirect_target + rest)
        h.send_header("Content-Length", "0")
        h.end_headers()

    def _case_redirect_chat(self, h, rest):
        """The model list answers; the chat request is redirected (302) to `redirect_target`."""
        if rest != "/v1/chat/completions":
            return False
        self._case_redirect(h, rest)

    def _case_redirect_chat_here(self, h, rest):
        """The chat request is redirected (302) to another path of this same server."""
        if rest != "/v1/chat/completions":
            return False
        h.send_response(302)
        h.send_header("Location", f"{self.url}/plain/v1/chat/completions")
        h.send_header("Content-Length", "0")
        h.end_headers()

    def _case_models_moved(self, h, rest):
        """/v1/models moved (301) to another path of this same server, which answers it."""
        if rest != "/v1/models":
            return False
        h.send_response(301)
        h.send_header("Location", f"{self.url}/plain/v1/models")
        h.send_header("Content-Length", "0")
        h.end_headers()

    def _case_not_streamed(self, h, rest):
        """"stream": true ignored: one JSON object with the whole reply."""
        if rest != "/v1/chat/completions":
            return False
        self._json(h, {"id": "x", "object": "chat.completion", "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "Hello in one piece"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 9, "completion_tokens": 4}})

    def _case_not_streamed_int_content(self, h, rest):
        if rest != "/v1/chat/completions":
            return False
        self._json(h, {"choices": [{"index": 0, "message": {"role": "assistant", "content": 5}}]})

    def _case_not_streamed_list(self, h, rest):
        if rest != "/v1/chat/completions":
            return False
        self._json(h, [1, 2, 3])

    def _case_error_page(self, h, rest):
        """Every request: 500 with an HTML page."""
        self._json(h, ERROR_PAGE, status=500, content_type="text/html; charset=utf-8")


# /v1/models, /props, /api/ps and /api/v0/models answers of odd shapes: case name -> {path: answer}.
ODD_LISTINGS = {
    "models_list_of_numbers": {"/v1/models": [1, 2]},
    "models_data_number": {"/v1/models": {"data": 5}},
    "models_null": {"/v1/models": None},
    "models_string": {"/v1/models": "abc"},
    "models_id_null": {"/v1/models": {"data": [{"id": None}]}},
    "models_id_number": {"/v1/models": {"data": [{"id": 7}, "x"]}},
    "models_deep": {"/v1/models": b"[" * 100_000 + b"]" * 100_000},
}
ODD_PROBES = {
    "props_odd": {"/props": {"default_generation_settings": 5, "total_slots": "four"}},
    "props_n_ctx_string": {"/props": {"default_generation_settings": {"n_ctx": "big"}, "total_slots": None}},
    "ollama_odd": {"/api/ps": {"models": [5, "x", {"name": MODEL, "size": "big", "context_length": [1]}]}},
    "lmstudio_odd": {"/api/v0/models": {"data": ["x", 5, {"id": MODEL, "max_context_length": "big",
                                                          "quantization": {"bits": 4}}]}},
}


def _odd_event_case(odd, then: list[bytes]):
    def answer(self, h, rest):
        if rest != "/v1/chat/completions":
            return False
        self._stream(h, [event(odd)] + then)
    return answer


def _listing_case(routes: dict):
    def answer(self, h, rest):
        if rest not in routes:
            return False
        self._json(h, routes[rest])
    return answer


# "odd_<name>": an event of a wrong shape, then a normal reply; "only_odd_<name>": that event alone.
for _name, _odd in ODD_EVENTS.items():
    setattr(HostileServer, f"_case_odd_{_name}", _odd_event_case(_odd, [event(content("ok")), event(STOP), DONE]))
    setattr(HostileServer, f"_case_only_odd_{_name}", _odd_event_case(_odd, [DONE]))
for _name, _routes in {**ODD_LISTINGS, **ODD_PROBES}.items():
    setattr(HostileServer, f"_case_{_name}", _listing_case(_routes))
