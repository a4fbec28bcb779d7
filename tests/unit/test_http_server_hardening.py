"""The remote-control HTTP server against hostile local clients, over real loopback sockets."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from studio_console.adapters.http_server import MAX_BODY, JsonHttpServer, Request

TOKEN = "hardening-test-token-0123456789"


def exchange(port: int, raw: bytes, *, timeout: float = 20.0, shut: bool = False) -> tuple[int, dict[str, str], Any]:
    """Send ``raw`` and read the whole answer: (status, headers, JSON body); status 0 if closed silently."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        with contextlib.suppress(ConnectionError):
            sock.sendall(raw)
        if shut:
            sock.shutdown(socket.SHUT_WR)
        return read_answer(sock)


def read_answer(sock: socket.socket) -> tuple[int, dict[str, str], Any]:
    chunks = []
    with contextlib.suppress(ConnectionError):
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    data = b"".join(chunks)
    if not data:
        return 0, {}, None
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split(" ")[1]), headers, json.loads(body) if body else None


def get(port: int, path: str = "/api/v1/ping", *, host: str | None = None, extra: str = "") -> bytes:
    host = host if host is not None else f"127.0.0.1:{port}"
    return (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {TOKEN}\r\n{extra}\r\n").encode()


def serve(body: Callable[[JsonHttpServer, int], Awaitable[None]], **options: Any) -> None:
    async def main() -> None:
        server = JsonHttpServer(TOKEN, **options)

        async def ping(request: Request) -> Any:
            return {"pong": True}

        async def echo(request: Request) -> Any:
            return {"got": request.json()}

        server.route("GET", "/api/v1/ping", ping)
        server.route("POST", "/api/v1/echo", echo)
        port = await server.start()
        try:
            await body(server, port)
        finally:
            await server.stop()

    asyncio.run(main())


async def still_serves(port: int) -> None:
    status, _, answer = await asyncio.to_thread(exchange, port, get(port))
    assert (status, answer) == (200, {"pong": True})


def test_the_token_is_checked_before_any_body_is_read() -> None:
    async def body(server: JsonHttpServer, port: int) -> None:
        # Headers announce a 1 MiB body that never comes: without a token the answer comes at once.
        raw = f"POST /api/v1/echo HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {MAX_BODY}\r\n\r\n".encode()
        status, _, answer = await asyncio.to_thread(exchange, port, raw)
        assert status == 401 and "token" in answer["error"]
        await still_serves(port)

    serve(body, body_timeout_s=30.0)


def test_an_oversized_request_line_is_refused() -> None:
    async def body(server: JsonHttpServer, port: int) -> None:
        status, _, answer = await asyncio.to_thread(exchange, port, get(port, "/api/v1/" + "a" * 100_000))
        assert status == 414, answer
        await still_serves(port)

    serve(body)


def test_oversized_or_too_many_headers_are_refused() -> None:
    async def body(server: JsonHttpServer, port: int) -> None:
        status, _, _ = await asyncio.to_thread(exchange, port, get(port, extra="X-Big: " + "b" * 70_000 + "\r\n"))
        assert status == 431
        many = "".join(f"X-H{i}: v\r\n" for i in range(500))
        status, _, _ = await asyncio.to_thread(exchange, port, get(port, extra=many))
        assert status == 431
        await still_serves(port)

    serve(body)


def test_a_body_over_the_limit_is_refused_unread() -> None:
    async def body(server: JsonHttpServer, port: int) -> None:
        raw = (
            f"POST /api/v1/echo HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {TOKEN}\r\n"
            f"Content-Length: {MAX_BODY + 1}\r\n\r\n"
        ).encode()
        status, _, _ = await asyncio.to_thread(exchange, port, raw)
        assert status == 413
        chunked = (
            f"POST /api/v1/echo HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {TOKEN}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
        ).encode()
        status, _, _ = await asyncio.to_thread(exchange, port, chunked)
        assert status == 411
        await still_serves(port)

    serve(body)


def test_a_slow_client_is_timed_out() -> None:
    async def body(server: JsonHttpServer, port: int) -> None:
        # Half a request line, then nothing (slowloris): the server answers 408 and closes.
        status, _, answer = await asyncio.to_thread(exchange, port, b"GET /api/v1/pi")
        assert status == 408, answer
        head = f"POST /api/v1/echo HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {TOKEN}\r\n"
        status, _, _ = await asyncio.to_thread(exchange, port, (head + "Content-Length: 10\r\n\r\n{").encode())
        assert status == 408
        await still_serves(port)

    serve(body, header_timeout_s=0.5, body_timeout_s=0.5)


def test_connections_beyond_the_cap_are_turned_away_and_service_resumes() -> None:
    async def body(server: JsonHttpServer, port: int) -> None:
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]
        try:
            await asyncio.sleep(0.2)  # let the server accept them
            status, _, answer = await asyncio.to_thread(exchange, port, get(port))
            assert status == 503 and "connections" in answer["error"]
        finally:
            for sock in idle:
                sock.close()
        for _ in range(100):  # the server notices the closed connections
            if server.open_connections == 0:
                break
            await asyncio.sleep(0.05)
        await still_serves(port)

    serve(body, max_connections=4)


