"""Preflight: OBS's output profile against what a destination's platform expects, one sentence per check."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from studio_console.adapters.sinks.base import LocalReceiver, SecretReader, Sink
from studio_console.domain.obs_state import ObsSnapshot, OutputPhase, VideoSettings
from studio_console.domain.stream import (
    CheckStatus,
    Orientation,
    OutputProfile,
    PreflightCheck,
    PreflightResult,
    ReceivedStreamInfo,
)
from studio_console.obs.errors import ObsError
from studio_console.obs.requests import GetProfileParameter, GetVideoSettings, Outcome, Request

# x264's own default when OBS leaves the keyframe interval on "auto" (keyint_sec 0): 250 frames.
X264_DEFAULT_KEYINT_FRAMES = 250
_KEYINT = re.compile(r"(?:^|[\s:])keyint=(\d+)")

_PROFILE_PARAMETERS: tuple[tuple[str, str], ...] = (
    ("Output", "Mode"),
    ("SimpleOutput", "VBitrate"),
    ("SimpleOutput", "StreamEncoder"),
    ("SimpleOutput", "UseAdvanced"),
    ("SimpleOutput", "x264Settings"),
)


class PreflightSession(Protocol):
    """The part of ObsSession preflight reads: the snapshot and a request batch."""

    snapshot: ObsSnapshot

    async def call_batch(self, requests: Sequence[Request[Any]]) -> tuple[Outcome[Any], ...]: ...


@dataclass(frozen=True)
class ObsOutputFacts:
    """OBS's output settings as far as obs-websocket 5.1 reveals them."""

    width: int
    height: int
    fps: float
    mode: str
    bitrate_kbps: int | None
    keyframe_interval_s: float | None
    # How the keyframe interval was found, for the sentence ("custom x264 options", "automatic").
    keyframe_source: str


async def read_obs_output(session: PreflightSession) -> ObsOutputFacts:
    """OBS's output size, frame rate, bitrate and keyframe interval, read over the websocket."""
    requests: list[Request[Any]] = [GetVideoSettings()]
    requests += [GetProfileParameter(category, name) for category, name in _PROFILE_PARAMETERS]
    results = await session.call_batch(requests)
    video: VideoSettings = results[0].unwrap()
    params = {
        f"{category}/{name}": (r.value if r.ok else None)
        for (category, name), r in zip(_PROFILE_PARAMETERS, results[1:], strict=True)
    }
    fps = video.fps_numerator / max(1, video.fps_denominator)
    mode = str(params.get("Output/Mode") or "Simple")
    bitrate: int | None = None
    keyframe: float | None = None
    source = "unknown"
    if mode == "Simple":
        try:
            bitrate = int(params.get("SimpleOutput/VBitrate") or 2500)
        except ValueError:
            bitrate = None
        encoder = str(params.get("SimpleOutput/StreamEncoder") or "x264")
        custom = str(params.get("SimpleOutput/x264Settings") or "")
        use_custom = str(params.get("SimpleOutput/UseAdvanced") or "false").lower() == "true"
        match = _KEYINT.search(custom) if use_custom and encoder == "x264" else None
        if match and fps > 0:
            keyframe, source = int(match.group(1)) / fps, "custom x264 options"
        elif encoder == "x264" and fps > 0:
            keyframe, source = X264_DEFAULT_KEYINT_FRAMES / fps, "automatic"
    return ObsOutputFacts(
        width=video.output_width,
        height=video.output_height,
        fps=fps,
        mode=mode,
        bitrate_kbps=bitrate,
        keyframe_interval_s=keyframe,
        keyframe_source=source,
    )


