"""Built-in sinks are found through entry points like plugins; a broken plugin is listed as unavailable, never fatal."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from studio_console.adapters.registry import PluginEntry
from studio_console.adapters.sinks.base import Sink, SinkFactory, SinkOptions
from studio_console.adapters.sinks.builtin import DEFAULT_SINK_ID, load_sinks
from studio_console.adapters.sinks.discovery import discover_sink_types
from studio_console.adapters.sinks.external import CustomRtmpOptions, CustomRtmpSink
from studio_console.settings.model import OutputSettings


def test_discover_lists_every_builtin_sink() -> None:
    found = discover_sink_types()
    assert list(found)[:5] == ["local_test_server", "tiktok_live", "youtube_live", "twitch", "custom_rtmp"]
    assert all(entry.available for entry in found.values())
    assert DEFAULT_SINK_ID == "local_test_server" == OutputSettings().destination


def test_built_ins_are_entry_points_of_the_package() -> None:
    from importlib.metadata import entry_points

    names = {ep.name: ep.value for ep in entry_points(group="studio_console.sinks")}
    assert names["local_test_server"] == "studio_console.adapters.sinks.local_test_server.sink:LocalTestServerSink"
    assert {"tiktok_live", "youtube_live", "twitch", "custom_rtmp"} <= set(names)
    # Nothing else registers a built-in: with no entry points there is no sink type at all.
    assert discover_sink_types({}) == {}


def test_every_builtin_implements_the_protocol_and_describes_itself() -> None:
    loaded = load_sinks()
    try:
        assert not loaded.unavailable
        for sink_id, sink in loaded.sinks.items():
            assert isinstance(sink, Sink)
            assert sink.sink_id == sink_id and sink.display_name
            target = sink.target()
            assert target.sink_id == sink_id and target.is_real_audience == sink.is_real_audience
            # A target names the key in the keyring, never holds one.
            assert target.key_ref in (None, f"stream-key:{sink_id}")
        real = {sid for sid, sink in loaded.sinks.items() if sink.is_real_audience}
        assert real == {"tiktok_live", "youtube_live", "twitch", "custom_rtmp"}
    finally:
        asyncio.run(_close_all(loaded.sinks))


async def _close_all(sinks: dict[str, Sink]) -> None:
    for sink in sinks.values():
        await sink.close()


def test_options_come_from_the_settings_and_bad_ones_fall_back_to_defaults() -> None:
    loaded = load_sinks(
        {
            "custom_rtmp": {"server_url": "rtmp://10.1.1.1/live", "label": "Studio nginx", "reaches_audience": False},
            "twitch": {"server_url": 42, "unknown": "ignored"},
            "local_test_server": {"port": "not a port"},
        }
    )
    custom = loaded.sinks["custom_rtmp"]
    assert custom.display_name == "Studio nginx" and not custom.is_real_audience
    assert custom.target().server_url == "rtmp://10.1.1.1/live"
    assert loaded.sinks["twitch"].target().server_url == "rtmp://live.twitch.tv/app"
    asyncio.run(_close_all(loaded.sinks))


class ExplodingSink(CustomRtmpSink):
    sink_type_id = "exploding"

    def __init__(self, options: SinkOptions | None = None, *, sink_id: str | None = None) -> None:
        raise RuntimeError("no licence file")


def test_a_plugin_that_fails_to_load_or_build_is_unavailable_with_the_reason() -> None:
    entries: dict[str, PluginEntry[Any]] = {
        "custom_rtmp": PluginEntry("custom_rtmp", "builtin:custom_rtmp", CustomRtmpSink),
        "broken": PluginEntry("broken", "acme.sinks:Broken", None, "ImportError: No module named 'acme'"),
        "exploding": PluginEntry("exploding", "acme.sinks:Exploding", ExplodingSink),
    }
    loaded = load_sinks({}, entries)
    assert list(loaded.sinks) == ["custom_rtmp"]
    assert loaded.unavailable == {
        "broken": "ImportError: No module named 'acme'",
        "exploding": "RuntimeError: no licence file",
    }


def test_a_sink_class_is_its_own_factory() -> None:
    factory: SinkFactory = CustomRtmpSink
    sink = factory(CustomRtmpOptions(server_url="rtmps://x.example/app"), sink_id="second_custom")
    assert sink.sink_id == "second_custom"
    assert factory.options_model is CustomRtmpOptions


def test_sinks_and_go_live_run_without_qt() -> None:
    import subprocess
    import sys
    import textwrap
    from pathlib import Path

    program = textwrap.dedent(
        """
        import asyncio, sys
        from studio_console.adapters.sinks.builtin import load_sinks
        from studio_console.services.golive.service import GoLiveService
        from studio_console.settings.model import OutputSettings
        from tests.helpers.fake_obs_session import FakeObsSession
        from tests.helpers.fake_sinks import DictSecrets

        async def main():
            loaded = load_sinks()
            service = GoLiveService(FakeObsSession(), DictSecrets(), loaded.sinks, OutputSettings())
            await service.start()
            await service.shutdown()

        asyncio.run(main())
        leaked = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "qasync", "shiboken6"))
        assert not leaked, leaked
        print("sinks ran without Qt")
        """
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", program],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        env={"STUDIO_CONSOLE_SECRETS": "file", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert "sinks ran without Qt" in result.stdout


def test_go_live_service_reaches_the_local_test_server_options(tmp_path: Path) -> None:
    from studio_console.adapters.sinks.local_test_server import LocalTestServerSink
    from studio_console.domain.stream import LocalServerState
    from studio_console.services.golive.service import GoLiveService
    from studio_console.settings.model import OutputSettings
    from tests.helpers.fake_obs_session import FakeObsSession
    from tests.helpers.fake_sinks import DictSecrets

    loaded = load_sinks()
    service = GoLiveService(FakeObsSession(), DictSecrets(), loaded.sinks, OutputSettings())
    local = loaded.sinks["local_test_server"]
    assert isinstance(local, LocalTestServerSink)
    service.set_local_thumbnails(False)
    assert service.status.local_server is not None and not service.status.local_server.thumbnails
    service.set_local_recording(tmp_path / "rehearsal.mkv")
    service.set_local_recording(None)
    asyncio.run(service.shutdown())
    assert local.server.status.state is LocalServerState.STOPPED
