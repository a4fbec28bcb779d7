"""The SQLite show store on tmp_path: schema and migrations, batched writes, disk full, a damaged file."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio_console.domain.show_record import (
    ChatMinute,
    ProductChatMinute,
    SceneChanged,
    ShowCheckpoint,
    ShowInfo,
    ShowStarted,
)
from studio_console.services.show_log.store import (
    MIGRATIONS,
    ShowStoreError,
    SqliteShowStore,
    migrate,
    schema_version,
)

SHOW = ShowInfo(show_id="s1", title="Friday drop", started_at=1000.0)


class Problems:
    """Collects what the store reports (from its writer thread) and lets the test wait for it."""

    def __init__(self) -> None:
        self.seen: list[str | None] = []
        self._cond = threading.Condition()

    def __call__(self, problem: str | None) -> None:
        with self._cond:
            self.seen.append(problem)
            self._cond.notify_all()

    def wait_for(self, predicate: object, timeout: float = 30.0) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: predicate(self.seen), timeout), self.seen  # type: ignore[operator]


def wait_until(predicate: object, timeout: float = 30.0) -> None:
    """Wait for the writer thread to get somewhere (a generous deadline, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the writer thread did not get there"
        time.sleep(0.01)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteShowStore]:
    store = SqliteShowStore(tmp_path / "shows.sqlite3")
    yield store
    store.close()


def test_a_new_log_is_at_the_latest_schema_in_wal_mode(store: SqliteShowStore) -> None:
    conn = sqlite3.connect(store.path)
    assert schema_version(conn) == len(MIGRATIONS)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"shows", "events", "chat_minutes", "product_minutes", "checkpoints"} <= tables
    conn.close()


def test_round_trip_of_shows_events_counts_and_checkpoint(store: SqliteShowStore) -> None:
    store.start_show(SHOW)
    store.append("s1", ShowStarted(at=1000.0))
    store.append("s1", SceneChanged(at=1001.0, scene="Main <b>"))
    store.add_chat("s1", [ChatMinute(minute=960.0, platform="twitch", messages=3)])
    store.add_chat("s1", [ChatMinute(minute=960.0, platform="twitch", messages=4)])
    store.add_product_chat("s1", [ProductChatMinute(minute=960.0, product_sku="TEE", questions=1, mentions=2)])
    store.put_checkpoint("s1", ShowCheckpoint(at=1001.0, queue=("TEE",), pinned_sku="TEE", stock={"TEE-S": 2}))
    assert store.flush()
    assert store.show("s1") == SHOW and store.open_shows() == (SHOW,)
    assert [e.kind for e in store.events("s1")] == ["show_started", "scene_changed"]
    # Counts are increments: a resumed show adds to the minute it crashed in.
    assert store.chat_minutes("s1") == (ChatMinute(minute=960.0, platform="twitch", messages=7),)
    assert store.product_minutes("s1")[0].mentions == 2
    checkpoint = store.checkpoint("s1")
    assert checkpoint is not None and checkpoint.pinned_sku == "TEE" and checkpoint.stock == {"TEE-S": 2}
    store.end_show("s1", 2000.0)
    assert store.flush()
    assert store.open_shows() == () and store.shows()[0].ended_at == 2000.0


def test_migrations_run_in_order_and_a_failed_step_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "shows.sqlite3"
    SqliteShowStore(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("INSERT INTO shows VALUES ('old', 'Old show', NULL, 1.0, 2.0)")
    later = (*MIGRATIONS, ("ALTER TABLE shows ADD COLUMN room TEXT", "UPDATE shows SET room = 'A'"))
    assert migrate(conn, later) == len(MIGRATIONS) + 1
    assert conn.execute("SELECT title, room FROM shows").fetchall() == [("Old show", "A")]
    broken = (*later, ("ALTER TABLE shows ADD COLUMN preset TEXT", "SELECT no_such_function()"))
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, broken)
    assert schema_version(conn) == len(later)
    columns = [r[1] for r in conn.execute("PRAGMA table_info(shows)")]
    assert "preset" not in columns  # the failed step was rolled back whole
    conn.close()
    # The app of this version refuses a log made by a newer one instead of damaging it.
    with pytest.raises(ShowStoreError, match="newer Studio Console"):
        SqliteShowStore(path)


def test_writes_are_committed_in_batches(tmp_path: Path) -> None:
    # A long interval: only the row count (or a flush) makes the writer commit.
    store = SqliteShowStore(tmp_path / "shows.sqlite3", flush_interval_s=3600, batch_rows=100)
    try:
        for i in range(99):
            store.append("s1", SceneChanged(at=float(i), scene=f"S{i}"))
        assert store.stats.batches == 0 and store.stats.pending == 99
        store.append("s1", SceneChanged(at=99.0, scene="S99"))
        wait_until(lambda: store.stats.batches == 1)
        assert store.stats.rows_written == 100
        for i in range(5):
            store.append("s1", SceneChanged(at=100.0 + i, scene="x"))
        assert store.flush()
        assert (store.stats.batches, store.stats.rows_written) == (2, 105)
        assert len(store.events("s1")) == 105
    finally:
        store.close()


