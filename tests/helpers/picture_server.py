"""A real HTTP server on loopback serving product pictures and the bad answers a CDN can give."""

from __future__ import annotations

import functools
import io
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image

BIG_BYTES = 50 * 1024 * 1024
CHUNK = 64 * 1024


@functools.cache
def png_bytes(colour: tuple[int, int, int] = (200, 30, 40), size: tuple[int, int] = (64, 48)) -> bytes:
    """A real PNG, as Shopify's CDN would serve one."""
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


@dataclass
class PictureServer:
    """What the server was asked and how much of each big body it managed to send."""

    port: int
    hits: Counter[str] = field(default_factory=Counter)
    big_bytes_sent: dict[str, int] = field(default_factory=dict)
    release: threading.Event = field(default_factory=threading.Event)
    pictures: dict[str, bytes] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def _handler(state: PictureServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            state.hits[self.path] += 1
            if path in state.pictures or path.startswith("/p/"):
                body = state.pictures.get(path) or png_bytes()
                self._send(200, "image/png", body)
            elif path == "/page.html":
                self._send(200, "text/html", b"<!DOCTYPE html><html><body>Product page</body></html>")
            elif path == "/missing.png":
                self._send(404, "text/plain", b"not found")
            elif path == "/fake.png":
                # Starts like a PNG, then garbage: the magic bytes pass, Pillow does not.
                self._send(200, "image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200)
            elif path in ("/big", "/big-chunked"):
                self._big(path, chunked=path == "/big-chunked")
            elif path == "/hang":
                state.release.wait(30)
            else:
                self._send(404, "text/plain", b"no such thing")

        def _send(self, status: int, kind: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _big(self, path: str, *, chunked: bool) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(BIG_BYTES))
            self.end_headers()
            sent = 0
            block = b"\x89PNG\r\n\x1a\n" + b"\x00" * (CHUNK - 8)
            try:
                while sent < BIG_BYTES:
                    if chunked:
                        self.wfile.write(f"{len(block):x}\r\n".encode() + block + b"\r\n")
                    else:
                        self.wfile.write(block)
                    sent += len(block)
                    state.big_bytes_sent[path] = sent
                if chunked:
                    self.wfile.write(b"0\r\n\r\n")
            except OSError:
                self.close_connection = True

    return Handler


@contextmanager
def serve_pictures() -> Iterator[PictureServer]:
    """Run the server on a free loopback port for the duration of the block."""
    state = PictureServer(port=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="picture-server", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


@functools.cache
def photo_jpeg(side: int = 600) -> bytes:
    """A photo-sized JPEG (noise does not compress: ~a real product shot's size)."""
    out = io.BytesIO()
    Image.effect_noise((side, side), 64).convert("RGB").save(out, format="JPEG", quality=85)
    return out.getvalue()


if __name__ == "__main__":
    # A separate process for benchmarks, so the server's work does not count as the client's loop lag.
    import sys

    with serve_pictures() as running:
        running.pictures.update(
            {f"/p/{i}.jpg": photo_jpeg() for i in range(int(sys.argv[1]) if len(sys.argv) > 1 else 0)}
        )
        print(running.port, flush=True)
        sys.stdin.read()
