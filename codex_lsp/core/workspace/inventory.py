"""A cheap inventory of the workspace's files, and an in-memory copy of their text.

A command (shell, exec_command) may change any file under the cwd, and what a file held
before the command can only be read before the command starts. So before each command the
workspace is listed (path -> stat stamp) and the text of every small text file is kept in
memory, zlib-compressed; after the command a second listing shows what was created,
modified or deleted, and the copy gives the old content.

The copy is kept per thread and refreshed lazily: a file is read again only when its stamp
changed (or was too recent to be trusted, see `RACY_NS`), so after the first command of a
thread a refresh costs one directory walk.

Limits (what cannot be restored is reported, never guessed):
- Directories named in `SKIP_DIRS` are not listed; symlinks are not followed nor listed.
- At most `MAX_FILES` files (and as many directories) are listed, in name order; changes
  to files past that are not seen.
- Only files of at most `MAX_FILE_BYTES` that are UTF-8 text (no NUL byte) are copied, up
  to `MAX_TOTAL_BYTES` of text in all; other files are listed (so their changes are
  seen) but their old content is unknown.
"""

from __future__ import annotations

import os
import stat
import time
import zlib
from dataclasses import dataclass, field
from typing import NamedTuple

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".venv",
        "venv",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".tox",
    }
)
MAX_FILES = 20_000
MAX_FILE_BYTES = 1 << 20
MAX_TOTAL_BYTES = 64 << 20
# A file written less than this before it was read or listed may change again without a
# new stamp (coarse file-system timestamps): its content is compared instead.
RACY_NS = 2_000_000_000

LARGE = f"larger than {MAX_FILE_BYTES // (1 << 20)} MiB"
BINARY = "binary or not UTF-8 text"
OVER_BUDGET = f"over the {MAX_TOTAL_BYTES // (1 << 20)} MiB the snapshot keeps"
UNREADABLE = "could not be read"


class Stamp(NamedTuple):
    """What `stat` says about a file; a different stamp means it may have changed."""

    mtime_ns: int
    size: int
    ino: int
    mode: int


def stamp_of(st: os.stat_result) -> Stamp:
    """The stamp of a stat result."""
    return Stamp(st.st_mtime_ns, st.st_size, st.st_ino, st.st_mode)


@dataclass
class Inventory:
    """The regular files (path -> stamp) and directories under a root."""

    root: str
    files: dict[str, Stamp] = field(default_factory=dict)
    dirs: set[str] = field(default_factory=set)
    truncated: bool = False
    taken_ns: int = 0


def take_inventory(root: str, max_files: int = MAX_FILES) -> Inventory:
    """List `root` depth-first in name order, skipping `SKIP_DIRS` and symlinks."""
    inventory = Inventory(root=root, taken_ns=time.time_ns())
    files, dirs = inventory.files, inventory.dirs
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError:
            continue
        subdirs: list[str] = []
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode):
                if entry.name not in SKIP_DIRS:
                    subdirs.append(entry.path)
            elif stat.S_ISREG(st.st_mode):
                files[entry.path] = stamp_of(st)
            if len(files) >= max_files or len(dirs) + len(subdirs) >= max_files:
                inventory.truncated = True
                dirs.update(subdirs)
                return inventory
        dirs.update(subdirs)
        stack.extend(reversed(subdirs))
    return inventory


def is_text(data: bytes) -> bool:
    """UTF-8 without NUL bytes."""
    if b"\0" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def read_small(path: str, limit: int = MAX_FILE_BYTES) -> bytes | None:
    """The file's bytes, or None when it is larger than `limit`. OSError propagates."""
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    return data if len(data) <= limit else None


@dataclass(slots=True)
class Cached:
    """A file's stamp and, when it is small text, its compressed content."""

    stamp: Stamp
    data: bytes | None
    problem: str | None
    read_ns: int
    size: int = 0

    def content(self) -> bytes | None:
        """The uncompressed content (None when not kept)."""
        return zlib.decompress(self.data) if self.data is not None else None

    @property
    def racy(self) -> bool:
        return self.stamp.mtime_ns >= self.read_ns - RACY_NS


class ContentCache:
    """The text of the workspace's small text files, as of the last `refresh`."""

    def __init__(self, max_file: int = MAX_FILE_BYTES, max_total: int = MAX_TOTAL_BYTES) -> None:
        self.max_file = max_file
        self.max_total = max_total
        self.entries: dict[str, Cached] = {}
        self.total = 0  # uncompressed bytes held

    def refresh(self, inventory: Inventory) -> None:
        """Make the cache match `inventory`: forget gone files, read new and changed ones."""
        files = inventory.files
        for path in [p for p in self.entries if p not in files]:
            self._drop(path)
        for path, stamp in files.items():
            entry = self.entries.get(path)
            if (
                entry is not None
                and entry.stamp == stamp
                and entry.problem != OVER_BUDGET
                and not entry.racy
            ):
                continue
            self._read(path, stamp)

    def _drop(self, path: str) -> None:
        entry = self.entries.pop(path, None)
        if entry is not None:
            self.total -= entry.size

    def _read(self, path: str, stamp: Stamp) -> None:
        self._drop(path)
        now = time.time_ns()
        if stamp.size > self.max_file:
            self.entries[path] = Cached(stamp, None, LARGE, now)
            return
        if self.total + stamp.size > self.max_total:
            self.entries[path] = Cached(stamp, None, OVER_BUDGET, now)
            return
        try:
            data = read_small(path, self.max_file)
        except OSError:
            self.entries[path] = Cached(stamp, None, UNREADABLE, now)
            return
        if data is None:
            self.entries[path] = Cached(stamp, None, LARGE, now)
        elif not is_text(data):
            self.entries[path] = Cached(stamp, None, BINARY, now)
        else:
            self.entries[path] = Cached(stamp, zlib.compress(data, 1), None, now, len(data))
            self.total += len(data)
