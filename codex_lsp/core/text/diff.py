"""Unified diffs of file changes, built from the hunks (no diff of the whole file).

The text uses "\\n" line breaks whatever the file's line endings; a line without a final
newline is followed by ``\\ No newline at end of file``. Paths are shown as ``a/<path>`` and
``b/<path>`` when relative to the cwd, as they are when absolute (``/dev/null`` for an added
or deleted file); a move gets git's ``rename from``
/ ``rename to`` headers. The output parses with `unidiff.PatchSet`.
"""

from __future__ import annotations

from collections.abc import Sequence

from .hunks import Hunk, hunks_between
from .lines import split_lines, strip_eol

CONTEXT_LINES = 3
_NO_NEWLINE = "\\ No newline at end of file\n"


def _range(start: int, length: int) -> str:
    """A unified-diff range from a 0-based start (as difflib writes it)."""
    if length == 1:
        return f"{start + 1}"
    if length == 0:
        return f"{start},0"
    return f"{start + 1},{length}"


def _side(prefix: str, label: str) -> str:
    """`a/<path>` or `b/<path>` for a relative path; an absolute path as it is."""
    if label.startswith("/") or label[1:3] == ":/":
        return label
    return f"{prefix}/{label}"


def _emit(out: list[str], prefix: str, line: str) -> None:
    out.append(f"{prefix}{strip_eol(line)}\n")
    if not line.endswith("\n"):
        out.append(_NO_NEWLINE)


def added_file_diff(label: str, lines: Sequence[str]) -> str:
    """All lines of a new file as additions."""
    out = ["--- /dev/null\n", f"+++ {_side('b', label)}\n"]
    if lines:
        out.append(f"@@ -0,0 +{_range(0, len(lines))} @@\n")
        for line in lines:
            _emit(out, "+", line)
    return "".join(out)


def deleted_file_diff(label: str, lines: Sequence[str]) -> str:
    """All lines of a deleted file as removals."""
    out = [f"--- {_side('a', label)}\n", "+++ /dev/null\n"]
    if lines:
        out.append(f"@@ -{_range(0, len(lines))} +0,0 @@\n")
        for line in lines:
            _emit(out, "-", line)
    return "".join(out)


def updated_file_diff(
    old_label: str,
    new_label: str,
    old_lines: Sequence[str],
    hunks: Sequence[Hunk],
    context: int = CONTEXT_LINES,
) -> str:
    """A unified diff of `old_lines` changed by `hunks` (sorted, non-overlapping)."""
    out: list[str] = []
    if old_label != new_label:
        out.append(f"diff --git {_side('a', old_label)} {_side('b', new_label)}\n")
        out.append(f"rename from {old_label}\nrename to {new_label}\n")
        if not hunks:
            return "".join(out)
    out.append(f"--- {_side('a', old_label)}\n+++ {_side('b', new_label)}\n")
    total = len(old_lines)
    delta = 0  # new line number minus old line number before the current group
    index = 0
    while index < len(hunks):
        group_end = index + 1
        while (
            group_end < len(hunks)
            and hunks[group_end].old_start - hunks[group_end - 1].old_end <= 2 * context
        ):
            group_end += 1
        group = hunks[index:group_end]
        start = max(0, group[0].old_start - context)
        end = min(total, group[-1].old_end + context)
        growth = sum(len(h.new_lines) - len(h.old_lines) for h in group)
        old_length = end - start
        out.append(
            f"@@ -{_range(start, old_length)} +{_range(start + delta, old_length + growth)} @@\n"
        )
        cursor = start
        for hunk in group:
            for line in old_lines[cursor : hunk.old_start]:
                _emit(out, " ", line)
            for line in hunk.old_lines:
                _emit(out, "-", line)
            for line in hunk.new_lines:
                _emit(out, "+", line)
            cursor = hunk.old_end
        for line in old_lines[cursor:end]:
            _emit(out, " ", line)
        delta += growth
        index = group_end
    return "".join(out)


def text_change(label: str, old_text: str, new_text: str) -> tuple[list[Hunk], str]:
    """The hunks turning `old_text` into `new_text`, and their unified diff."""
    hunks = hunks_between(old_text, new_text)
    return hunks, updated_file_diff(label, label, split_lines(old_text), hunks)