def test_host_header_must_name_loopback_and_the_bound_port() -> None:
    async def body(server: JsonHttpServer, port: int) -> None:
        for host in ("evil.example", f"evil.example:{port}", f"127.0.0.1:{port + 1}", "127.0.0.1"):
            status, _, answer = await asyncio.to_thread(exchange, port, get(port, host=host))
            assert status == 403 and "Host" in answer["error"], (host, status)
        for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"LOCALHOST:{port}"):
            status, _, _ = await asyncio.to_thread(exchange, port, get(port, host=host))
            assert status == 200, host
        await still_serves(port)

    serve(body)


def test_browser_preflights_are_refused_and_no_cors_headers_are_sent() -> None:
    async def body(server: JsonHttpServer, port: int) -> None:
        preflight = (
            f"OPTIONS /api/v1/echo HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: https://evil.example\r\n"
            "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: authorization\r\n\r\n"
        ).encode()
        status, headers, _ = await asyncio.to_thread(exchange, port, preflight)
        assert status == 403
        assert not [h for h in headers if h.startswith("access-control-")]
        status, headers, _ = await asyncio.to_thread(
            exchange, port, get(port, extra="Origin: https://evil.example\r\n")
        )
        assert not [h for h in headers if h.startswith("access-control-")]
        await still_serves(port)

    serve(body)


def test_deeply_nested_json_is_a_400_not_a_500() -> None:
    async def body(server: JsonHttpServer, port: int) -> None:
        for payload in (b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000, b"[" * 200):
            raw = (
                f"POST /api/v1/echo HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {TOKEN}\r\n"
                f"Content-Length: {len(payload)}\r\n\r\n"
            ).encode() + payload
            status, _, answer = await asyncio.to_thread(exchange, port, raw)
            assert status == 400, (status, answer)
        await still_serves(port)

    serve(body)


def test_running_out_of_file_descriptors_reports_one_problem_and_recovers() -> None:
    problems: list[str] = []

    async def body(server: JsonHttpServer, port: int) -> None:
        # Clients connect first (the kernel completes them into the backlog), then the process's
        # descriptor limit is lowered so the server's accept() fails with EMFILE again and again.
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(6)]
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        in_use = len(os.listdir("/proc/self/fd"))
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (in_use, hard))
            for _ in range(60):
                if server.accept_failures >= 3:
                    break
                await asyncio.sleep(0.1)
            assert server.accept_failures >= 3
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
            for sock in clients:
                sock.close()
        assert len(problems) == 1, problems
        assert "file" in problems[0].lower()
        for _ in range(100):
            try:
                await still_serves(port)
                break
            except AssertionError:
                await asyncio.sleep(0.1)
        await still_serves(port)

    serve(body, problems=problems.append)
