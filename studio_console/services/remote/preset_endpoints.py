"""Preset endpoints of the remote-control API: switch the studio to a creator's preset, list presets."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from studio_console.adapters.http_server import HttpError, JsonHttpServer, Request
from studio_console.services.presets.switcher import PresetRefused, PresetSwitcher, SwitchFailed

API = "/api/v1"


class SwitchBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=80)


class PresetApi:
    """Registers ``POST /preset`` (answers when the studio is ready) and ``GET /presets``."""

    def __init__(self, server: JsonHttpServer, switcher: PresetSwitcher) -> None:
        self.switcher = switcher
        server.route("POST", f"{API}/preset", self._switch)
        server.route("GET", f"{API}/presets", self._presets)

    def state(self) -> dict[str, Any]:
        """The ``preset`` section of ``GET /api/v1/state``."""
        return self.switcher.state()

    async def _switch(self, request: Request) -> dict[str, Any]:
        body = request.model(SwitchBody)
        try:
            result = await self.switcher.switch(body.name)
        except PresetRefused as exc:
            raise HttpError(409, str(exc)) from exc
        except SwitchFailed as exc:
            raise HttpError(500, exc.result.message) from exc
        return {"ok": True, "preset": result.model_dump(mode="json")}

    async def _presets(self, request: Request) -> dict[str, Any]:
        return {"presets": self.switcher.store.names(), "active": self.switcher.active}
