"""Parser of the `*** Begin Patch` format the model writes for apply_patch.

Grammar (one item per line; ``<path>`` is relative to the cwd or absolute)::

    *** Begin Patch
    ( *** Add File: <path>
      (+<line>)*
    | *** Delete File: <path>
    | *** Update File: <path>
      [*** Move to: <path>]
      chunk*                      -- at least one chunk unless the file is only moved
    )+
    *** End Patch

    chunk := ("@@" | "@@ <context line>")*   -- headers; several narrow the position
             (" "<context> | "-"<removed> | "+"<added>)+
             ["*** End of File"]             -- the chunk is anchored at the end of the file

Leniency, as Codex's parser: whitespace around the patch and around marker lines, a heredoc
wrapper (``<<'EOF'`` ... ``EOF``, also ``apply_patch <<'EOF'``), CRLF patch text, blank lines
between file sections, an empty line inside a chunk read as an empty context line, and a first
chunk without an ``@@`` header. Also accepted: a Markdown code fence around the patch,
unified-diff headers (``@@ -3,7 +3,8 @@ ctx``, whose numbers are ignored) and blank lines
between the ``+`` lines of an added file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, cast

from .errors import PatchParseError

BEGIN_PATCH = "*** Begin Patch"
END_PATCH = "*** End Patch"
ADD_FILE = "*** Add File:"
DELETE_FILE = "*** Delete File:"
UPDATE_FILE = "*** Update File:"
MOVE_TO = "*** Move to:"
END_OF_FILE = "*** End of File"

_FILE_HEADERS = (ADD_FILE, DELETE_FILE, UPDATE_FILE)
_HEREDOC_START = re.compile(r"^(?:apply_patch\s+|applypatch\s+)?<<-?\s*(['\"]?)(\w+)\1$")
_UNIFIED_HEADER = re.compile(r"^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@(?: (.*))?$")

OpKind = Literal[" ", "-", "+"]


@dataclass(frozen=True, slots=True)
class UpdateChunk:
    """One chunk of an Update: context headers, then the lines in the order written."""

    contexts: tuple[str, ...]
    """`@@ <line>` headers, searched for in order before the chunk's lines."""
    ops: tuple[tuple[OpKind, str], ...]
    """(" ", text) context, ("-", text) removed, ("+", text) added; texts without prefix."""
    is_end_of_file: bool
    line: int
    """1-based line of the patch text where the chunk starts."""

    @property
    def old_lines(self) -> list[str]:
        """The lines the chunk expects in the file (context and removed lines)."""
        return [text for kind, text in self.ops if kind != "+"]

    @property
    def new_lines(self) -> list[str]:
        """The lines that replace them (context and added lines)."""
        return [text for kind, text in self.ops if kind != "-"]


@dataclass(frozen=True, slots=True)
class AddFile:
    """`*** Add File: <path>` with its content lines."""

    path: str
    lines: tuple[str, ...]
    line: int

    @property
    def contents(self) -> str:
        """The new file's text: every line ends with a newline."""
        return "".join(f"{text}\n" for text in self.lines)


@dataclass(frozen=True, slots=True)
class DeleteFile:
    """`*** Delete File: <path>`."""

    path: str
    line: int


@dataclass(frozen=True, slots=True)
class UpdateFile:
    """`*** Update File: <path>`, optionally moved, with its chunks in file order."""

    path: str
    move_path: str | None
    chunks: tuple[UpdateChunk, ...]
    line: int


FileOperation = AddFile | DeleteFile | UpdateFile


@dataclass(frozen=True, slots=True)
class Patch:
    """A parsed patch: its file operations in the order written."""

    operations: tuple[FileOperation, ...]


