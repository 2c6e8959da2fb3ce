"""The SQLite index of threads (`$CODEX_HOME/threads.sqlite`) that makes `thread/list` fast.

It is only a cache of the rollout files: rebuilt from them when it is missing, of another
schema version (`PRAGMA user_version`) or corrupt, and reconciled with the disk by
`sync()` (rollouts added or removed behind its back, or changed since they were indexed).
The database and its `-wal`/`-shm` files are 0600 (they hold thread previews and names).
"""

from __future__ import annotations

import base64
import binascii
import builtins
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from codex_lsp import __version__
from codex_lsp.protocol.thread import Thread

from ..private_files import ensure_private_file, private_dir, restrict
from .history import glance_rollout
from .paths import (
    archived_root,
    index_path,
    is_rollout_file_name,
    iter_rollout_entries,
    restrict_thread_roots,
    sessions_root,
)
from .paths import thread_id_from_file_name as _id_of
from .rollout import RolloutCorrupt

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
SortKey = Literal["created_at", "updated_at"]
_T = TypeVar("_T")

_COLUMNS = (
    "id, path, created_at, updated_at, model_provider, model, cwd, preview, name, archived,"
    " forked_from_id"
)
_SCHEMA = """
DROP TABLE IF EXISTS threads;
CREATE TABLE threads (
    id TEXT PRIMARY KEY NOT NULL,
    path TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    model_provider TEXT NOT NULL,
    model TEXT,
    cwd TEXT NOT NULL,
    preview TEXT NOT NULL,
    name TEXT,
    archived INTEGER NOT NULL,
    forked_from_id TEXT,
    preview_fold TEXT NOT NULL,
    name_fold TEXT NOT NULL,
    file_size INTEGER NOT NULL,
    file_mtime_ns INTEGER NOT NULL
);
CREATE INDEX threads_by_created ON threads (archived, created_at, id);
CREATE INDEX threads_by_updated ON threads (archived, updated_at, id);
"""
_INSERT = "INSERT OR REPLACE INTO threads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
# Errors that deleting and rebuilding the cache would not cure.
_NOT_CORRUPTION = frozenset(
    {"SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_READONLY", "SQLITE_FULL", "SQLITE_IOERR",
     "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_INTERRUPT", "SQLITE_NOMEM"}
)  # fmt: skip


@dataclass
class ThreadSummary:
    """One thread as the index knows it (what `thread/list` shows)."""

    id: str
    path: str
    created_at: int
    updated_at: int
    model_provider: str
    model: str | None
    cwd: str
    preview: str
    name: str | None
    archived: bool
    forked_from_id: str | None

    def to_thread(self) -> Thread:
        """The wire Thread (status `notLoaded`, no turns)."""
        return Thread(
            id=self.id,
            preview=self.preview,
            name=self.name,
            model_provider=self.model_provider,
            model=self.model,
            cwd=self.cwd,
            path=self.path,
            created_at=self.created_at,
            updated_at=self.updated_at,
            forked_from_id=self.forked_from_id,
            session_id=self.id,
            cli_version=__version__,
        )


@dataclass
class ListQuery:
    """A `thread/list` query; all filters combine."""

    cursor: str | None = None
    limit: int = 25
    sort_key: SortKey = "created_at"
    model_providers: list[str] | None = None
    archived: bool = False
    cwd: str | None = None
    search_term: str | None = None


class InvalidCursor(ValueError):
    """The cursor was not made by this index for this sort key."""


