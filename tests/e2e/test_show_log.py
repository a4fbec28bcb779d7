"""The show log against real OBS: a show's report from the remote API, kill -9 and resume, a full disk.

The crash and disk-full tests start the app as a user would (a separate process, its own OBS scene
collection, not demo mode) and talk to it only through the remote API and OBS.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from studio_console.domain.card import CardLayout, card_rect
from studio_console.obs.launcher import free_port
from studio_console.obs.session import ObsSession
from studio_console.services.products.catalog_io import CatalogStore, demo_catalog_path, import_json
from studio_console.settings.paths import AppPaths
from tests.e2e.test_app_with_obs import make_app
from tests.e2e.test_product_cards import remove_overlay
from tests.helpers.screens import changed_fraction, program_screenshot
from tests.helpers.servers import RunningObs

TOKEN = "show-log-e2e-token-0123456789"
POUR, TOTE, HOOPS = "ceramic-pour-over-set", "canvas-market-tote", "gold-hoop-earrings"


def test_a_show_report_matches_what_was_measured(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, obs: RunningObs, tmp_path: Path
) -> None:
    remove_overlay(obs)
    with make_app(qtbot, qloop, obs, tmp_path) as app:

        def sleep(seconds: float) -> None:
            app.loop.run_until_complete(asyncio.sleep(seconds))

        def timed(method: str, path: str, body: dict[str, Any] | None = None) -> float:
            before = time.monotonic()
            status, answer = app.api(method, path, body)
            after = time.monotonic()
            assert status in (200, 201), answer
            return (before + after) / 2

        status, started = app.api("POST", "/api/v1/show/start", {"title": "E2E <show>"})
        assert status == 201, started
        show_id = started["show"]["show_id"]
        state = app.api("GET", "/api/v1/state")[1]
        assert state["show"]["id"] == show_id and state["show"]["title"] == "E2E <show>"

        pour_at = timed("POST", "/api/v1/product/pin", {"sku": "POUR-SET"})
        for text in ("how much is POUR?", "is POUR dishwasher safe?"):
            assert app.api("POST", "/api/v1/chat/messages", {"user": "ana", "text": text})[0] == 201
        sleep(3.0)
        tote_at = timed("POST", "/api/v1/product/pin", {"sku": "TOTE-NAT"})
        timed("POST", "/api/v1/flash-sale", {"sku": "TOTE-NAT", "price": "14.99", "seconds": 30})
        for text in ("does TOTE come in black?", "love the TOTE"):
            assert app.api("POST", "/api/v1/chat/messages", {"user": "kim", "text": text})[0] == 201
        timed("POST", "/api/v1/product/stock", {"sku": "TOTE-NAT", "delta": -1})
        sleep(2.0)
        hoops_at = timed("POST", "/api/v1/product/pin", {"sku": "HOOP-GLD"})  # ends the tote's sale early
        timed("POST", "/api/v1/product/stock", {"sku": "HOOP-GLD", "delta": -2})
        sleep(2.5)
        unpinned_at = timed("POST", "/api/v1/product/unpin")
        assert app.api("POST", "/api/v1/show/end", {})[0] == 200

        status, report = app.api("GET", f"/api/v1/shows/{show_id}/report")
        assert status == 200, report
        products = {p["product_sku"]: p for p in report["products"]}
        measured = {POUR: tote_at - pour_at, TOTE: hoops_at - tote_at, HOOPS: unpinned_at - hoops_at}
        for sku, seconds in measured.items():
            print(f"{sku}: measured {seconds:.3f} s on air, report {products[sku]['seconds_on_air']:.3f} s")
            assert abs(products[sku]["seconds_on_air"] - seconds) < 1.0, (sku, products[sku], seconds)
            assert products[sku]["times_pinned"] == 1
        assert (products[POUR]["questions"], products[POUR]["mentions"]) == (2, 2)
        assert (products[TOTE]["questions"], products[TOTE]["mentions"]) == (1, 2)
        assert products[HOOPS]["questions"] == 0
        (sale,) = report["flash_sales"]
        assert (sale["sku"], sale["deal_price"], sale["outcome"]) == ("TOTE-NAT", "14.99", "stopped")
        assert products[TOTE]["flash_sales"] == 1
        moves = [(m["sku"], m["old"], m["new"]) for m in report["stock_moves"]]
        assert moves == [("TOTE-NAT", 4, 3), ("HOOP-GLD", 8, 6)]
        assert (products[HOOPS]["stock_at_start"], products[HOOPS]["stock_at_end"]) == (8, 6)

        assert app.core.show_log is not None
        files = app.core.show_log.export(show_id, tmp_path / "export")
        table = (tmp_path / "export" / "products.csv").read_text().splitlines()
        rows = {r["product_sku"]: r for r in csv.DictReader(table)}
        assert abs(float(rows[TOTE]["seconds_on_air"]) - measured[TOTE]) < 1.0
        assert rows[POUR]["questions"] == "2" and rows[HOOPS]["stock_moved"] == "2"
        assert files[0].name == "report.html" and "E2E &lt;show&gt;" in files[0].read_text()
    remove_overlay(obs)


# -- the app as a separate process ---------------------------------------------------------------------


@dataclass
class AppProcess:
    process: subprocess.Popen[str]
    port: int
    log_path: Path

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/v1/{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as err:
            with err:
                return err.code, json.loads(err.read())

    def state(self) -> dict[str, Any]:
        status, body = self.api("GET", "state")
        assert status == 200, body
        return dict(body)

    def wait(self, predicate: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self.process.poll() is None, f"the app exited ({self.process.returncode}): {self.log()}"
            with contextlib.suppress(OSError, AssertionError):
                if predicate():
                    return
            assert time.monotonic() < deadline, f"timed out waiting for {what}: {self.log()}"
            time.sleep(0.1)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""


@contextlib.contextmanager
def run_app(obs: RunningObs, config_dir: Path, name: str) -> Iterator[AppProcess]:
    """The app in its own process against ``obs``; killed (not closed) when the test is done with it."""
    port = free_port()
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "STUDIO_E2E_OBS_PASSWORD": obs.password,
        "STUDIO_E2E_TOKEN": TOKEN,
    }
    log_path = config_dir.parent / f"{name}.log"
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "studio_console",
                "--config-dir",
                str(config_dir),
                "--obs-port",
                str(obs.port),
                "--obs-password-env",
                "STUDIO_E2E_OBS_PASSWORD",
                "--remote-port",
                str(port),
                "--remote-token-env",
                "STUDIO_E2E_TOKEN",
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
    app = AppProcess(process, port, log_path)
    try:
        app.wait(lambda: app.state()["connection"] == "connected" and "show" in app.state(), "the app and OBS")
        yield app
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


def prepare_config(root: Path) -> Path:
    paths = AppPaths.under(root)
    paths.ensure()
    CatalogStore(paths.data_dir).save(import_json(demo_catalog_path()).catalog)
    return paths.config_dir


async def program_frame(obs: RunningObs) -> tuple[Any, Any]:
    """A screenshot of OBS's program output and the product card's place in it."""
    session = await connected(obs)
    try:
        video = session.snapshot.video
        assert video is not None
        rect = card_rect(CardLayout.LOWER_THIRD, video.base_width, video.base_height)
        return await program_screenshot(session, video.base_width, video.base_height), rect
    finally:
        await session.stop()


async def connected(obs: RunningObs) -> ObsSession:
    session = ObsSession("127.0.0.1", obs.port, obs.password)
    session.start()
    for _ in range(200):
        if session.snapshot.connection.connected and session.snapshot.video is not None:
            return session
        await asyncio.sleep(0.05)
    raise AssertionError("the test could not connect to OBS")


def test_kill_9_mid_show_then_resume_brings_the_card_sale_queue_and_stock_back(obs: RunningObs, tmp_path: Path) -> None:
    remove_overlay(obs)
    config = prepare_config(tmp_path / "cfg")
    queue = ["POUR-SET", "TOTE-NAT", "HOOP-GLD", "MAT-CORK"]
    with run_app(obs, config, "first") as first:
        empty, rect = asyncio.run(program_frame(obs))
        assert first.api("POST", "queue", {"skus": queue})[0] == 200
        status, started = first.api("POST", "show/start", {"title": "Crash test"})
        assert status == 201, started
        show_id = started["show"]["show_id"]
        assert first.api("POST", "product/pin", {"sku": "POUR-SET"})[0] == 200
        time.sleep(2.0)
        assert first.api("POST", "product/stock", {"sku": "TOTE-NAT", "delta": -2})[0] == 200
        assert first.api("POST", "product/pin", {"sku": "TOTE-NAT"})[0] == 200
        sale_started = time.monotonic()
        status, sale = first.api("POST", "flash-sale", {"sku": "TOTE-NAT", "price": "12.99", "seconds": 120})
        assert status == 200 and sale["flash_sale"]["seconds_left"] == 120
        time.sleep(3.0)  # more than a second: the resume point has caught up
        before = first.state()["products"]
        on_air_before, _ = asyncio.run(program_frame(obs))
        assert changed_fraction(empty, on_air_before, rect) > 0.5  # the sale card is on air
        first.process.kill()  # SIGKILL: no shutdown, no flush beyond what the writer committed
        first.process.wait(10)
        killed_at = time.monotonic()
    time.sleep(2.0)
    with run_app(obs, config, "second") as second:
        state = second.state()
        assert state["show"]["resumable"]["show_id"] == show_id and state["show"]["open"] is None
        status, resumed = second.api("POST", "show/resume")
        assert status == 200, resumed
        products = second.state()["products"]
        assert products["pinned_sku"] == "TOTE-NAT"
        # The card shows whole seconds (rounded up): the moment the number drops, exactly that many
        # seconds are left. Compare it with the time the test measured since it started the sale.
        shown = products["flash_sale"]["seconds_left"]
        while (left := second.state()["products"]["flash_sale"]["seconds_left"]) == shown:
            time.sleep(0.02)
        expected_left = 120 - (time.monotonic() - sale_started)
        print(f"after resume: the countdown reached {left} s when {expected_left:.2f} s were left")
        assert abs(left - expected_left) < 1.0
        assert products["queue"] == before["queue"] == queue
        status, stock = second.api("POST", "product/stock", {"sku": "TOTE-NAT", "delta": 0})
        assert (status, stock["stock"]) == (200, 2)  # 4 in the catalog, 2 sold before the kill

        # OBS's program output shows the same card (only the countdown's digits differ) and it counts on.
        first_frame, _ = asyncio.run(program_frame(obs))
        time.sleep(1.2)
        second_frame, _ = asyncio.run(program_frame(obs))
        same = changed_fraction(on_air_before, first_frame, rect)
        print(f"card area changed between before the kill and after the resume: {same:.3f}")
        assert changed_fraction(empty, first_frame, rect) > 0.5 and same < 0.15
        assert changed_fraction(first_frame, second_frame, rect) > 0.0
        time.sleep(1.0)
        assert second.api("POST", "product/unpin")[0] == 200
        assert second.api("POST", "show/end", {})[0] == 200
        status, report = second.api("GET", f"shows/{show_id}/report")
        assert status == 200, report
        tote = next(p for p in report["products"] if p["product_sku"] == TOTE)
        pour = next(p for p in report["products"] if p["product_sku"] == POUR)
        (gap,) = report["gaps"]
        on_air = {"tote": tote["seconds_on_air"], "pour": pour["seconds_on_air"]}
        print(f"gap {gap['seconds']:.2f} s; on air {on_air}")
        # The report covers both runs: POUR before the crash only; the tote before and after it.
        assert abs(pour["seconds_on_air"] - 2.0) < 1.0
        assert tote["seconds_on_air"] > 3.0 + 1.0 and tote["times_pinned"] == 1
        assert 2.0 <= gap["seconds"] <= time.monotonic() - killed_at + 5.0
        assert (tote["stock_at_start"], tote["stock_at_end"], tote["flash_sales"]) == (4, 2, 1)
    remove_overlay(obs)


RUNDOWN_CSV = (
    "title,kind,duration,scene,sku,deal_price,countdown_s,end_action,talking_points\n"
    "Welcome,segment,1,,,,,hold,\n"
    "Pour-over set,product,5,,ceramic-pour-over-set,,,hold,Hand-thrown\n"
    "Tote,product,5,,canvas-market-tote,,,hold,\n"
)


def test_kill_9_mid_cue_then_restart_brings_the_run_of_show_and_its_live_cue_back(
    obs: RunningObs, tmp_path: Path
) -> None:
    remove_overlay(obs)
    config = prepare_config(tmp_path / "cfg")
    csv_path = tmp_path / "friday.csv"
    csv_path.write_text(RUNDOWN_CSV, encoding="utf-8")
    with run_app(obs, config, "first") as first:
        status, body = first.api("POST", "rundown/import", {"path": str(csv_path)})
        assert status == 200 and body["imported"] == 3, body
        assert first.api("POST", "show/start", {"title": "Cue crash"})[0] == 201
        status, body = first.api("POST", "rundown/go", {"index": 1})
        assert status == 200 and body["rundown"]["current"]["title"] == "Pour-over set", body
        time.sleep(2.0)  # the resume point and the saved run of show have caught up
        first.process.kill()
        first.process.wait(10)
    csv_path.unlink()  # the second run must not need the producer's file
    with run_app(obs, config, "second") as second:
        rundown = second.state()["rundown"]
        assert rundown["cues"] == 3 and rundown["current"] is None, rundown  # back, not yet live
        assert second.api("POST", "show/resume")[0] == 200
        second.wait(lambda: second.state()["rundown"]["current"] is not None, "the live cue after resuming")
        state = second.state()
        assert state["rundown"]["current"] == {"index": 1, "title": "Pour-over set", "kind": "product"}
        assert state["products"]["pinned_sku"] == POUR
        assert second.api("POST", "rundown/next")[0] == 200  # the show runs on from there
        assert second.state()["rundown"]["current"]["title"] == "Tote"
        assert second.api("POST", "rundown/end")[0] == 200
        assert second.api("POST", "show/end", {})[0] == 200
    remove_overlay(obs)


def _mount_tmpfs(folder: Path, size: str) -> bool:
    if os.geteuid() != 0:
        return False
    folder.mkdir(parents=True)
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True)
    return result.returncode == 0


def test_a_full_disk_is_reported_and_the_show_goes_on(obs: RunningObs, tmp_path: Path) -> None:
    small = tmp_path / "small"
    if not _mount_tmpfs(small, "4m"):
        pytest.skip("mounting a small tmpfs needs root")
    remove_overlay(obs)
    try:
        config = prepare_config(tmp_path / "cfg")
        # Only the show log lives on the small disk (SQLite follows the link, its -wal file too): the
        # test is about the log; card pictures and settings stay on a disk with room.
        (AppPaths.under(tmp_path / "cfg").data_dir / "shows.sqlite3").symlink_to(small / "shows.sqlite3")
        with run_app(obs, config, "full") as app:
            status, started = app.api("POST", "show/start", {"title": "Full disk"})
            assert status == 201, started
            junk = small / "junk"
            with junk.open("wb") as fh, contextlib.suppress(OSError):
                while True:
                    fh.write(b"\0" * 65536)
                    fh.flush()
            for i in range(200):
                app.api("POST", "chat/messages", {"user": "ana", "text": f"is POUR back? {i} " + "x" * 1500})
            assert app.api("POST", "product/pin", {"sku": "POUR-SET"})[0] == 200
            app.wait(lambda: bool(app.state()["show"]["problem"]), "the show log's problem", timeout=30)
            problem = app.state()["show"]["problem"]
            assert "cannot be written" in problem and "shows.sqlite3" in problem
            # The show goes on: the card changes, chat is taken, the state answers.
            assert app.api("POST", "product/pin", {"sku": "TOTE-NAT"})[0] == 200
            assert app.api("POST", "chat/messages", {"user": "kim", "text": "TOTE?"})[0] == 201
            assert app.state()["products"]["pinned_sku"] == "TOTE-NAT"
            junk.unlink()
            app.wait(lambda: app.state()["show"]["problem"] is None, "the show log to recover", timeout=30)
            assert app.api("POST", "show/end", {})[0] == 200
            status, report = app.api("GET", f"shows/{started['show']['show_id']}/report")
            pinned = {p["product_sku"]: p["times_pinned"] for p in report["products"]}
            assert pinned[POUR] == 1 and pinned[TOTE] == 1  # nothing written while full was lost
            assert "Show log not written" in app.log() or "cannot be written" in app.log()
    finally:
        subprocess.run(["umount", "-l", str(small)], check=False)
        remove_overlay(obs)
