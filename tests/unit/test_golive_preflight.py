"""Preflight: OBS's output settings against what each destination expects, one sentence per check."""

from __future__ import annotations

import asyncio

import pytest

from studio_console.adapters.sinks.external import TIKTOK_PROFILE, TWITCH_PROFILE, YOUTUBE_PROFILE
from studio_console.domain.stream import CheckStatus, OutputProfile, PreflightCheck, ReceivedStreamInfo
from studio_console.services.golive.preflight import ObsOutputFacts, output_checks, read_obs_output, rehearsal_check
from tests.helpers.fake_obs_session import FakeObsSession
from tests.unit.test_golive import Rig


def facts(**changes: object) -> ObsOutputFacts:
    values: dict[str, object] = {
        "width": 1280,
        "height": 720,
        "fps": 30.0,
        "mode": "Simple",
        "bitrate_kbps": 4000,
        "keyframe_interval_s": 2.0,
        "keyframe_source": "custom x264 options",
    }
    values.update(changes)
    return ObsOutputFacts(**values)  # type: ignore[arg-type]


def by_name(checks: list[PreflightCheck]) -> dict[str, PreflightCheck]:
    return {c.name: c for c in checks}


def test_good_landscape_output_passes_youtube() -> None:
    checks = by_name(output_checks(facts(), YOUTUBE_PROFILE, "YouTube Live", None))
    assert {c.status for c in checks.values()} == {CheckStatus.PASS}
    assert set(checks) == {"orientation", "resolution", "frame_rate", "bitrate", "keyframe_interval"}
    assert all(c.sentence.endswith(".") for c in checks.values())


def test_landscape_canvas_warns_for_tiktok_and_names_the_fix() -> None:
    checks = by_name(output_checks(facts(), TIKTOK_PROFILE, "TikTok LIVE", None))
    orientation = checks["orientation"]
    assert orientation.status is CheckStatus.WARN
    assert "TikTok LIVE expects vertical" in orientation.sentence and "Scenes panel" in orientation.sentence
    vertical = by_name(output_checks(facts(width=720, height=1280), TIKTOK_PROFILE, "TikTok LIVE", None))
    assert vertical["orientation"].status is CheckStatus.PASS


def test_limits_fail_and_recommendations_warn() -> None:
    checks = by_name(
        output_checks(
            facts(fps=15.0, width=640, height=360, bitrate_kbps=8000, keyframe_interval_s=16.7),
            TWITCH_PROFILE,
            "Twitch",
            None,
        )
    )
    assert checks["frame_rate"].status is CheckStatus.WARN
    assert checks["resolution"].status is CheckStatus.WARN and "1280x720" in checks["resolution"].sentence
    assert checks["bitrate"].status is CheckStatus.FAIL and "at most 6000 kbps" in checks["bitrate"].sentence
    keyframe = checks["keyframe_interval"]
    assert keyframe.status is CheckStatus.FAIL and "at most 2 s" in keyframe.sentence
    too_fast = by_name(output_checks(facts(fps=120.0), TWITCH_PROFILE, "Twitch", None))
    assert too_fast["frame_rate"].status is CheckStatus.FAIL


def test_advanced_output_mode_cannot_be_read_and_says_where_to_look() -> None:
    checks = by_name(
        output_checks(
            facts(mode="Advanced", bitrate_kbps=None, keyframe_interval_s=None), YOUTUBE_PROFILE, "YouTube Live", None
        )
    )
    assert checks["bitrate"].status is CheckStatus.WARN and "Settings > Output" in checks["bitrate"].sentence
    assert checks["keyframe_interval"].status is CheckStatus.WARN


def test_rehearsal_measurement_beats_the_estimate() -> None:
    measured = ReceivedStreamInfo(fps=30.0, keyframe_interval_s=2.0, video_bitrate_kbps=3900.0, received_s=20)
    checks = by_name(output_checks(facts(keyframe_interval_s=8.3), YOUTUBE_PROFILE, "YouTube Live", measured))
    assert checks["keyframe_interval"].status is CheckStatus.PASS
    assert "measured in the last rehearsal" in checks["keyframe_interval"].sentence
    assert "3900 kbps" in checks["bitrate"].sentence
    # One keyframe seen in a 10 s rehearsal: the interval is at least 10 s.
    short = ReceivedStreamInfo(fps=30.0, keyframes=1, seconds_since_keyframe=10.0, received_s=10)
    checks = by_name(output_checks(facts(keyframe_interval_s=None), YOUTUBE_PROFILE, "YouTube Live", short))
    assert checks["keyframe_interval"].status is CheckStatus.FAIL
    assert "no second keyframe" in checks["keyframe_interval"].sentence


def test_no_expectations_means_every_figure_passes() -> None:
    checks = output_checks(
        facts(width=640, height=360, fps=15.0, bitrate_kbps=800, keyframe_interval_s=16.7),
        OutputProfile(),
        "Local test server",
        None,
    )
    assert {c.status for c in checks} == {CheckStatus.PASS}


def test_rehearsal_check_sentences() -> None:
    assert rehearsal_check(None).status is CheckStatus.WARN
    info = ReceivedStreamInfo(
        video_codec="h264",
        width=640,
        height=360,
        fps=15.0,
        video_bitrate_kbps=812.4,
        audio_codec="aac",
        audio_sample_rate=44100,
    )
    sentence = rehearsal_check(info).sentence
    assert sentence == "Last rehearsal received h264 640x360, 15 fps, 812 kbps, aac 44100 Hz."


@pytest.mark.parametrize(
    ("use_advanced", "x264", "expected"),
    [("false", None, 250 / 15), ("true", "keyint=30 bframes=0", 2.0), ("true", "preset=fast", 250 / 15)],
)
def test_obs_output_facts_from_profile_parameters(use_advanced: str, x264: str | None, expected: float) -> None:
    rig = Rig()
    rig.session.profile[("SimpleOutput", "UseAdvanced")] = use_advanced
    rig.session.profile[("SimpleOutput", "x264Settings")] = x264

    async def main() -> ObsOutputFacts:
        return await read_obs_output(rig.session)

    result = asyncio.run(main())
    assert (result.width, result.height, result.fps, result.bitrate_kbps) == (640, 360, 15.0, 800)
    assert result.keyframe_interval_s == pytest.approx(expected)


def test_preflight_when_obs_is_not_connected_fails_at_once() -> None:
    rig = Rig()
    rig.session.disconnect()

    async def main() -> None:
        result = await rig.service.preflight("youtube_live")
        obs = result.check("obs")
        assert obs is not None and obs.status is CheckStatus.FAIL
        assert not result.ok

    asyncio.run(main())
    assert isinstance(rig.session, FakeObsSession)
