"""Real servers for tests: OBS Studio under Xvfb, nginx with the RTMP module; each on free loopback ports."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from obswebsocket import obsws, requests

from studio_console.obs.launcher import ObsConfig, ObsProcess, VirtualDisplay, free_port, launch_obs

INSTALL_HINT = (
    "Install the real components the e2e tests use:\n"
    "  sudo apt-get install obs-studio xvfb xauth nginx-light libnginx-mod-rtmp ffmpeg ngircd\n"
    "or run `bash scripts/setup.sh`. To skip e2e tests on purpose, set STUDIO_CONSOLE_SKIP_E2E=1."
)

NGINX_RTMP_MODULE = Path("/usr/lib/nginx/modules/ngx_rtmp_module.so")


def missing_e2e_tools() -> list[str]:
    missing = [tool for tool in ("obs", "Xvfb", "nginx", "ffprobe") if shutil.which(tool) is None]
    if not NGINX_RTMP_MODULE.exists():
        missing.append("libnginx-mod-rtmp")
    return missing


def raw_client(port: int, password: str, timeout: float = 10.0) -> obsws:
    """A plain obs-websocket-py client: the 'separate client' tests check OBS with."""
    client = obsws("127.0.0.1", port, password, legacy=False, timeout=timeout)
    client.connect()
    return client


def wait_obs_ready(proc: ObsProcess, timeout: float = 90.0) -> None:
    """Block until OBS answers GetVersion (the port opens a little before requests work)."""
    proc.wait_port(timeout)
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            client = raw_client(proc.config.port, proc.config.password, timeout=5)
            try:
                if client.call(requests.GetVersion()).status:
                    return
            finally:
                client.disconnect()
        except Exception as exc:  # not ready yet
            last = exc
        time.sleep(0.2)
    raise TimeoutError(f"OBS did not answer GetVersion within {timeout:.0f} s: {last}")


@dataclass
class RunningObs:
    """An OBS the tests own; ``password`` is random per instance."""

    process: ObsProcess
    tmp: Path

    @property
    def port(self) -> int:
        return self.process.config.port

    @property
    def password(self) -> str:
        return self.process.config.password

    def client(self) -> obsws:
        return raw_client(self.port, self.password)

    def kill(self) -> None:
        self.process.kill()

    def restart(self) -> None:
        self.process = self.process.restart()
        wait_obs_ready(self.process)

    def stop(self) -> None:
        self.process.stop()


def start_obs(tmp: Path, display: VirtualDisplay | None = None, port: int | None = None) -> RunningObs:
    cfg = ObsConfig(home=tmp, port=port or free_port(), password=secrets.token_urlsafe(12))
    proc = launch_obs(cfg, display=display, headless=True)
    try:
        wait_obs_ready(proc)
    except BaseException:
        print(proc.latest_log())
        proc.stop()
        raise
    return RunningObs(proc, tmp)


@dataclass
class NginxRtmp:
    """nginx with Debian's RTMP module: RTMP on ``rtmp_port``, its stat page on ``http_port``."""

    process: subprocess.Popen[bytes]
    rtmp_port: int
    http_port: int
    prefix: Path

    @property
    def url(self) -> str:
        return f"rtmp://127.0.0.1:{self.rtmp_port}/live"

    def stat_xml(self) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/stat", timeout=5) as resp:
            return str(resp.read().decode("utf-8", "replace"))

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_nginx_rtmp(prefix: Path, rtmp_port: int | None = None) -> NginxRtmp:
    prefix.mkdir(parents=True, exist_ok=True)
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / sub).mkdir(exist_ok=True)
    rtmp_port = rtmp_port or free_port()
    http_port = free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(
        f"""
load_module {NGINX_RTMP_MODULE};
daemon off;
master_process off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
events {{ worker_connections 64; }}
rtmp {{
    server {{
        listen 127.0.0.1:{rtmp_port};
        chunk_size 4096;
        application live {{
            live on;
            record off;
        }}
    }}
}}
http {{
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen 127.0.0.1:{http_port};
        location /stat {{ rtmp_stat all; }}
    }}
}}
"""
    )
    proc = subprocess.Popen(
        ["nginx", "-p", str(prefix), "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ},
    )
    server = NginxRtmp(proc, rtmp_port, http_port, prefix)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"nginx exited: {proc.stderr.read().decode() if proc.stderr else ''}{server.error_log()}"
            )
        try:
            server.stat_xml()
            return server
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise TimeoutError("nginx-rtmp did not start")
