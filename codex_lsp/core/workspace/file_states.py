"""Files as they were and as they are: captured originals, observed states, and the unified
diff between them (built with `core.text`'s hunks and diff writers)."""

from __future__ import annotations

import hashlib
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

from ..text import added_file_diff, deleted_file_diff, split_lines, text_change
from .inventory import MAX_FILE_BYTES, Stamp, is_text, read_small, stamp_of


@dataclass(frozen=True, slots=True)
class Original:
    """A file before the turn: absent, captured (compressed bytes), or not restorable."""

    exists: bool
    data: bytes | None = None
    mode: int | None = None
    problem: str | None = None

    @staticmethod
    def of_bytes(content: bytes, mode: int | None = None) -> Original:
        return Original(True, zlib.compress(content, 1), mode)

    def content(self) -> bytes | None:
        """The original bytes (None when absent or not captured)."""
        return zlib.decompress(self.data) if self.data is not None else None


ABSENT = Original(False)


@dataclass(frozen=True, slots=True)
class Seen:
    """A file as observed: whether it exists, a digest of its content when it was read,
    its stamp when it came from the disk."""

    exists: bool
    digest: str | None = None
    stamp: Stamp | None = None

    def same_as(self, other: Seen) -> bool:
        """Same content (by digest, or by stamp when a side has no digest)."""
        if self.exists != other.exists:
            return False
        if not self.exists:
            return True
        if self.digest is not None and other.digest is not None:
            return self.digest == other.digest
        return self.stamp is not None and self.stamp == other.stamp


def observe(path: Path, buffer_text: str | None) -> tuple[Seen, bytes | None]:
    """A file's current state and content (None when absent, large or unreadable)."""
    if buffer_text is not None:
        encoded = buffer_text.encode("utf-8", errors="surrogateescape")
        return Seen(True, hashlib.sha256(encoded).hexdigest()), encoded
    try:
        st = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return Seen(False), None
    except OSError:
        return Seen(True), None  # unknown: never the same as anything
    stamp = stamp_of(st)
    try:
        data = read_small(str(path)) if st.st_size <= MAX_FILE_BYTES else None
    except OSError:
        data = None
    if data is None:
        return Seen(True, None, stamp), None
    return Seen(True, hashlib.sha256(data).hexdigest(), stamp), data


def _text(data: bytes | None) -> str | None:
    return data.decode("utf-8") if data is not None and is_text(data) else None


def binary_diff(label: str, before: bool, after: bool) -> str:
    old = f"a/{label}" if not label.startswith("/") else label
    new = f"b/{label}" if not label.startswith("/") else label
    return (
        f"diff --git {old} {new}\n"
        f"Binary files {old if before else '/dev/null'} and {new if after else '/dev/null'} "
        "differ\n"
    )


def file_diff(label: str, original: Original, exists: bool, data: bytes | None) -> str:
    """The unified diff of one file from its original to its current content."""
    if not original.exists and not exists:
        return ""
    old = original.content()
    if original.exists and exists and old is not None and old == data:
        return ""
    old_text, new_text = _text(old), _text(data)
    if (original.exists and old_text is None) or (exists and new_text is None):
        return binary_diff(label, original.exists, exists)
    if not original.exists:
        return added_file_diff(label, split_lines(new_text or ""))
    if not exists:
        return deleted_file_diff(label, split_lines(old_text or ""))
    assert old_text is not None and new_text is not None
    return text_change(label, old_text, new_text)[1]


def label_of(root: Path, path: Path) -> str:
    """A path as diffs show it: relative to the root when inside it."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
