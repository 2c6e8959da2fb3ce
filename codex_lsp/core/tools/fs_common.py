"""Small helpers shared by the read-only file tools (read_file, list_dir, grep_files,
view_image): resolving the model's paths, cutting text at UTF-8 boundaries, spotting
binary data, and reading the editor's unsaved buffers."""

from __future__ import annotations

import inspect
import os
from pathlib import Path
from typing import Any, Protocol

from .base import ToolError

# How much of a file is looked at to decide whether it is binary (as git does).
BINARY_SNIFF_BYTES = 8192


class BufferSource(Protocol):
    """What the file tools need from the workspace view: the editor's text of a file when
    it is open (unsaved edits included), else None (the tool reads the disk itself)."""

    def read_text(self, path: Path) -> str | None: ...


def resolve_path(cwd: str, raw: str) -> Path:
    """The model's path as an absolute, normalised path (relative paths are taken from
    `cwd`, `~` is the home directory). Symlinks are left alone."""
    text = raw.strip()
    if not text:
        raise ToolError("the path is empty")
    path = Path(os.path.expanduser(text))
    if not path.is_absolute():
        path = Path(cwd) / path
    return Path(os.path.normpath(path))


def truncate_utf8(text: str, max_bytes: int) -> str:
    """`text` cut to at most `max_bytes` bytes of UTF-8, never inside a character."""
    if len(text) * 4 <= max_bytes:
        return text
    data = text.encode("utf-8", errors="replace")
    if len(data) <= max_bytes:
        return text
    return data[:max_bytes].decode("utf-8", errors="ignore")


def looks_binary(data: bytes) -> bool:
    """True when the start of a file holds a NUL byte (what git and ripgrep go by)."""
    return b"\x00" in data[:BINARY_SNIFF_BYTES]


async def buffer_text(workspace: Any, path: Path) -> str | None:
    """The editor's unsaved text for `path` when the workspace view has it open, else
    None (the caller reads the disk).

    `workspace` is the context's `WorkspaceView` (or None). Its `buffer_text` (open
    buffers only) is preferred; a view with only `read_text` is asked that instead. Plain
    and async methods are both accepted. Lone surrogates (undecodable bytes) become
    U+FFFD so the text can be sent as JSON."""
    if workspace is None:
        return None
    reader = getattr(workspace, "buffer_text", None)
    if not callable(reader):
        source: BufferSource = workspace
        reader = source.read_text
    result: object = reader(path)
    if inspect.isawaitable(result):
        result = await result
    return clean_text(result) if isinstance(result, str) else None


def clean_text(text: str) -> str:
    """`text` with lone surrogates (from `surrogateescape` decoding) replaced by U+FFFD."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            data = text.encode("utf-8", errors="surrogateescape")
        except UnicodeEncodeError:
            data = text.encode("utf-8", errors="surrogatepass")
        return data.decode("utf-8", errors="replace")
    return text


def describe_os_error(exc: OSError) -> str:
    """A short reason for an OS error ("No such file or directory", ...)."""
    return exc.strerror or type(exc).__name__