def parse_patch(text: str) -> Patch:
    """Parse patch text; raises `PatchParseError` naming the line and what was expected."""
    lines = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
    first, last = _content_bounds(lines, 0, len(lines))
    if first > last:
        raise PatchParseError(1, "the patch is empty: expected '*** Begin Patch'")
    first, last = _strip_heredoc(lines, first, last)
    if first > last or lines[first].strip() != BEGIN_PATCH:
        got = lines[first] if first <= last else "the end of the patch"
        raise PatchParseError(first + 1, f"expected '*** Begin Patch', got {_show(got)}")
    if first == last:
        raise PatchParseError(
            first + 2, "expected a file header or '*** End Patch', got the end of the patch"
        )
    end = last
    if lines[last].strip() != END_PATCH:
        ends = [i for i in range(first + 1, last) if lines[i].strip() == END_PATCH]
        if ends:
            after, _ = _content_bounds(lines, ends[-1] + 1, last + 1)
            raise PatchParseError(
                after + 1, f"unexpected text after '*** End Patch': {_show(lines[after])}"
            )
        end = last + 1
    parser = _BodyParser(lines, first + 1, end)
    operations = parser.parse()
    if end > last:
        raise PatchParseError(
            last + 2, "expected '*** End Patch' as the last line, got the end of the patch"
        )
    if not operations:
        raise PatchParseError(
            last + 1,
            "the patch is empty: expected '*** Add File: <path>', '*** Delete File: <path>' "
            "or '*** Update File: <path>' before '*** End Patch'",
        )
    return Patch(tuple(operations))


def _content_bounds(lines: list[str], start: int, stop: int) -> tuple[int, int]:
    """First and last non-blank line in lines[start:stop] (first > last when none)."""
    first = start
    while first < stop and not lines[first].strip():
        first += 1
    last = stop - 1
    while last >= first and not lines[last].strip():
        last -= 1
    return first, last


def _strip_heredoc(lines: list[str], first: int, last: int) -> tuple[int, int]:
    """Drop a `<<'EOF'` ... `EOF` wrapper the model copied from a shell command, or a
    Markdown code fence around the patch."""
    opening = lines[first].strip()
    if opening.startswith("```"):
        if last > first and lines[last].strip() == "```":
            last -= 1
        return _content_bounds(lines, first + 1, last + 1)
    match = _HEREDOC_START.match(opening)
    if match is None:
        return first, last
    delimiter = match.group(2)
    if last > first and lines[last].strip() == delimiter:
        last -= 1
    return _content_bounds(lines, first + 1, last + 1)


def _show(line: str) -> str:
    """A line quoted for an error message (shortened when long)."""
    if len(line) > 120:
        line = line[:117] + "..."
    return repr(line)


def _file_header(stripped: str) -> str | None:
    return next((h for h in _FILE_HEADERS if stripped.startswith(h)), None)


@dataclass
class _ChunkBuilder:
    line: int
    contexts: list[str] = field(default_factory=list)
    ops: list[tuple[OpKind, str]] = field(default_factory=list)

    def build(self, is_end_of_file: bool) -> UpdateChunk:
        return UpdateChunk(tuple(self.contexts), tuple(self.ops), is_end_of_file, self.line)


