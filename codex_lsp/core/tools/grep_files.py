"""`grep_files`: the files whose contents match a regular expression, newest first.

Uses ripgrep when it is on PATH (it honours `.gitignore`); otherwise a pure-Python walk
that skips hidden entries, `node_modules` and binary files."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import threading
import time
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
from .fs_common import BINARY_SNIFF_BYTES, looks_binary, resolve_path

DEFAULT_LIMIT = 100
MAX_LIMIT = 2000
TIMEOUT_SECONDS = 30.0
NO_MATCHES = "No matches found."
# The Python fallback does not open files larger than this.
MAX_FILE_BYTES = 16 * 1024 * 1024
SKIPPED_DIRS = frozenset({"node_modules", "__pycache__"})

_DESCRIPTION = (
    "Finds the files whose contents match a regular expression and returns their paths, "
    "most recently modified first (file names only, not the matching lines). "
    "`include` narrows the search to files matching a glob such as `*.py` or "
    "`*.{ts,tsx}`; `path` is the directory (or file) to search, the working directory "
    "by default."
)


class GrepFilesArgs(BaseModel):
    """The model's arguments."""

    model_config = ConfigDict(extra="ignore")

    pattern: str
    include: str | None = None
    path: str | None = None
    limit: int = DEFAULT_LIMIT


