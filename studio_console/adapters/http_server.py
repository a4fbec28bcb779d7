"""A small asyncio HTTP/1.1 JSON server for the remote-control API: loopback only, bearer token required."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ValidationError

log = logging.getLogger(__name__)

MAX_BODY = 1 << 20
MAX_HEADER_LINES = 100
READ_TIMEOUT_S = 10.0

BaseModelT = TypeVar("BaseModelT", bound=BaseModel)

_REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
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
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise HttpError(400, f"body is not valid JSON: {exc}") from exc

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
    """Routes ``(METHOD, path)`` to async handlers returning JSON-able values or a Response."""

    def __init__(self, token: str, host: str = "127.0.0.1", port: int = 0) -> None:
        if not is_loopback(host):
            raise ValueError(f"the remote-control API binds to loopback only, not {host!r}")
        if len(token) < 16:
            raise ValueError("the remote-control token must be at least 16 characters")
        self.host = host
        self.port = port
        self._token = token.encode()
        self._routes: dict[tuple[str, str], Handler] = {}
        # Routes with ``{name}`` segments (``/shows/{show_id}/report``): (method, pattern, template, handler).
        self._patterns: list[tuple[str, re.Pattern[str], str, Handler]] = []
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

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
        if self._server is None or not self._server.sockets:
            return None
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, self.host, self.port, limit=64 * 1024)
        port = self.bound_port
        assert port is not None
        log.info("remote-control API listening on http://%s:%s/api/v1/", self.host, port)
        return port

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            for task in list(self._connections):
                task.cancel()
            for task in list(self._connections):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            status, body = await self._handle(reader)
            await self._respond(writer, status, body)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            if task is not None:
                self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader) -> tuple[int, Any]:
        try:
            request = await asyncio.wait_for(self._read_request(reader), READ_TIMEOUT_S)
        except HttpError as exc:
            return exc.status, {"error": exc.message}
        except (TimeoutError, ValueError, asyncio.LimitOverrunError):
            return 400, {"error": "malformed or incomplete HTTP request"}
        if not self._authorised(request.headers.get("authorization", "")):
            return 401, {"error": "missing or wrong token: send 'Authorization: Bearer <token>'"}
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

    def _authorised(self, header: str) -> bool:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(value.strip().encode(), self._token)

    @staticmethod
    async def _read_request(reader: asyncio.StreamReader) -> Request:
        line = (await reader.readline()).decode("latin-1").strip()
        parts = line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise HttpError(400, "malformed request line")
        method, target, _ = parts
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADER_LINES):
            raw = (await reader.readline()).decode("latin-1")
            if raw in ("\r\n", "\n", ""):
                break
            name, sep, value = raw.partition(":")
            if not sep:
                raise HttpError(400, "malformed header line")
            headers[name.strip().lower()] = value.strip()
        else:
            raise HttpError(400, "too many header lines")
        length = int(headers.get("content-length", "0") or 0)
        if length < 0:
            raise HttpError(400, "negative Content-Length")
        if length > MAX_BODY:
            raise HttpError(413, f"body larger than {MAX_BODY} bytes")
        body = await reader.readexactly(length) if length else b""
        split = urlsplit(target)
        return Request(method.upper(), split.path.rstrip("/") or "/", headers, body, split.query)

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