def encode_cursor(sort_value: int, thread_id: str, sort_key: SortKey) -> str:
    """An opaque cursor: urlsafe base64 (unpadded) of `[sort_value, id, sort_key]`."""
    raw = json.dumps([sort_value, thread_id, sort_key], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort_key: SortKey) -> tuple[int, str]:
    """`(sort_value, id)` of a cursor; InvalidCursor if malformed or for another sort key."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise InvalidCursor(f"invalid cursor: {cursor!r}") from exc
    if (
        not isinstance(value, list)
        or len(value) != 3
        or type(value[0]) is not int
        or not isinstance(value[1], str)
        or not isinstance(value[2], str)
    ):
        raise InvalidCursor(f"invalid cursor: {cursor!r}")
    if value[2] != sort_key:
        raise InvalidCursor(f"cursor was made for sort key {value[2]!r}, not {sort_key!r}")
    return value[0], value[1]


def summarize_rollout(path: Path, archived: bool) -> ThreadSummary:
    """Summarize a rollout for the index (fast: see `glance_rollout`).

    `updated_at` is the `ts` of the last valid line (seconds; never before `created_at`),
    or the file's mtime. Raises RolloutCorrupt (no valid meta) or OSError.
    """
    glance = glance_rollout(path)
    meta = glance.meta
    last_ms = glance.last_ts if glance.last_ts is not None else path.stat().st_mtime_ns // 10**6
    updated = last_ms // 1000
    return ThreadSummary(
        id=meta.id,
        path=os.fspath(path),
        created_at=meta.created_at,
        updated_at=max(updated, meta.created_at),
        model_provider=meta.model_provider,
        model=meta.model,
        cwd=meta.cwd,
        preview=glance.preview,
        name=glance.name,
        archived=archived,
        forked_from_id=meta.forked_from_id,
    )


def _fold(text: str | None) -> str:
    return (text or "").casefold()


def _row(s: ThreadSummary, size: int, mtime_ns: int) -> tuple[Any, ...]:
    return (
        s.id, os.path.abspath(s.path), s.created_at, s.updated_at, s.model_provider, s.model,
        s.cwd, s.preview, s.name, int(s.archived), s.forked_from_id, _fold(s.preview),
        _fold(s.name), size, mtime_ns,
    )  # fmt: skip


def _summary(row: tuple[Any, ...]) -> ThreadSummary:
    return ThreadSummary(
        id=row[0], path=row[1], created_at=row[2], updated_at=row[3], model_provider=row[4],
        model=row[5], cwd=row[6], preview=row[7], name=row[8], archived=bool(row[9]),
        forked_from_id=row[10],
    )  # fmt: skip


def _file_stamp(path: str) -> tuple[int, int]:
    try:
        st = os.stat(path)
    except OSError:
        return -1, -1
    return st.st_size, st.st_mtime_ns


def _write(
    conn: sqlite3.Connection,
    delete_sql: str,
    deletes: list[tuple[Any, ...]],
    rows: list[tuple[Any, ...]],
) -> None:
    """In one transaction: run `delete_sql` for each of `deletes`, then insert `rows`."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(delete_sql, deletes)
        conn.executemany(_INSERT, rows)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _is_corruption(exc: sqlite3.DatabaseError) -> bool:
    if isinstance(exc, sqlite3.IntegrityError | sqlite3.ProgrammingError | sqlite3.InterfaceError):
        return False
    return getattr(exc, "sqlite_errorname", "") not in _NOT_CORRUPTION


