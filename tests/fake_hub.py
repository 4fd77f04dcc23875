"""A loopback HTTP server that serves a model file the way the Hugging Face hub does.

The hub itself is unreachable from the test machines. This serves the endpoints
huggingface_hub uses for a plain (non-Xet) LFS file: the repository's metadata under /api,
and /<repo>/resolve/<revision>/<file> with the X-Repo-Commit, X-Linked-Etag (the SHA-256) and
X-Linked-Size headers and byte-range requests, so downloads can resume.

It can also behave as a hostile or broken hub does (each switch is an attribute, off by default):
list names that are paths, answer any path, publish no SHA-256, send more than it declares,
answer a range request with the wrong part, or redirect the file to another host. Every request
is recorded with its headers, so a test can see where a token went.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

COMMIT = "0123456789abcdef0123456789abcdef01234567"
CHUNK = 1 << 16

# How a hub answers "Range: bytes=N-".
HONEST = "honest"  # 206, the rest of the file, Content-Range "bytes N-last/size"
FROM_ZERO = "from zero"  # 206, the whole file again, Content-Range "bytes 0-last/size"
NO_CONTENT_RANGE = "no content range"  # 206, the whole file again, no Content-Range at all


class FakeHub:
    def __init__(self, repo_id: str, files: dict[str, Path], chunk_delay: float = 0.0):
        self.repo_id = repo_id
        self.files = {name: Path(path) for name, path in files.items()}
        self.sha256 = {name: hashlib.sha256(p.read_bytes()).hexdigest() for name, p in self.files.items()}
        self.chunk_delay = chunk_delay  # seconds between 64 KiB chunks, to make a download slow enough to cancel
        self.corrupt = False  # serve altered bytes (the checksum must catch it)
        self.range_requests: list[str] = []
        self.requests: list[tuple[str, str, dict[str, str]]] = []  # (method, path, headers), every request
        # Hostile or broken behaviour:
        self.fallback: Path | None = None  # served for any resolve path that names no file (a hub answering anything)
        self.publish_sha256 = True  # False: no SHA-256 anywhere (a plain git file's ETag instead)
        self.extra_bytes = 0  # sent after the file, beyond the size declared in X-Linked-Size
        self.short_by = 0  # the body ends this many bytes before the file does (X-Linked-Size stays the file's)
        self.range_mode = HONEST
        self.api_answer: object = None  # JSON served as the repository's metadata instead of the real one
        self.redirect_to: str | None = None  # "http://host:port": the file is answered with a 302 there
        self.sent_bytes = 0  # body bytes written to clients, all requests together
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args):
                pass

            def do_HEAD(self):
                hub._record(self)
                hub._resolve(self, body=False)

            def do_GET(self):
                hub._record(self)
                if self.path.startswith("/api/"):
                    hub._api(self)
                else:
                    hub._resolve(self, body=True)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # A short poll: shutdown() waits for the next one, at every test's end.
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), name="fake-hub", daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_exc):
        self.server.shutdown()
        self.server.server_close()

    def authorizations(self) -> list[str]:
        """The Authorization headers this server received, one per request that carried one."""
        return [headers["authorization"] for _m, _p, headers in self.requests if "authorization" in headers]

    def _record(self, handler) -> None:
        self.requests.append((handler.command, handler.path, {k.lower(): v for k, v in handler.headers.items()}))

    def _send_json(self, handler, data, status=200):
        body = json.dumps(data).encode()
        handler.send_response(status)
        if status == 404:
            handler.send_header("X-Error-Code", "RepoNotFound")  # what the hub says for an unknown repository
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _api(self, handler):
        path = handler.path.split("?")[0]
        if not path.startswith(f"/api/models/{self.repo_id}"):
            return self._send_json(handler, {"error": "Repository not found"}, 404)
        if self.api_answer is not None:
            return self._send_json(handler, self.api_answer)
        siblings = []
        for n, p in self.files.items():
            sibling = {"rfilename": n, "size": p.stat().st_size}
            if self.publish_sha256:
                sibling["lfs"] = {"sha256": self.sha256[n], "size": p.stat().st_size, "pointerSize": 134}
            siblings.append(sibling)
        self._send_json(handler, {"id": self.repo_id, "modelId": self.repo_id, "sha": COMMIT, "private": False,
                                  "siblings": siblings, "tags": ["gguf"]})

    def _not_found(self, handler, code: str) -> None:
        handler.send_response(404)
        handler.send_header("Content-Length", "0")
        handler.send_header("X-Error-Code", code)
        handler.end_headers()

    def _file_for(self, handler) -> tuple[Path, str] | None:
        prefix = f"/{self.repo_id}/resolve/"
        if handler.path.startswith(prefix):
            name = handler.path[len(prefix):].split("/", 1)[-1].split("?")[0]
            if name in self.files:
                return self.files[name], self.sha256[name]
        if self.fallback is not None:
            return self.fallback, hashlib.sha256(self.fallback.read_bytes()).hexdigest()
        return None

    def _resolve(self, handler, body: bool):
        if not handler.path.startswith(f"/{self.repo_id}/resolve/") and self.fallback is None:
            return self._not_found(handler, "RepoNotFound")
        found = self._file_for(handler)
        if found is None:
            return self._not_found(handler, "EntryNotFound")
        path, sha256 = found
        data = path.read_bytes()
        if self.corrupt:
            data = data[:-1] + bytes([data[-1] ^ 0xFF])
        etag = sha256 if self.publish_sha256 else sha256[:40]  # a git blob's SHA-1 is 40 hex digits
        if self.redirect_to:
            handler.send_response(302)
            handler.send_header("Location", self.redirect_to + handler.path)
            handler.send_header("X-Repo-Commit", COMMIT)
            handler.send_header("X-Linked-Etag", f'"{etag}"')
            handler.send_header("X-Linked-Size", str(len(data)))
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        start, status, content_range = 0, 200, None
        header = handler.headers.get("Range")
        if header and header.startswith("bytes="):
            self.range_requests.append(header)
            start = int(header[6:].split("-")[0])
            status = 206
            content_range = f"bytes {start}-{len(data) - 1}/{len(data)}"
            if self.range_mode != HONEST:
                start = 0
                content_range = f"bytes 0-{len(data) - 1}/{len(data)}" if self.range_mode == FROM_ZERO else None
        part = data[start : len(data) - self.short_by]
        handler.send_response(status)
        handler.send_header("X-Repo-Commit", COMMIT)
        handler.send_header("ETag", f'"{etag}"')
        handler.send_header("X-Linked-Etag", f'"{etag}"')
        handler.send_header("X-Linked-Size", str(len(data)))
        handler.send_header("Accept-Ranges", "bytes")
        handler.send_header("Content-Length", str(len(part) + self.extra_bytes if body else len(data)))
        if content_range:
            handler.send_header("Content-Range", content_range)
        handler.end_headers()
        if not body:
            return
        try:
            for i in range(0, len(part), CHUNK):
                self._write(handler, part[i : i + CHUNK])
                if self.chunk_delay:
                    time.sleep(self.chunk_delay)
            for i in range(0, self.extra_bytes, CHUNK):
                self._write(handler, bytes(min(CHUNK, self.extra_bytes - i)))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away (a cancelled download, or one that stopped at the declared size)

    def _write(self, handler, chunk: bytes) -> None:
        handler.wfile.write(chunk)
        self.sent_bytes += len(chunk)
