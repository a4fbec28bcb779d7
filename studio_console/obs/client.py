"""Async obs-websocket 5 client built on obs-websocket-py's connection, with its defects neutralised.

obs-websocket-py 1.0 is used for what it does well (opening the websocket and the
challenge/response authentication) and replaced where PLATFORM_FACTS lists defects:

- it identifies with subscriptions 1023 (no Ui events): we identify with our own mask, and
  ``reidentify()`` changes it later (op 3);
- it drops ``requestStatus.code``/``comment``: we keep them in ``ObsRequestError``;
- its request ids and answer tables are not thread-safe: requests are created and resolved on
  the asyncio loop only, with per-connection id prefixes;
- its callbacks run on the receive thread and can deadlock: our receive thread only parses JSON and
  hands messages to the loop;
- pending calls wait out their timeout when OBS dies: every pending request fails at once when the
  connection closes;
- it has no request batches: ``batch()`` sends op 8 and reads op 9.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import json
import logging
import struct
import threading
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


@dataclass(frozen=True)
class _Closed:
    """Posted by the receive thread when its connection ends."""

    ws: websocket.WebSocket
    code: int | None
    reason: str


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
        except TimeoutError as exc:
            raise ObsNotRunning(f"{self.host}:{self.port} did not answer within {self.timeout:.0f} s") from exc
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
            raise ObsUnsupportedVersion(
                "The server sent no obs-websocket 5 greeting (is it obs-websocket 4.x?)"
            ) from exc
        except (websocket.WebSocketConnectionClosedException, OSError) as exc:
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
            identify["authentication"] = self._build_auth_string(challenge["salt"], challenge["challenge"])
        self.ws.send(json.dumps({"op": Op.IDENTIFY, "d": identify}))
        identified = self._recv_json()
        if identified.get("op") != Op.IDENTIFIED:
            raise ObsConnectError(f"Unexpected answer to Identify (op {identified.get('op')})")
        self.identified = identified.get("d") or {}


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
        self._ws: websocket.WebSocket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: dict[str, tuple[str, asyncio.Future[JsonDict]]] = {}
        self._ids = itertools.count(1)
        self._prefix = ""
        self._reader: threading.Thread | None = None
        self._inbox: collections.deque[JsonDict | _Closed] = collections.deque()
        self._inbox_lock = threading.Lock()
        self._drain_scheduled = False
        self._closing = False
        self._close_reported = False

    @property
    def connected(self) -> bool:
        return self._ws is not None

    async def connect(self) -> JsonDict:
        """Open, authenticate and identify; returns OBS's Hello data (versions)."""
        if self._ws is not None:
            raise ObsConnectError("already connected")
        loop = asyncio.get_running_loop()
        handshake = _Handshake(self.host, self.port, self._password, self.subscriptions, self.connect_timeout)
        # The handshake blocks on socket reads: keep it off the UI thread.
        ws = await loop.run_in_executor(None, handshake.open)
        self._loop = loop
        self._ws = ws
        self._closing = False
        self._close_reported = False
        self._prefix = uuid.uuid4().hex[:8] + "-"
        self.server_info = dict(handshake.hello)
        self._reader = threading.Thread(target=self._read_forever, args=(ws,), name="obs-ws-reader", daemon=True)
        self._reader.start()
        return self.server_info

    async def close(self) -> None:
        """Close the connection; pending requests fail with ObsConnectionLost."""
        ws, self._ws = self._ws, None
        if ws is None:
            return
        self._closing = True
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self._close_socket, ws)
        reader = self._reader
        if reader is not None:
            await loop.run_in_executor(None, reader.join, 2.0)
        self._fail_pending("connection closed by the app")

    @staticmethod
    def _close_socket(ws: websocket.WebSocket) -> None:
        try:
            ws.close(timeout=1)
        except Exception:
            ws.shutdown()  # type: ignore[no-untyped-call]

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
        ws = self._require_ws()
        self.subscriptions = int(subscriptions)
        self._send_text(ws, json.dumps({"op": Op.REIDENTIFY, "d": {"eventSubscriptions": self.subscriptions}}))

    def _require_ws(self) -> websocket.WebSocket:
        if self._ws is None:
            raise ObsNotConnected("not connected to OBS")
        return self._ws

    @staticmethod
    def _send_text(ws: websocket.WebSocket, text: str) -> None:
        try:
            ws.send(text)
        except (websocket.WebSocketException, OSError) as exc:
            raise ObsConnectionLost(f"sending to OBS failed: {exc.__class__.__name__}") from exc

    async def _send(self, op: Op, payload: JsonDict, label: str, timeout: float | None) -> JsonDict:
        ws = self._require_ws()
        loop = asyncio.get_running_loop()
        request_id = f"{self._prefix}{next(self._ids)}"
        payload["requestId"] = request_id
        future: asyncio.Future[JsonDict] = loop.create_future()
        self._pending[request_id] = (label, future)
        try:
            # A small frame on loopback: send() returns at once, so it stays on the loop.
            self._send_text(ws, json.dumps({"op": int(op), "d": payload}))
            return await asyncio.wait_for(future, timeout or self.request_timeout)
        except TimeoutError as exc:
            raise ObsTimeout(f"OBS did not answer {label} within {timeout or self.request_timeout:.1f} s") from exc
        finally:
            self._pending.pop(request_id, None)

    # -- receive thread: parse, hand over, nothing else ------------------------------------------

    def _read_forever(self, ws: websocket.WebSocket) -> None:
        code: int | None = None
        reason = ""
        try:
            while True:
                opcode, data = ws.recv_data()
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    code, reason = _close_code(data)
                    break
                if opcode != websocket.ABNF.OPCODE_TEXT:
                    continue
                try:
                    message = json.loads(data)
                except ValueError:
                    log.warning("ignored a malformed frame from OBS (%d bytes)", len(data))
                    continue
                if isinstance(message, dict):
                    self._post(message)
        except (websocket.WebSocketException, OSError, AttributeError) as exc:
            # AttributeError: websocket-client drops its socket object when close() races recv().
            reason = reason or exc.__class__.__name__
        except Exception:  # never let the thread die silently
            log.exception("OBS receive thread failed")
            reason = "receive thread failed"
        self._post(_Closed(ws, code, reason))

    def _post(self, item: JsonDict | _Closed) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with self._inbox_lock:
            self._inbox.append(item)
            if self._drain_scheduled:
                return
            self._drain_scheduled = True
        try:
            loop.call_soon_threadsafe(self._drain)
        except RuntimeError:  # loop closed while the app quits
            pass

    # -- on the loop ------------------------------------------------------------------------------

    def _drain(self) -> None:
        with self._inbox_lock:
            self._drain_scheduled = False
            items = list(self._inbox)
            self._inbox.clear()
        for item in items:
            if isinstance(item, _Closed):
                self._connection_closed(item)
            else:
                self._dispatch(item)

    def _dispatch(self, message: JsonDict) -> None:
        op = message.get("op")
        data = message.get("d") or {}
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

    def _connection_closed(self, closed: _Closed) -> None:
        if self._ws is not None and closed.ws is not self._ws:
            return  # a previous connection's reader finishing late
        self._ws = None
        self._fail_pending("the connection to OBS closed")
        if self._close_reported:
            return
        self._close_reported = True
        if not self._closing and self.on_closed is not None:
            self.on_closed(closed.code, closed.reason)
