"""Destination instances: several of one kind, each with its own name, options and key; locked while live."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from studio_console.adapters.registry import PluginEntry
from studio_console.adapters.sinks.discovery import discover_sink_types
from studio_console.domain.obs_state import OutputPhase
from studio_console.services.golive.destinations import Destinations
from studio_console.services.golive.errors import DestinationLocked, GoLiveError, UnknownDestination
from studio_console.services.golive.service import GoLiveService
from studio_console.settings.model import DestinationConfig, OutputSettings, Settings
from studio_console.settings.secrets import stream_key_name
from studio_console.settings.store import SettingsStore
from tests.helpers.fake_obs_session import FakeObsSession
from tests.helpers.fake_sinks import DictSecrets

STARTING = "OBS_WEBSOCKET_OUTPUT_STARTING"
STARTED = "OBS_WEBSOCKET_OUTPUT_STARTED"
STOPPED = "OBS_WEBSOCKET_OUTPUT_STOPPED"


class Saved:
    """The injected saver: keeps every output section handed over."""

    def __init__(self) -> None:
        self.outputs: list[OutputSettings] = []

    def __call__(self, output: OutputSettings) -> None:
        self.outputs.append(output)

    @property
    def last(self) -> OutputSettings:
        return self.outputs[-1]


def open_registry(output: OutputSettings | None = None) -> tuple[Destinations, DictSecrets, Saved]:
    secrets, saved = DictSecrets(), Saved()
    return Destinations.open(output or OutputSettings(), secrets, save=saved), secrets, saved


def sent_service_settings(session: FakeObsSession) -> list[Any]:
    return [data for kind, data in session.requests if kind == "SetStreamServiceSettings"]


def test_a_second_destination_of_the_same_kind_can_be_configured_and_selected() -> None:
    registry, secrets, saved = open_registry()
    session = FakeObsSession()
    session.profile[("SimpleOutput", "UseAdvanced")] = "true"
    session.profile[("SimpleOutput", "x264Settings")] = "keyint=30"
    service = GoLiveService(session, secrets, registry)

    second = service.add_destination("youtube_live", "Shop channel (YouTube)")
    assert second == "youtube_live-2"
    registry.set_stream_key("youtube_live", "key-of-the-main-channel")
    registry.set_stream_key(second, "key-of-the-shop-channel")
    service.select(second)

    status = service.status
    assert status.selected == second
    youtubes = [d for d in status.destinations if d.sink_type == "youtube_live"]
    assert [(d.sink_id, d.display_name) for d in youtubes] == [
        ("youtube_live", "YouTube Live"),
        (second, "Shop channel (YouTube)"),
    ]
    assert all(d.key_set and d.is_real_audience for d in youtubes)
    assert secrets.values[stream_key_name(second)] == "key-of-the-shop-channel"
    assert saved.last.destination == second
    assert [d.id for d in saved.last.destinations].count(second) == 1

    async def go_live() -> None:
        confirmation = service.request_confirmation()
        assert confirmation.sink_id == second and "Shop channel (YouTube)" in confirmation.prompt
        await service.start(confirmation.token)
        session.stream_event(STARTING)
        session.stream_event(STARTED)

    asyncio.run(go_live())
    sent = sent_service_settings(session)
    assert len(sent) == 1 and sent[0]["streamServiceSettings"]["key"] == "key-of-the-shop-channel"
    assert service.status.active_sink == second
    assert service.status.active_destination == "Shop channel (YouTube)"


def test_three_custom_servers_each_keep_their_own_url_and_key(tmp_path: Path) -> None:
    registry, secrets, saved = open_registry()

    async def configure() -> list[str]:
        ids = ["custom_rtmp", registry.add("custom_rtmp", "Studio B"), registry.add("custom_rtmp", "Backup")]
        for number, destination_id in enumerate(ids, start=1):
            await registry.set_server_url(destination_id, f"rtmp://10.0.0.{number}:1935/live")
            registry.set_stream_key(destination_id, f"key-{number}")
        return ids

    ids = asyncio.run(configure())
    assert ids == ["custom_rtmp", "custom_rtmp-2", "custom_rtmp-3"]
    urls = {d.sink_id: d.server_url for d in registry.infos() if d.sink_type == "custom_rtmp"}
    assert urls == {i: f"rtmp://10.0.0.{n}:1935/live" for n, i in enumerate(ids, start=1)}
    assert {secrets.values[stream_key_name(i)] for i in ids} == {"key-1", "key-2", "key-3"}

    # What was saved loads back into the same instances (and holds no key).
    store = SettingsStore(tmp_path / "settings.json")
    store.save(Settings(output=saved.last))
    assert "key-2" not in store.path.read_text()
    reloaded, _, _ = open_registry(store.load().settings.output)
    assert [(d.sink_id, d.display_name, d.server_url) for d in reloaded.infos()] == [
        (d.sink_id, d.display_name, d.server_url) for d in registry.infos()
    ]
    asyncio.run(registry.close())
    asyncio.run(reloaded.close())


def test_while_live_the_selection_and_the_destination_in_use_are_locked_others_are_not() -> None:
    registry, secrets, _ = open_registry()
    session = FakeObsSession()
    service = GoLiveService(session, secrets, registry)
    spare = registry.add("custom_rtmp", "Spare")

    async def test() -> None:
        await service.start()  # the local test server (a fake would do; this one really listens)
        assert registry.is_locked() and registry.is_locked("local_test_server")
        assert not registry.is_locked(spare)
        with pytest.raises(DestinationLocked, match="Stop the stream before changing the destination"):
            service.select(spare)
        with pytest.raises(DestinationLocked, match="removing Local test server"):
            await service.remove_destination("local_test_server")
        with pytest.raises(DestinationLocked):
            await service.rename_destination("local_test_server", "Rehearsal")
        await service.set_server_url(spare, "rtmp://10.9.9.9/live")  # not in use: allowed
        service.add_destination("twitch")  # adding is allowed too
        session.stream_event(STARTING)
        session.stream_event(STARTED)
        assert session.snapshot.stream.phase is OutputPhase.LIVE and registry.is_locked()
        session.stream_event(STOPPED)
        assert not registry.is_locked()
        service.select(spare)
        await service.shutdown()

    asyncio.run(test())
    assert service.status.selected == spare


def test_removing_forgets_the_key_and_moves_the_selection() -> None:
    registry, secrets, saved = open_registry()

    async def test() -> None:
        second = registry.add("twitch", "Twitch alt")
        registry.set_stream_key(second, "live_alt_key")
        registry.select(second)
        await registry.remove(second)
        assert second not in registry and stream_key_name(second) not in secrets.values
        assert registry.selected_id == "local_test_server"
        assert second not in [d.id for d in saved.last.destinations]
        again = registry.add("twitch")
        assert again == second and not registry.key_set(again)  # a reused id never inherits a key
        for destination_id in registry.ids()[1:]:
            await registry.remove(destination_id)
        with pytest.raises(GoLiveError, match="only destination left"):
            await registry.remove("local_test_server")
        await registry.close()

    asyncio.run(test())


def test_a_renamed_destination_says_its_name_everywhere() -> None:
    registry, secrets, saved = open_registry()

    async def test() -> None:
        await registry.rename("twitch", "Twitch (brand account)")
        sink = registry.get("twitch")
        key = next(c for c in sink.preflight(secrets) if c.name == "stream_key")
        assert "Twitch (brand account)" in key.sentence
        await registry.rename("twitch", "  ")
        assert registry.name("twitch") == "Twitch"
        await registry.close()

    asyncio.run(test())
    named = [d for d in saved.outputs[0].destinations if d.id == "twitch"]
    assert named[0].display_name == "Twitch (brand account)"


def test_an_instance_whose_plugin_is_gone_stays_listed_and_is_saved_back_unchanged() -> None:
    output = OutputSettings(
        destinations=[
            DestinationConfig(id="local_test_server", sink_type="local_test_server"),
            DestinationConfig(id="acme-1", sink_type="acme", display_name="ACME cloud", options={"region": "eu"}),
        ],
        destination="acme-1",
    )
    entries = dict(discover_sink_types())
    entries["acme"] = PluginEntry("acme", "acme.sinks:Sink", None, "ImportError: No module named 'acme'")
    registry = Destinations.open(output, DictSecrets(), save=Saved(), entries=entries)
    info = next(d for d in registry.infos() if d.sink_id == "acme-1")
    assert not info.available and info.display_name == "ACME cloud"
    assert info.unavailable_reason == "ImportError: No module named 'acme'"
    assert registry.selected_id == "local_test_server"
    with pytest.raises(UnknownDestination, match=r"not available.*No module named 'acme'"):
        registry.select("acme-1")
    acme_type = next(t for t in registry.types() if t.sink_type == "acme")
    assert not acme_type.available
    with pytest.raises(UnknownDestination, match="cannot be added: ImportError"):
        registry.add("acme")
    kept = registry.output().instance("acme-1")
    assert kept is not None and kept.options == {"region": "eu"} and kept.sink_type == "acme"


def test_the_add_menu_lists_every_installed_kind_in_order() -> None:
    registry, _, _ = open_registry()
    assert [t.sink_type for t in registry.types()][:5] == [
        "local_test_server",
        "tiktok_live",
        "youtube_live",
        "twitch",
        "custom_rtmp",
    ]
    assert all(t.available and t.display_name for t in registry.types())
    with pytest.raises(UnknownDestination, match="no kind of destination called 'nope'"):
        registry.add("nope")


def test_the_composition_roots_older_call_keeps_its_output_copy_up_to_date() -> None:
    """core.py today: load_sinks(output.sinks) + GoLiveService(..., output, on_settings_changed=...)."""
    from studio_console.adapters.sinks.builtin import load_sinks

    output = OutputSettings(
        destinations=[
            DestinationConfig(id="local_test_server", sink_type="local_test_server"),
            DestinationConfig(id="gone", sink_type="acme", display_name="ACME", options={"region": "eu"}),
        ]
    )
    loaded = load_sinks(output.sinks)
    assert list(loaded.sinks) == ["local_test_server"] and "not installed" in loaded.unavailable["gone"]
    notified: list[int] = []
    service = GoLiveService(
        FakeObsSession(),
        DictSecrets(),
        loaded.sinks,
        output,
        unavailable=loaded.unavailable,
        on_settings_changed=lambda: notified.append(1),
    )
    # Every installed kind can be added, though no YouTube instance was configured.
    assert "youtube_live" in [t.sink_type for t in service.status.sink_types]
    second = service.add_destination("youtube_live", "Second channel")
    service.select(second)
    assert notified and output.destination == second
    assert [(d.id, d.sink_type) for d in output.destinations] == [
        ("local_test_server", "local_test_server"),
        ("gone", "acme"),
        (second, "youtube_live"),
    ]
    gone = output.instance("gone")
    assert gone is not None and gone.options == {"region": "eu"}  # an unavailable one is kept as it was
    asyncio.run(service.shutdown())
