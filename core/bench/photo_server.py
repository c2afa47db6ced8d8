"""A photo server on 127.0.0.1 for the import benchmark: serves a folder's files as a shop's CDN would.

Each answer carries an ETag (the file's size and mtime) and honours If-None-Match with 304, so a
rerun of an import can be seen asking instead of fetching. It counts the bodies it sent per
path, for the benchmark to report what a rerun fetched again.
"""
from __future__ import annotations

import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}


class PhotoHandler(BaseHTTPRequestHandler):
    """GET of a file under the server's root, with ETag and 304; everything else 404."""

    server: "PhotoServer"
    protocol_version = "HTTP/1.1"  # keep-alive, as a CDN does

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass

    def send_body(self, status: int, body: bytes, content_type: str = "application/octet-stream", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - the base class's name
        path = unquote(urlsplit(self.path).path)
        self.server.requests[path] += 1
        self.serve_file(path)

    def serve_file(self, path: str) -> None:
        file = (self.server.root / path.lstrip("/")).resolve()
        if self.server.root not in file.parents or not file.is_file():
            self.send_body(404, b"not found", "text/plain")
            return
        stat = file.stat()
        etag = f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.server.bodies[path] += 1
        self.send_body(200, file.read_bytes(), _TYPES.get(file.suffix.lower(), "application/octet-stream"), ETag=etag)


class PhotoServer(ThreadingHTTPServer):
    """Serves `root` on 127.0.0.1 (a free port) from a background thread; a context manager."""

    daemon_threads = True

    def __init__(self, root: Path, handler: type[BaseHTTPRequestHandler] = PhotoHandler) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.root = Path(root).resolve()
        self.requests: Counter[str] = Counter()  # every GET, by path
        self.bodies: Counter[str] = Counter()  # GETs answered with the file, by path
        self._thread = threading.Thread(target=self.serve_forever, name="photo-server", daemon=True)

    def handle_error(self, request, client_address) -> None:
        pass  # a client that hung up early (a cancelled or capped download) is not the server's problem

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> "PhotoServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join()
