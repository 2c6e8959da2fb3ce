"""apply_patch: the `*** Begin Patch` edit format OpenAI's coding models are trained on.

Pure Python, no editor dependency. The changes it computes are `core.text.FileChange`s
(lines, hunks, diffs and writing live in `core.text`). Typical use::

    changes = compute_changes(patch_text, cwd, read_text)  # PatchParseError/PatchApplyError
    write_changes(changes)            # core.text.write_changes, or send them to the editor
    output = summarize(changes, cwd)
"""

from __future__ import annotations

from .apply import ReadText, compute_changes, summarize
from .errors import ApplyPatchError, PatchApplyError, PatchParseError
from .parser import AddFile, DeleteFile, Patch, UpdateChunk, UpdateFile, parse_patch
from .spec import LARK_GRAMMAR, TOOL_NAME, custom_tool_spec, function_tool_spec

__all__ = [
    "LARK_GRAMMAR",
    "TOOL_NAME",
    "AddFile",
    "ApplyPatchError",
    "DeleteFile",
    "Patch",
    "PatchApplyError",
    "PatchParseError",
    "ReadText",
    "UpdateChunk",
    "UpdateFile",
    "compute_changes",
    "custom_tool_spec",
    "function_tool_spec",
    "parse_patch",
    "summarize",
]
