"""Starts and stops an OBS Studio process with an isolated configuration (demo mode, tests, "Launch OBS")."""

from __future__ import annotations

import configparser
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio_console.obs import tether

log = logging.getLogger(__name__)

PROFILE_NAME = "StudioConsole"
COLLECTION_NAME = "StudioConsole"


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port on ``host`` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def obs_executable() -> str | None:
    """Path of the installed ``obs`` binary, or None when OBS Studio is not installed."""
    return shutil.which("obs")


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


@dataclass
class VirtualDisplay:
    """An Xvfb server on a free display number, for running OBS where no screen exists."""

    process: subprocess.Popen[bytes]
    display: str

    @classmethod
    def start(cls, size: str = "1280x720x24") -> VirtualDisplay:
        xvfb = shutil.which("Xvfb")
        if xvfb is None:
            raise FileNotFoundError("Xvfb is not installed (Debian/Ubuntu: apt-get install xvfb)")
        read_fd, write_fd = os.pipe()
        dies_with_app, started = _child_dies_with_parent()
        try:
            proc = subprocess.Popen(
                [xvfb, "-displayfd", str(write_fd), "-screen", "0", size, "-nolisten", "tcp"],
                pass_fds=(write_fd,),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                **dies_with_app,
            )
            started(proc)
        finally:
            os.close(write_fd)
        with os.fdopen(read_fd) as reader:
            number = reader.readline().strip()
        if not number:
            proc.kill()
            raise RuntimeError("Xvfb did not report a display number")
        return cls(proc, f":{number}")

    def stop(self) -> None:
        _terminate(self.process, grace=3.0)


def _terminate(proc: subprocess.Popen[bytes], grace: float) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


@dataclass
class ObsConfig:
    """What an isolated OBS instance is configured with."""

    home: Path
    port: int
    password: str
    canvas: tuple[int, int] = (640, 360)
    fps: int = 15
    video_bitrate_kbps: int = 800
    keyframe_seconds: int = 2


def write_isolated_config(cfg: ObsConfig) -> None:
    """Write global.ini and a small-canvas profile under ``cfg.home`` (used as XDG_CONFIG_HOME).

    Existing files are updated, not replaced, so a scene collection OBS saved earlier is kept.
    """
    root = cfg.home / "obs-studio"
    profile_dir = root / "basic" / "profiles" / PROFILE_NAME
    profile_dir.mkdir(parents=True, exist_ok=True)
    # OBS rewrites global.ini (the websocket password) and service.json (the stream key) with the
    # default umask, readable by every local user: the folder itself keeps them to this user.
    os.chmod(root, 0o700)
    (root / "basic" / "scenes").mkdir(parents=True, exist_ok=True)

    global_ini = _read_ini(root / "global.ini")
    _set(global_ini, "General", FirstRun="true", LastVersion="486604802")
    _set(
        global_ini,
        "OBSWebSocket",
        ServerEnabled="true",
        ServerPort=str(cfg.port),
        AuthRequired="true",
        ServerPassword=cfg.password,
        FirstLoad="false",
        AlertsEnabled="false",
    )
    _set(
        global_ini,
        "Basic",
        Profile=PROFILE_NAME,
        ProfileDir=PROFILE_NAME,
        SceneCollection=COLLECTION_NAME,
        SceneCollectionFile=COLLECTION_NAME,
        ConfigOnNewProfile="false",
    )
    _write_ini(root / "global.ini", global_ini)
    os.chmod(root / "global.ini", 0o600)  # it holds the websocket password

    width, height = cfg.canvas
    basic = _read_ini(profile_dir / "basic.ini")
    _set(basic, "General", Name=PROFILE_NAME)
    _set(
        basic,
        "Video",
        BaseCX=str(width),
        BaseCY=str(height),
        OutputCX=str(width),
        OutputCY=str(height),
        FPSType="1",
        FPSInt=str(cfg.fps),
    )
    _set(
        basic,
        "SimpleOutput",
        VBitrate=str(cfg.video_bitrate_kbps),
        ABitrate="64",
        Preset="ultrafast",
        StreamEncoder="x264",
        RecFormat="mkv",
        FilePath=str(cfg.home / "recordings"),
    )
    _set(basic, "Output", Mode="Simple", Reconnect="true", RetryDelay="1", MaxRetries="20")
    _set(basic, "Audio", SampleRate="44100", ChannelSetup="Stereo")
    _write_ini(profile_dir / "basic.ini", basic)
    (cfg.home / "recordings").mkdir(exist_ok=True)


