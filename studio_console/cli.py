"""Command-line options; values given here override saved settings for this run only."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from studio_console import APP_NAME, __version__


@dataclass(frozen=True)
class LaunchOptions:
    obs_host: str | None = None
    obs_port: int | None = None
    obs_password_env: str | None = None
    config_dir: Path | None = None
    demo: bool = False
    log_level: str | None = None
    remote_port: int | None = None
    remote_token_env: str | None = None
    quit_after: float | None = None
    headless: bool = False


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="studio-console",
        description=f"{APP_NAME}: a control room for live-shopping streams that drives OBS Studio.",
        epilog=(
            "Secrets never go on the command line: the OBS password comes from the OS keyring, or from "
            "the environment variable named by --obs-password-env."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--obs-host", metavar="HOST", help="host of OBS's WebSocket server (default: saved, else 127.0.0.1)"
    )
    parser.add_argument(
        "--obs-port", metavar="PORT", type=_port, help="port of OBS's WebSocket server (default: saved, else 4455)"
    )
    parser.add_argument(
        "--obs-password-env",
        metavar="NAME",
        help="read the OBS WebSocket password from environment variable NAME instead of the keyring",
    )
    parser.add_argument(
        "--config-dir",
        metavar="DIR",
        type=Path,
        help="keep settings, data and logs all under DIR (separate studios, tests)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="rehearsal studio: start and manage a private OBS when none answers, no account needed",
    )
    parser.add_argument(
        "--log-level",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        type=str.upper,
        help="log level for the log file, stderr and the Log panel (default: saved, else INFO)",
    )
    parser.add_argument(
        "--remote-port",
        metavar="PORT",
        type=_port_or_zero,
        help="port of the loopback remote-control API (0 picks a free one)",
    )
    parser.add_argument(
        "--remote-token-env",
        metavar="NAME",
        help="read the remote-control API token from environment variable NAME",
    )
    parser.add_argument(
        "--headless",
        action="store_true",
        help="run without a window (no Qt): OBS control, cards, chat and the remote API only",
    )
    parser.add_argument("--quit-after", metavar="SECONDS", type=float, help=argparse.SUPPRESS)
    return parser


def _port(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a TCP port (1-65535)")
    return value


def _port_or_zero(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a TCP port (0-65535)")
    return value


def parse_args(argv: list[str] | None = None) -> LaunchOptions:
    ns = build_parser().parse_args(argv)
    return LaunchOptions(
        obs_host=ns.obs_host,
        obs_port=ns.obs_port,
        obs_password_env=ns.obs_password_env,
        config_dir=ns.config_dir,
        demo=ns.demo,
        log_level=ns.log_level,
        remote_port=ns.remote_port,
        remote_token_env=ns.remote_token_env,
        quit_after=ns.quit_after,
        headless=ns.headless,
    )
