"""Secrets under scrutiny: the real app in demo mode, live to its local test server, leaks no secret it knows.

No process's command line (OBS's included), no file under the app's folders or the demo OBS's
configuration other than the keyring fallback ``secrets.json``, no log line and no answer of
``GET /api/v1/state`` may hold the OBS password, a stream key or the remote-control token.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from obswebsocket import requests

from studio_console.demo import DEMO_OBS_PASSWORD
from studio_console.obs.launcher import VirtualDisplay
from studio_console.settings.secrets import SecretStore
from tests.e2e.test_app_signals import pid_alive
from tests.helpers.demo_app import DemoApp
from tests.helpers.servers import raw_client


@pytest.fixture
def demo_app(xvfb: VirtualDisplay, tmp_path: Path) -> Iterator[DemoApp]:
    app = DemoApp(tmp_path / "studio", xvfb)
    yield app
    obs = app.obs_pids()
    app.stop()
    deadline = time.monotonic() + 10
    while any(pid_alive(pid) for pid in obs) and time.monotonic() < deadline:
        time.sleep(0.1)


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def holders(data: bytes, known: dict[str, str]) -> list[str]:
    """Names of the secrets whose value occurs in ``data``."""
    return [name for name, value in known.items() if value.encode() in data]


def private(path: Path, root: Path) -> bool:
    """Only this user can read ``path``: the file itself, or a folder on the way to it, is closed to others."""
    return any((p.stat().st_mode & 0o077) == 0 for p in (path, *path.parents) if p == root or root in p.parents)


def all_cmdlines() -> Iterator[tuple[int, bytes]]:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            yield int(entry.name), (entry / "cmdline").read_bytes()
        except OSError:  # gone meanwhile, or not ours to read
            continue


# OBS keeps these two secrets in its own files, and only there can it be given them without a
# command line: the websocket password in global.ini ([OBSWebSocket] ServerPassword, the launcher
# writes it with mode 0600; the --websocket_password flag would put it on the command line) and the
# key of the stream it sends in its profile's service.json (OBS saves SetStreamServiceSettings there).
# obs-websocket 5.5+ (OBS 30.2+) reads its password from plugin_config/obs-websocket/config.json instead
# of global.ini; the launcher writes both so one demo folder serves either OBS.
OBS_OWN_FILES = {
    "global.ini": {"obs_password"},
    "config.json": {"obs_password"},
    "service.json": {"local_server_key"},
}


def test_no_secret_in_command_lines_files_logs_or_api(demo_app: DemoApp, tmp_path: Path) -> None:
    app = demo_app
    paths, token = app.paths, app.token
    assert app.connected.wait(120), "demo mode never connected to its OBS:\n" + "".join(app.lines[-40:])
    obs_password = SecretStore.open(paths.config_dir, paths.custom_root).get(DEMO_OBS_PASSWORD)
    assert obs_password

    status, body = app.api("POST", "/api/v1/stream/start", token)
    assert status == 200, body
    wait_until(lambda: app.state(token)["stream"] == "live", 60, "live on the local test server")
    wait_until(
        lambda: ((app.state(token)["output"].get("local_server") or {}).get("info") or {}).get("fps") is not None,
        60,
        "the local test server receiving",
    )
    client = raw_client(app.obs_port, obs_password)
    try:
        service = client.call(requests.GetStreamServiceSettings()).datain["streamServiceSettings"]
    finally:
        client.disconnect()
    local_key = str(service.get("key") or "")
    assert local_key, service
    known = {
        "obs_password": obs_password,
        "twitch_key": app.twitch_key,
        "youtube_key": app.youtube_key,
        "remote_token": token,
        "local_server_key": local_key,
    }

    # Command lines of every process on this machine, the app's OBS included.
    obs_pids = app.obs_pids()
    assert obs_pids, "".join(app.lines)
    seen = dict(all_cmdlines())
    assert app.process.pid in seen and all(pid in seen for pid in obs_pids)
    leaks = {pid: holders(cmdline, known) for pid, cmdline in seen.items()}
    assert not {pid: names for pid, names in leaks.items() if names}, "secrets on a command line"
    # Environments of the app and its OBS (readable by this user only, but copied into crash reports).
    for pid in (app.process.pid, *obs_pids):
        environ = Path(f"/proc/{pid}/environ").read_bytes()
        assert not holders(environ, known), f"secret in the environment of {pid}"

    # Every answer the remote API gives while live.
    for path in ("/api/v1/state",):
        status, body = app.api("GET", path, token)
        assert status == 200 and not holders(body.encode(), known), body
    status, body = app.api("POST", "/api/v1/stream/stop", token)
    assert status == 200 and not holders(body.encode(), known), body
    wait_until(lambda: app.state(token)["stream"] == "stopped", 30, "stream stopped")

    app.stop()  # files and logs are complete once the app and its OBS have shut down
    assert app.process.returncode == 0, "".join(app.lines[-40:])
    stderr = "".join(app.lines)
    assert not holders(stderr.encode(), known), "secret in a log line on stderr"
    assert "Studio Console stopped" in stderr

    keyring_fallback = paths.config_dir / "secrets.json"
    assert keyring_fallback.exists() and (keyring_fallback.stat().st_mode & 0o077) == 0
    scanned: list[Path] = []
    found: dict[str, list[str]] = {}
    obs_owned: dict[str, list[str]] = {}
    for path in sorted(tmp_path.rglob("*")):
        if not path.is_file() or path == keyring_fallback:
            continue
        scanned.append(path)
        names = holders(path.read_bytes(), known)
        if not names:
            continue
        allowed = OBS_OWN_FILES.get(path.name.removesuffix(".bak"), set())
        if paths.demo_obs_home in path.parents and set(names) <= allowed:
            obs_owned[str(path.relative_to(tmp_path))] = names
            assert private(path, tmp_path), f"{path} holds {names} and other local users can read it"
        else:
            found[str(path.relative_to(tmp_path))] = names
    logs = [p for p in scanned if p.suffix in (".log", ".txt") or ".log." in p.name]
    assert any(p.name == "studio-console.log" for p in logs), [str(p) for p in scanned]
    assert not found, f"secrets in files: {found}"
    print(f"scanned {len(scanned)} files ({len(logs)} logs); only OBS's own files hold what OBS needs: {obs_owned}")
