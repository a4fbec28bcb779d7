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
    DestinationKind,
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
    ("SimpleOutput", "ABitrate"),
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
    # The stream encoder's codec ("h264", "hevc", "av1") when the output mode reveals the encoder.
    video_codec: str | None = None
    audio_bitrate_kbps: int | None = None

    @property
    def total_bitrate_kbps(self) -> int | None:
        """Video + audio: what one destination is sent."""
        if self.bitrate_kbps is None:
            return None
        return self.bitrate_kbps + (self.audio_bitrate_kbps or 0)


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
    audio_bitrate: int | None = None
    keyframe: float | None = None
    codec: str | None = None
    source = "unknown"
    if mode == "Simple":
        try:
            bitrate = int(params.get("SimpleOutput/VBitrate") or 2500)
        except ValueError:
            bitrate = None
        try:
            audio_bitrate = int(params.get("SimpleOutput/ABitrate") or 160)
        except ValueError:
            audio_bitrate = None
        encoder = str(params.get("SimpleOutput/StreamEncoder") or "x264")
        codec = encoder_codec(encoder)
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
        video_codec=codec,
        audio_bitrate_kbps=audio_bitrate,
    )


def encoder_codec(encoder: str) -> str:
    """The codec of an OBS simple-mode stream encoder id ("x264", "nvenc", "nvenc_hevc", "qsv_av1"...)."""
    name = encoder.lower()
    if "hevc" in name or "h265" in name:
        return "hevc"
    if "av1" in name:
        return "av1"
    return "h264"


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
            checks.append(codec_check(facts, sink.kind, sink.display_name, rehearsal))
    if not isinstance(sink, LocalReceiver):
        checks.append(rehearsal_check(rehearsal))
    return PreflightResult(sink_id=sink.sink_id, destination=sink.display_name, checks=tuple(checks))


async def check_destinations(
    session: PreflightSession,
    sinks: Sequence[Sink],
    secrets: SecretReader,
    rehearsal: ReceivedStreamInfo | None,
    *,
    obs_busy: str | None = None,
) -> tuple[tuple[PreflightResult, ...], ObsOutputFacts | None]:
    """Every destination checked against OBS's output, read once (going live to several).

    ``obs_busy``: why OBS's current stream rules the relay out (it streams straight to a platform), a
    failure for each destination. Returns the results in ``sinks`` order and OBS's output facts.
    """
    facts: ObsOutputFacts | None = None
    shared: list[PreflightCheck] = []
    snap = session.snapshot
    if not snap.connection.connected:
        shared.append(check("obs", CheckStatus.FAIL, "OBS is not connected."))
    else:
        if obs_busy is not None:
            shared.append(check("obs", CheckStatus.FAIL, obs_busy))
        try:
            facts = await read_obs_output(session)
        except ObsError as exc:
            shared.append(check("obs", CheckStatus.FAIL, f"Could not read OBS's output settings: {exc}"))
    results: list[PreflightResult] = []
    for sink in sinks:
        checks = [*sink.preflight(secrets), *shared]
        if facts is not None:
            checks += output_checks(facts, sink.target().profile, sink.display_name, rehearsal)
            checks.append(codec_check(facts, sink.kind, sink.display_name, rehearsal))
        checks.append(rehearsal_check(rehearsal))
        results.append(PreflightResult(sink_id=sink.sink_id, destination=sink.display_name, checks=tuple(checks)))
    return tuple(results), facts


# The video codecs each platform takes over RTMP(S). A custom server is only known to take H.264 (FLV's
# own codec): anything else there is a warning. YouTube takes HEVC and AV1 through enhanced RTMP.
ACCEPTED_VIDEO_CODECS: dict[DestinationKind, tuple[str, ...]] = {
    DestinationKind.TIKTOK: ("h264",),
    DestinationKind.TWITCH: ("h264",),
    DestinationKind.YOUTUBE: ("h264", "hevc", "av1"),
    DestinationKind.CUSTOM_RTMP: ("h264",),
    DestinationKind.LOCAL_TEST: ("h264", "hevc", "av1"),
}
# Every RTMP platform here takes AAC audio (OBS's default); others (Opus) are refused or silent.
ACCEPTED_AUDIO_CODECS = ("aac",)


def codec_check(
    facts: ObsOutputFacts, kind: DestinationKind, destination: str, rehearsal: ReceivedStreamInfo | None
) -> PreflightCheck:
    """The stream's video and audio codecs against what the destination's platform takes."""
    video, origin = facts.video_codec, "OBS's encoder"
    if video is None and rehearsal is not None and rehearsal.video_codec:
        video, origin = rehearsal.video_codec, "measured in the last rehearsal"
    audio = rehearsal.audio_codec if rehearsal is not None and rehearsal.audio_codec else None
    accepted = ACCEPTED_VIDEO_CODECS.get(kind, ("h264",))
    if video is None:
        return check(
            "codec",
            CheckStatus.WARN,
            f"Video codec unknown ({facts.mode} output mode): {destination} takes {', '.join(accepted)}.",
        )
    text = f"Video {video} ({origin})"
    if video not in accepted:
        status = CheckStatus.WARN if kind is DestinationKind.CUSTOM_RTMP else CheckStatus.FAIL
        return check(
            "codec",
            status,
            f"{text}; {destination} takes {', '.join(accepted)}: choose an H.264 encoder (Settings > Output).",
        )
    if audio is not None and audio not in ACCEPTED_AUDIO_CODECS:
        return check(
            "codec", CheckStatus.FAIL, f"{text}, audio {audio}; {destination} takes AAC audio (Settings > Output)."
        )
    return check("codec", CheckStatus.PASS, f"{text}{', audio ' + audio if audio else ''}.")


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
