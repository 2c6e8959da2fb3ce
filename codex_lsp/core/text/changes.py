"""What an edit does to one file: the `FileChange` model shared by apply_patch, the
workspace (undo, snapshots) and the server's WorkspaceEdits."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .hunks import Hunk


@dataclass(frozen=True)
class FileChange:
    """What one file operation (of a patch, an undo, a restore) does.

    `path` is absolute; for a move, `move_path` is the absolute destination. `old_text` is
    None for an add, `new_text` None for a delete. `diff` is a unified diff (see `diff`).
    `hunks` are minimal line replacements of `old_text` giving `new_text` (an add is one
    hunk inserting every line, a delete one hunk removing every line, a pure move none).
    """

    path: Path
    kind: Literal["add", "delete", "update"]
    move_path: Path | None
    old_text: str | None
    new_text: str | None
    diff: str
    hunks: list[Hunk]

    def to_protocol(self) -> dict[str, Any]:
        """The `fileChange` item's entry: `{path, kind: {type, movePath}, diff}`."""
        move = str(self.move_path) if self.move_path is not None else None
        return {
            "path": str(self.path),
            "kind": {"type": self.kind, "movePath": move},
            "diff": self.diff,
        }
