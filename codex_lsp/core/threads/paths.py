"""Where thread files live under `$CODEX_HOME`, and how rollout files are named.

Live threads are `sessions/YYYY/MM/DD/rollout-YYYY-MM-DDThh-mm-ss-<threadId>.jsonl` (UTC
date and time of creation); archived ones are moved, with the same file name, into the
flat `archived_sessions/` directory. The thread index is `threads.sqlite` beside them.
All of it is private to the user: folders 0700, files 0600 (see `core.private_files`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from ..private_files import DIR_MODE, restrict

SESSIONS_DIR = "sessions"
ARCHIVED_SESSIONS_DIR = "archived_sessions"
INDEX_FILE_NAME = "threads.sqlite"

_PREFIX = "rollout-"
_SUFFIX = ".jsonl"
_STAMP_FORMAT = "%Y-%m-%dT%H-%M-%S"
_STAMP_LEN = len("YYYY-MM-DDThh-mm-ss")


def sessions_root(codex_home: Path) -> Path:
    """The directory holding live threads."""
    return codex_home / SESSIONS_DIR


def archived_root(codex_home: Path) -> Path:
    """The directory holding archived threads (flat)."""
    return codex_home / ARCHIVED_SESSIONS_DIR


def index_path(codex_home: Path) -> Path:
    """The SQLite thread index file."""
    return codex_home / INDEX_FILE_NAME


def restrict_thread_roots(codex_home: Path) -> None:
    """Set `sessions/` and `archived_sessions/` to 0700 where an older version created them
    readable by others: nothing below them can be reached then, whatever the modes of the
    day folders and rollouts inside (which are not walked, for speed)."""
    for root in (sessions_root(codex_home), archived_root(codex_home)):
        restrict(root, DIR_MODE)


def _utc(created_at: int) -> datetime:
    return datetime.fromtimestamp(created_at, tz=UTC)


def file_name_for(thread_id: str, created_at: int) -> str:
    """`rollout-YYYY-MM-DDThh-mm-ss-<threadId>.jsonl` for a thread created at `created_at`."""
    return f"{_PREFIX}{_utc(created_at).strftime(_STAMP_FORMAT)}-{thread_id}{_SUFFIX}"


def day_dir(sessions: Path, created_at: int) -> Path:
    """`sessions/YYYY/MM/DD` (UTC) for a thread created at `created_at` (unix seconds)."""
    when = _utc(created_at)
    return sessions / f"{when.year:04d}" / f"{when.month:02d}" / f"{when.day:02d}"


def is_rollout_file_name(name: str) -> bool:
    """Whether `name` looks like a rollout file name."""
    return thread_id_from_file_name(name) is not None


def thread_id_from_file_name(name: str) -> str | None:
    """The thread id encoded in a rollout file name, or None if it is not one."""
    if not (name.startswith(_PREFIX) and name.endswith(_SUFFIX)):
        return None
    rest = name[len(_PREFIX) : -len(_SUFFIX)]
    if len(rest) < _STAMP_LEN + 2 or rest[_STAMP_LEN] != "-" or rest[10] != "T":
        return None
    return rest[_STAMP_LEN + 1 :]


def iter_rollout_entries(root: Path) -> Iterator[os.DirEntry[str]]:
    """Every rollout file under `root` (recursively) as a directory entry (cheap to stat)."""
    stack = [os.fspath(root)]
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = list(it)
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
            elif is_rollout_file_name(entry.name):
                yield entry


def iter_rollout_files(root: Path) -> Iterator[Path]:
    """Every rollout file under `root` (recursively); nothing if `root` does not exist."""
    for entry in iter_rollout_entries(root):
        yield Path(entry.path)


def find_rollout(codex_home: Path, thread_id: str) -> tuple[Path, bool] | None:
    """Find a thread's rollout by scanning both trees: `(path, archived)`, or None.

    This is the slow path for when the index does not know the thread.
    """
    for root, archived in ((sessions_root(codex_home), False), (archived_root(codex_home), True)):
        for path in iter_rollout_files(root):
            if thread_id_from_file_name(path.name) == thread_id:
                return path, archived
    return None
