"""Finding a chunk's lines in a file, tolerant the way Codex's `seek_sequence` is.

A sequence of lines is looked for at decreasing strictness: exactly, then ignoring trailing
whitespace, then ignoring leading and trailing whitespace, then also mapping typographic
punctuation (dashes, quotes, odd spaces) to ASCII. Each level searches the whole remaining
range before the next level is tried, so an exact match later in the file wins over a loose
one earlier.

Speed: the keys of each level are computed once per file, lazily (most patches never need
more than the exact level), and searching always moves forward from the previous match.
Candidates are first found with `list.index` on the pattern's first line, which runs in C.
When that is not enough (the search missed, or the first line is a common one such as an
empty line or a closing brace, giving many candidates), the level gets line counts (a
`Counter`, built once, in C) and later searches at that level anchor on the pattern's
rarest line: a line missing from the file rules the level out at once, and the few
occurrences of the rarest line are found with `list.index`. No search walks the file line
by line in Python.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

_PUNCTUATION = str.maketrans(
    {
        **dict.fromkeys(
            ["\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212"], "-"
        ),
        **dict.fromkeys(["\u2018", "\u2019", "\u201a", "\u201b"], "'"),
        **dict.fromkeys(["\u201c", "\u201d", "\u201e", "\u201f"], '"'),
        **dict.fromkeys(
            [
                "\u00a0",
                "\u2002",
                "\u2003",
                "\u2004",
                "\u2005",
                "\u2006",
                "\u2007",
                "\u2008",
                "\u2009",
                "\u200a",
                "\u202f",
                "\u205f",
                "\u3000",
            ],
            " ",
        ),
    }
)


def normalize_line(line: str) -> str:
    """The loosest comparison key: ASCII punctuation, no surrounding whitespace."""
    return line.translate(_PUNCTUATION).strip()


_LEVELS: tuple[Callable[[str], str] | None, ...] = (None, str.rstrip, str.strip, normalize_line)
_CANDIDATE_BUDGET = 32  # candidates the simple scan tries before the level gets line counts


class _Miss(Exception):
    """The simple scan gave up (budget spent or no match): use line counts."""

    def __init__(self, found_none: bool) -> None:
        self.found_none = found_none


class LineMatcher:
    """Searches one file's lines (given without line endings) for chunks and contexts."""

    def __init__(self, lines: Sequence[str]) -> None:
        exact = list(lines)
        if exact and exact[0].startswith("\ufeff"):
            exact[0] = exact[0][1:]  # a byte-order mark is not part of the first line
        self._keys: list[list[str] | None] = [exact, None, None, None]
        self._counts: list[Counter[str] | None] = [None, None, None, None]

    def __len__(self) -> int:
        exact = self._keys[0]
        assert exact is not None
        return len(exact)

    def _level_keys(self, level: int) -> list[str]:
        keys = self._keys[level]
        if keys is None:
            transform = _LEVELS[level]
            exact = self._keys[0]
            assert transform is not None and exact is not None
            keys = list(map(transform, exact))
            self._keys[level] = keys
        return keys

    def find(self, pattern: Sequence[str], start: int, eof: bool = False) -> int | None:
        """Index of the first occurrence of `pattern` at or after `start`, or None.

        With `eof`, a match that ends at the last line is preferred; otherwise the search
        falls back to the first match after `start`. An empty pattern matches at `start`.
        """
        size = len(pattern)
        total = len(self)
        if size == 0:
            return min(start, total)
        last_start = total - size
        if last_start < 0:
            return None
        if eof and last_start >= start:
            tail = self._level_keys(0)[last_start:]
            for transform in _LEVELS:
                if transform is None:
                    matched = tail == list(pattern)
                else:
                    matched = [transform(t) for t in tail] == [transform(p) for p in pattern]
                if matched:
                    return last_start
        for level, transform in enumerate(_LEVELS):
            wanted = list(pattern) if transform is None else [transform(p) for p in pattern]
            found = self._search(level, wanted, start, last_start)
            if found is not None:
                return found
        return None

    def _search(self, level: int, pattern: list[str], start: int, last_start: int) -> int | None:
        if start > last_start:
            return None
        keys = self._level_keys(level)
        counts = self._counts[level]
        if counts is None:
            try:
                return _scan(keys, pattern, start, last_start)
            except _Miss as miss:
                counts = self._counts[level] = Counter(keys)
                if miss.found_none:
                    return None
        return _pivot_search(keys, counts, pattern, start, last_start)

    def find_context(self, context: str, start: int) -> int | None:
        """Index of the line an `@@ <context>` header names, at or after `start`.

        Besides the levels of `find`, a last resort accepts a line that starts with the
        context (models often write `@@ def name` for `def name(args):`).
        """
        found = self.find([context], start)
        if found is not None:
            return found
        wanted = normalize_line(context)
        if not wanted:
            return None
        keys = self._level_keys(3)
        for index in range(start, len(keys)):
            if keys[index].startswith(wanted):
                return index
        return None


def _scan(keys: list[str], pattern: list[str], start: int, last_start: int) -> int | None:
    """First i in [start, last_start] with keys[i:i+len(pattern)] == pattern.

    Raises _Miss when there is none (found_none) or after too many candidates.
    """
    first = pattern[0]
    rest = pattern[1:]
    size = len(pattern)
    index = start
    for _ in range(_CANDIDATE_BUDGET):
        try:
            index = keys.index(first, index, last_start + 1)
        except ValueError:
            raise _Miss(found_none=True) from None
        if not rest or keys[index + 1 : index + size] == rest:
            return index
        index += 1
    raise _Miss(found_none=False)


def _pivot_search(
    keys: list[str], counts: Counter[str], pattern: list[str], start: int, last_start: int
) -> int | None:
    """Like _scan, anchored on the pattern line with the fewest occurrences in the file."""
    pivot = min(range(len(pattern)), key=lambda offset: counts[pattern[offset]])
    wanted = pattern[pivot]
    if not counts[wanted]:
        return None
    size = len(pattern)
    index = start + pivot
    stop = last_start + pivot + 1
    while True:
        try:
            index = keys.index(wanted, index, stop)
        except ValueError:
            return None
        begin = index - pivot
        if keys[begin : begin + size] == pattern:
            return begin
        index += 1
