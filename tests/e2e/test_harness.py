"""The real components the e2e tier runs against: OBS under Xvfb and nginx-rtmp, on free ports."""

from __future__ import annotations

import subprocess

from obswebsocket import requests

from tests.helpers.servers import NginxRtmp, RunningObs


def test_obs_answers_with_small_canvas_and_auth(obs: RunningObs) -> None:
    client = obs.client()
    try:
        version = client.call(requests.GetVersion()).datain
        video = client.call(requests.GetVideoSettings()).datain
    finally:
        client.disconnect()
    assert version["obsWebSocketVersion"].startswith("5.")
    assert (video["baseWidth"], video["baseHeight"]) == (640, 360)
    assert obs.process.config.home in obs.process.log_dir.parents
    assert "Startup complete" in obs.process.latest_log()


def test_obs_stream_reaches_nginx_rtmp(obs: RunningObs, nginx_rtmp: NginxRtmp) -> None:
    client = obs.client()
    try:
        client.call(
            requests.SetStreamServiceSettings(
                streamServiceType="rtmp_custom",
                streamServiceSettings={"server": nginx_rtmp.url, "key": "harness"},
            )
        )
        client.call(requests.StartStream())
        probe = subprocess.run(
            [
                "ffprobe",
                "-v",
                "error",
                "-rw_timeout",
                "15000000",
                "-show_entries",
                "stream=codec_name,width,height",
                "-of",
                "csv=p=0",
                f"{nginx_rtmp.url}/harness",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        client.call(requests.StopStream())
        client.disconnect()
    assert "h264,640,360" in probe.stdout, probe.stderr + nginx_rtmp.error_log()
    assert "<name>harness</name>" in nginx_rtmp.stat_xml() or "h264" in probe.stdout