async def check_destination(
    session: PreflightSession,
    sink: Sink,
    secrets: SecretReader,
    rehearsal: ReceivedStreamInfo | None,
    *,
    starting: bool = False,
) -> PreflightResult:
    """The sink's own checks, OBS's output against the sink's profile, and the last rehearsal's figures.

    ``starting``: this preflight is part of a start, so OBS already streaming is no warning.
    """
    checks: list[PreflightCheck] = list(sink.preflight(secrets))
    snap = session.snapshot
    if not snap.connection.connected:
        checks.append(check("obs", CheckStatus.FAIL, "OBS is not connected."))
    else:
        if snap.stream.phase is not OutputPhase.STOPPED and not starting:
            checks.append(check("obs", CheckStatus.WARN, f"OBS is already streaming ({snap.stream.phase.value})."))
        try:
            facts = await read_obs_output(session)
        except ObsError as exc:
            checks.append(check("obs", CheckStatus.FAIL, f"Could not read OBS's output settings: {exc}"))
        else:
            checks += output_checks(facts, sink.target().profile, sink.display_name, rehearsal)
    if not isinstance(sink, LocalReceiver):
        checks.append(rehearsal_check(rehearsal))
    return PreflightResult(sink_id=sink.sink_id, destination=sink.display_name, checks=tuple(checks))


def check(name: str, status: CheckStatus, sentence: str) -> PreflightCheck:
    return PreflightCheck(name=name, status=status, sentence=sentence)


def _orientation(width: int, height: int) -> Orientation:
    return Orientation.VERTICAL if height > width else Orientation.LANDSCAPE


def output_checks(
    facts: ObsOutputFacts, profile: OutputProfile, destination: str, rehearsal: ReceivedStreamInfo | None
) -> list[PreflightCheck]:
    """Orientation, resolution, frame rate, bitrate and keyframe interval against ``profile``."""
    checks: list[PreflightCheck] = []
    size = f"{facts.width}x{facts.height}"
    orientation = _orientation(facts.width, facts.height)
    if profile.orientation is Orientation.ANY or profile.orientation is orientation:
        checks.append(check("orientation", CheckStatus.PASS, f"OBS sends a {orientation.value} picture ({size})."))
    else:
        fix = "vertical 9:16" if profile.orientation is Orientation.VERTICAL else "landscape 16:9"
        checks.append(
            check(
                "orientation",
                CheckStatus.WARN,
                f"OBS sends a {orientation.value} picture ({size}) but {destination} expects "
                f"{profile.orientation.value}: switch the canvas to {fix} in the Scenes panel.",
            )
        )
    if profile.recommended_size is not None:
        want_w, want_h = profile.recommended_size
        if facts.width * facts.height < want_w * want_h:
            checks.append(
                check(
                    "resolution",
                    CheckStatus.WARN,
                    f"OBS sends {size}; {destination} recommends at least {want_w}x{want_h}.",
                )
            )
        else:
            checks.append(check("resolution", CheckStatus.PASS, f"Output resolution {size}."))
    else:
        checks.append(check("resolution", CheckStatus.PASS, f"Output resolution {size}."))
    fps = f"{facts.fps:g} fps"
    if profile.max_fps is not None and facts.fps > profile.max_fps:
        checks.append(
            check("frame_rate", CheckStatus.FAIL, f"OBS sends {fps}; {destination} takes at most {profile.max_fps:g}.")
        )
    elif profile.min_fps is not None and facts.fps < profile.min_fps:
        checks.append(
            check(
                "frame_rate",
                CheckStatus.WARN,
                f"OBS sends {fps}; {destination} recommends at least {profile.min_fps:g} fps (Settings > Video).",
            )
        )
    else:
        checks.append(check("frame_rate", CheckStatus.PASS, f"Frame rate {fps}."))
    checks.append(_bitrate_check(facts, profile, destination, rehearsal))
    checks.append(_keyframe_check(facts, profile, destination, rehearsal))
    return checks


