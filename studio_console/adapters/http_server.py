"""A small asyncio HTTP/1.1 JSON server for the remote-control API: loopback only, bearer token required."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hmac
import ipaddress
import json
import logging
import re
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ValidationError

log = logging.getLogger(__name__)

MAX_BODY = 1 << 20
MAX_REQUEST_LINE = 8 * 1024
MAX_HEADER_BYTES = 16 * 1024
MAX_HEADER_LINES = 100
# Deeper JSON than this is no API call; json.loads itself overflows the stack near 1,000 levels.
MAX_JSON_DEPTH = 32
# A loopback control API has a handful of clients (Stream Deck, Companion, scripts).
MAX_CONNECTIONS = 32
HEADER_TIMEOUT_S = 5.0
BODY_TIMEOUT_S = 10.0
# After accept() fails for lack of resources (EMFILE...), wait before accepting again.
ACCEPT_BACKOFF_FIRST_S = 0.1
ACCEPT_BACKOFF_CAP_S = 2.0
# Accept failures reach the operator at most once per this many seconds.
PROBLEM_INTERVAL_S = 60.0

ProblemReporter = Callable[[str], None]

BaseModelT = TypeVar("BaseModelT", bound=BaseModel)

_REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    411: "Length Required",
    413: "Payload Too Large",
    414: "URI Too Long",
    422: "Unprocessable Entity",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class HttpError(Exception):
    """Raised by a handler to answer with ``status`` and ``{"error": message}``."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    query: str = ""
    # Values of the ``{name}`` segments of the route that matched.
    params: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        if not self.body:
            return {}
        try:
            data = json.loads(self.body)
        except RecursionError as exc:
            raise HttpError(400, f"body is nested deeper than {MAX_JSON_DEPTH} levels") from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise HttpError(400, f"body is not valid JSON: {exc}") from exc
        if _depth_exceeds(data, MAX_JSON_DEPTH):
            raise HttpError(400, f"body is nested deeper than {MAX_JSON_DEPTH} levels")
        return data

    def model(self, model_type: type[BaseModelT]) -> BaseModelT:
        """The JSON body validated as ``model_type``; a 422 names each field at fault."""
        data = self.json()
        try:
            return model_type.model_validate(data)
        except ValidationError as exc:
            problems = [
                {"field": ".".join(str(p) for p in err["loc"]) or "(body)", "message": err["msg"]}
                for err in exc.errors()
            ]
            text = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
            raise HttpError(422, f"invalid request body: {text}", problems=problems) from exc


