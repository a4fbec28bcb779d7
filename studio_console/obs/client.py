"""Async obs-websocket 5 client built on obs-websocket-py's handshake, with its defects neutralised.

obs-websocket-py 1.0 is used for what it does well (opening the websocket and the
challenge/response authentication, run once per connection in an executor). After the handshake the
socket is handed to an asyncio transport on the app's loop, which replaces the library where
PLATFORM_FACTS lists defects:

- it identifies with subscriptions 1023 (no Ui events): we identify with our own mask, and
  ``reidentify()`` changes it later (op 3);
- it drops ``requestStatus.code``/``comment``: we keep them in ``ObsRequestError``;
- its request ids and answer tables are not thread-safe, and its callbacks run on a receive thread
  where they can deadlock: there is no receive thread at all; frames are read, requests created and
  answers resolved on the asyncio loop, with per-connection request-id prefixes;
- pending calls wait out their timeout when OBS dies: every pending request fails the moment the
  connection closes;
- it has no request batches: ``batch()`` sends op 8 and reads op 9.

Reading on the loop also removes two thread hand-overs per request: the round trip matches a
pure-asyncio client (see benchmarks/obs_roundtrip.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import struct
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import websocket
from obswebsocket import obsws

from studio_console.obs.errors import (
    ObsAuthFailed,
    ObsConnectError,
    ObsConnectionLost,
    ObsError,
    ObsNotAnswering,
    ObsNotConnected,
    ObsNotRunning,
    ObsRequestError,
    ObsTimeout,
    ObsUnsupportedVersion,
)
from studio_console.obs.protocol import RPC_VERSION, BatchExecution, CloseCode, Op, Subscription

log = logging.getLogger(__name__)

JsonDict = dict[str, Any]
EventHandler = Callable[[str, JsonDict], None]
ClosedHandler = Callable[[int | None, str], None]


@dataclass(frozen=True)
class BatchResult:
    """One request's outcome inside a batch."""

    request_type: str
    ok: bool
    code: int
    comment: str | None
    data: JsonDict

    def raise_for_status(self) -> JsonDict:
        if not self.ok:
            raise ObsRequestError(self.request_type, self.code, self.comment)
        return self.data


def _close_code(payload: bytes | str) -> tuple[int | None, str]:
    raw = payload.encode() if isinstance(payload, str) else payload
    if len(raw) < 2:
        return None, ""
    (code,) = struct.unpack("!H", raw[:2])
    return code, raw[2:].decode("utf-8", "replace")


def _error_for_close(code: int | None, reason: str) -> ObsConnectError:
    if code == CloseCode.AUTHENTICATION_FAILED:
        return ObsAuthFailed("OBS refused the WebSocket password")
    if code == CloseCode.UNSUPPORTED_RPC_VERSION:
        return ObsUnsupportedVersion("OBS's obs-websocket does not support RPC version 1 (needs 5.x)")
    return ObsConnectError(f"OBS closed the connection during the handshake (code {code}: {reason})")


