"""The settings model: versioned, validated, and free of secrets (those live in the keyring)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 2

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class _Section(BaseModel):
    # Unknown keys are ignored so a settings file from a newer version still loads.
    model_config = ConfigDict(extra="ignore", validate_assignment=True)


class ObsSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=4455, ge=1, le=65535)
    request_timeout_s: float = Field(default=5.0, gt=0, le=120)


class RemoteControlSettings(_Section):
    enabled: bool = True
    port: int = Field(default=8765, ge=0, le=65535)


class WindowSettings(_Section):
    geometry_b64: str = ""
    dock_state_b64: str = ""


def default_scene_shortcuts() -> dict[str, str]:
    shortcuts = {f"scene_{n}": str(n) for n in range(1, 10)}
    shortcuts["take"] = "Space"
    return shortcuts


class Settings(_Section):
    schema_version: int = SCHEMA_VERSION
    obs: ObsSettings = Field(default_factory=ObsSettings)
    remote: RemoteControlSettings = Field(default_factory=RemoteControlSettings)
    window: WindowSettings = Field(default_factory=WindowSettings)
    log_level: LogLevel = "INFO"
    shortcuts: dict[str, str] = Field(default_factory=default_scene_shortcuts)
