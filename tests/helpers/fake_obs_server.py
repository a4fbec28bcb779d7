"""A fake obs-websocket 5 server on loopback, for the faults a real OBS cannot be made to produce."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import hashlib
import json
import socket
import struct
from dataclasses import dataclass, field
from typing import Any

JsonDict = dict[str, Any]

_WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

# What a plain OBS answers to the requests the session makes while connecting and polling.
DEFAULT_RESPONSES: dict[str, JsonDict] = {
    "GetVersion": {"obsVersion": "29.0.2-fake", "obsWebSocketVersion": "5.1.0", "rpcVersion": 1},
    "GetSceneList": {
        "currentProgramSceneName": "Alpha",
        "currentPreviewSceneName": None,
        "scenes": [{"sceneName": "Bravo", "sceneIndex": 0}, {"sceneName": "Alpha", "sceneIndex": 1}],
    },
    "GetStudioModeEnabled": {"studioModeEnabled": False},
    "GetSceneTransitionList": {
        "currentSceneTransitionName": "Cut",
        "transitions": [{"transitionName": "Cut"}, {"transitionName": "Fade"}],
    },
    "GetCurrentSceneTransition": {"transitionName": "Cut", "transitionFixed": True},
    "GetInputList": {"inputs": []},
    "GetSpecialInputs": {},
    "GetStreamStatus": {"outputActive": False, "outputReconnecting": False},
    "GetRecordStatus": {"outputActive": False},
    "GetVideoSettings": {
        "baseWidth": 640,
        "baseHeight": 360,
        "outputWidth": 640,
        "outputHeight": 360,
        "fpsNumerator": 15,
        "fpsDenominator": 1,
    },
    "GetStats": {"activeFps": 15.0, "cpuUsage": 1.0, "memoryUsage": 100.0},
}

# Behaviours of one connection, in the order the server meets them.
NORMAL = "normal"
SILENT = "silent"  # accepts the TCP connection and never says a word
RESET_AFTER_HELLO = "reset_after_hello"  # greets, then resets the connection (OBS killed mid-handshake)
CHALLENGE_WITHOUT_SALT = "challenge_without_salt"
JUNK_AFTER_IDENTIFIED = "junk_after_identified"  # odd frames once identified: not JSON, a list, d not an object


@dataclass
class FakeObsServer:
    """Speaks just enough obs-websocket 5 for ObsClient and ObsSession.

    ``plan`` lists one behaviour per new connection; once used up, connections are NORMAL.
    ``responses`` maps request types to responseData (edit it to send malformed answers).
    ``answering = False`` makes an identified connection go silent (a hung OBS); True resumes.
    """

    password: str | None = None
    plan: list[str] = field(default_factory=list)
    responses: dict[str, JsonDict] = field(default_factory=lambda: copy.deepcopy(DEFAULT_RESPONSES))
    answering: bool = True
    connections: int = 0
    identified_sessions: int = 0
    requests_seen: list[str] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self.port

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def open_sessions(self) -> int:
        return len(self._writers)

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if server is not None:
            await server.wait_closed()

    async def kick(self, code: int, reason: str = "") -> None:
        """Close every identified session with ``code`` (4011: another client invalidated it)."""
        for writer in list(self._writers):
            writer.write(_frame(struct.pack("!H", code) + reason.encode(), opcode=0x8))
            with contextlib.suppress(ConnectionError):
                await writer.drain()
            writer.close()

    # -- one connection ----------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        behaviour = self.plan.pop(0) if self.plan else NORMAL
        try:
            if behaviour == SILENT:
                await reader.read()  # until the client gives up
                return
            await self._upgrade(reader, writer)
            hello: JsonDict = {"obsWebSocketVersion": "5.1.0", "rpcVersion": 1}
            if behaviour == CHALLENGE_WITHOUT_SALT:
                hello["authentication"] = {"challenge": "abc"}
            elif self.password:
                hello["authentication"] = {"challenge": "c2FsdA==", "salt": "c2FsdA=="}
            await self._send(writer, {"op": 0, "d": hello})
            if behaviour == RESET_AFTER_HELLO:
                _reset(writer)
                return
            identify = await _read_message(reader)
            if identify is None or identify.get("op") != 1:
                return
            if self.password and identify["d"].get("authentication") != _auth(self.password, "c2FsdA==", "c2FsdA=="):
                writer.write(_frame(struct.pack("!H", 4009) + b"Authentication failed.", opcode=0x8))
                await writer.drain()
                return
            await self._send(writer, {"op": 2, "d": {"negotiatedRpcVersion": 1}})
            if behaviour == JUNK_AFTER_IDENTIFIED:
                for junk in (b"not json", b"[1, 2]", b'{"op": 7, "d": [1, 2]}', b'{"op": 5, "d": "event?"}'):
                    writer.write(_frame(junk))
                await writer.drain()
            self.identified_sessions += 1
            self._writers.add(writer)
            while True:
                message = await _read_message(reader)
                if message is None:
                    return
                if self.answering:
                    await self._answer(writer, message)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            self._tasks.discard(task)
            writer.close()

    async def _upgrade(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        key = ""
        while True:
            line = (await reader.readline()).decode("latin-1")
            if line in ("\r\n", "\n", ""):
                break
            name, _, value = line.partition(":")
            if name.strip().lower() == "sec-websocket-key":
                key = value.strip()
        accept = base64.b64encode(hashlib.sha1((key + _WS_GUID).encode()).digest()).decode()
        writer.write(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )
        await writer.drain()

    async def _answer(self, writer: asyncio.StreamWriter, message: JsonDict) -> None:
        op, data = message.get("op"), message.get("d") or {}
        if op == 6:
            await self._send(writer, {"op": 7, "d": self._response(data)})
        elif op == 8:
            results = [self._response(r) for r in data.get("requests", [])]
            await self._send(writer, {"op": 9, "d": {"requestId": data.get("requestId"), "results": results}})
        elif op == 3:
            await self._send(writer, {"op": 2, "d": {"negotiatedRpcVersion": 1}})

    def _response(self, request: JsonDict) -> JsonDict:
        request_type = request.get("requestType", "")
        self.requests_seen.append(request_type)
        answer: JsonDict = {"requestType": request_type, "requestId": request.get("requestId")}
        if request_type in self.responses:
            answer["requestStatus"] = {"result": True, "code": 100}
            answer["responseData"] = copy.deepcopy(self.responses[request_type])
        else:
            answer["requestStatus"] = {"result": False, "code": 204, "comment": "unknown request (fake)"}
        return answer

    @staticmethod
    async def _send(writer: asyncio.StreamWriter, message: JsonDict) -> None:
        writer.write(_frame(json.dumps(message).encode()))
        await writer.drain()


def _auth(password: str, salt: str, challenge: str) -> str:
    secret = base64.b64encode(hashlib.sha256((password + salt).encode()).digest()).decode()
    return base64.b64encode(hashlib.sha256((secret + challenge).encode()).digest()).decode()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST, as the kernel does when OBS dies with the socket open."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def _frame(payload: bytes, opcode: int = 0x1) -> bytes:
    head = bytes([0x80 | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([n])
    elif n < 1 << 16:
        head += bytes([126]) + struct.pack("!H", n)
    else:
        head += bytes([127]) + struct.pack("!Q", n)
    return head + payload


async def _read_message(reader: asyncio.StreamReader) -> JsonDict | None:
    """One client frame (masked), decoded as JSON; None when the client closed."""
    try:
        b0, b1 = await reader.readexactly(2)
    except asyncio.IncompleteReadError:
        return None
    length = b1 & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", await reader.readexactly(2))
    elif length == 127:
        (length,) = struct.unpack("!Q", await reader.readexactly(8))
    mask = await reader.readexactly(4) if b1 & 0x80 else b""
    payload = await reader.readexactly(length)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    opcode = b0 & 0x0F
    if opcode == 0x8:
        return None
    if opcode in (0x9, 0xA):
        return {"op": -1}
    result: JsonDict = json.loads(payload)
    return result
