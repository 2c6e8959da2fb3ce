"""File changes as plain text, for people reading them without a diff view: +/- counts,
hunk counts and a bounded excerpt of a unified diff.

Used where only text reaches the user: the `window/showMessageRequest` approval of a file
change (clients without the Codex UI), the transcript document of those clients, and the
terminal (`codex-lsp exec`, `codex-lsp demo`). Pure functions; imports neither pygls nor
lsprotocol, so the command line can use them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..protocol.items import FileUpdateChange

# Lines of diff an approval prompt shows before "… N more lines".
PROMPT_DIFF_LINES = 40


@dataclass(frozen=True)
class DiffStats:
    """What a unified diff changes: lines added and removed, and its hunks."""

    added: int = 0
    removed: int = 0
    hunks: int = 0

    def __add__(self, other: DiffStats) -> DiffStats:
        return DiffStats(
            self.added + other.added, self.removed + other.removed, self.hunks + other.hunks
        )

    def counts(self) -> str:
        """`+3 -1`."""
        return f"+{self.added} -{self.removed}"

    def summary(self) -> str:
        """`2 hunks, +3 -1`."""
        return f"{self.hunks} hunk{'' if self.hunks == 1 else 's'}, {self.counts()}"


_HUNK = re.compile(r"^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")


def diff_stats(diff: str) -> DiffStats:
    """Count the added and removed lines and the hunks of a unified diff. Each hunk's
    header says how many lines it spans, so header lines (`--- a/x`, `+++ b/x`) are never
    counted, nor changed lines whose text starts with `--` or `++`."""
    added = removed = hunks = 0
    old_left = new_left = 0
    for line in diff.splitlines():
        if old_left > 0 or new_left > 0:
            if line.startswith("+"):
                added += 1
                new_left -= 1
            elif line.startswith("-"):
                removed += 1
                old_left -= 1
            elif not line.startswith("\\"):  # "\ No newline at end of file"
                old_left -= 1
                new_left -= 1
            continue
        match = _HUNK.match(line)
        if match is not None:
            hunks += 1
            old_left = int(match[1]) if match[1] is not None else 1
            new_left = int(match[2]) if match[2] is not None else 1
    return DiffStats(added, removed, hunks)


def bounded_lines(lines: list[str], limit: int) -> list[str]:
    """At most `limit` lines, the last one saying how many were left out."""
    if len(lines) <= limit:
        return lines
    keep = max(limit - 1, 0)
    return [*lines[:keep], f"… {len(lines) - keep} more lines"]


def excerpt_lines(lines: list[str], limit: int) -> list[str]:
    """At most `limit` lines: the first and the last ones, a line between them saying how
    many were left out (command output: how it starts and how it ended)."""
    if len(lines) <= limit:
        return lines
    tail = (limit - 1) // 2
    head = limit - 1 - tail
    left_out = len(lines) - head - tail
    return [*lines[:head], f"… {left_out} more lines", *lines[len(lines) - tail :]]


def _longest_backticks(text: str) -> int:
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return longest


def fence(text: str) -> str:
    """A Markdown code fence longer than any run of backticks in `text`."""
    return "`" * max(3, _longest_backticks(text) + 1)


def code_span(text: str) -> str:
    """`text` as a Markdown code span (on one line), whatever backticks it holds."""
    flat = " ".join(text.split())
    ticks = "`" * (_longest_backticks(flat) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{ticks}{pad}{flat}{pad}{ticks}"


def bounded_diff(diff: str, limit: int = PROMPT_DIFF_LINES) -> str:
    """The diff's first lines (at most `limit`, the last saying how many more there are)."""
    return "\n".join(bounded_lines(diff.rstrip("\n").splitlines(), limit))


def display_path(path: str | Path, cwd: str | Path | None) -> str:
    """`path` relative to `cwd` when it is inside it, else as it is."""
    if cwd is not None:
        try:
            return str(Path(path).relative_to(cwd))
        except ValueError:
            pass
    return str(path)


@dataclass(frozen=True)
class ChangeView:
    """One file of a change, as text: what happens to it, its path(s) and its diff."""

    kind: str  # add | delete | update
    path: str
    move_path: str | None
    diff: str
    cwd: str | None = None

    @classmethod
    def of(cls, change: FileUpdateChange, cwd: str | None = None) -> ChangeView:
        """The view of one file of a fileChange item (or of a request's wire changes);
        paths shown relative to `cwd` when inside it."""
        return cls(change.kind.type, change.path, change.kind.move_path, change.diff, cwd)

    def verb(self) -> str:
        """What the change does to the file, as a past-tense verb."""
        if self.move_path:
            return "Moved"
        return {"add": "Created", "delete": "Deleted"}.get(self.kind, "Edited")

    def label(self) -> str:
        """The file's path (`old -> new` for a move), relative to `cwd` when inside it."""
        name = display_path(self.path, self.cwd)
        if self.move_path:
            return f"{name} -> {display_path(self.move_path, self.cwd)}"
        return name


def change_prompt(
    views: Iterable[ChangeView], reason: str | None, limit: int = PROMPT_DIFF_LINES
) -> str:
    """The text of an approval prompt for file changes: which files, how many hunks and
    lines, the model's reason, then the diff (at most `limit` lines in all)."""
    changes = list(views)
    stats = sum((diff_stats(c.diff) for c in changes), DiffStats())
    files = ", ".join(c.label() for c in changes)
    where = f" in {len(changes)} files" if len(changes) > 1 else ""
    lines = [
        f"Codex wants to change {files} ({stats.hunks} hunk"
        f"{'' if stats.hunks == 1 else 's'}{where}, {stats.counts()})"
    ]
    if reason:
        lines.append(f"Reason: {reason}")
    diff_lines = [line for c in changes for line in c.diff.rstrip("\n").splitlines()]
    lines += bounded_lines(diff_lines, limit)
    return "\n".join(lines)