class _Handshake(obsws):  # type: ignore[misc]
    """obs-websocket-py's connection and authentication, without its receive thread."""

    def __init__(self, host: str, port: int, password: str, subscriptions: int, timeout: float) -> None:
        super().__init__(host, port, password or "", legacy=False, timeout=timeout)
        self.subscriptions = subscriptions
        self.identified: JsonDict = {}
        self.hello: JsonDict = {}

    def open(self) -> websocket.WebSocket:
        ws = websocket.WebSocket(enable_multithread=True)
        self.ws = ws
        try:
            ws.connect(f"ws://{self.host}:{self.port}", timeout=self.timeout)  # type: ignore[no-untyped-call]
        except ConnectionRefusedError as exc:
            raise ObsNotRunning(
                f"Nothing answers on {self.host}:{self.port}: OBS is not running, or its WebSocket "
                "server is off (OBS: Tools > WebSocket Server Settings)"
            ) from exc
        except (TimeoutError, websocket.WebSocketTimeoutException) as exc:
            # Also what a frozen OBS looks like: the kernel accepts, nobody answers the upgrade.
            raise ObsNotAnswering(
                f"OBS is not answering at {self.host}:{self.port} (no reply within {self.timeout:.1f} s)"
            ) from exc
        except websocket.WebSocketException as exc:
            raise ObsConnectError(
                f"{self.host}:{self.port} answers but is not an obs-websocket server ({exc})"
            ) from exc
        except OSError as exc:
            raise ObsNotRunning(f"Cannot reach {self.host}:{self.port}: {exc.strerror or exc}") from exc
        try:
            self._auth()
        except BaseException:
            ws.close()
            raise
        ws.settimeout(None)  # the receive thread blocks; the handshake was bounded by self.timeout
        return ws

    def _recv_json(self) -> JsonDict:
        try:
            opcode, data = self.ws.recv_data()
        except (TimeoutError, websocket.WebSocketTimeoutException) as exc:
            # A hung OBS and an obs-websocket 4.x server both stay silent here; only the first can
            # recover by itself, so this is retried rather than reported as unsupported.
            raise ObsNotAnswering(
                f"OBS is not answering at {self.host}:{self.port}: no obs-websocket 5 greeting within "
                f"{self.timeout:.1f} s (an obs-websocket 4.x server also stays silent)"
            ) from exc
        except (websocket.WebSocketConnectionClosedException, websocket.WebSocketException, OSError) as exc:
            raise ObsConnectError(f"The connection closed during the handshake ({exc})") from exc
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            raise _error_for_close(*_close_code(data))
        try:
            message = json.loads(data)
        except ValueError as exc:
            raise ObsConnectError("The server's handshake message is not JSON") from exc
        if not isinstance(message, dict):
            raise ObsConnectError("The server's handshake message is not a JSON object")
        return message

    def _auth(self) -> None:
        hello = self._recv_json()
        if hello.get("op") != Op.HELLO:
            raise ObsUnsupportedVersion("The server did not greet with obs-websocket 5's Hello")
        self.hello = hello.get("d") or {}
        self.server_version = self.hello.get("obsWebSocketVersion")
        challenge = self.hello.get("authentication")
        identify: JsonDict = {"rpcVersion": RPC_VERSION, "eventSubscriptions": int(self.subscriptions)}
        if challenge:
            if not self.password:
                raise ObsAuthFailed("OBS requires a WebSocket password and none is set")
            salt = challenge.get("salt") if isinstance(challenge, dict) else None
            secret = challenge.get("challenge") if isinstance(challenge, dict) else None
            if not (isinstance(salt, str) and salt and isinstance(secret, str) and secret):
                raise ObsConnectError("OBS sent an incomplete authentication challenge (no salt or challenge)")
            identify["authentication"] = self._build_auth_string(salt, secret)
        try:
            self.ws.send(json.dumps({"op": Op.IDENTIFY, "d": identify}))
        except (websocket.WebSocketException, OSError) as exc:
            # OBS killed or restarted between its Hello and our Identify (ConnectionResetError).
            raise ObsConnectError(f"The connection closed during the handshake ({exc})") from exc
        identified = self._recv_json()
        if identified.get("op") != Op.IDENTIFIED:
            raise ObsConnectError(f"Unexpected answer to Identify (op {identified.get('op')})")
        self.identified = identified.get("d") or {}


# Frames larger than this are refused (a full-size PNG screenshot is a few MB of base64).
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
# Requests waiting for OBS at once; more wait their turn, so a burst never floods the loop.
MAX_IN_FLIGHT = 32


class _FrameReader(asyncio.Protocol):
    """WebSocket framing for the client side of an open connection (RFC 6455), on the loop."""

    def __init__(self, on_text: Callable[[str], None], on_closed: Callable[[int | None, str], None]) -> None:
        self.on_text = on_text
        self.on_closed = on_closed
        self.transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._fragments: list[bytes] = []
        self._close: tuple[int | None, str] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def send_frame(self, payload: bytes | str, opcode: int = websocket.ABNF.OPCODE_TEXT) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            raise ObsConnectionLost("the connection to OBS is closed")
        # websocket-client builds the frame, masking included, as a client must.
        transport.write(websocket.ABNF.create_frame(payload, opcode).format())

    def data_received(self, data: bytes) -> None:
        buf = self._buffer
        buf += data
        offset = 0
        while True:
            frame = self._next_frame(buf, offset)
            if frame is None:
                break
            offset, opcode, fin, payload = frame
            self._handle(opcode, fin, payload)
        if offset:
            del buf[:offset]

    @staticmethod
    def _next_frame(buf: bytearray, offset: int) -> tuple[int, int, bool, bytes] | None:
        available = len(buf) - offset
        if available < 2:
            return None
        b0, b1 = buf[offset], buf[offset + 1]
        length = b1 & 0x7F
        head = 2
        if length == 126:
            if available < 4:
                return None
            (length,) = struct.unpack_from("!H", buf, offset + 2)
            head = 4
        elif length == 127:
            if available < 10:
                return None
            (length,) = struct.unpack_from("!Q", buf, offset + 2)
            head = 10
        if length > MAX_MESSAGE_BYTES:
            raise ObsConnectionLost(f"OBS sent a frame of {length} bytes, more than the limit")
        mask = b""
        if b1 & 0x80:  # servers do not mask, but tolerate it
            mask = bytes(buf[offset + head : offset + head + 4])
            head += 4
        end = offset + head + length
        if len(buf) < end:
            return None
        payload = bytes(buf[offset + head : end])
        if mask:
            payload = websocket.ABNF.mask(mask, payload)
        return end, b0 & 0x0F, bool(b0 & 0x80), payload

    def _handle(self, opcode: int, fin: bool, payload: bytes) -> None:
        if opcode in (websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_BINARY, websocket.ABNF.OPCODE_CONT):
            self._fragments.append(payload)
            if fin:
                message, self._fragments = b"".join(self._fragments), []
                self.on_text(message.decode("utf-8", "replace"))
        elif opcode == websocket.ABNF.OPCODE_PING:
            self.send_frame(payload, websocket.ABNF.OPCODE_PONG)
        elif opcode == websocket.ABNF.OPCODE_CLOSE:
            self._close = _close_code(payload)
            if self.transport is not None and not self.transport.is_closing():
                try:
                    self.send_frame(payload[:2], websocket.ABNF.OPCODE_CLOSE)
                finally:
                    self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        code, reason = self._close or (None, type(exc).__name__ if exc else "connection closed")
        self.on_closed(code, reason)


