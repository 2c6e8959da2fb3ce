"""Lines of a text, split on "\\n" only, cheaply for large files.

A line keeps its ending ("\\n" or "\\r\\n"; the last line of a text without a final newline
has none). Other characters `str.splitlines` breaks on (a lone "\\r", form feed, U+2028...)
are ordinary characters here, as in every editor's and git's idea of a line.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import overload

_OTHER_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def _splitlines_is_exact(text: str) -> bool:
    """Whether `str.splitlines` would split `text` exactly where "\\n" does."""
    if any(char in text for char in _OTHER_BREAKS):
        return False
    return "\r" not in text or text.count("\r") == text.count("\r\n")


def split_lines(text: str) -> list[str]:
    """The lines of `text`, with their endings."""
    if _splitlines_is_exact(text):
        return text.splitlines(keepends=True)  # same result, in C
    parts = text.split("\n")
    tail = parts.pop()
    lines = [f"{part}\n" for part in parts]
    if tail:
        lines.append(tail)
    return lines


def line_keys(text: str) -> list[str]:
    """The lines of `text` without their endings (what line comparisons use)."""
    keys = (text.replace("\r\n", "\n") if "\r" in text else text).split("\n")
    if keys[-1] == "":
        keys.pop()
    return keys


def strip_eol(line: str) -> str:
    """A line without its "\\n" or "\\r\\n"."""
    if line.endswith("\n"):
        line = line[:-1]
        if line.endswith("\r"):
            line = line[:-1]
    return line


def detect_eol(text: str) -> str:
    """The text's dominant line ending: "\\r\\n" when at least half the breaks are CRLF."""
    if "\r" not in text:
        return "\n"
    crlf = text.count("\r\n")
    if crlf and crlf * 2 >= text.count("\n"):
        return "\r\n"
    return "\n"


class SourceText(Sequence[str]):
    """A text seen as its lines (with endings) without building every line string.

    `keys` holds the lines without endings (for matching). Lines with endings are built on
    access, and `slice_text` cuts the original text between line boundaries, so a large
    file is split once and rebuilt with a few slices.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        raw = text.split("\n")
        self.final_newline = raw[-1] == ""
        if self.final_newline:
            raw.pop()
        self._raw = raw
        self.keys = line_keys(text) if "\r" in text else raw
        self._offset_cache = (0, 0)

    def __len__(self) -> int:
        return len(self._raw)

    def _line(self, index: int) -> str:
        if index == len(self._raw) - 1 and not self.final_newline:
            return self._raw[index]
        return self._raw[index] + "\n"

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self._line(i) for i in range(*index.indices(len(self._raw)))]
        if index < 0:
            index += len(self._raw)
        if not 0 <= index < len(self._raw):
            raise IndexError(index)
        return self._line(index)

    def offset(self, line: int) -> int:
        """The character offset where line `line` starts (len(text) for the end)."""
        if line >= len(self._raw):
            return len(self.text)
        cached_line, cached_offset = self._offset_cache
        if line < cached_line:
            cached_line, cached_offset = 0, 0
        offset = cached_offset + sum(map(len, self._raw[cached_line:line])) + (line - cached_line)
        self._offset_cache = (line, offset)
        return offset

    def slice_text(self, start: int, stop: int) -> str:
        """The text of lines start .. stop-1, endings included."""
        return self.text[self.offset(start) : self.offset(stop)]
