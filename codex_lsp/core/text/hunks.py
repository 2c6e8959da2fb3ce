"""Hunks: minimal line replacements, applied in full or in part, and found again in a document.

Lines keep their line endings (``"x\\n"``, ``"x\\r\\n"``; the last line of a text without a
trailing newline has none), so applying hunks reproduces a text byte for byte and a hunk maps
to one LSP `TextEdit` replacing lines ``old_start .. old_end`` with ``"".join(new_lines)``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import pairwise

from .lines import SourceText, line_keys, split_lines, strip_eol

# Above this many lines, SequenceMatcher's "popular line" heuristic keeps diffs fast.
_EXACT_DIFF_LINES = 5_000


@dataclass(frozen=True)
class Hunk:
    """Replace ``old_lines``, which start at line ``old_start`` (0-based), by ``new_lines``.

    Immutable by convention; compared by value (its list fields make it unhashable).
    """

    old_start: int
    old_lines: list[str]
    new_lines: list[str]
    chunk: int = 0
    """The 1-based chunk of the model's `*** Update File` this hunk came from (0: add/delete)."""

    @property
    def old_end(self) -> int:
        """The line index just after the replaced lines."""
        return self.old_start + len(self.old_lines)


def _in_order(hunks: Sequence[Hunk]) -> list[Hunk]:
    ordered = sorted(hunks, key=lambda hunk: hunk.old_start)  # stable: inserts keep order
    for before, after in pairwise(ordered):
        if after.old_start < before.old_end:
            raise ValueError(
                f"hunks overlap: lines {before.old_start + 1}-{before.old_end} and "
                f"{after.old_start + 1}-{after.old_end}"
            )
    return ordered


def apply_hunks(old_text: str, hunks: Sequence[Hunk]) -> str:
    """`old_text` with the given hunks applied (any subset of a change's hunks, any order).

    Raises ValueError when hunks overlap or a hunk's `old_lines` are not in `old_text` at
    `old_start` (the text changed since the hunks were computed).
    """
    source = SourceText(old_text)
    out: list[str] = []
    cursor = 0
    for hunk in _in_order(hunks):
        if hunk.old_end > len(source) or source[hunk.old_start : hunk.old_end] != hunk.old_lines:
            raise ValueError(
                f"hunk at line {hunk.old_start + 1} does not match the text: expected "
                f"{hunk.old_lines[:3]!r}..."
            )
        out.append(source.slice_text(cursor, hunk.old_start))
        out.extend(hunk.new_lines)
        cursor = hunk.old_end
    out.append(source.slice_text(cursor, len(source)))
    return "".join(out)


def hunks_between(old_text: str, new_text: str) -> list[Hunk]:
    """Minimal line replacements turning `old_text` into `new_text` (lines keep endings)."""
    a, b = split_lines(old_text), split_lines(new_text)
    head = 0
    while head < len(a) and head < len(b) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < len(a) - head and tail < len(b) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    mid_a, mid_b = a[head : len(a) - tail], b[head : len(b) - tail]
    if not mid_a or not mid_b:
        return [Hunk(head, mid_a, mid_b)] if mid_a or mid_b else []
    exact = len(mid_a) + len(mid_b) <= _EXACT_DIFF_LINES
    matcher = SequenceMatcher(None, mid_a, mid_b, autojunk=not exact)
    return [
        Hunk(head + i1, mid_a[i1:i2], mid_b[j1:j2])
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]