class GrepFilesTool:
    """The `grep_files` tool.

    `rg_command`: the ripgrep program to use when found on PATH (None: always use the
    Python search). `timeout` bounds one search, in seconds."""

    name = "grep_files"
    parallel_safe = True

    def __init__(self, rg_command: str | None = "rg", timeout: float = TIMEOUT_SECONDS) -> None:
        self.rg_command = rg_command
        self.timeout = timeout

    def spec(self, caps: ToolCaps) -> dict[str, Any] | None:
        return function_tool(
            self.name,
            _DESCRIPTION,
            {
                "pattern": {
                    "type": "string",
                    "description": "Regular expression to search file contents for.",
                },
                "include": {
                    "type": "string",
                    "description": "Optional glob of the files to search "
                    '(e.g. "*.rs" or "*.{ts,tsx}").',
                },
                "path": {
                    "type": "string",
                    "description": "Directory or file to search (default: the working directory).",
                },
                "limit": {
                    "type": "number",
                    "description": f"Most file paths to return (default {DEFAULT_LIMIT}, "
                    f"at most {MAX_LIMIT}).",
                },
            },
            ["pattern"],
        )

    async def run(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        args = parse_arguments(call, GrepFilesArgs)
        pattern = args.pattern.strip()
        if not pattern:
            raise ToolError("pattern must not be empty")
        if args.limit < 1:
            raise ToolError("limit must be greater than zero")
        limit = min(args.limit, MAX_LIMIT)
        root = resolve_path(ctx.cwd, args.path) if args.path else resolve_path(ctx.cwd, ".")
        if not await asyncio.to_thread(os.path.exists, root):
            raise ToolError(f"path not found: {root}")
        include = (args.include or "").strip() or None

        rg = shutil.which(self.rg_command) if self.rg_command else None
        if rg is not None:
            is_dir = await asyncio.to_thread(os.path.isdir, root)
            paths = await self._ripgrep(rg, pattern, include, root, is_dir)
            note = ""
        else:
            paths, note = await self._python(pattern, include, root)
        if not paths:
            return ToolResult(NO_MATCHES + note, success=False)
        return ToolResult("\n".join(paths[:limit]) + note)

    async def _ripgrep(
        self, rg: str, pattern: str, include: str | None, root: Path, is_dir: bool
    ) -> list[str]:
        # Not `--sortr=modified`: it sorts each directory's entries during the walk (so
        # directories by their own mtime) and makes rg single-threaded. Sorted below.
        argv = [rg, "--files-with-matches", "--no-messages", "--regexp", pattern]
        if include:
            argv += ["--glob", include]
        argv += ["--", str(root)]
        try:
            # Globs with a `/` are matched relative to rg's working directory.
            proc = await asyncio.create_subprocess_exec(
                *argv,
                cwd=root if is_dir else root.parent,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            raise ToolError(f"could not start ripgrep ({rg}): {exc}") from None
        try:
            out, err = await asyncio.wait_for(proc.communicate(), self.timeout)
        except TimeoutError:
            raise ToolError(f"rg timed out after {self.timeout:g} seconds") from None
        finally:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                with contextlib.suppress(Exception):
                    await asyncio.shield(proc.wait())
        paths = [line for line in out.decode("utf-8", errors="replace").splitlines() if line]
        if proc.returncode == 1 or (proc.returncode == 0 and not paths):
            return []
        if proc.returncode != 0 and not paths:
            message = err.decode("utf-8", errors="replace").strip() or f"exit {proc.returncode}"
            raise ToolError(f"rg failed: {message}")
        return await asyncio.to_thread(_newest_first, paths)

    async def _python(self, pattern: str, include: str | None, root: Path) -> tuple[list[str], str]:
        try:
            regex = re.compile(pattern, re.MULTILINE)
        except re.error as exc:
            raise ToolError(f"invalid regular expression {pattern!r}: {exc}") from None
        matcher = GlobMatcher(include) if include else None
        stop = threading.Event()
        deadline = time.monotonic() + self.timeout
        try:
            found, timed_out = await asyncio.to_thread(
                _search, root, regex, matcher, deadline, stop
            )
        except asyncio.CancelledError:
            stop.set()
            raise
        found.sort(key=lambda hit: (-hit[0], hit[1]))
        note = f"\n(search stopped after {self.timeout:g} seconds; results are partial)"
        return [path for _, path in found], note if timed_out else ""


def _newest_first(paths: list[str]) -> list[str]:
    def mtime(path: str) -> float:
        try:
            return os.stat(path).st_mtime
        except OSError:
            return 0.0

    stamped = [(mtime(path), path) for path in paths]
    stamped.sort(key=lambda hit: (-hit[0], hit[1]))
    return [path for _, path in stamped]


def _search(
    root: Path,
    regex: re.Pattern[str],
    matcher: GlobMatcher | None,
    deadline: float,
    stop: threading.Event,
) -> tuple[list[tuple[float, str]], bool]:
    """(mtime, path) of every matching file; True when the deadline cut the walk short."""
    found: list[tuple[float, str]] = []
    if root.is_file():
        hit = _match_file(str(root), regex)
        return ([hit] if hit else []), False
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d not in SKIPPED_DIRS]
        for name in filenames:
            if stop.is_set():
                return found, False
            if time.monotonic() > deadline:
                return found, True
            if name.startswith("."):
                continue
            path = os.path.join(dirpath, name)
            if matcher is not None and not matcher.matches(os.path.relpath(path, root)):
                continue
            hit = _match_file(path, regex)
            if hit:
                found.append(hit)
    return found, False


def _match_file(path: str, regex: re.Pattern[str]) -> tuple[float, str] | None:
    try:
        st = os.stat(path)
        if not os.path.isfile(path) or st.st_size > MAX_FILE_BYTES:
            return None
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    if looks_binary(data[:BINARY_SNIFF_BYTES]):
        return None
    if regex.search(data.decode("utf-8", errors="replace")) is None:
        return None
    return st.st_mtime, path


@dataclass(frozen=True)
class _Glob:
    regex: re.Pattern[str]
    negated: bool
    basename_only: bool


class GlobMatcher:
    """A ripgrep-style `--glob`: `*`, `?`, `[...]`, `**`, `{a,b}`; a leading `!` excludes;
    a glob without `/` is matched against the file name, else against the path relative
    to the search root."""

    def __init__(self, glob: str) -> None:
        negated = glob.startswith("!")
        body = glob[1:] if negated else glob
        self._globs = [
            _Glob(
                re.compile(_glob_regex(alt.lstrip("/"))),
                negated,
                "/" not in alt.rstrip("/"),
            )
            for alt in expand_braces(body)
        ]

    def matches(self, relpath: str) -> bool:
        rel = relpath.replace(os.sep, "/")
        name = rel.rsplit("/", 1)[-1]
        hit = any(g.regex.fullmatch(name if g.basename_only else rel) for g in self._globs)
        negated = bool(self._globs) and self._globs[0].negated
        return not hit if negated else hit


def expand_braces(glob: str) -> list[str]:
    """`a.{b,c}` -> [`a.b`, `a.c`] (nested braces too); unbalanced braces stay literal."""
    depth = 0
    start = -1
    for i, ch in enumerate(glob):
        if ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}" and depth:
            depth -= 1
            if depth == 0:
                options = _split_top_level(glob[start + 1 : i])
                if len(options) < 2:
                    continue
                head, tail = glob[:start], glob[i + 1 :]
                out: list[str] = []
                for option in options:
                    out.extend(expand_braces(head + option + tail))
                return out
    return [glob]


def _split_top_level(text: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    current = ""
    for ch in text:
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        current += ch
    parts.append(current)
    return parts


def _glob_regex(glob: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        elif glob[i] == "[" and (end := glob.find("]", i + 2)) != -1:
            inner = glob[i + 1 : end]
            if inner.startswith("!"):
                inner = "^" + inner[1:]
            out.append("[" + inner.replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return "".join(out)