class _BodyParser:
    """Parses lines[start:end], the file sections between Begin Patch and End Patch."""

    def __init__(self, lines: list[str], start: int, end: int) -> None:
        self.lines = lines
        self.i = start
        self.end = end

    def parse(self) -> list[FileOperation]:
        operations: list[FileOperation] = []
        while self.i < self.end:
            line = self.lines[self.i]
            stripped = line.strip()
            if not stripped:
                self.i += 1
                continue
            header = _file_header(stripped)
            if header is None:
                raise PatchParseError(
                    self.i + 1,
                    "expected a file header ('*** Add File: <path>', '*** Update File: <path>' "
                    f"or '*** Delete File: <path>') or '*** End Patch', got {_show(line)}",
                )
            path = self._path(stripped, header)
            if header == ADD_FILE:
                operations.append(self._add_file(path))
            elif header == DELETE_FILE:
                operations.append(DeleteFile(path, self.i + 1))
                self.i += 1
            else:
                operations.append(self._update_file(path))
        return operations

    def _path(self, stripped: str, header: str) -> str:
        path = stripped[len(header) :].strip()
        if not path:
            raise PatchParseError(self.i + 1, f"'{header}' must be followed by a path")
        return path

    def _is_section_end(self, line: str) -> bool:
        stripped = line.strip()
        return stripped == END_PATCH or _file_header(stripped) is not None

    def _add_file(self, path: str) -> AddFile:
        start = self.i + 1
        self.i += 1
        contents: list[str] = []
        while self.i < self.end:
            line = self.lines[self.i]
            if line.startswith("+"):
                contents.append(line[1:])
                self.i += 1
                continue
            if not line.strip():
                nxt = self.i
                while nxt < self.end and not self.lines[nxt].strip():
                    nxt += 1
                if nxt < self.end and self.lines[nxt].startswith("+"):
                    contents.extend("" for _ in range(nxt - self.i))
                self.i = nxt
                continue
            if self._is_section_end(line):
                break
            raise PatchParseError(
                self.i + 1,
                f"expected a '+' line (content of the added file {path}), the next file header "
                f"or '*** End Patch', got {_show(line)}",
            )
        return AddFile(path, tuple(contents), start)

    def _update_file(self, path: str) -> UpdateFile:
        start = self.i + 1
        self.i += 1
        move_path: str | None = None
        if self.i < self.end and self.lines[self.i].strip().startswith(MOVE_TO):
            move_path = self._path(self.lines[self.i].strip(), MOVE_TO)
            self.i += 1
        chunks: list[UpdateChunk] = []
        current: _ChunkBuilder | None = None
        while self.i < self.end:
            line = self.lines[self.i]
            number = self.i + 1
            if line.startswith("@@"):
                if current is None or current.ops:
                    if current is not None:
                        chunks.append(current.build(False))
                    current = _ChunkBuilder(number)
                context = _header_context(line)
                if context is not None:
                    current.contexts.append(context)
            elif line == "" or line[0] in " +-":
                if current is None:
                    if line == "":
                        self.i += 1
                        continue
                    if chunks:
                        raise PatchParseError(
                            number,
                            "expected a hunk header ('@@') after '*** End of File', "
                            f"got {_show(line)}",
                        )
                    current = _ChunkBuilder(number)
                kind = cast(OpKind, line[0]) if line else " "
                current.ops.append((kind, line[1:]))
            elif line.strip() == END_OF_FILE:
                if current is None or not current.ops:
                    raise PatchParseError(
                        number, "'*** End of File' must follow the lines of a hunk"
                    )
                chunks.append(current.build(True))
                current = None
            elif self._is_section_end(line):
                break
            else:
                raise PatchParseError(
                    number,
                    "expected a hunk header ('@@'), a line starting with ' ', '+' or '-', "
                    f"the next file header or '*** End Patch', got {_show(line)}",
                )
            self.i += 1
        if current is not None:
            if not current.ops:
                raise PatchParseError(
                    current.line,
                    "this hunk has no lines: expected lines starting with ' ', '+' or '-' "
                    "after '@@'",
                )
            chunks.append(current.build(False))
        if not chunks and move_path is None:
            raise PatchParseError(
                start,
                f"'*** Update File: {path}' has no changes: expected a hunk header ('@@') "
                "followed by lines starting with ' ', '+' or '-'",
            )
        return UpdateFile(path, move_path, tuple(chunks), start)


def _header_context(line: str) -> str | None:
    """The context line of an `@@` header, or None for a bare `@@`."""
    unified = _UNIFIED_HEADER.match(line.rstrip())
    if unified is not None:
        context = unified.group(1)
    else:
        context = line[2:]
        if context.startswith(" "):
            context = context[1:]
    if context is None or not context.strip():
        return None
    return context