def test_only_the_newest_checkpoint_is_written(tmp_path: Path) -> None:
    store = SqliteShowStore(tmp_path / "shows.sqlite3", flush_interval_s=3600)
    try:
        for i in range(1000):
            store.put_checkpoint("s1", ShowCheckpoint(at=float(i), pinned_sku=f"P{i}"))
        assert store.stats.pending == 1
        assert store.flush()
        checkpoint = store.checkpoint("s1")
        assert checkpoint is not None and checkpoint.pinned_sku == "P999"
        assert store.stats.rows_written == 1
    finally:
        store.close()


def test_a_full_database_is_reported_and_rows_are_kept_within_the_cap(tmp_path: Path) -> None:
    problems = Problems()
    path = tmp_path / "shows.sqlite3"
    SqliteShowStore(path).close()
    pages = sqlite3.connect(path).execute("PRAGMA page_count").fetchone()[0]
    # SQLite refuses to grow the file past this: the same SQLITE_FULL a full disk gives.
    store = SqliteShowStore(
        path, on_problem=problems, max_page_count=pages + 2, retry_s=0.05, max_pending_rows=300, batch_rows=50
    )
    try:
        for i in range(400):
            store.append("s1", SceneChanged(at=float(i), scene="x" * 2000))  # never raises into the show
        problems.wait_for(lambda seen: any(p and "database or disk is full" in p for p in seen))
        message = next(p for p in problems.seen if p)
        assert str(path) in message and "kept in memory" in message
        assert store.flush(timeout=0.5) is False
        stats = store.stats
        assert stats.failing and stats.pending <= 300 and stats.dropped > 0
        assert stats.pending + stats.dropped + stats.rows_written == 400
    finally:
        store.close(timeout=2)


def _mount_tmpfs(folder: Path, size: str) -> bool:
    if os.geteuid() != 0:
        return False
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True)
    return done.returncode == 0


def _fill(folder: Path) -> Path:
    junk = folder / "junk"
    with open(junk, "wb") as fh:
        block = b"\0" * 65536
        with contextlib.suppress(OSError):
            while True:
                fh.write(block)
                fh.flush()
    return junk


def test_a_full_disk_is_reported_nothing_is_lost_and_writing_resumes_when_space_returns(tmp_path: Path) -> None:
    small = tmp_path / "small"
    if not _mount_tmpfs(small, "2m"):
        pytest.skip("mounting a small tmpfs needs root (the max_page_count test covers SQLITE_FULL)")
    problems = Problems()
    store = None
    try:
        store = SqliteShowStore(small / "shows.sqlite3", on_problem=problems, retry_s=0.05, batch_rows=20)
        store.start_show(SHOW)
        assert store.flush()
        junk = _fill(small)
        for i in range(200):
            store.append("s1", SceneChanged(at=float(i), scene="y" * 1000))
        problems.wait_for(lambda seen: any(seen))
        assert problems.seen[0] is not None and ("full" in problems.seen[0] or "disk I/O" in problems.seen[0])
        junk.unlink()  # the producer frees space: the kept rows go in
        problems.wait_for(lambda seen: seen and seen[-1] is None)
        assert store.flush()
        assert len(store.events("s1")) == 200 and store.stats.dropped == 0
    finally:
        if store is not None:
            store.close(timeout=2)
        subprocess.run(["umount", "-l", str(small)], check=False)


def test_a_damaged_file_is_kept_aside_and_a_new_log_started(tmp_path: Path) -> None:
    path = tmp_path / "shows.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    store = SqliteShowStore(path)
    try:
        store.start_show(SHOW)
        assert store.flush() and store.show("s1") == SHOW
    finally:
        store.close()
    aside = [p for p in tmp_path.iterdir() if ".corrupt-" in p.name]
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not a database")


def test_close_commits_what_is_pending_and_later_writes_do_not_raise(tmp_path: Path) -> None:
    store = SqliteShowStore(tmp_path / "shows.sqlite3", flush_interval_s=3600)
    store.start_show(SHOW)
    store.close()
    store.append("s1", ShowStarted(at=1.0))  # dropped with a warning, no exception
    reopened = SqliteShowStore(tmp_path / "shows.sqlite3")
    try:
        assert reopened.show("s1") == SHOW
    finally:
        reopened.close()


def test_an_unwritable_folder_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ShowStoreError, match="cannot be created"):
        SqliteShowStore(blocker / "sub" / "shows.sqlite3")


def test_a_touch_moves_only_the_resume_points_time(store: SqliteShowStore) -> None:
    store.touch_checkpoint("s1", 5.0)  # no resume point yet: nothing to move
    assert store.flush() and store.checkpoint("s1") is None
    store.put_checkpoint("s1", ShowCheckpoint(at=10.0, pinned_sku="MUG"))
    store.touch_checkpoint("s1", 11.0)
    assert store.flush()
    store.touch_checkpoint("s1", 9.0)  # an older time never moves it back
    assert store.flush()
    checkpoint = store.checkpoint("s1")
    assert checkpoint is not None and (checkpoint.at, checkpoint.pinned_sku) == (11.0, "MUG")
