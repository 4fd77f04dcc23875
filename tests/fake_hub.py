"""A loopback HTTP server that serves a model file the way the Hugging Face hub does.

The hub itself is unreachable from the test machines. This serves the endpoints
huggingface_hub uses for a plain (non-Xet) LFS file: the repository's metadata under /api,
and /<repo>/resolve/<revision>/<file> with the X-Repo-Commit, X-Linked-Etag (the SHA-256) and
X-Linked-Size headers and byte-range requests, so downloads can resume.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

COMMIT = "0123456789abcdef0123456789abcdef01234567"


class FakeHub:
    def __init__(self, repo_id: str, files: dict[str, Path], chunk_delay: float = 0.0):
        self.repo_id = repo_id
        self.files = {name: Path(path) for name, path in files.items()}
        self.sha256 = {name: hashlib.sha256(p.read_bytes()).hexdigest() for name, p in self.files.items()}
        self.chunk_delay = chunk_delay  # seconds between 64 KiB chunks, to make a download slow enough to cancel
        self.corrupt = False  # serve altered bytes (the checksum must catch it)
        self.range_requests: list[str] = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args):
                pass

            def do_HEAD(self):
                hub._resolve(self, body=False)

            def do_GET(self):
                if self.path.startswith("/api/"):
                    hub._api(self)
                else:
                    hub._resolve(self, body=True)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="fake-hub", daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_exc):
        self.server.shutdown()
        self.server.server_close()

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
        siblings = [{"rfilename": n, "size": p.stat().st_size,
                     "lfs": {"sha256": self.sha256[n], "size": p.stat().st_size, "pointerSize": 134}}
                    for n, p in self.files.items()]
        self._send_json(handler, {"id": self.repo_id, "modelId": self.repo_id, "sha": COMMIT, "private": False,
                                  "siblings": siblings, "tags": ["gguf"]})

    def _resolve(self, handler, body: bool):
        prefix = f"/{self.repo_id}/resolve/"
        if not handler.path.startswith(prefix):
            handler.send_response(404)
            handler.send_header("Content-Length", "0")
            handler.send_header("X-Error-Code", "RepoNotFound")
            handler.end_headers()
            return
        name = handler.path[len(prefix):].split("/", 1)[1].split("?")[0]
        if name not in self.files:
            handler.send_response(404)
            handler.send_header("Content-Length", "0")
            handler.send_header("X-Error-Code", "EntryNotFound")
            handler.end_headers()
            return
        data = self.files[name].read_bytes()
        if self.corrupt:
            data = data[:-1] + bytes([data[-1] ^ 0xFF])
        start, status = 0, 200
        header = handler.headers.get("Range")
        if header and header.startswith("bytes="):
            self.range_requests.append(header)
            start = int(header[6:].split("-")[0])
            status = 206
        part = data[start:]
        handler.send_response(status)
        handler.send_header("X-Repo-Commit", COMMIT)
        handler.send_header("ETag", f'"{self.sha256[name]}"')
        handler.send_header("X-Linked-Etag", f'"{self.sha256[name]}"')
        handler.send_header("X-Linked-Size", str(len(data)))
        handler.send_header("Accept-Ranges", "bytes")
        handler.send_header("Content-Length", str(len(part) if body else len(data)))
        if status == 206:
            handler.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        handler.end_headers()
        if not body:
            return
        try:
            for i in range(0, len(part), 1 << 16):
                handler.wfile.write(part[i : i + (1 << 16)])
                if self.chunk_delay:
                    time.sleep(self.chunk_delay)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away (a cancelled download)
