"""Where the show record lives: a small store interface and its embedded SQLite implementation.

Writes never block the caller and never raise into the show: they are queued and one writer thread
commits them in batches (every ``flush_interval_s`` or ``batch_rows`` rows). A failed commit (disk
full, a read-only folder) keeps the rows in memory, within a cap, retries, and tells the problem
listener; the show goes on.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from studio_console.domain.show_record import (
    SHOW_EVENT,
    ChatMinute,
    ProductChatMinute,
    ShowCheckpoint,
    ShowEvent,
    ShowInfo,
)
from studio_console.settings.atomic import corrupt_aside_path

log = logging.getLogger(__name__)

# Called with one sentence when writing fails, and with None once writes succeed again. The SQLite
# store calls it on its writer thread: a listener that touches loop state must post to the loop.
ProblemListener = Callable[[str | None], None]

SHOW_LOG_FILE = "shows.sqlite3"


class ShowStoreError(Exception):
    """The store cannot be opened (made by a newer app version, an unusable folder)."""


@dataclass(frozen=True)
class StoreStats:
    rows_written: int
    batches: int
    pending: int
    dropped: int
    failing: bool


class ShowStore(Protocol):
    """What the show log needs from a database.

    Writes return at once and never raise; reads block (call them off the UI loop). A shared server
    database for many rooms would implement the same methods (see the README).
    """

    def start_show(self, show: ShowInfo) -> None: ...

    def end_show(self, show_id: str, ended_at: float) -> None: ...

    def append(self, show_id: str, event: ShowEvent) -> None: ...

    def add_chat(self, show_id: str, rows: Iterable[ChatMinute]) -> None:
        """Add these counts to the minute rows (rows are increments, so a resumed show adds up)."""
        ...

    def add_product_chat(self, show_id: str, rows: Iterable[ProductChatMinute]) -> None: ...

    def put_checkpoint(self, show_id: str, checkpoint: ShowCheckpoint) -> None:
        """Replace the show's resume point (only the latest one matters)."""
        ...

    def touch_checkpoint(self, show_id: str, at: float) -> None:
        """The app is alive at ``at`` and nothing changed: only the resume point's time moves."""
        ...

    def flush(self, timeout: float = 5.0) -> bool:
        """Block until everything written so far is committed; False on timeout or while writes fail."""
        ...

    @property
    def stats(self) -> StoreStats: ...

    def shows(self, limit: int = 200) -> tuple[ShowInfo, ...]:
        """Most recent first."""
        ...

    def show(self, show_id: str) -> ShowInfo | None: ...

    def open_shows(self) -> tuple[ShowInfo, ...]: ...

    def events(self, show_id: str) -> tuple[ShowEvent, ...]: ...

    def chat_minutes(self, show_id: str) -> tuple[ChatMinute, ...]: ...

    def product_minutes(self, show_id: str) -> tuple[ProductChatMinute, ...]: ...

    def checkpoint(self, show_id: str) -> ShowCheckpoint | None: ...

    def close(self) -> None: ...


# -- schema ---------------------------------------------------------------------------------------

