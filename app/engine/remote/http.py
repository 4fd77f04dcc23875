"""One HTTP exchange with the server the user typed, guarded where the server's bytes enter.

- Credentials stay with the typed origin (scheme, host, port): a redirect to any other origin is
  refused with its target named, and a request is never re-sent with another method (a POST is
  never silently turned into a GET).
- Every read is bounded: a line holds at most MAX_LINE_BYTES, a whole answer MAX_BODY_BYTES.
- Every wait is bounded: the answer's headers must arrive within the exchange's timeout, and each
  line of a body within its own; a silent server and one trickling bytes are told apart.
- abort() from any thread shuts the socket down, so a read blocked in the kernel returns at once.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from app.engine.errors import EngineError
from app.i18n import translate

MAX_LINE_BYTES = 1 << 20  # one server-sent event; real ones are well under 64 KiB
MAX_BODY_BYTES = 16 << 20  # one JSON answer (a model list, a whole non-streamed reply)
MAX_ERROR_BYTES = 64 << 10  # of an error page, enough to find its title or first words
ERROR_TEXT_CHARS = 300  # of the server's own words shown to the user
MAX_REDIRECTS = 5
_READ_SIZE = 64 << 10
_REDIRECTS = (301, 302, 303, 307, 308)
_METHOD_KEEPING_REDIRECTS = (307, 308)  # the others let a client turn a POST into a GET


class RemoteError(EngineError):
    """The server could not be reached or refused the request; the message says which."""


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def origin_of(url: str) -> Origin | None:
    """The origin of an http(s) address; None for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    return Origin(scheme, parts.hostname.lower(), port or (443 if scheme == "https" else 80))


