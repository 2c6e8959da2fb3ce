"""Text and file changes, independent of any edit format or editor: lines split on "\\n"
(`lines`), hunks and finding which of them a document contains (`hunks`), unified diffs
(`diff`), the `FileChange` model (`changes`), reading and atomically writing files (`disk`).

Used by apply_patch, the workspace (undo, snapshots) and the server's WorkspaceEdits.
Imports nothing else of the project.
"""

from __future__ import annotations

from .changes import FileChange
from .diff import added_file_diff, deleted_file_diff, text_change, updated_file_diff
from .disk import read_disk_text, write_changes
from .hunks import Hunk, apply_hunks, hunks_applied, hunks_between
from .lines import split_lines

__all__ = [
    "FileChange",
    "Hunk",
    "added_file_diff",
    "apply_hunks",
    "deleted_file_diff",
    "hunks_applied",
    "hunks_between",
    "read_disk_text",
    "split_lines",
    "text_change",
    "updated_file_diff",
    "write_changes",
]