def hunks_applied(old_text: str, new_text_in_editor: str, hunks: Sequence[Hunk]) -> list[bool]:
    """For each hunk (in the order given), whether the document contains it.

    Method: the document is expected to be `old_text` with some subset of the hunks applied
    (the user accepted some edits of a proposed change and rejected others). Lines are
    compared without their line endings. Walking the hunks in file order, the unchanged
    lines between two hunks must appear as they are, and at each hunk the document must
    show either its new lines (applied) or its old lines (not applied); every consistent
    choice is followed (a breadth-first search over document positions, which stays tiny
    because the choice is rarely ambiguous), and the first full alignment that also ends
    with the unchanged tail wins, preferring "applied" where both fit.

    If no alignment exists (the user also edited the document by hand), each hunk is judged
    alone: it counts as applied when its new lines with up to 3 unchanged lines of context
    on each side occur in the document and its old lines with the same context do not; when
    that is inconclusive, by whether its new lines (or, for a pure deletion, the absence of
    its old lines) occur anywhere.
    """
    if not hunks:
        return []
    old = line_keys(old_text)
    doc = line_keys(new_text_in_editor)
    ordered = sorted(range(len(hunks)), key=lambda k: hunks[k].old_start)
    aligned = _align(old, doc, [hunks[k] for k in ordered])
    if aligned is not None:
        result = [False] * len(hunks)
        for position, applied in zip(ordered, aligned, strict=True):
            result[position] = applied
        return result
    finder = _Finder(doc)
    return [_judge_alone(old, finder, hunks, k) for k in range(len(hunks))]


def _keys(lines: Sequence[str]) -> list[str]:
    return [strip_eol(line) for line in lines]


def _align(old: list[str], doc: list[str], hunks: list[Hunk]) -> list[bool] | None:
    # states: document position -> the choices that led there (first found wins).
    states: dict[int, list[bool]] = {0: []}
    previous_end = 0
    for hunk in hunks:
        if hunk.old_start < previous_end:
            return None
        gap = old[previous_end : hunk.old_start]
        new_block = _keys(hunk.new_lines)
        old_block = _keys(hunk.old_lines)
        following: dict[int, list[bool]] = {}
        for position, choices in states.items():
            after_gap = position + len(gap)
            if doc[position:after_gap] != gap:
                continue
            for applied, block in ((True, new_block), (False, old_block)):
                end = after_gap + len(block)
                if end not in following and doc[after_gap:end] == block:
                    following[end] = [*choices, applied]
        if not following:
            return None
        states = following
        previous_end = hunk.old_end
    tail = old[previous_end:]
    for position, choices in states.items():
        if doc[position:] == tail:
            return choices
    return None


class _Finder:
    """Finds blocks of lines in a document, anchored on the block's rarest line."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.counts = Counter(lines)

    def contains(self, block: list[str]) -> bool:
        if not block:
            return True
        pivot = min(range(len(block)), key=lambda i: self.counts[block[i]])
        wanted = block[pivot]
        if not self.counts[wanted]:
            return False
        lines = self.lines
        size = len(block)
        index = pivot
        last = len(lines) - size + pivot  # the pivot's last possible index
        while index <= last:
            try:
                index = lines.index(wanted, index, last + 1)
            except ValueError:
                return False
            if lines[index - pivot : index - pivot + size] == block:
                return True
            index += 1
        return False


def _judge_alone(old: list[str], finder: _Finder, hunks: Sequence[Hunk], k: int) -> bool:
    hunk = hunks[k]
    # Unchanged neighbours: up to 3 lines, not crossing another hunk.
    lower = max((h.old_end for h in hunks if h.old_end <= hunk.old_start), default=0)
    upper = min(
        (h.old_start for h in hunks if h.old_start >= hunk.old_end and h is not hunk),
        default=len(old),
    )
    before = old[max(lower, hunk.old_start - 3) : hunk.old_start]
    after = old[hunk.old_end : min(upper, hunk.old_end + 3)]
    new_block = _keys(hunk.new_lines)
    old_block = _keys(hunk.old_lines)
    new_found = finder.contains([*before, *new_block, *after])
    old_found = finder.contains([*before, *old_block, *after])
    if new_found != old_found:
        return new_found
    if new_block:
        return finder.contains(new_block) and not (old_block and finder.contains(old_block))
    return not old_found
