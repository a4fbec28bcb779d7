"""Remote API for relayed destinations: start and stop each one, and their state under ``output.destinations``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from studio_console.adapters.http_server import HttpError, Request
from studio_console.services.golive.errors import GoLiveError, NeedsConfirmation, UnknownDestination
from studio_console.services.golive.relay_control import RelayControl

if TYPE_CHECKING:
    from studio_console.services.remote.control import RemoteControl

API = "/api/v1"


def attach_relay(remote: RemoteControl, control: RelayControl) -> None:
    """``POST /destinations/{id}/start|stop``; each entry of ``output.destinations`` gains ``relay``.

    A real-audience destination answers 409 ``needs_confirmation``: the operator confirms in the app.
    """

    async def start(request: Request) -> dict[str, Any]:
        destination_id = request.params["destination_id"]
        try:
            status = await control.start(destination_id)
        except NeedsConfirmation as exc:
            raise HttpError(409, str(exc), needs_confirmation=True) from exc
        except UnknownDestination as exc:
            raise HttpError(404, str(exc)) from exc
        except GoLiveError as exc:
            raise HttpError(409, str(exc)) from exc
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
        return section

    remote.add_state_section("output", output)
