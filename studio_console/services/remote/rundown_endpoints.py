"""Run-of-show endpoints of the remote-control API (Stream Deck / Companion): next, previous, go, skip, import."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from studio_console.adapters.http_server import HttpError, JsonHttpServer, Request
from studio_console.obs.errors import ObsError
from studio_console.services.remote.control import obs_error_to_http
from studio_console.services.rundown.desk import RundownDesk
from studio_console.services.rundown.service import RundownError, RundownLocked, api_section

API = "/api/v1"


class GoBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    index: int = Field(ge=0)


class SkipBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    index: int | None = Field(default=None, ge=0)
    skipped: bool = True


class PathBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str = Field(min_length=1)


def _existing_file(text: str) -> Path | None:
    path = Path(text).expanduser()
    return path if path.is_file() else None


class RundownApi:
    """Registers ``POST /api/v1/rundown/{next,previous,go,skip,end,import,export}``; ``state()`` is the section."""

    def __init__(self, server: JsonHttpServer, desk: RundownDesk) -> None:
        self.desk = desk
        self.service = desk.service
        for name, handler in (
            ("next", self._next),
            ("previous", self._previous),
            ("go", self._go),
            ("skip", self._skip),
            ("end", self._end),
            ("import", self._import),
            ("export", self._export),
        ):
            server.route("POST", f"{API}/rundown/{name}", handler)

    def state(self) -> dict[str, Any]:
        return api_section(self.service.state)

    async def _act(self, action: Awaitable[object]) -> dict[str, Any]:
        try:
            await action
        except RundownLocked as exc:
            raise HttpError(409, str(exc)) from exc
        except RundownError as exc:
            # The cue went live but OBS did not show it: say why, as the OBS endpoints do.
            if isinstance(exc.__cause__, ObsError):
                error = obs_error_to_http(exc.__cause__)
                raise HttpError(error.status, str(exc), **error.extra) from exc
            raise HttpError(409, str(exc)) from exc
        except ObsError as exc:
            raise obs_error_to_http(exc) from exc
        return {"ok": True, "rundown": self.state()}

    async def _next(self, request: Request) -> dict[str, Any]:
        return await self._act(self.service.next())

    async def _previous(self, request: Request) -> dict[str, Any]:
        return await self._act(self.service.previous())

    async def _go(self, request: Request) -> dict[str, Any]:
        body = request.model(GoBody)
        count = len(self.service.rundown.cues)
        if body.index >= count:
            raise HttpError(404, f"no cue {body.index}: the rundown has {count} cue(s)")
        return await self._act(self.service.go(body.index))

    async def _skip(self, request: Request) -> dict[str, Any]:
        body = request.model(SkipBody)

        async def skip() -> None:
            self.service.skip(body.index, body.skipped)

        return await self._act(skip())

    async def _end(self, request: Request) -> dict[str, Any]:
        return await self._act(self.service.end())

    async def _import(self, request: Request) -> dict[str, Any]:
        body = request.model(PathBody)
        path = await asyncio.to_thread(_existing_file, body.path)
        if path is None:
            raise HttpError(404, f"no file at {body.path}")
        try:
            result = await self.desk.import_file(path)
        except RundownLocked as exc:
            raise HttpError(409, str(exc)) from exc
        return {
            "imported": result.imported,
            "failed": len(result.failed),
            "errors": [
                {"file": e.file, "line": e.line, "field": e.field, "reason": e.reason, "severity": e.severity.value}
                for e in result.errors
            ],
            "rundown": self.state(),
        }

    async def _export(self, request: Request) -> dict[str, Any]:
        body = request.model(PathBody)
        try:
            await self.desk.export(Path(body.path))
        except OSError as exc:
            raise HttpError(409, f"cannot write {body.path}: {exc.strerror or exc}") from exc
        return {"ok": True, "cues": len(self.service.rundown.cues)}
