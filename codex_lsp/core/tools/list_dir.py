"""`list_dir`: a directory as an indented tree, a window of entries at a time."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from .base import (
    ToolCall,
    ToolCaps,
    ToolContext,
    ToolError,
    ToolResult,
    function_tool,
    parse_arguments,
)
from .fs_common import describe_os_error, resolve_path, truncate_utf8

DEFAULT_LIMIT = 25
DEFAULT_DEPTH = 2
INDENT = "  "
MAX_NAME_BYTES = 500
# A listing never walks more than this many entries (a deep node_modules, say).
MAX_WALKED_ENTRIES = 100_000

_DESCRIPTION = (
    "Lists a directory as a tree: entries sorted by name, children indented under their "
    "directory, `/` after directories, `@` after symbolic links (not followed), `?` after "
    "other special files. `depth` is how many levels to descend (1: the directory's own "
    "entries). `offset` and `limit` page through the entries."
)


class ListDirArgs(BaseModel):
    """The model's arguments."""

    model_config = ConfigDict(extra="ignore")

    dir_path: str
    offset: int = 1
    limit: int = DEFAULT_LIMIT
    depth: int = DEFAULT_DEPTH


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    level: int
    suffix: str

    def line(self) -> str:
        return f"{INDENT * self.level}{self.name}{self.suffix}"


class ListDirTool:
    """The `list_dir` tool. Stateless."""

    name = "list_dir"
    parallel_safe = True

    def spec(self, caps: ToolCaps) -> dict[str, Any] | None:
        return function_tool(
            self.name,
            _DESCRIPTION,
            {
                "dir_path": {
                    "type": "string",
                    "description": "Directory to list: absolute, or relative to the "
                    "working directory.",
                },
                "offset": {
                    "type": "number",
                    "description": "1-based number of the first entry to return (default 1).",
                },
                "limit": {
                    "type": "number",
                    "description": f"Most entries to return (default {DEFAULT_LIMIT}).",
                },
                "depth": {
                    "type": "number",
                    "description": f"How many levels to descend (default {DEFAULT_DEPTH}).",
                },
            },
            ["dir_path"],
        )

    async def run(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        args = parse_arguments(call, ListDirArgs)
        if args.offset < 1:
            raise ToolError("offset must be a 1-based entry number (1 or more)")
        if args.limit < 1:
            raise ToolError("limit must be greater than zero")
        if args.depth < 1:
            raise ToolError("depth must be greater than zero")
        path = resolve_path(ctx.cwd, args.dir_path)
        entries, capped = await asyncio.to_thread(_walk, path, args.depth)

        header = f"Absolute path: {path}"
        if not entries:
            return ToolResult(f"{header}\n(empty directory)")
        start = args.offset - 1
        if start >= len(entries):
            raise ToolError(
                f"offset {args.offset} is past the last entry ({len(entries)} entries "
                f"at depth {args.depth})"
            )
        end = min(start + args.limit, len(entries))
        lines = [header, *(entry.line() for entry in entries[start:end])]
        if end < len(entries):
            more = len(entries) - end
            total = f"more than {len(entries)}" if capped else str(len(entries))
            lines.append(
                f"... {more}{'+' if capped else ''} more entries ({total} in all); "
                f"call again with offset={end + 1} to see them"
            )
        elif capped:
            lines.append(f"... listing stopped after {MAX_WALKED_ENTRIES} entries")
        return ToolResult("\n".join(lines))


def _walk(root: Path, depth: int) -> tuple[list[_Entry], bool]:
    """Every entry down to `depth` levels in tree order, and whether the walk was capped."""
    try:
        if not root.exists():
            raise ToolError(f"directory not found: {root}")
        if not root.is_dir():
            raise ToolError(f"{root} is not a directory; use read_file to read a file")
        top = _scan(root)
    except OSError as exc:
        raise ToolError(f"cannot list {root}: {describe_os_error(exc)}") from None

    out: list[_Entry] = []
    # Depth-first with an explicit stack of (entries still to emit, reversed; level).
    stack: list[tuple[list[os.DirEntry[str]], int]] = [(top[::-1], 0)]
    while stack:
        pending, level = stack[-1]
        if not pending:
            stack.pop()
            continue
        entry = pending.pop()
        if len(out) >= MAX_WALKED_ENTRIES:
            return out, True
        suffix, is_dir = _kind(entry)
        name = truncate_utf8(entry.name, MAX_NAME_BYTES)
        out.append(_Entry(name, level, suffix))
        if is_dir and level + 1 < depth:
            try:
                children = _scan(Path(entry.path))
            except OSError:
                continue  # unreadable: shown, not expanded
            if children:
                stack.append((children[::-1], level + 1))
    return out, False


def _scan(directory: Path) -> list[os.DirEntry[str]]:
    with os.scandir(directory) as it:
        return sorted(it, key=lambda e: e.name)


def _kind(entry: os.DirEntry[str]) -> tuple[str, bool]:
    """The entry's suffix and whether it is a directory to descend into."""
    try:
        if entry.is_symlink():
            return "@", False
        if entry.is_dir(follow_symlinks=False):
            return "/", True
        if entry.is_file(follow_symlinks=False):
            return "", False
    except OSError:
        pass
    return "?", False
