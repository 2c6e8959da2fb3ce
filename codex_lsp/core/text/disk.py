"""File text on disk: read as it is (line endings untouched); changes written atomically per
file, file mode bits kept."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from .changes import FileChange


def read_disk_text(path: Path) -> str | None:
    """A file's text as on disk (line endings untouched), or None when it does not exist."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return handle.read()
    except (FileNotFoundError, NotADirectoryError):
        return None


def write_changes(changes: Sequence[FileChange]) -> None:
    """Apply `changes` to disk, in order.

    Add and Update write the whole new text to a temporary file beside the target, then
    `os.replace` it over the target (readers never see a half-written file); parent
    directories are created. An updated file keeps its permission bits; an updated symlink
    is followed (the file it points to is written). A move writes the destination (with the
    source's mode), then removes the source. Delete removes the file. OS errors propagate;
    changes written before the failing one stay written.
    """
    for change in changes:
        if change.kind == "delete":
            os.unlink(change.path)
            continue
        text = change.new_text or ""
        if change.kind == "add":
            _atomic_write(change.path, text, None)
            continue
        source = Path(os.path.realpath(change.path))
        mode = _mode_of(source)
        if change.move_path is None:
            _atomic_write(source, text, mode)
        else:
            _atomic_write(change.move_path, text, mode)
            os.unlink(change.path)


def _mode_of(path: Path) -> int | None:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return None


def _atomic_write(path: Path, text: str, mode: int | None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    for attempt in range(100):
        temp = path.with_name(f".{path.name}.{os.getpid()}.{attempt}.apply_patch.tmp")
        try:
            # 0o666 minus the umask, as a plain open() would create it.
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        break
    else:
        raise FileExistsError(f"cannot create a temporary file beside {path}")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if mode is not None:
            os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
