"""Stream keys: in the keyring only, never in the settings file, never in a log record, never sent with debug on."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio_console.adapters.sinks.builtin import load_sinks
from studio_console.obs.launcher import ObsConfig, write_isolated_config
from studio_console.services.golive.service import GoLiveService
from studio_console.settings.model import DestinationConfig, OutputSettings, Settings
from studio_console.settings.secrets import SecretStore, stream_key_name
from studio_console.settings.store import SettingsStore
from tests.helpers.fake_obs_session import FakeObsSession

KEY = "live_987654321_SECRETkeyXYZ"


class RawRecords(logging.Handler):
    """Keeps every record's message before any redaction: the key must not even reach logging."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage() + (str(record.exc_info) if record.exc_info else ""))


@pytest.fixture
def raw_log() -> Iterator[RawRecords]:
    handler = RawRecords()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


def test_the_go_live_flow_never_logs_or_saves_a_key(tmp_path: Path, raw_log: RawRecords) -> None:
    settings = Settings()
    store = SettingsStore(tmp_path / "settings.json")
    secrets = SecretStore.open(tmp_path)
    session = FakeObsSession()
    loaded = load_sinks(settings.output.sinks)

    async def main() -> None:
        service = GoLiveService(
            session, secrets, loaded.sinks, settings.output, on_settings_changed=lambda: store.save(settings)
        )
        service.select("custom_rtmp")
        await service.set_server_url("custom_rtmp", "rtmp://127.0.0.1:1935/live")
        service.set_stream_key("custom_rtmp", KEY)
        await service.preflight()
        await service.start(service.request_confirmation().token)
        session.stream_event("OBS_WEBSOCKET_OUTPUT_STARTING")
        session.stream_event("OBS_WEBSOCKET_OUTPUT_STOPPED")
        await service.shutdown()

    asyncio.run(main())
    sent = [data for kind, data in session.requests if kind == "SetStreamServiceSettings"]
    assert sent and sent[0] is not None and sent[0]["streamServiceSettings"]["key"] == KEY
    assert secrets.get(stream_key_name("custom_rtmp")) == KEY
    saved = (tmp_path / "settings.json").read_text()
    assert "rtmp://127.0.0.1:1935/live" in saved and KEY not in saved
    assert raw_log.lines, "the flow logs what it does"
    assert not [line for line in raw_log.lines if KEY in line]


def test_secret_looking_sink_options_are_never_written(tmp_path: Path, raw_log: RawRecords) -> None:
    output = OutputSettings(
        destinations=[
            DestinationConfig(
                id="custom_rtmp",
                sink_type="custom_rtmp",
                options={"server_url": "rtmp://x/live", "stream_key": KEY, "token": "t"},
            )
        ]
    )
    assert [d.options for d in output.destinations] == [{"server_url": "rtmp://x/live"}]
    settings = Settings(output=output)
    SettingsStore(tmp_path / "settings.json").save(settings)
    assert KEY not in (tmp_path / "settings.json").read_text()
    assert any("dropped secret-looking options" in line for line in raw_log.lines)
    assert not [line for line in raw_log.lines if KEY in line]


def test_launched_obs_never_has_websocket_debug_logging(tmp_path: Path) -> None:
    # With obs-websocket's debug log on, OBS writes every request, stream keys included, to its log.
    write_isolated_config(ObsConfig(home=tmp_path, port=4455, password="pw"))
    global_ini = (tmp_path / "obs-studio" / "global.ini").read_text().lower()
    assert "debugenabled=true" not in global_ini


def test_only_secret_option_names_are_dropped() -> None:
    options = {"keyframe_interval_s": 2, "server_url": "rtmp://a/b", "streamKey": "s", "api_token": "t", "key": "k"}
    kept = OutputSettings(destinations=[DestinationConfig(id="x", sink_type="custom_rtmp", options=options)])
    assert kept.destinations[0].options == {"keyframe_interval_s": 2, "server_url": "rtmp://a/b"}
