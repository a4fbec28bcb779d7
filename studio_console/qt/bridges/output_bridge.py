"""Going live on screen: the go-live service's status and thumbnails to the Output panel; its intents back."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from studio_console.core import Problem, Severity, StudioCore
from studio_console.domain.stream import OutputStatus, SimulcastPlan
from studio_console.qt.views.output_panel import OutputPanel


class OutputBridge(QObject):
    """Translates between the go-live service and the Output panel.

    Signals:
        output_changed(object): a new OutputStatus of the go-live service.
        local_thumbnail_ready(object): a Thumbnail of what the local test server received.
        relay_changed(object): a RelayDestinationStatus from the relay's listener (RelayControl.subscribe).
        simulcast_changed(object): a SimulcastStatus (turned-on destinations, upload figure).
    """

    output_changed = Signal(object)
    local_thumbnail_ready = Signal(object)
    relay_changed = Signal(object)
    simulcast_changed = Signal(object)

    def __init__(self, core: StudioCore, panel: OutputPanel) -> None:
        super().__init__()
        assert core.golive is not None
        self.core = core
        self.panel = panel
        golive, tasks = core.golive, core.tasks
        self._unsubscribe = [
            golive.subscribe(self.output_changed.emit),
            golive.subscribe_thumbnails(self.local_thumbnail_ready.emit),
        ]
        self.output_changed.connect(self._on_output_status)
        self.local_thumbnail_ready.connect(panel.show_thumbnail)
        panel.destination_requested.connect(lambda sink_id: self._call(lambda: golive.select(sink_id)))
        panel.server_url_requested.connect(lambda sid, url: tasks.spawn(golive.set_server_url(sid, url), "server-url"))
        panel.stream_key_requested.connect(lambda sid, key: self._call(lambda: golive.set_stream_key(sid, key)))
        panel.preflight_requested.connect(lambda sid: tasks.latest("preflight", lambda: self._preflight(sid)))
        panel.go_live_requested.connect(self.go_live)
        panel.go_live_confirmed.connect(lambda token: tasks.spawn(golive.start(token), "go-live"))
        panel.thumbnails_requested.connect(golive.set_local_thumbnails)
        panel.destination_add_requested.connect(lambda kind: self._call(lambda: golive.add_destination(kind)))
        panel.destination_rename_requested.connect(
            lambda sid, name: tasks.spawn(golive.rename_destination(sid, name), "rename-destination")
        )
        panel.destination_remove_requested.connect(
            lambda sid: tasks.spawn(golive.remove_destination(sid), "remove-destination")
        )
        panel.recording_requested.connect(self._local_recording)
        self._on_output_status(golive.status)
        self._wire_relay(panel)

    def _wire_relay(self, panel: OutputPanel) -> None:
        relay, simulcast, tasks = self.core.relay, self.core.simulcast, self.core.tasks
        if relay is None or simulcast is None:
            panel.relay_group.setVisible(False)
            return
        self._unsubscribe += [
            relay.subscribe(self.relay_changed.emit),
            simulcast.subscribe(self.simulcast_changed.emit),
        ]
        self.relay_changed.connect(panel.show_relay)
        self.simulcast_changed.connect(panel.show_simulcast)
        panel.relay_turned_on_requested.connect(self._turn_on)
        panel.relay_start_requested.connect(lambda sid: tasks.latest("simulcast-plan", lambda: self._plan([sid])))
        panel.relay_stop_requested.connect(lambda sid: tasks.spawn(relay.stop(sid), "relay-stop"))
        panel.relay_retry_requested.connect(lambda sid: tasks.spawn(relay.retry(sid), "relay-retry"))
        panel.simulcast_requested.connect(lambda: tasks.latest("simulcast-plan", lambda: self._plan(None)))
        panel.simulcast_confirmed.connect(lambda token: tasks.spawn(self._start_several(token), "simulcast-start"))
        for status in relay.statuses.values():
            panel.show_relay(status)
        panel.show_simulcast(simulcast.status)
        tasks.spawn(simulcast.refresh_upload(), "upload-figure")

    def _turn_on(self, destination_id: str, on: bool) -> None:
        simulcast = self.core.simulcast
        assert simulcast is not None
        self._call(lambda: simulcast.set_turned_on(destination_id, on))
        self.core.tasks.latest("upload-figure", simulcast.refresh_upload)

    async def _plan(self, destination_ids: list[str] | None) -> None:
        """Preflight in the core; one confirmation, except for a single destination with no real audience."""
        simulcast = self.core.simulcast
        assert simulcast is not None
        plan: SimulcastPlan = await simulcast.prepare(destination_ids)
        single_rehearsal = destination_ids is not None and plan.token and not plan.reaches_real_audience
        if single_rehearsal:
            await self._start_several(plan.token)
        else:
            self.panel.confirm_simulcast(plan)

    async def _start_several(self, token: str) -> None:
        simulcast = self.core.simulcast
        assert simulcast is not None
        result = await simulcast.start(token)
        if result.refused:
            names = self.core.golive.destinations.name if self.core.golive is not None else str
            text = "\n".join(f"{names(i)}: {why}" for i, why in result.refused)
            self.core.report(Problem("Not relayed", text, Severity.WARNING, transient=True))

    def _call(self, action: Callable[[], object]) -> None:
        try:
            action()
        except Exception as exc:
            self.core.report_error(exc)

    async def _preflight(self, sink_id: str) -> None:
        assert self.core.golive is not None
        self.panel.show_preflight(await self.core.golive.preflight(sink_id))

    def go_live(self, sink_id: str | None = None) -> None:
        """Go live on the chosen destination; a real audience is asked for first, naming it."""
        golive = self.core.golive
        assert golive is not None
        try:
            if sink_id is not None and sink_id != golive.selected.sink_id:
                golive.select(sink_id)
            if golive.selected.is_real_audience:
                self.panel.confirm_go_live(golive.request_confirmation())
                return
        except Exception as exc:
            self.core.report_error(exc)
            return
        self.core.tasks.spawn(golive.start(), "go-live")

    def stop(self) -> None:
        assert self.core.golive is not None
        self.core.tasks.spawn(self.core.golive.stop(), "stream-stop")

    @property
    def active_destination(self) -> str:
        assert self.core.golive is not None
        return self.core.golive.status.active_destination or "the destination"

    def _local_recording(self, enabled: bool) -> None:
        golive = self.core.golive
        assert golive is not None
        path = None
        if enabled:
            folder = self.core.recordings_dir()
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / time.strftime("rehearsal-%Y%m%d-%H%M%S.flv")
        self._call(lambda: golive.set_local_recording(path))

    def _on_output_status(self, status: OutputStatus) -> None:
        self.panel.show_status(status)

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