def _depth_exceeds(data: Any, limit: int) -> bool:
    """True when containers nest deeper than ``limit`` (iterative: no recursion on hostile input)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


Handler = Callable[[Request], Awaitable[Any]]


@dataclass
class Response:
    status: int = 200
    body: Any = field(default_factory=dict)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class JsonHttpServer:
    """Routes ``(METHOD, path)`` to async handlers returning JSON-able values or a Response.

    Any local process can connect, so nothing is buffered before it is checked: the request line
    and headers are read under size and time limits, the ``Host`` header must name loopback and
    the bound port (DNS rebinding), browser preflights are refused, and the token is checked
    before a body is read. Connections beyond ``max_connections`` get a 503 at once.

    ``problems(text)`` receives accept failures (out of file descriptors, ...) at most once per
    minute; the server backs off accepting meanwhile instead of spinning.
    """

    def __init__(
        self,
        token: str,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        problems: ProblemReporter | None = None,
        max_connections: int = MAX_CONNECTIONS,
        header_timeout_s: float = HEADER_TIMEOUT_S,
        body_timeout_s: float = BODY_TIMEOUT_S,
    ) -> None:
        if not is_loopback(host):
            raise ValueError(f"the remote-control API binds to loopback only, not {host!r}")
        if len(token) < 16:
            raise ValueError("the remote-control token must be at least 16 characters")
        self.host = host
        self.port = port
        self.problems = problems
        self.max_connections = max_connections
        self.header_timeout_s = header_timeout_s
        self.body_timeout_s = body_timeout_s
        self.accept_failures = 0
        self._token = token.encode()
        self._routes: dict[tuple[str, str], Handler] = {}
        # Routes with ``{name}`` segments (``/shows/{show_id}/report``): (method, pattern, template, handler).
        self._patterns: list[tuple[str, re.Pattern[str], str, Handler]] = []
        self._listener: socket.socket | None = None
        self._accepting: asyncio.Task[None] | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._last_problem: float | None = None

    def set_token(self, token: str) -> None:
        self._token = token.encode()

    def route(self, method: str, path: str, handler: Handler) -> None:
        """Answer ``method path``; a ``{name}`` segment matches one path segment, in ``request.params``."""
        if "{" in path:
            regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
            self._patterns.append((method.upper(), re.compile(f"^{regex}$"), path, handler))
            return
        self._routes[(method.upper(), path)] = handler

    def _match(self, request: Request) -> tuple[Handler | None, bool]:
        """The handler for the request, and whether any route has its path (for 405 rather than 404)."""
        handler = self._routes.get((request.method, request.path))
        if handler is not None:
            return handler, True
        path_known = any(path == request.path for _, path in self._routes)
        for method, pattern, _, candidate in self._patterns:
            found = pattern.match(request.path)
            if found is None:
                continue
            path_known = True
            if method == request.method:
                request.params = {k: unquote(v) for k, v in found.groupdict().items()}
                return candidate, True
        return None, path_known

    @property
    def bound_port(self) -> int | None:
        if self._listener is None:
            return None
        return int(self._listener.getsockname()[1])

    @property
    def open_connections(self) -> int:
        return len(self._connections)

    async def start(self) -> int:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self.host, self.port))
            listener.listen(128)
            listener.setblocking(False)
        except BaseException:
            listener.close()
            raise
        self._listener = listener
        # Our own accept loop, not asyncio.start_server: asyncio reports every failed accept to the
        # loop's exception handler (one "Unexpected error" dialog each) and cannot cap connections.
        self._accepting = asyncio.get_running_loop().create_task(self._accept_loop(listener), name="remote-api-accept")
        port = self.bound_port
        assert port is not None
        log.info("remote-control API listening on http://%s:%s/api/v1/", self.host, port)
        return port

    async def stop(self) -> None:
        listener, self._listener = self._listener, None
        accepting, self._accepting = self._accepting, None
        if accepting is not None:
            accepting.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await accepting
        if listener is not None:
            listener.close()
        for task in list(self._connections):
            task.cancel()
        for task in list(self._connections):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _accept_loop(self, listener: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        backoff = ACCEPT_BACKOFF_FIRST_S
        while True:
            try:
                conn, _ = await loop.sock_accept(listener)
            except OSError as exc:
                # EMFILE/ENFILE/ENOBUFS/ENOMEM: the process is out of something; accepting again at
                # once would fail again. ECONNABORTED (client gave up in the backlog) is harmless.
                if exc.errno == errno.ECONNABORTED:
                    continue
                self.accept_failures += 1
                self._report(f"The remote-control API cannot accept connections: {exc.strerror or exc}", exc)
                await asyncio.sleep(backoff)
                backoff = min(ACCEPT_BACKOFF_CAP_S, backoff * 2)
                continue
            backoff = ACCEPT_BACKOFF_FIRST_S
            conn.setblocking(False)
            task = loop.create_task(self._serve_socket(conn, len(self._connections) >= self.max_connections))
            self._connections.add(task)
            task.add_done_callback(self._connections.discard)

    def _report(self, text: str, exc: OSError) -> None:
        now = time.monotonic()
        if self._last_problem is not None and now - self._last_problem < PROBLEM_INTERVAL_S:
            log.debug("%s (again)", text)
            return
        self._last_problem = now
        if exc.errno in (errno.EMFILE, errno.ENFILE):
            text += " (too many open files: close other programs or raise the open-file limit)"
        log.error("%s", text)
        if self.problems is not None:
            try:
                self.problems(text)
            except Exception:
                log.exception("remote-control problem reporter failed")

    async def _serve_socket(self, conn: socket.socket, over_cap: bool) -> None:
        try:
            reader, writer = await asyncio.open_connection(sock=conn, limit=MAX_HEADER_BYTES)
        except OSError:
            conn.close()
            return
        try:
            if over_cap:
                status, body = 503, {"error": f"too many open connections (limit {self.max_connections})"}
            else:
                status, body = await self._handle(reader)
            await asyncio.wait_for(self._respond(writer, status, body), self.body_timeout_s)
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader) -> tuple[int, Any]:
        try:
            async with asyncio.timeout(self.header_timeout_s):
                request = await self._read_head(reader)
        except HttpError as exc:
            return exc.status, {"error": exc.message}
        except TimeoutError:
            return 408, {"error": f"the request headers did not arrive within {self.header_timeout_s:g} s"}
        except (ValueError, asyncio.LimitOverrunError, UnicodeDecodeError):
            return 400, {"error": "malformed or incomplete HTTP request"}
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        # Only now, with the token checked, is a body worth reading.
        try:
            async with asyncio.timeout(self.body_timeout_s):
                request.body = await self._read_body(reader, request.headers)
        except HttpError as exc:
            return exc.status, {"error": exc.message}
        except TimeoutError:
            return 408, {"error": f"the request body did not arrive within {self.body_timeout_s:g} s"}
        handler, path_known = self._match(request)
        if handler is None:
            if path_known:
                return 405, {"error": f"{request.method} is not allowed on {request.path}"}
            return 404, {"error": f"no endpoint {request.path}"}
        try:
            result = await handler(request)
        except HttpError as exc:
            return exc.status, {"error": exc.message, **exc.extra}
        except Exception as exc:
            log.exception("remote-control %s %s failed", request.method, request.path)
            return 500, {"error": f"internal error: {type(exc).__name__}"}
        if isinstance(result, Response):
            return result.status, result.body
        return 200, result

    def _refusal(self, request: Request) -> tuple[int, Any] | None:
        """The answer for a request refused on its head alone, or None."""
        host = request.headers.get("host")
        if host is not None and not self._host_allowed(host):
            # A web page that rebinds its DNS name to 127.0.0.1 still sends its own name here.
            return 403, {"error": "Host header not allowed: use 127.0.0.1, localhost or [::1] with the API's port"}
        if request.method == "OPTIONS":
            return 403, {"error": "browser requests (CORS preflights) are refused: this API is not for web pages"}
        if not self._authorised(request.headers.get("authorization", "")):
            return 401, {"error": "missing or wrong token: send 'Authorization: Bearer <token>'"}
        return None

    def _host_allowed(self, host: str) -> bool:
        name, sep, port = host.strip().lower().rpartition(":")
        if not sep or name.endswith(":") or (name.startswith("[") is not name.endswith("]")):
            return False  # no port, or a bare IPv6 address without one
        if port != str(self.bound_port):
            return False
        return name in ("127.0.0.1", "localhost", "[::1]")

    def _authorised(self, header: str) -> bool:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(value.strip().encode(), self._token)

    @staticmethod
    async def _read_line(reader: asyncio.StreamReader, limit: int, status: int, what: str) -> str:
        try:
            raw = await reader.readuntil(b"\n")
        except asyncio.LimitOverrunError as exc:
            raise HttpError(status, f"{what} longer than {limit} bytes") from exc
        except asyncio.IncompleteReadError as exc:
            raise HttpError(400, "incomplete HTTP request") from exc
        if len(raw) > limit:
            raise HttpError(status, f"{what} longer than {limit} bytes")
        return raw.decode("latin-1")

    async def _read_head(self, reader: asyncio.StreamReader) -> Request:
        line = (await self._read_line(reader, MAX_REQUEST_LINE, 414, "request line")).strip()
        parts = line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise HttpError(400, "malformed request line")
        method, target, _ = parts
        headers: dict[str, str] = {}
        total = 0
        for _ in range(MAX_HEADER_LINES + 1):
            raw = await self._read_line(reader, MAX_HEADER_BYTES, 431, "header line")
            total += len(raw)
            if total > MAX_HEADER_BYTES:
                raise HttpError(431, f"headers larger than {MAX_HEADER_BYTES} bytes")
            if raw in ("\r\n", "\n"):
                break
            name, sep, value = raw.partition(":")
            if not sep or not name.strip():
                raise HttpError(400, "malformed header line")
            headers[name.strip().lower()] = value.strip()
        else:
            raise HttpError(431, f"more than {MAX_HEADER_LINES} header lines")
        split = urlsplit(target)
        return Request(method.upper(), split.path.rstrip("/") or "/", headers, b"", split.query)

    @staticmethod
    async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
        if "transfer-encoding" in headers:
            raise HttpError(411, "send the body with a Content-Length (chunked bodies are not accepted)")
        raw_length = headers.get("content-length", "0") or "0"
        if not raw_length.isdigit():
            raise HttpError(400, "Content-Length is not a number")
        length = int(raw_length)
        if length > MAX_BODY:
            raise HttpError(413, f"body larger than {MAX_BODY} bytes")
        if not length:
            return b""
        try:
            return await reader.readexactly(length)
        except asyncio.IncompleteReadError as exc:
            raise HttpError(400, "the body is shorter than its Content-Length") from exc

    @staticmethod
    async def _respond(writer: asyncio.StreamWriter, status: int, body: Any) -> None:
        payload = json.dumps(body, default=str).encode()
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}\r\n"
            "Content-Type: application/json; charset=utf-8\r\n"
            f"Content-Length: {len(payload)}\r\n"
            "Cache-Control: no-store\r\n"
            "Connection: close\r\n"
        )
        if status == 401:
            head += 'WWW-Authenticate: Bearer realm="studio-console"\r\n'
        writer.write(head.encode("latin-1") + b"\r\n" + payload)
        await writer.drain()