def _read_ini(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # OBS keys are case-sensitive
    if path.exists():
        parser.read(path, encoding="utf-8-sig")
    return parser


def _set(parser: configparser.RawConfigParser, section: str, **values: str) -> None:
    if not parser.has_section(section):
        parser.add_section(section)
    for key, value in values.items():
        parser.set(section, key, value)


def _write_ini(path: Path, parser: configparser.RawConfigParser) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        parser.write(fh, space_around_delimiters=False)
    os.replace(tmp, path)


@dataclass
class ObsProcess:
    """A running OBS Studio with an isolated configuration; stop() sends SIGTERM, then SIGKILL."""

    config: ObsConfig
    process: subprocess.Popen[bytes]
    display: VirtualDisplay | None = None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def log_dir(self) -> Path:
        return self.config.home / "obs-studio" / "logs"

    def latest_log(self) -> str:
        """Text of OBS's newest log file, for failure reports."""
        logs = sorted(self.log_dir.glob("*.txt"), key=lambda p: p.stat().st_mtime)
        if not logs:
            return "(OBS wrote no log file)"
        return logs[-1].read_text(encoding="utf-8", errors="replace")

    def running(self) -> bool:
        return self.process.poll() is None

    def wait_port(self, timeout: float = 60.0) -> None:
        """Block until the websocket port accepts connections, or raise TimeoutError."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                raise RuntimeError(f"OBS exited with code {self.process.returncode} during start-up")
            if _port_open("127.0.0.1", self.config.port):
                return
            time.sleep(0.1)
        raise TimeoutError(f"OBS websocket did not open port {self.config.port} within {timeout:.0f} s")

    def kill(self) -> None:
        """SIGKILL, as a crash would (tests use it to check recovery)."""
        if self.running():
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        _terminate(self.process, grace=10.0)
        if self.display is not None:
            self.display.stop()
            self.display = None

    def restart(self) -> ObsProcess:
        """Start a new OBS on the same configuration and display (after kill or stop)."""
        if self.running():
            _terminate(self.process, grace=10.0)
        display, self.display = self.display, None
        return launch_obs(self.config, display=display)


def _child_dies_with_parent() -> tuple[dict[str, Any], Callable[[subprocess.Popen[bytes]], None]]:
    """Popen arguments and a post-start step so the child never outlives the app, even after kill -9."""
    how = tether.child_dies_with_parent()
    return how.popen_kwargs, lambda child: tether.tethered_after_start(how, child)


def launch_obs(cfg: ObsConfig, display: VirtualDisplay | None = None, headless: bool | None = None) -> ObsProcess:
    """Start OBS on ``cfg``; under a new Xvfb when there is no screen (or ``headless`` is True)."""
    exe = obs_executable()
    if exe is None:
        raise FileNotFoundError("OBS Studio is not installed (Debian/Ubuntu: apt-get install obs-studio)")
    write_isolated_config(cfg)
    env = dict(os.environ)
    env["XDG_CONFIG_HOME"] = str(cfg.home)
    if headless is None:
        headless = not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY")
    if headless and display is None:
        display = VirtualDisplay.start()
    if display is not None:
        env["DISPLAY"] = display.display
        env.pop("WAYLAND_DISPLAY", None)
        env["LIBGL_ALWAYS_SOFTWARE"] = "1"
        env["QT_QPA_PLATFORM"] = "xcb"
    # OBS must not inherit a Python venv's Qt plugin paths.
    for key in ("QT_PLUGIN_PATH", "QT_QPA_PLATFORM_PLUGIN_PATH"):
        env.pop(key, None)
    args = [
        exe,
        "--multi",
        "--minimize-to-tray",
        "--disable-shutdown-check",
        "--disable-updater",
        "--profile",
        PROFILE_NAME,
        "--collection",
        COLLECTION_NAME,
        "--websocket_port",
        str(cfg.port),
    ]
    log_file = open(cfg.home / "obs-stdout.log", "ab")  # noqa: SIM115 - handed to the child
    dies_with_app, started = _child_dies_with_parent()
    try:
        proc = subprocess.Popen(
            args,
            env=env,
            cwd=str(cfg.home),
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **dies_with_app,
        )
        started(proc)
    finally:
        log_file.close()
    log.info("started OBS (pid %s) on websocket port %s", proc.pid, cfg.port)
    return ObsProcess(cfg, proc, display, env)
