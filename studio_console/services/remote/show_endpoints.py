"""Show-log endpoints of the remote-control API: start, end and resume a show, list past shows, their reports."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from studio_console.adapters.http_server import HttpError, JsonHttpServer, Request, Response
from studio_console.domain.show_record import ShowInfo
from studio_console.services.products.show import ProductShowError
from studio_console.services.show_log.service import ShowLog, ShowLogError

API = "/api/v1"


class StartBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    creator: str | None = Field(default=None, max_length=200)


class ResumeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Default: the show a crash left open.
    show_id: str | None = Field(default=None, min_length=1, max_length=64)


def show_json(show: ShowInfo) -> dict[str, Any]:
    return show.model_dump(mode="json")


class ShowApi:
    """Registers ``POST /show/start|end|resume``, ``GET /shows`` and ``GET /shows/{id}/report``."""

    def __init__(self, server: JsonHttpServer, show_log: ShowLog) -> None:
        self.show_log = show_log
        server.route("POST", f"{API}/show/start", self._start)
        server.route("POST", f"{API}/show/end", self._end)
        server.route("POST", f"{API}/show/resume", self._resume)
        server.route("GET", f"{API}/shows", self._shows)
        server.route("GET", f"{API}/shows/{{show_id}}/report", self._report)

    def state(self) -> dict[str, Any]:
        """The ``show`` section of ``GET /api/v1/state``."""
        status = self.show_log.status
        open_show = status.open_show
        live = self.show_log.recorder.live()
        on_air = live.on_air if live is not None else None
        return {
            "open": show_json(open_show) if open_show else None,
            "id": open_show.show_id if open_show else None,
            "title": open_show.title if open_show else None,
            "resumable": show_json(status.resumable) if status.resumable else None,
            "problem": status.problem,
            "on_air": (
                {
                    "product_sku": on_air.product_sku,
                    "title": on_air.title,
                    "seconds_on_air": round(on_air.seconds_on_air, 1),
                    "questions": on_air.questions,
                    "mentions": on_air.mentions,
                    "stock_moved": on_air.stock_moved,
                }
                if on_air is not None
                else None
            ),
        }

    async def _start(self, request: Request) -> Response:
        body = request.model(StartBody)
        try:
            show = self.show_log.start(body.title, body.creator)
        except ShowLogError as exc:
            raise HttpError(409, str(exc)) from exc
        return Response(201, {"ok": True, "show": show_json(show)})

    async def _end(self, request: Request) -> dict[str, Any]:
        try:
            show = self.show_log.end()
        except ShowLogError as exc:
            raise HttpError(409, str(exc)) from exc
        return {"ok": True, "show": show_json(show)}

    async def _resume(self, request: Request) -> dict[str, Any]:
        body = request.model(ResumeBody)
        try:
            show = await self.show_log.resume(body.show_id)
        except (ShowLogError, ProductShowError) as exc:
            raise HttpError(409, str(exc)) from exc
        return {"ok": True, "show": show_json(show)}

    async def _shows(self, request: Request) -> dict[str, Any]:
        shows = await self.show_log.shows_async()
        return {"shows": [show_json(s) for s in shows]}

    async def _report(self, request: Request) -> dict[str, Any]:
        show_id = request.params["show_id"]
        try:
            report = await self.show_log.report_async(show_id)
        except KeyError as exc:
            raise HttpError(404, f"no show with the id {show_id!r}") from exc
        return report.model_dump(mode="json")
