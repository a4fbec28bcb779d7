"""The remote-control API's endpoints (Stream Deck / Companion, phones, scripts) over the app's services."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from studio_console.adapters.http_server import HttpError, JsonHttpServer, Request
from studio_console.domain.show import AtZero
from studio_console.domain.stream_keys import scrub_stream_keys
from studio_console.obs.errors import ObsError, ObsNotConnected, ObsRequestError
from studio_console.obs.session import ObsSession
from studio_console.services.golive.service import GoLiveError, GoLiveService, NeedsConfirmation, UnknownDestination
from studio_console.services.obs_control.switcher import PreviewUnavailable, SceneSwitcher, UnknownScene
from studio_console.services.products.keeper import CatalogKeeper
from studio_console.services.products.show import ProductShow, ProductShowError

log = logging.getLogger(__name__)

API = "/api/v1"
StateSection = Callable[[], Any]


class SkuBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: str = Field(min_length=1)


class FlashSaleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: str | None = None
    price: Decimal
    seconds: int = Field(ge=10, le=300)
    at_zero: AtZero = AtZero.REGULAR_PRICE


class QueueBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    skus: list[str] = Field(max_length=1000)


class StockBody(BaseModel):
    """Either ``delta`` (sold one: -1) or ``stock`` (a count)."""

    model_config = ConfigDict(extra="forbid")
    sku: str = Field(min_length=1)
    delta: int | None = None
    stock: int | None = Field(default=None, ge=0)


class ImportBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str = Field(min_length=1)


class SceneBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    target: Literal["program", "preview"] = "program"


def _existing_file(text: str) -> Path | None:
    path = Path(text).expanduser()
    return path if path.is_file() else None


def golive_error_to_http(exc: GoLiveError) -> HttpError:
    """One mapping from going-live refusals to HTTP answers (stream, relayed destinations, several at once)."""
    if isinstance(exc, NeedsConfirmation):
        return HttpError(409, str(exc), needs_confirmation=True)
    if isinstance(exc, UnknownDestination):
        return HttpError(404, str(exc))
    return HttpError(409, str(exc))


def obs_error_to_http(exc: ObsError) -> HttpError:
    """One mapping from OBS-layer failures to HTTP answers, for every endpoint."""
    if isinstance(exc, ObsNotConnected):
        return HttpError(503, "OBS is not connected")
    if isinstance(exc, UnknownScene):
        return HttpError(404, str(exc))
    if isinstance(exc, PreviewUnavailable):
        return HttpError(409, str(exc))
    if isinstance(exc, ObsRequestError):
        return HttpError(409, str(exc), obs_code=exc.code)
    return HttpError(503, str(exc))


class RemoteControl:
    """Registers the endpoints on a JsonHttpServer; other services add state sections and routes."""

    def __init__(self, server: JsonHttpServer, session: ObsSession, switcher: SceneSwitcher) -> None:
        self.server = server
        self.session = session
        self.switcher = switcher
        self._sections: dict[str, StateSection] = {}
        # App-owned scenes (the card overlay) are not offered for switching.
        self.hidden_scenes: set[str] = set()
        server.route("GET", f"{API}/state", self._state)
        server.route("POST", f"{API}/scene", self._scene)
        server.route("POST", f"{API}/take", self._take)

    def attach_golive(self, golive: GoLiveService) -> None:
        """``POST /stream/start`` (rehearsal only; a real audience needs the app), ``/stream/stop``, state."""

        async def start(request: Request) -> dict[str, Any]:
            try:
                await golive.start_remote()
            except GoLiveError as exc:
                raise golive_error_to_http(exc) from exc
            return {"ok": True, "destination": golive.selected.display_name, "phase": golive.status.phase.value}

        async def stop(request: Request) -> dict[str, Any]:
            try:
                await golive.stop()
            except GoLiveError as exc:
                raise HttpError(409, str(exc)) from exc
            return {"ok": True, "phase": golive.status.phase.value}

        self.server.route("POST", f"{API}/stream/start", start)
        self.server.route("POST", f"{API}/stream/stop", stop)
        self.add_state_section("output", lambda: golive.status.model_dump(mode="json"))

    def attach_products(self, show: ProductShow, keeper: CatalogKeeper, overlay_scene: str | None = None) -> None:
        """Pin, unpin, next, flash sale and catalog import; ``state`` gains ``products``."""
        if overlay_scene:
            self.hidden_scenes.add(overlay_scene)

        def known(sku: str) -> None:
            if show.catalog.find(sku) is None:
                raise HttpError(404, f"no product or variant with SKU {sku!r}")

        async def act(action: Awaitable[object]) -> None:
            try:
                await action
            except ProductShowError as exc:
                raise HttpError(409, str(exc)) from exc
            except ObsError as exc:
                raise obs_error_to_http(exc) from exc

        async def pin(request: Request) -> dict[str, Any]:
            body = request.model(SkuBody)
            known(body.sku)
            await act(show.pin(body.sku))
            return {"ok": True, "pinned": show.state.pinned_sku}

        async def unpin(request: Request) -> dict[str, Any]:
            await act(show.unpin())
            return {"ok": True}

        async def next_product(request: Request) -> dict[str, Any]:
            await act(show.next_product())
            return {"ok": True, "pinned": show.state.pinned_sku}

        async def flash_sale(request: Request) -> dict[str, Any]:
            body = request.model(FlashSaleBody)
            if body.sku is not None:
                known(body.sku)
            await act(show.start_flash_sale(body.sku, body.price, body.seconds, body.at_zero))
            sale = show.state.flash_sale
            return {"ok": True, "flash_sale": sale.model_dump(mode="json") if sale else None}

        async def queue(request: Request) -> dict[str, Any]:
            body = request.model(QueueBody)
            for sku in body.skus:
                known(sku)
            show.set_queue(body.skus)
            return {"ok": True, "queue": list(show.state.queue)}

        async def stock(request: Request) -> dict[str, Any]:
            body = request.model(StockBody)
            known(body.sku)
            if (body.delta is None) == (body.stock is None):
                raise HttpError(422, "give either delta or stock")
            try:
                if body.delta is not None:
                    new = await show.adjust_stock(body.sku, body.delta)
                else:
                    new = await show.set_stock(body.sku, body.stock or 0)
            except ProductShowError as exc:
                raise HttpError(409, str(exc)) from exc
            except ObsError as exc:
                raise obs_error_to_http(exc) from exc
            return {"ok": True, "sku": body.sku, "stock": new}

        async def import_catalog(request: Request) -> dict[str, Any]:
            body = request.model(ImportBody)
            path = await asyncio.to_thread(_existing_file, body.path)
            if path is None:
                raise HttpError(404, f"no file at {body.path}")
            result = await keeper.import_file(path)
            return {
                "imported": result.imported,
                "failed": result.failed_count,
                "errors_not_listed": result.errors_not_listed,
                "errors": [
                    {"file": e.file, "line": e.line, "field": e.field, "reason": e.reason, "severity": e.severity.value}
                    for e in result.errors
                ],
            }

        for path, handler in (
            ("product/pin", pin),
            ("product/unpin", unpin),
            ("product/next", next_product),
            ("flash-sale", flash_sale),
            ("queue", queue),
            ("product/stock", stock),
            ("catalog/import", import_catalog),
        ):
            self.server.route("POST", f"{API}/{path}", handler)
        self.add_state_section("products", lambda: show.state.model_dump(mode="json"))

    def add_state_section(self, name: str, section: StateSection) -> None:
        """``GET /api/v1/state`` gains ``name: section()``."""
        self._sections[name] = section

    def obs_state(self) -> dict[str, Any]:
        snap = self.session.snapshot
        return {
            "connection": snap.connection.status.value,
            "connection_message": snap.connection.message,
            "program_scene": snap.program_scene,
            "preview_scene": snap.preview_scene,
            "studio_mode": snap.studio_mode,
            "scenes": [s for s in snap.scenes if s not in self.hidden_scenes],
            "transition": snap.transition,
            "stream": snap.stream.phase.value,
            "record": snap.record.phase.value,
            "canvas": (
                {"width": snap.video.base_width, "height": snap.video.base_height, "fps": snap.video.fps}
                if snap.video
                else None
            ),
        }

    async def _state(self, request: Request) -> dict[str, Any]:
        state = self.obs_state()
        for name, section in self._sections.items():
            try:
                state[name] = section()
            except Exception as exc:  # one broken section must not hide the rest
                log.exception("state section %s failed", name)
                state[name] = {"error": type(exc).__name__}
        # A key pasted into a server URL by a version that did not refuse it is never served.
        return dict(scrub_stream_keys(state))

    async def _scene(self, request: Request) -> dict[str, Any]:
        body = request.model(SceneBody)
        try:
            await self.switcher.apply(body.name, body.target)
        except ObsError as exc:
            raise obs_error_to_http(exc) from exc
        return {"ok": True, "scene": body.name, "target": body.target}

    async def _take(self, request: Request) -> dict[str, Any]:
        try:
            await self.switcher.take()
        except ObsError as exc:
            raise obs_error_to_http(exc) from exc
        return {"ok": True}