class ObsClient:
    """One connection to obs-websocket 5, used from one asyncio loop.

    ``on_event(type, data)`` and ``on_closed(code, reason)`` are called on that loop. Requests sent
    one by one may be executed by OBS in parallel; use ``batch()`` when order matters.
    """

    def __init__(
        self,
        host: str,
        port: int,
        password: str | None,
        *,
        subscriptions: int = Subscription.ALL,
        request_timeout: float = 5.0,
        connect_timeout: float = 3.0,
    ) -> None:
        self.host = host
        self.port = port
        self._password = password or ""
        self.subscriptions = int(subscriptions)
        self.request_timeout = request_timeout
        self.connect_timeout = connect_timeout
        self.on_event: EventHandler | None = None
        self.on_closed: ClosedHandler | None = None
        self.server_info: JsonDict = {}
        self._reader: _FrameReader | None = None
        self._pending: dict[str, tuple[str, asyncio.Future[JsonDict]]] = {}
        self._ids = itertools.count(1)
        self._prefix = ""
        self._slots: asyncio.Semaphore | None = None
        self._closing = False

    @property
    def connected(self) -> bool:
        return self._reader is not None

    async def connect(self) -> JsonDict:
        """Open, authenticate and identify; returns OBS's Hello data (versions)."""
        if self._reader is not None:
            raise ObsConnectError("already connected")
        loop = asyncio.get_running_loop()
        handshake = _Handshake(self.host, self.port, self._password, self.subscriptions, self.connect_timeout)
        # The handshake blocks on socket reads: keep it off the UI thread.
        try:
            ws = await loop.run_in_executor(None, handshake.open)
        except ObsError:
            raise
        except Exception as exc:
            # Whatever else a half-open or odd server provokes stays a connect error the session retries.
            raise ObsConnectError(f"The handshake with OBS failed ({type(exc).__name__}: {exc})") from exc
        sock, ws.sock = ws.sock, None  # the socket now belongs to the asyncio transport
        if sock is None:
            raise ObsConnectError("The connection closed during the handshake")
        self._closing = False
        self._prefix = uuid.uuid4().hex[:8] + "-"
        self._slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        try:
            sock.setblocking(False)
            _, reader = await loop.create_connection(
                lambda: _FrameReader(self._dispatch_text, self._connection_closed), sock=sock
            )
        except OSError as exc:
            sock.close()
            raise ObsConnectError(f"The connection closed right after the handshake ({exc})") from exc
        self._reader = reader
        self.server_info = dict(handshake.hello)
        return self.server_info

    async def close(self, why: str = "connection closed by the app") -> None:
        """Close the connection; pending requests fail with ObsConnectionLost saying ``why``."""
        reader, self._reader = self._reader, None
        if reader is None:
            return
        self._closing = True
        transport = reader.transport
        if transport is not None and not transport.is_closing():
            try:
                reader.send_frame(struct.pack("!H", 1000), websocket.ABNF.OPCODE_CLOSE)
            except ObsConnectionLost:
                pass
            transport.close()
        self._fail_pending(why)

    async def probe(self, timeout: float) -> None:
        """One cheap request (GetVersion) that does not queue behind busy request slots.

        The liveness check uses it: a probe waiting for a slot behind 32 slow requests would call a
        busy OBS dead.
        """
        await self._send(Op.REQUEST, {"requestType": "GetVersion", "requestData": {}}, "GetVersion", timeout, False)

    async def request(self, request_type: str, data: JsonDict | None = None, timeout: float | None = None) -> JsonDict:
        """Send one request and return its responseData; raises ObsRequestError with OBS's code."""
        payload: JsonDict = {"requestType": request_type, "requestData": data or {}}
        answer = await self._send(Op.REQUEST, payload, request_type, timeout)
        status = answer.get("requestStatus") or {}
        if not status.get("result"):
            raise ObsRequestError(request_type, int(status.get("code", 0)), status.get("comment"))
        response: JsonDict = answer.get("responseData") or {}
        return response

    async def batch(
        self,
        requests: Sequence[tuple[str, JsonDict | None]],
        *,
        execution: BatchExecution = BatchExecution.SERIAL_REALTIME,
        halt_on_failure: bool = False,
        timeout: float | None = None,
    ) -> list[BatchResult]:
        """Send several requests that OBS executes in order, as one message (op 8)."""
        payload: JsonDict = {
            "haltOnFailure": halt_on_failure,
            "executionType": int(execution),
            "requests": [{"requestType": rt, "requestData": rd or {}} for rt, rd in requests],
        }
        answer = await self._send(Op.REQUEST_BATCH, payload, "RequestBatch", timeout)
        results = []
        for item in answer.get("results") or []:
            status = item.get("requestStatus") or {}
            results.append(
                BatchResult(
                    request_type=item.get("requestType", "?"),
                    ok=bool(status.get("result")),
                    code=int(status.get("code", 0)),
                    comment=status.get("comment"),
                    data=item.get("responseData") or {},
                )
            )
        return results

    async def reidentify(self, subscriptions: int) -> None:
        """Change the event subscriptions of the open session (op 3)."""
        reader = self._require_reader()
        self.subscriptions = int(subscriptions)
        reader.send_frame(json.dumps({"op": Op.REIDENTIFY, "d": {"eventSubscriptions": self.subscriptions}}))

    def _require_reader(self) -> _FrameReader:
        if self._reader is None:
            raise ObsNotConnected("not connected to OBS")
        return self._reader

    async def _send(
        self, op: Op, payload: JsonDict, label: str, timeout: float | None, queued: bool = True
    ) -> JsonDict:
        self._require_reader()
        slots = self._slots if queued else contextlib.nullcontext()
        assert slots is not None
        limit = timeout or self.request_timeout
        loop = asyncio.get_running_loop()
        request_id = f"{self._prefix}{next(self._ids)}"
        payload["requestId"] = request_id
        future: asyncio.Future[JsonDict] = loop.create_future()
        try:
            async with asyncio.timeout(limit), slots:
                reader = self._require_reader()  # it may have closed while this request waited its turn
                self._pending[request_id] = (label, future)
                reader.send_frame(json.dumps({"op": int(op), "d": payload}))
                return await future
        except TimeoutError as exc:
            raise ObsTimeout(f"OBS did not answer {label} within {limit:.1f} s") from exc
        finally:
            self._pending.pop(request_id, None)

    # -- on the loop, called by the frame reader ---------------------------------------------------

    def _dispatch_text(self, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            log.warning("ignored a malformed message from OBS (%d bytes)", len(text))
            return
        if not isinstance(message, dict):
            return
        op = message.get("op")
        data = message.get("d") or {}
        if not isinstance(data, dict):
            log.warning("ignored an OBS message whose data is not an object (op %s)", op)
            return
        if op in (Op.REQUEST_RESPONSE, Op.REQUEST_BATCH_RESPONSE):
            entry = self._pending.get(data.get("requestId", ""))
            if entry is not None and not entry[1].done():
                entry[1].set_result(data)
        elif op == Op.EVENT:
            handler = self.on_event
            if handler is not None:
                try:
                    handler(data.get("eventType", ""), data.get("eventData") or {})
                except Exception:
                    log.exception("OBS event handler failed on %s", data.get("eventType"))
        elif op == Op.IDENTIFIED:
            log.debug("OBS confirmed new event subscriptions")

    def _fail_pending(self, why: str) -> None:
        pending, self._pending = self._pending, {}
        for label, future in pending.values():
            if not future.done():
                future.set_exception(ObsConnectionLost(f"{label}: {why}"))

    def _connection_closed(self, code: int | None, reason: str) -> None:
        self._reader = None
        self._fail_pending("the connection to OBS closed")
        if not self._closing and self.on_closed is not None:
            self.on_closed(code, reason)
