"""The connection and output phases as plain enums, importable without pydantic (the window's first paint)."""

from __future__ import annotations

from enum import StrEnum


class ConnectionStatus(StrEnum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    # The connection is there (or accepted) but OBS stopped answering: hung, stopped or overloaded.
    NOT_ANSWERING = "not_answering"
    AUTH_FAILED = "auth_failed"
    UNSUPPORTED = "unsupported"
    STOPPED = "stopped"


class OutputPhase(StrEnum):
    STOPPED = "stopped"
    STARTING = "starting"
    LIVE = "live"
    RECONNECTING = "reconnecting"
    STOPPING = "stopping"
    PAUSED = "paused"