class ThreadIndex:
    """The thread index of one `$CODEX_HOME`; every method is thread-safe."""

    def __init__(self, codex_home: Path) -> None:
        """Open the index: rebuild it if missing, outdated or corrupt, else `sync()` it."""
        self.codex_home = Path(os.path.abspath(codex_home))
        self.db_path = index_path(self.codex_home)
        self._lock = threading.RLock()
        self._bad: dict[str, tuple[int, int]] = {}  # unreadable rollouts, by stamp
        private_dir(self.codex_home)
        restrict_thread_roots(self.codex_home)
        try:
            self._conn, fresh = self._connect()
        except sqlite3.DatabaseError as exc:
            if not _is_corruption(exc):
                raise
            self._conn, fresh = self._recreate(exc)
        if fresh:
            self._guard(self._rebuild)
        else:
            self.sync()

    # -- connection management -------------------------------------------------------

    def _connect(self) -> tuple[sqlite3.Connection, bool]:
        # SQLite creates files with the umask's mode; the -wal and -shm files copy the
        # database's, so a 0600 database makes all three private.
        ensure_private_file(self.db_path)
        conn = sqlite3.connect(
            self.db_path, timeout=10.0, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for suffix in ("-wal", "-shm"):  # left by an older version, or another process
                restrict(f"{self.db_path}{suffix}")
            if version == SCHEMA_VERSION:
                conn.execute("SELECT id FROM threads LIMIT 1").fetchall()
                return conn, False
            conn.executescript(
                f"BEGIN IMMEDIATE;{_SCHEMA}PRAGMA user_version = {SCHEMA_VERSION};COMMIT;"
            )
            return conn, True
        except BaseException:
            conn.close()
            raise

    def _recreate(self, exc: Exception) -> tuple[sqlite3.Connection, bool]:
        """Delete the corrupt database files and create an empty index."""
        log.warning("thread index %s is corrupt (%s); rebuilding it", self.db_path, exc)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.db_path}{suffix}").unlink(missing_ok=True)
        return self._connect()

    def _guard(self, op: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run `op`; if the database turns out corrupt, delete it, rebuild, and retry once."""
        with self._lock:
            try:
                return op(self._conn)
            except sqlite3.DatabaseError as exc:
                if not _is_corruption(exc):
                    raise
                self._conn.close()
                self._conn, _ = self._recreate(exc)
                self._rebuild(self._conn)
                return op(self._conn)

    # -- scanning --------------------------------------------------------------------

    def _scan(self) -> dict[str, tuple[bool, int, int]]:
        """Every rollout on disk: path -> (archived, size, mtime_ns)."""
        found: dict[str, tuple[bool, int, int]] = {}
        for root, archived in (
            (sessions_root(self.codex_home), False),
            (archived_root(self.codex_home), True),
        ):
            for entry in iter_rollout_entries(root):
                try:
                    st = entry.stat()
                except OSError:
                    continue
                found[entry.path] = (archived, st.st_size, st.st_mtime_ns)
        return found

    def _summarize_all(
        self, paths: Iterable[tuple[str, tuple[bool, int, int]]]
    ) -> list[tuple[Any, ...]]:
        rows = []
        for path, (archived, size, mtime_ns) in paths:
            if self._bad.get(path) == (size, mtime_ns):
                continue
            try:
                summary = summarize_rollout(Path(path), archived)
            except (RolloutCorrupt, OSError) as exc:
                log.warning("thread index: skipping unreadable rollout %s: %s", path, exc)
                self._bad[path] = (size, mtime_ns)
                continue
            rows.append(_row(summary, size, mtime_ns))
        return rows

    def _rebuild(self, conn: sqlite3.Connection) -> int:
        rows = self._summarize_all(self._scan().items())
        _write(conn, "DELETE FROM threads", [()], rows)
        return len(rows)

    def rebuild(self) -> int:
        """Drop every row and index both trees again; returns the number of threads."""
        with self._lock:
            self._bad.clear()
            return self._guard(self._rebuild)

    def _sync(self, conn: sqlite3.Connection) -> None:
        disk = self._scan()
        known = {
            path: (thread_id, size, mtime_ns)
            for thread_id, path, size, mtime_ns in conn.execute(
                "SELECT id, path, file_size, file_mtime_ns FROM threads"
            )
        }
        # Rollouts resumed by path from where the scan does not look stay while they exist.
        adopted = {p for p in known if p not in disk and self._adopted(p)}
        gone = [
            (thread_id,)
            for path, (thread_id, _, _) in known.items()
            if path not in disk and path not in adopted
        ]
        live_paths = {
            thread_id: path
            for path, (thread_id, _, _) in known.items()
            if path in disk or path in adopted
        }
        todo = []
        changed: dict[str, str] = {}  # path -> id of indexed rollouts changed on disk
        for path, stamp in disk.items():
            row = known.get(path)
            if row is not None:
                if (row[1], row[2]) != stamp[1:]:
                    todo.append((path, stamp))  # changed behind our back
                    changed[path] = row[0]
                continue
            other = live_paths.get(_id_of(os.path.basename(path)) or "")
            if other is None:  # new file (a copy of a thread indexed elsewhere is ignored)
                todo.append((path, stamp))
        if not gone and not todo:
            return
        rows = self._summarize_all(todo)
        # A changed rollout that no longer reads (e.g. overwritten) loses its row, as it
        # would in a rebuild.
        summarized = {row[1] for row in rows}
        gone += [(tid,) for path, tid in changed.items() if path not in summarized]
        _write(conn, "DELETE FROM threads WHERE id = ?", gone, rows)

    def _adopted(self, path: str) -> bool:
        """A rollout the scan never sees (outside `sessions/` and `archived_sessions/`, or
        not named like a rollout) that still exists: indexed when resumed by its path."""
        roots = (sessions_root(self.codex_home), archived_root(self.codex_home))
        inside = any(Path(path).is_relative_to(root) for root in roots)
        seen = inside and is_rollout_file_name(os.path.basename(path))
        return not seen and os.path.isfile(path)

    def sync(self) -> None:
        """Reconcile with the disk: index new or changed rollouts, drop rows of gone ones."""
        self._guard(self._sync)

    # -- rows ------------------------------------------------------------------------

    def _exec(self, sql: str, params: tuple[Any, ...]) -> None:
        self._guard(lambda conn: conn.execute(sql, params))

    def upsert(self, s: ThreadSummary) -> None:
        """Insert or replace the row of `s.id`."""
        self._exec(_INSERT, _row(s, *_file_stamp(s.path)))

    def get(self, thread_id: str) -> ThreadSummary | None:
        """The row of a thread, or None."""
        row = self._guard(
            lambda conn: conn.execute(
                f"SELECT {_COLUMNS} FROM threads WHERE id = ?", (thread_id,)
            ).fetchone()
        )
        return _summary(row) if row is not None else None

    def remove(self, thread_id: str) -> None:
        """Forget a thread (its rollout is not touched)."""
        self._exec("DELETE FROM threads WHERE id = ?", (thread_id,))

    def touch(self, thread_id: str, updated_at: int, preview: str | None = None) -> None:
        """Set `updated_at`; set the preview too, but only if the stored one is empty."""
        sql = "UPDATE threads SET updated_at = ? WHERE id = ?"
        params: tuple[Any, ...] = (updated_at, thread_id)
        if preview:
            sql = (
                "UPDATE threads SET updated_at = ?,"
                " preview_fold = CASE WHEN preview = '' THEN ? ELSE preview_fold END,"
                " preview = CASE WHEN preview = '' THEN ? ELSE preview END WHERE id = ?"
            )
            params = (updated_at, _fold(preview), preview, thread_id)
        self._exec(sql, params)

    def set_name(self, thread_id: str, name: str | None) -> None:
        """Set (or clear, with None or "") the thread's name."""
        params = (name or None, _fold(name), thread_id)
        self._exec("UPDATE threads SET name = ?, name_fold = ? WHERE id = ?", params)

    def move(self, thread_id: str, new_path: str, archived: bool) -> None:
        """Record that the rollout moved (archive / unarchive)."""
        size, mtime_ns = _file_stamp(new_path)
        params = (os.path.abspath(new_path), int(archived), size, mtime_ns, thread_id)
        self._exec(
            "UPDATE threads SET path = ?, archived = ?, file_size = ?, file_mtime_ns = ?"
            " WHERE id = ?",
            params,
        )

    def list(self, q: ListQuery) -> tuple[builtins.list[ThreadSummary], str | None]:
        """One page, newest first by `q.sort_key` then id; the next cursor or None."""
        key: SortKey = "updated_at" if q.sort_key == "updated_at" else "created_at"
        where = ["archived = ?"]
        params: builtins.list[Any] = [int(q.archived)]
        if q.model_providers:
            where.append(f"model_provider IN ({', '.join('?' * len(q.model_providers))})")
            params.extend(q.model_providers)
        if q.cwd is not None:
            # Threads store an absolute, normalized cwd; so does the filter.
            where.append("cwd = ?")
            params.append(os.path.abspath(os.path.expanduser(q.cwd)))
        if q.search_term:
            where.append("(instr(preview_fold, ?) > 0 OR instr(name_fold, ?) > 0)")
            params.extend([q.search_term.casefold()] * 2)
        if q.cursor is not None:
            where.append(f"({key}, id) < (?, ?)")
            params.extend(decode_cursor(q.cursor, key))
        limit = max(1, q.limit)
        sql = (
            f"SELECT {_COLUMNS} FROM threads WHERE {' AND '.join(where)}"
            f" ORDER BY {key} DESC, id DESC LIMIT ?"
        )
        params.append(limit + 1)
        rows = self._guard(lambda conn: conn.execute(sql, params).fetchall())
        page = [_summary(row) for row in rows[:limit]]
        if len(rows) <= limit:
            return page, None
        last = page[-1]
        value = last.updated_at if key == "updated_at" else last.created_at
        return page, encode_cursor(value, last.id, key)

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._conn.close()