def cut(text: str, limit: int = ERROR_TEXT_CHARS) -> str:
    """Whitespace collapsed, at most `limit` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


class _PageText(HTMLParser):
    """The title and visible text of an HTML page (scripts and styles left out)."""

    def __init__(self):
        super().__init__()
        self.title: list[str] = []
        self.text: list[str] = []
        self._inside: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("title", "script", "style"):
            self._inside.append(tag)

    def handle_endtag(self, tag):
        if tag in self._inside:
            self._inside.remove(tag)

    def handle_data(self, data):
        if "title" in self._inside:
            self.title.append(data)
        elif not self._inside:
            self.text.append(data)


def readable_error(body: bytes, content_type: str) -> str:
    """What an error answer says, in a few plain words: a JSON error's message, an HTML page's
    title and text, or the start of plain text."""
    text = body.decode("utf-8", "replace")
    if "json" in content_type or text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            data = None
        message = error_message_of(data) if data is not None else None
        if message:
            return cut(message)
    if "html" in content_type or re.match(r"\s*<(!doctype|html|head|body)", text, re.IGNORECASE):
        page = _PageText()
        try:
            page.feed(text)
            page.close()
        except (AssertionError, ValueError):  # HTMLParser gives up on some broken markup; use what it read
            pass
        title, words = cut(" ".join(page.title)), cut(" ".join(page.text))
        if title and words.startswith(title):
            return words
        return cut(f"{title}: {words}" if title and words else title or words)
    return cut(text)


def error_message_of(data) -> str | None:
    """The message of a JSON error ({"error": {"message": ...}}, {"error": "..."}, {"message": ...},
    {"detail": ...}), or None if `data` holds none."""
    if not isinstance(data, dict):
        return None
    for key in ("error", "message", "detail"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return cut(value)
        if isinstance(value, dict):
            inner = error_message_of(value)
            if inner:
                return inner
        if isinstance(value, list) and value and isinstance(value[0], dict):  # FastAPI's validation errors
            inner = value[0].get("msg")
            if isinstance(inner, str) and inner.strip():
                return cut(inner)
    return None


class HttpExchange:
    """One request to the typed server and the reading of its answer, on one worker thread;
    abort() may be called from any other thread."""

    def __init__(self, base_url: str, headers: dict[str, str]):
        self.base_url = base_url
        self.origin = origin_of(base_url)
        if self.origin is None:
            raise RemoteError(translate(
                "RemoteHost", "{url} is not a server address: it must start with http:// or https:// and name a "
                "host.").format(url=base_url))
        self._headers = headers
        self._lock = threading.Lock()
        self._connection: http.client.HTTPConnection | None = None
        # Held apart from the connection, which forgets its socket once the answer says "close".
        self._sock: socket.socket | None = None
        self._response: http.client.HTTPResponse | None = None
        self._aborted = threading.Event()
        self._expired = False
        self.bytes_read = 0

    @property
    def aborted(self) -> bool:
        return self._aborted.is_set()

    def abort(self) -> None:
        """Stop the exchange from another thread: a blocked read returns at once."""
        self._aborted.set()
        self._shut_down()

    def close(self) -> None:
        with self._lock:
            connection, self._connection, self._sock = self._connection, None, None
            response, self._response = self._response, None
        if response is not None:
            response.close()  # the connection may have handed its socket over to it
        if connection is not None:
            connection.close()

    def set_read_timeout(self, seconds: float) -> None:
        with self._lock:
            sock = self._sock
        if sock is not None:
            sock.settimeout(seconds)

    def _shut_down(self) -> None:
        with self._lock:
            sock = self._sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:  # already closed: there is no read left to unblock
                pass

    def _on_deadline(self) -> None:
        self._expired = True
        self._shut_down()

    # -- sending ------------------------------------------------------------------------------

    def open(self, method: str, path: str, body: bytes | None, timeout: float) -> http.client.HTTPResponse:
        """Send the request and return the answer (status below 300) once its headers are in.
        Redirects are followed only within the typed origin and only when they keep the method."""
        url = self.base_url + path
        for _ in range(MAX_REDIRECTS + 1):
            response = self._send(method, url, body, timeout, path)
            if response.status not in _REDIRECTS:
                if response.status >= 300:
                    raise self._status_error(response, path, timeout)
                return response
            target = urljoin(url, response.getheader("Location") or "")
            response.close()
            if origin_of(target) != self.origin:
                raise RemoteError(translate(
                    "RemoteHost", "{url} redirected {path} to {target}, another server. Requests (and the API key) "
                    "go only to the address you typed: to use that server, connect to it by its own "
                    "address.").format(url=self.base_url, path=path, target=cut(target, 200)))
            if method != "GET" and response.status not in _METHOD_KEEPING_REDIRECTS:
                raise RemoteError(translate(
                    "RemoteHost", "{url} redirected the request for {path} to {target} with code {code}, which "
                    "would turn it into a GET without its content; it was not sent again. Connect to the address "
                    "the server expects.").format(url=self.base_url, path=path, target=cut(target, 200),
                                                  code=response.status))
            url = target
        raise RemoteError(translate("RemoteHost", "{url} redirected {path} more than {count} times.").format(
            url=self.base_url, path=path, count=MAX_REDIRECTS))

    def _send(self, method: str, url: str, body: bytes | None, timeout: float, path: str):
        parts = urlsplit(url)
        kind = http.client.HTTPSConnection if self.origin.scheme == "https" else http.client.HTTPConnection
        connection = kind(self.origin.host, self.origin.port, timeout=timeout)
        self.close()
        with self._lock:
            self._connection = connection
        # The headers must arrive in time even from a server that trickles them byte by byte.
        deadline = threading.Timer(timeout, self._on_deadline)
        deadline.name = "kvchat-remote-deadline"
        deadline.daemon = True
        try:
            connection.connect()
            with self._lock:
                self._sock = connection.sock
            if self.aborted:
                self._shut_down()
            deadline.start()
            target = parts.path or "/"
            if parts.query:
                target += "?" + parts.query
            connection.request(method, target, body=body, headers=self._headers)
            response = connection.getresponse()
            if self._expired or self.aborted:  # the headers were cut short here, not ended by the server
                response.close()
                raise TimeoutError if self._expired else ConnectionAbortedError
            with self._lock:
                self._response = response
            return response
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise self._transport_error(exc, path, timeout) from None
        finally:
            deadline.cancel()

    def _transport_error(self, exc: BaseException, path: str, timeout: float) -> RemoteError:
        if isinstance(exc, (http.client.InvalidURL, ValueError)):  # ValueError: a host name IDNA cannot encode
            return RemoteError(translate(
                "RemoteHost", "{url} is not a server address this app can use ({error}).").format(
                url=self.base_url, error=cut(str(exc), 200)))
        if self._expired or isinstance(exc, TimeoutError):
            return RemoteError(translate(
                "RemoteHost", "{url} did not answer {path} within {seconds:g} seconds. Is the server busy or "
                "stuck?").format(url=self.base_url, path=path, seconds=timeout))
        if isinstance(exc, (ConnectionRefusedError, socket.gaierror)) or self._sock is None:
            return RemoteError(translate(
                "RemoteHost", "{url} cannot be reached: {reason}. Is the server running?").format(
                url=self.base_url, reason=getattr(exc, "strerror", None) or exc))
        return RemoteError(translate("RemoteHost", "The connection to {url} broke off: {error}").format(
            url=self.base_url, error=cut(str(exc) or type(exc).__name__, 200)))

    def _status_error(self, response, path: str, timeout: float) -> RemoteError:
        content_type = (response.getheader("Content-Type") or "").lower()
        try:
            body = BodyReader(self, response, timeout).read_all(MAX_ERROR_BYTES, cut_off=True)
        except RemoteError:
            body = b""
        detail = readable_error(body, content_type) or response.reason
        return RemoteError(translate("RemoteHost", "{url} answered {code} {reason} to {path}: {detail}").format(
            url=self.base_url, code=response.status, reason=cut(response.reason or "", 80), path=path,
            detail=detail))

    # -- reading ------------------------------------------------------------------------------

    def read_error(self, exc: BaseException, line_started: bool, timeout: float) -> RemoteError:
        """The RemoteError for a failed read of the body."""
        if self._expired or isinstance(exc, TimeoutError):
            if line_started:
                return RemoteError(translate(
                    "RemoteHost", "{url} is sending too slowly: part of its answer was still incomplete after "
                    "{seconds:g} seconds.").format(url=self.base_url, seconds=timeout))
            return RemoteError(translate(
                "RemoteHost", "{url} stopped sending: nothing arrived for {seconds:g} seconds. Is the server still "
                "running?").format(url=self.base_url, seconds=timeout))
        return RemoteError(translate("RemoteHost", "The connection to {url} broke off: {error}").format(
            url=self.base_url, error=cut(str(exc) or type(exc).__name__, 200)))


class BodyReader:
    """Reads an answer's body in bounded pieces: lines of at most MAX_LINE_BYTES, each within
    `line_timeout` seconds, or a whole body of at most a given size within one timeout."""

    def __init__(self, exchange: HttpExchange, response: http.client.HTTPResponse, line_timeout: float):
        self._exchange = exchange
        self._response = response
        self._timeout = line_timeout
        self._buffer = bytearray()
        self._eof = False

    def lines(self) -> Iterator[bytes]:
        """Each line without its line ending; the last one even without a newline."""
        limit = MAX_LINE_BYTES
        while True:
            deadline = time.monotonic() + self._timeout
            scanned = 0
            while (end := self._buffer.find(b"\n", scanned)) < 0:
                if len(self._buffer) > limit:
                    raise self._line_too_long(limit)
                if self._eof:
                    if self._buffer:
                        yield bytes(self._buffer).rstrip(b"\r")
                        self._buffer.clear()
                    return
                scanned = len(self._buffer)
                self._fill(deadline, limit + 1 - len(self._buffer))
            if end > limit:
                raise self._line_too_long(limit)
            line = bytes(self._buffer[:end]).rstrip(b"\r")
            del self._buffer[:end + 1]
            yield line

    def read_all(self, max_bytes: int, cut_off: bool = False) -> bytes:
        """The whole body (all of it within one timeout); beyond `max_bytes` an error, or with
        `cut_off` only its start."""
        length = self._response.length
        if length is not None and length > max_bytes and not cut_off:
            raise self._too_large(max_bytes)
        deadline = time.monotonic() + self._timeout
        while not self._eof and len(self._buffer) <= max_bytes:
            self._fill(deadline, max_bytes + 1 - len(self._buffer))
        if len(self._buffer) > max_bytes:
            if not cut_off:
                raise self._too_large(max_bytes)
            del self._buffer[max_bytes:]
        body, self._buffer = bytes(self._buffer), bytearray()
        return body

    def _line_too_long(self, limit: int) -> RemoteError:
        return RemoteError(translate(
            "RemoteHost", "{url} sent a line longer than {mib:g} MiB; its answer was not read further.").format(
            url=self._exchange.base_url, mib=limit / 2**20))

    def _too_large(self, max_bytes: int) -> RemoteError:
        return RemoteError(translate("RemoteHost", "{url} sent an answer larger than {mib:g} MiB; it was not "
                                     "read.").format(url=self._exchange.base_url, mib=max_bytes / 2**20))

    def _fill(self, deadline: float, at_most: int) -> None:
        """One read of at most `at_most` bytes (so the buffer never passes its bound)."""
        started = bool(self._buffer)
        remaining = deadline - time.monotonic()
        try:
            if remaining <= 0:
                raise TimeoutError
            self._exchange.set_read_timeout(remaining)
            data = self._response.read1(max(1, min(_READ_SIZE, at_most)))
        except (OSError, http.client.HTTPException, ValueError) as exc:
            # ValueError: the response was closed under the read (an abort from another thread).
            raise self._exchange.read_error(exc, started, self._timeout) from None
        if not data:
            self._eof = True
        self._exchange.bytes_read += len(data)
        self._buffer += data
