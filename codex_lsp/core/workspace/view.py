"""What the agent reads: the editor's open buffer when there is one, else the disk."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

# Returns the text of the open editor buffer for a path, or None when it is not open.
BufferReader = Callable[[Path], str | None]


class WorkspaceView:
    """Reads files the way the user sees them (unsaved edits included)."""

    def __init__(self, buffers: BufferReader | None = None) -> None:
        self._buffers = buffers

    def buffer_text(self, path: Path) -> str | None:
        """The open buffer's text, or None when the file is not open in the editor."""
        return self._buffers(path) if self._buffers is not None else None

    def read_text(self, path: Path) -> str | None:
        """The buffer's text if open, else the file on disk, else None (no such file)."""
        text = self.buffer_text(path)
        if text is not None:
            return text
        try:
            data = path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None
        return data.decode("utf-8", errors="surrogateescape")