def _bitrate_check(
    facts: ObsOutputFacts, profile: OutputProfile, destination: str, rehearsal: ReceivedStreamInfo | None
) -> PreflightCheck:
    measured = ""
    if rehearsal is not None and rehearsal.video_bitrate_kbps:
        measured = f" (last rehearsal measured {rehearsal.video_bitrate_kbps:.0f} kbps)"
    if facts.bitrate_kbps is None:
        status = CheckStatus.WARN if profile.max_bitrate_kbps or profile.min_bitrate_kbps else CheckStatus.PASS
        return check(
            "bitrate",
            status,
            f"OBS's output mode is {facts.mode}: check the video bitrate in Settings > Output{measured}.",
        )
    rate = f"{facts.bitrate_kbps} kbps"
    if profile.max_bitrate_kbps is not None and facts.bitrate_kbps > profile.max_bitrate_kbps:
        return check(
            "bitrate",
            CheckStatus.FAIL,
            f"Video bitrate {rate}; {destination} takes at most {profile.max_bitrate_kbps} kbps "
            f"(Settings > Output){measured}.",
        )
    if profile.min_bitrate_kbps is not None and facts.bitrate_kbps < profile.min_bitrate_kbps:
        return check(
            "bitrate",
            CheckStatus.WARN,
            f"Video bitrate {rate}; {destination} recommends at least {profile.min_bitrate_kbps} kbps "
            f"(Settings > Output){measured}.",
        )
    return check("bitrate", CheckStatus.PASS, f"Video bitrate {rate}{measured}.")


def _keyframe_check(
    facts: ObsOutputFacts, profile: OutputProfile, destination: str, rehearsal: ReceivedStreamInfo | None
) -> PreflightCheck:
    interval = facts.keyframe_interval_s
    origin = f"OBS's setting ({facts.keyframe_source})"
    # A rehearsal at the same frame rate measured what OBS really sends: that beats any estimate.
    if rehearsal is not None and rehearsal.fps and abs(rehearsal.fps - facts.fps) < 1:
        if rehearsal.keyframe_interval_s is not None:
            interval, origin = rehearsal.keyframe_interval_s, "measured in the last rehearsal"
        elif rehearsal.seconds_since_keyframe > (interval or 0.0):
            # Only one keyframe arrived: the interval is at least the time waited for the next.
            interval = rehearsal.seconds_since_keyframe
            origin = "or more: the last rehearsal saw no second keyframe"
    limit = profile.max_keyframe_interval_s
    advice = (
        "set the keyframe interval to "
        f"{profile.recommended_keyframe_interval_s or 2:g} s (OBS Settings > Output, Advanced mode, "
        "or keyint in the x264 options of Simple mode)."
    )
    if interval is None:
        status = CheckStatus.WARN if limit is not None else CheckStatus.PASS
        return check("keyframe_interval", status, f"Keyframe interval unknown ({facts.mode} output mode): {advice}")
    text = f"Keyframes every {interval:.1f} s, {origin}"
    if limit is not None and interval > limit + 0.05:
        return check(
            "keyframe_interval", CheckStatus.FAIL, f"{text}; {destination} needs at most {limit:g} s: {advice}"
        )
    return check("keyframe_interval", CheckStatus.PASS, f"{text}.")


def rehearsal_check(rehearsal: ReceivedStreamInfo | None) -> PreflightCheck:
    if rehearsal is None:
        return check(
            "rehearsal",
            CheckStatus.WARN,
            "No rehearsal yet: stream to the local test server first to see what OBS really sends.",
        )
    parts = [
        f"{rehearsal.video_codec or '?'} {rehearsal.width or '?'}x{rehearsal.height or '?'}",
        f"{rehearsal.fps:g} fps" if rehearsal.fps else "? fps",
    ]
    if rehearsal.video_bitrate_kbps:
        parts.append(f"{rehearsal.video_bitrate_kbps:.0f} kbps")
    if rehearsal.audio_codec:
        parts.append(f"{rehearsal.audio_codec} {rehearsal.audio_sample_rate or '?'} Hz")
    return check("rehearsal", CheckStatus.PASS, "Last rehearsal received " + ", ".join(parts) + ".")
