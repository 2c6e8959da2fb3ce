"""Files and folders only their owner can read (0600 / 0700), whatever the umask.

Everything the server keeps under `$CODEX_HOME` that holds conversations, logs or
credentials is created through these helpers: rollouts, the thread index, rate limits,
auth.json, config.toml, the log file. The process umask is never changed: in the same
process the agent creates the user's files in the workspace, which must get normal modes.

Files and folders are created with the private mode and then set to exactly that mode (a
umask such as 0277 would otherwise leave the owner without write access). A file that
already exists with a looser mode is tightened when it is opened through here, unless the
caller asks to keep its mode (config.toml, which the user may have shared on purpose).
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import tempfile
from pathlib import Path
from typing import Literal

FILE_MODE = 0o600
DIR_MODE = 0o700

_FLAGS = {
    "xb": os.O_WRONLY | os.O_CREAT | os.O_EXCL,
    "ab": os.O_WRONLY | os.O_CREAT | os.O_APPEND,
    "wb": os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
}
OpenMode = Literal["xb", "ab", "wb"]


def private_dir(path: Path, *, tighten: bool = False) -> Path:
    """Create `path` and its missing parents with mode 0700 (like `mkdir -p`); returns it.

    Folders that already exist keep their mode, except `path` itself when `tighten` is
    set (a folder an older version created with a looser mode). Raises `FileExistsError`
    when `path` exists and is not a folder.
    """
    missing: list[Path] = []
    current = path
    while not current.is_dir():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, DIR_MODE)
        except FileExistsError:
            if not folder.is_dir():
                raise
            continue  # another thread or process made it (with its own mode)
        _set_mode(folder, DIR_MODE)
    if tighten:
        restrict(path, DIR_MODE)
    return path


def restrict(path: Path | str, mode: int = FILE_MODE) -> None:
    """Set an existing file or folder to `mode` if it allows more (best effort: a missing
    path, or one owned by someone else, is left as it is)."""
    with contextlib.suppress(OSError):
        current = stat.S_IMODE(os.stat(path).st_mode)
        if current & ~mode:
            os.chmod(path, mode)


def _set_mode(path: Path, mode: int) -> None:
    with contextlib.suppress(OSError):
        os.chmod(path, mode)


def _restrict_fd(fd: int) -> None:
    fchmod = getattr(os, "fchmod", None)  # not on Windows before Python 3.13
    with contextlib.suppress(OSError):
        if fchmod is not None and stat.S_IMODE(os.fstat(fd).st_mode) != FILE_MODE:
            fchmod(fd, FILE_MODE)


def open_private(path: Path, mode: OpenMode) -> io.BufferedWriter:
    """Open `path` for binary writing (`xb` create, `ab` append, `wb` truncate) as a 0600
    file; an existing file is set to 0600. The parent folder must exist."""
    fd = os.open(path, _FLAGS[mode], FILE_MODE)
    try:
        _restrict_fd(fd)
        file = os.fdopen(fd, mode)
    except BaseException:
        os.close(fd)
        raise
    assert isinstance(file, io.BufferedWriter)
    return file


def ensure_private_file(path: Path | str, *, tighten: bool = True) -> None:
    """Make sure `path` exists as a 0600 file (empty if new), e.g. before a library that
    creates files with default modes (SQLite, `logging.FileHandler`) opens it. An existing
    file is set to 0600 unless `tighten` is False. The parent folder must exist."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        if tighten:
            restrict(path)
        return
    try:
        _restrict_fd(fd)
    finally:
        os.close(fd)


def write_private_atomic(path: Path, data: str | bytes, *, keep_mode: bool = False) -> None:
    """Replace `path` with `data`: a 0600 temp file in the same folder, fsync,
    `os.replace`, fsync of the folder. Missing folders are created 0700.

    The result is 0600, or with `keep_mode` the mode `path` had (0600 when it is new).
    """
    private_dir(path.parent)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            _restrict_fd(fd)
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if keep_mode:
            with contextlib.suppress(FileNotFoundError):
                os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    """Make a rename in `path` durable (best effort: not every platform allows it)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
