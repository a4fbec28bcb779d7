"""Remote API for relayed destinations: start and stop each one, and their state under ``output.destinations``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from studio_console.adapters.http_server import HttpError, Request
from studio_console.services.golive.errors import GoLiveError, UnknownDestination
from studio_console.services.golive.relay_control import RelayControl
from studio_console.services.golive.simulcast import Simulcast
from studio_console.services.remote.control import golive_error_to_http

if TYPE_CHECKING:
    from studio_console.services.remote.control import RemoteControl

API = "/api/v1"


def attach_relay(remote: RemoteControl, control: RelayControl, simulcast: Simulcast | None = None) -> None:
    """``POST /destinations/{id}/start|stop``; each entry of ``output.destinations`` gains ``relay``.

    With ``simulcast``: ``POST /destinations/start`` too, and ``output.simulcast`` (turned-on destinations,
    upload needed against the last rehearsal).

    A real-audience destination answers 409 ``needs_confirmation``: the operator confirms in the app.
    """

    async def start(request: Request) -> dict[str, Any]:
        destination_id = request.params["destination_id"]
        try:
            status = await control.start(destination_id)
        except GoLiveError as exc:
            raise golive_error_to_http(exc) from exc
        return {"ok": True, "destination": status.model_dump(mode="json")}

    async def stop(request: Request) -> dict[str, Any]:
        destination_id = request.params["destination_id"]
        try:
            status = await control.stop(destination_id)
        except UnknownDestination as exc:
            raise HttpError(404, str(exc)) from exc
        except GoLiveError as exc:
            raise HttpError(409, str(exc)) from exc
        return {"ok": True, "destination": status.model_dump(mode="json")}

    remote.server.route("POST", f"{API}/destinations/{{destination_id}}/start", start)
    remote.server.route("POST", f"{API}/destinations/{{destination_id}}/stop", stop)

    def output() -> dict[str, Any]:
        section: dict[str, Any] = control.golive.status.model_dump(mode="json")
        relayed = control.statuses
        for entry in section.get("destinations", []):
            status = relayed.get(entry.get("sink_id"))
            entry["relay"] = status.model_dump(mode="json") if status is not None else None
        if simulcast is not None:
            state = simulcast.status
            upload = state.upload
            section["simulcast"] = {
                "turned_on": list(state.turned_on),
                "upload": {
                    **upload.model_dump(mode="json"),
                    "needed_kbps": upload.needed_kbps,
                    "warning": upload.warning,
                },
            }
        return section

    remote.add_state_section("output", output)
    if simulcast is not None:
        attach_simulcast(remote, simulcast)


class StartSeveral(BaseModel):
    """``POST /destinations/start`` body: the destinations to go live to (empty: the ones turned on)."""

    model_config = ConfigDict(extra="forbid")
    ids: list[str] = Field(default_factory=list, max_length=32)


def attach_simulcast(remote: RemoteControl, simulcast: Simulcast) -> None:
    """``POST /destinations/start`` starts several at once after a preflight for each (no real audience:
    a real-audience destination among them answers 409 ``needs_confirmation`` and nothing starts).
    """

    async def start_several(request: Request) -> dict[str, Any]:
        body = request.model(StartSeveral)
        try:
            result = await simulcast.start_remote(body.ids or list(simulcast.status.turned_on))
        except GoLiveError as exc:
            raise golive_error_to_http(exc) from exc
        return {
            "ok": bool(result.started),
            "started": [s.model_dump(mode="json") for s in result.started],
            "refused": [{"id": i, "reason": why} for i, why in result.refused],
        }

    remote.server.route("POST", f"{API}/destinations/start", start_several)
