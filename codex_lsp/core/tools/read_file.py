"""`read_file`: numbered lines of a text file, from the editor's buffer when the file is
open there (so the model sees unsaved edits), else from disk."""

from __future__ import annotations

import asyncio
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
from .fs_common import (
    BINARY_SNIFF_BYTES,
    buffer_text,
    describe_os_error,
    looks_binary,
    resolve_path,
    truncate_utf8,
)

DEFAULT_LIMIT = 2000
# Longer lines are cut (at a UTF-8 character boundary) to this many bytes.
MAX_LINE_BYTES = 500

_DESCRIPTION = (
    "Reads a text file and returns its lines, each prefixed with its 1-based line number "
    "as `L<n>: `. Lines longer than 500 bytes are cut. Use `offset` and `limit` to read a "
    "large file in windows. Files open in the editor are read with their unsaved changes."
)


class ReadFileArgs(BaseModel):
    """The model's arguments."""

    model_config = ConfigDict(extra="ignore")

    file_path: str
    offset: int = 1
    limit: int = DEFAULT_LIMIT


class ReadFileTool:
    """The `read_file` tool. Stateless; one instance serves every thread."""

    name = "read_file"
    parallel_safe = True

    def spec(self, caps: ToolCaps) -> dict[str, Any] | None:
        return function_tool(
            self.name,
            _DESCRIPTION,
            {
                "file_path": {
                    "type": "string",
                    "description": "Path of the file: absolute, or relative to the "
                    "working directory.",
                },
                "offset": {
                    "type": "number",
                    "description": "1-based number of the first line to return (default 1).",
                },
                "limit": {
                    "type": "number",
                    "description": f"Most lines to return (default {DEFAULT_LIMIT}).",
                },
            },
            ["file_path"],
        )

    async def run(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        args = parse_arguments(call, ReadFileArgs)
        if args.offset < 1:
            raise ToolError("offset must be a 1-based line number (1 or more)")
        if args.limit < 1:
            raise ToolError("limit must be greater than zero")
        path = resolve_path(ctx.cwd, args.file_path)

        text = await buffer_text(ctx.workspace, path)
        if text is not None:
            if "\x00" in text[:BINARY_SNIFF_BYTES]:
                raise _binary_error(path)
            lines, total = _window(_split_text(text), args.offset, args.limit)
        else:
            lines, total = await asyncio.to_thread(_read_disk, path, args.offset, args.limit)

        if total == 0:
            return ToolResult(f"{path} is empty (0 lines)")
        if args.offset > total:
            raise ToolError(
                f"offset {args.offset} is past the end of {path} "
                f"(it has {total} line{'s' if total != 1 else ''})"
            )
        first = args.offset
        return ToolResult("\n".join(f"L{first + i}: {line}" for i, line in enumerate(lines)))


def _binary_error(path: Path) -> ToolError:
    return ToolError(
        f"{path} looks like a binary file (it contains NUL bytes); read_file only reads text"
    )


def _split_text(text: str) -> list[str]:
    """Lines split on `\\n` only (a trailing newline ends the last line; `\\r` dropped)."""
    if not text:
        return []
    parts = text.split("\n")
    if parts[-1] == "":
        parts.pop()
    return [p[:-1] if p.endswith("\r") else p for p in parts]


def _window(lines: list[str], offset: int, limit: int) -> tuple[list[str], int]:
    chosen = lines[offset - 1 : offset - 1 + limit]
    return [truncate_utf8(line, MAX_LINE_BYTES) for line in chosen], len(lines)


def _read_disk(path: Path, offset: int, limit: int) -> tuple[list[str], int]:
    """The chosen lines of a file on disk and how many lines were seen (it stops reading
    once the window is full, so `total` is exact only when the window is not full)."""
    try:
        if path.is_dir():
            raise ToolError(f"{path} is a directory, not a file; use list_dir to list it")
        with open(path, "rb") as fh:
            if looks_binary(fh.read(BINARY_SNIFF_BYTES)):
                raise _binary_error(path)
            fh.seek(0)
            out: list[str] = []
            seen = 0
            for raw in fh:
                seen += 1
                if seen < offset:
                    continue
                if len(out) == limit:
                    break
                line = raw[:-1] if raw.endswith(b"\n") else raw
                if line.endswith(b"\r"):
                    line = line[:-1]
                # Decoding only the first bytes is enough for a 500-byte cut.
                head = line[: MAX_LINE_BYTES + 4].decode("utf-8", errors="replace")
                out.append(truncate_utf8(head, MAX_LINE_BYTES))
            return out, seen
    except FileNotFoundError:
        raise ToolError(f"file not found: {path}") from None
    except IsADirectoryError:
        raise ToolError(f"{path} is a directory, not a file; use list_dir to list it") from None
    except OSError as exc:
        raise ToolError(f"cannot read {path}: {describe_os_error(exc)}") from None
