"""apply_patch: the `*** Begin Patch` edit format OpenAI's coding models are trained on.

Pure Python, no editor dependency. Typical use::

    changes = compute_changes(patch_text, cwd, read_text)  # PatchParseError/PatchApplyError
    write_changes(changes)                                  # or send them to the editor
    output = summarize(changes, cwd)
"""

from __future__ import annotations

from .apply import FileChange, ReadText, compute_changes, read_disk_text, summarize
from .errors import ApplyPatchError, PatchApplyError, PatchParseError
from .hunks import Hunk, apply_hunks, hunks_applied
from .parser import AddFile, DeleteFile, Patch, UpdateChunk, UpdateFile, parse_patch
from .spec import LARK_GRAMMAR, TOOL_NAME, custom_tool_spec, function_tool_spec
from .text import split_lines
from .write import write_changes

__all__ = [
    "LARK_GRAMMAR",
    "TOOL_NAME",
    "AddFile",
    "ApplyPatchError",
    "DeleteFile",
    "FileChange",
    "Hunk",
    "Patch",
    "PatchApplyError",
    "PatchParseError",
    "ReadText",
    "UpdateChunk",
    "UpdateFile",
    "apply_hunks",
    "compute_changes",
    "custom_tool_spec",
    "function_tool_spec",
    "hunks_applied",
    "parse_patch",
    "read_disk_text",
    "split_lines",
    "summarize",
    "write_changes",
]