# Migration N (1-based) takes a database at version N-1 to version N; the version is PRAGMA
# user_version. Append new migrations, never edit released ones.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE shows (
            show_id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            creator TEXT,
            started_at REAL NOT NULL,
            ended_at REAL
        )""",
        """CREATE TABLE events (
            seq INTEGER PRIMARY KEY,
            show_id TEXT NOT NULL,
            at REAL NOT NULL,
            kind TEXT NOT NULL,
            data TEXT NOT NULL
        )""",
        "CREATE INDEX events_by_show ON events (show_id, at)",
        """CREATE TABLE chat_minutes (
            show_id TEXT NOT NULL,
            minute REAL NOT NULL,
            platform TEXT NOT NULL,
            messages INTEGER NOT NULL,
            PRIMARY KEY (show_id, minute, platform)
        )""",
        """CREATE TABLE product_minutes (
            show_id TEXT NOT NULL,
            minute REAL NOT NULL,
            product_sku TEXT NOT NULL,
            questions INTEGER NOT NULL,
            mentions INTEGER NOT NULL,
            PRIMARY KEY (show_id, minute, product_sku)
        )""",
        """CREATE TABLE checkpoints (
            show_id TEXT PRIMARY KEY,
            at REAL NOT NULL,
            data TEXT NOT NULL
        )""",
    ),
)


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, migrations: Sequence[Sequence[str]] = MIGRATIONS) -> int:
    """Bring the database to ``len(migrations)``, one transaction per step; returns the version.

    ``conn`` must be in autocommit mode (``isolation_level=None``): each step runs in its own
    explicit transaction, so a failing step leaves the database at the previous version.
    """
    version = schema_version(conn)
    if version > len(migrations):
        raise ShowStoreError(
            f"the show log was written by a newer Studio Console (schema {version}, this version knows "
            f"up to {len(migrations)})"
        )
    for number in range(version + 1, len(migrations) + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in migrations[number - 1]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        log.info("show log schema upgraded to version %d", number)
    return len(migrations)


# -- the SQLite store -----------------------------------------------------------------------------

_Row = tuple[str, tuple[object, ...]]

_INSERT_SHOW = "INSERT OR REPLACE INTO shows (show_id, title, creator, started_at, ended_at) VALUES (?, ?, ?, ?, ?)"
_END_SHOW = "UPDATE shows SET ended_at = ? WHERE show_id = ?"
_INSERT_EVENT = "INSERT INTO events (show_id, at, kind, data) VALUES (?, ?, ?, ?)"
_ADD_CHAT = (
    "INSERT INTO chat_minutes (show_id, minute, platform, messages) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (show_id, minute, platform) DO UPDATE SET messages = messages + excluded.messages"
)
_ADD_PRODUCT_CHAT = (
    "INSERT INTO product_minutes (show_id, minute, product_sku, questions, mentions) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (show_id, minute, product_sku) DO UPDATE SET "
    "questions = questions + excluded.questions, mentions = mentions + excluded.mentions"
)
_PUT_CHECKPOINT = "INSERT OR REPLACE INTO checkpoints (show_id, at, data) VALUES (?, ?, ?)"
_TOUCH_CHECKPOINT = "UPDATE checkpoints SET at = max(at, ?) WHERE show_id = ?"


class SqliteShowStore:
    """The embedded show log: one SQLite file in WAL mode, written by one thread in batches.

    WAL with ``synchronous=NORMAL``: a killed app loses nothing committed; a power cut may lose the
    last commits (under a second of record), never the database.
    """

    def __init__(
        self,
        path: Path,
        *,
        on_problem: ProblemListener | None = None,
        flush_interval_s: float = 0.25,
        batch_rows: int = 500,
        max_pending_rows: int = 100_000,
        retry_s: float = 1.0,
        migrations: Sequence[Sequence[str]] = MIGRATIONS,
        max_page_count: int | None = None,
    ) -> None:
        self.path = path
        self.on_problem = on_problem
        self.flush_interval_s = flush_interval_s
        self.batch_rows = batch_rows
        self.max_pending_rows = max_pending_rows
        self.retry_s = retry_s
        self._migrations = migrations
        # A test's way to make SQLite itself report "database or disk is full".
        self._max_page_count = max_page_count
        # Pending rows by key: ordinary rows have a unique key, a checkpoint the show's (newest wins).
        self._pending: dict[object, _Row] = {}
        self._counter = itertools.count()
        self._cond = threading.Condition()
        self._flush_wanted = False
        self._writing = False
        self._stopping = False
        self._failing: str | None = None
        self._rows_written = 0
        self._batches = 0
        self._dropped = 0
        self._conn = self._open()
        self._thread = threading.Thread(target=self._run, name="show-log-writer", daemon=True)
        self._thread.start()

    # -- opening ----------------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=5.0)
        conn.execute("PRAGMA busy_timeout = 5000")
        return conn

    def _open(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ShowStoreError(f"The show log folder {self.path.parent} cannot be created: {exc}") from None
        try:
            return self._open_database()
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError):
                raise ShowStoreError(f"The show log {self.path} cannot be opened: {exc}") from None
            # Not a database (a truncated copy, another file under that name): keep it aside, start anew.
            aside = corrupt_aside_path(self.path)
            os.replace(self.path, aside)
            for suffix in ("-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(f"{self.path}{suffix}")
            log.warning("show log %s was unreadable (%s); kept as %s, starting a new one", self.path, exc, aside)
            return self._open_database()

    def _open_database(self) -> sqlite3.Connection:
        conn = self._connect()
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            migrate(conn, self._migrations)
            if self._max_page_count is not None:
                conn.execute(f"PRAGMA max_page_count = {int(self._max_page_count)}")
        except BaseException:
            conn.close()
            raise
        return conn

    # -- writes (any thread, never block) ------------------------------------------------------------

    def _put(self, sql: str, params: tuple[object, ...], key: object | None = None) -> None:
        with self._cond:
            if self._stopping:
                log.warning("show log closed: a write was dropped")
                return
            self._pending[next(self._counter) if key is None else key] = (sql, params)
            if len(self._pending) > self.max_pending_rows:
                self._drop_oldest()
            if len(self._pending) >= self.batch_rows and not self._failing:
                self._cond.notify()

    def _drop_oldest(self) -> None:
        # Only while writes fail does the queue grow this far: keep the newest rows.
        excess = len(self._pending) - self.max_pending_rows
        for key in list(itertools.islice(self._pending, excess)):
            del self._pending[key]
        self._dropped += excess

    def start_show(self, show: ShowInfo) -> None:
        self._put(_INSERT_SHOW, (show.show_id, show.title, show.creator, show.started_at, show.ended_at))

    def end_show(self, show_id: str, ended_at: float) -> None:
        self._put(_END_SHOW, (ended_at, show_id))

    def append(self, show_id: str, event: ShowEvent) -> None:
        self._put(_INSERT_EVENT, (show_id, event.at, event.kind, event.model_dump_json()))

    def add_chat(self, show_id: str, rows: Iterable[ChatMinute]) -> None:
        for row in rows:
            self._put(_ADD_CHAT, (show_id, row.minute, row.platform, row.messages))

    def add_product_chat(self, show_id: str, rows: Iterable[ProductChatMinute]) -> None:
        for row in rows:
            self._put(_ADD_PRODUCT_CHAT, (show_id, row.minute, row.product_sku, row.questions, row.mentions))

    def put_checkpoint(self, show_id: str, checkpoint: ShowCheckpoint) -> None:
        self._put(_PUT_CHECKPOINT, (show_id, checkpoint.at, checkpoint.model_dump_json()), key=("checkpoint", show_id))

    def touch_checkpoint(self, show_id: str, at: float) -> None:
        # Its own key: a newer touch replaces an older one, and it never replaces a pending full write.
        self._put(_TOUCH_CHECKPOINT, (at, show_id), key=("touch", show_id))

    def flush(self, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            self._flush_wanted = True
            self._cond.notify_all()
            while self._pending or self._writing:
                if self._failing is not None and not self._writing:
                    return False
                left = deadline - time.monotonic()
                if left <= 0 or (self._stopping and not self._thread.is_alive()):
                    return False
                self._cond.wait(min(left, 0.05))
            return self._failing is None

    @property
    def stats(self) -> StoreStats:
        with self._cond:
            return StoreStats(
                rows_written=self._rows_written,
                batches=self._batches,
                pending=len(self._pending),
                dropped=self._dropped,
                failing=self._failing is not None,
            )

    # -- the writer thread ----------------------------------------------------------------------------

    def _run(self) -> None:
        next_attempt = 0.0
        first_failure = False
        while True:
            with self._cond:
                while not self._stopping:
                    now = time.monotonic()
                    if self._failing is not None:
                        if now >= next_attempt and self._pending:
                            break
                        self._cond.wait(max(0.01, next_attempt - now))
                        continue
                    if self._pending and (self._flush_wanted or len(self._pending) >= self.batch_rows):
                        break
                    self._cond.wait(self.flush_interval_s)
                    if self._pending:
                        break
                if self._stopping and not self._pending:
                    self._cond.notify_all()
                    return
                batch = self._pending
                self._pending = {}
                self._flush_wanted = False
                self._writing = True
            error = self._commit(batch)
            with self._cond:
                self._writing = False
                if error is None:
                    self._rows_written += len(batch)
                    self._batches += 1
                    recovered = self._failing is not None
                    self._failing = None
                    problem: str | None = None
                else:
                    # Put the batch back ahead of what arrived meanwhile; a newer checkpoint wins.
                    merged = dict(batch)
                    merged.update(self._pending)
                    self._pending = merged
                    if len(self._pending) > self.max_pending_rows:
                        self._drop_oldest()
                    recovered = False
                    first_failure = self._failing != error
                    self._failing = error
                    next_attempt = time.monotonic() + self.retry_s
                    problem = self._problem_sentence(error)
                    if self._stopping:
                        self._cond.notify_all()
                        return
                self._cond.notify_all()
            if error is not None:
                # Retries repeat every retry_s: the log gets the first failure, the listener every count.
                log.log(logging.WARNING if first_failure else logging.DEBUG, "%s", problem)
                self._tell(problem)
            elif recovered:
                log.info("show log writes succeed again")
                self._tell(None)

    def _commit(self, batch: dict[object, _Row]) -> str | None:
        conn = self._conn
        try:
            conn.execute("BEGIN")
            for sql, params in batch.values():
                conn.execute(sql, params)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            return str(exc)
        return None

    def _problem_sentence(self, error: str) -> str:
        kept = len(self._pending)
        dropped = f"; {self._dropped} older entries were dropped" if self._dropped else ""
        return (
            f"The show log cannot be written ({error}: {self.path}). The show goes on; "
            f"{kept} entries are kept in memory and retried{dropped}."
        )

    def _tell(self, problem: str | None) -> None:
        if self.on_problem is None:
            return
        try:
            self.on_problem(problem)
        except Exception:
            log.exception("show log problem listener failed")

    def close(self, timeout: float = 5.0) -> None:
        """Commit what is pending (one last try) and stop the writer thread."""
        with self._cond:
            if self._stopping:
                return
            self._flush_wanted = True
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(timeout)
        if self._pending:
            log.warning("show log closed with %d entries unwritten", len(self._pending))
        with contextlib.suppress(sqlite3.Error):
            self._conn.close()

    # -- reads (block: call them off the UI loop) -----------------------------------------------------

    def _read(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        conn = self._connect()
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    @staticmethod
    def _show(row: tuple[object, ...]) -> ShowInfo:
        show_id, title, creator, started_at, ended_at = row
        return ShowInfo(
            show_id=str(show_id),
            title=str(title),
            creator=None if creator is None else str(creator),
            started_at=float(started_at),  # type: ignore[arg-type]
            ended_at=None if ended_at is None else float(ended_at),  # type: ignore[arg-type]
        )

    _SHOW_COLUMNS = "show_id, title, creator, started_at, ended_at"

    def shows(self, limit: int = 200) -> tuple[ShowInfo, ...]:
        rows = self._read(f"SELECT {self._SHOW_COLUMNS} FROM shows ORDER BY started_at DESC LIMIT ?", (limit,))
        return tuple(self._show(r) for r in rows)

    def show(self, show_id: str) -> ShowInfo | None:
        rows = self._read(f"SELECT {self._SHOW_COLUMNS} FROM shows WHERE show_id = ?", (show_id,))
        return self._show(rows[0]) if rows else None

    def open_shows(self) -> tuple[ShowInfo, ...]:
        rows = self._read(f"SELECT {self._SHOW_COLUMNS} FROM shows WHERE ended_at IS NULL ORDER BY started_at DESC", ())
        return tuple(self._show(r) for r in rows)

    def events(self, show_id: str) -> tuple[ShowEvent, ...]:
        rows = self._read("SELECT data FROM events WHERE show_id = ? ORDER BY at, seq", (show_id,))
        events = []
        for (data,) in rows:
            try:
                events.append(SHOW_EVENT.validate_json(str(data)))
            except ValueError as exc:  # a row from a newer version, or damaged: skip it, keep the rest
                log.warning("show log %s: an event of show %s is unreadable: %s", self.path, show_id, exc)
        return tuple(events)

    def chat_minutes(self, show_id: str) -> tuple[ChatMinute, ...]:
        rows = self._read(
            "SELECT minute, platform, messages FROM chat_minutes WHERE show_id = ? ORDER BY minute, platform",
            (show_id,),
        )
        return tuple(ChatMinute(minute=m, platform=p, messages=n) for m, p, n in rows)  # type: ignore[arg-type]

    def product_minutes(self, show_id: str) -> tuple[ProductChatMinute, ...]:
        rows = self._read(
            "SELECT minute, product_sku, questions, mentions FROM product_minutes WHERE show_id = ? "
            "ORDER BY minute, product_sku",
            (show_id,),
        )
        return tuple(
            ProductChatMinute(minute=m, product_sku=s, questions=q, mentions=n)  # type: ignore[arg-type]
            for m, s, q, n in rows
        )

    def checkpoint(self, show_id: str) -> ShowCheckpoint | None:
        rows = self._read("SELECT at, data FROM checkpoints WHERE show_id = ?", (show_id,))
        if not rows:
            return None
        at, data = rows[0]
        try:
            return ShowCheckpoint.model_validate_json(str(data)).model_copy(update={"at": float(at)})  # type: ignore[arg-type]
        except ValueError as exc:
            log.warning("show log %s: the resume point of show %s is unreadable: %s", self.path, show_id, exc)
            return None
