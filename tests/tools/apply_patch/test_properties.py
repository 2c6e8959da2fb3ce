"""Property tests: random files, random edits, the patch a model would write for them.

The generator writes `*** Update File` sections the way a model should: each change with
1-3 lines of context, close changes merged into one chunk, sometimes an `@@ <line>` header
naming the line just before the chunk, sometimes `*** End of File` on a chunk that reaches
the end. File lines are unique, so the intended place of every chunk is the only exact one
and the expected result is well defined.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st
from unidiff.patch import PatchSet

from codex_lsp.core.text import apply_hunks, hunks_applied

from .helpers import patch, run

# Includes characters str.splitlines() would break on: lines are split on "\n" only.
ALPHABET = st.sampled_from(list("ab xyz*@+-#\t{}()=:;\"'é日—\u2028\x0c"))
LINE = st.text(ALPHABET, max_size=10)


@dataclass
class Case:
    lines: list[str]
    deleted: list[bool]
    inserts: list[list[str]]  # inserts[g]: lines added before old line g (g == n: at the end)
    context: int
    headers: list[bool]
    end_of_file: bool
    trailing_newline: bool
    crlf: bool

    @property
    def old_text(self) -> str:
        eol = "\r\n" if self.crlf else "\n"
        text = eol.join(self.lines)
        return text + eol if self.trailing_newline and self.lines else text

    def expected(self) -> str:
        n = len(self.lines)
        new: list[str] = []
        for index, line in enumerate(self.lines):
            new.extend(self.inserts[index])
            if not self.deleted[index]:
                new.append(line)
        new.extend(self.inserts[n])
        eol = "\r\n" if self.crlf and "\r\n" in self.old_text else "\n"
        last_kept = n > 0 and not self.deleted[n - 1] and not self.inserts[n]
        if last_kept and not self.trailing_newline:
            return eol.join(new)
        return "".join(line + eol for line in new)

    def patch_text(self) -> str:
        n = len(self.lines)
        sites = [(g, g) for g in range(n + 1) if self.inserts[g]]
        sites += [(i, i + 1) for i in range(n) if self.deleted[i]]
        sites.sort()
        windows: list[list[int]] = []
        for start, end in sites:
            low, high = max(0, start - self.context), min(n, end + self.context)
            if windows and low <= windows[-1][1]:
                windows[-1][1] = max(windows[-1][1], high)
            else:
                windows.append([low, high])
        body = ["*** Update File: f.txt"]
        previous_end = 0
        for number, (low, high) in enumerate(windows):
            use_header = self.headers[number % len(self.headers)]
            if use_header and low > 0 and low - 1 >= previous_end:
                body.append(f"@@ {self.lines[low - 1]}")
            else:
                body.append("@@")
            for index in range(low, high):
                body.extend(f"+{line}" for line in self.inserts[index])
                prefix = "-" if self.deleted[index] else " "
                body.append(prefix + self.lines[index])
            body.extend(f"+{line}" for line in self.inserts[high])
            if self.end_of_file and high == n:
                body.append("*** End of File")
            previous_end = high
        return patch(*body)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    lines = draw(st.lists(LINE, unique=True, max_size=25))
    n = len(lines)
    trailing_newline = draw(st.booleans())
    if not trailing_newline and lines and lines[-1] == "":
        trailing_newline = True  # "a\n" + "" is the same text as ["a"] with a newline
    deleted = draw(st.lists(st.integers(0, 3).map(lambda x: x == 0), min_size=n, max_size=n))
    inserts = draw(
        st.lists(
            st.one_of(st.just([]), st.just([]), st.lists(LINE, min_size=1, max_size=3)),
            min_size=n + 1,
            max_size=n + 1,
        )
    )
    if not any(deleted) and not any(inserts):
        inserts[draw(st.integers(0, n))] = [draw(LINE)]
    return Case(
        lines=lines,
        deleted=deleted,
        inserts=inserts,
        context=draw(st.integers(1, 3)),
        headers=draw(st.lists(st.booleans(), min_size=1, max_size=4)),
        end_of_file=draw(st.booleans()),
        trailing_newline=trailing_newline,
        crlf=draw(st.booleans()),
    )


@settings(max_examples=300, deadline=None)
@given(cases(), st.data())
def test_generated_update_patch_gives_the_edited_file(case: Case, data: st.DataObject) -> None:
    old = case.old_text
    (change,) = run(case.patch_text(), {"f.txt": old})
    expected = case.expected()
    assert change.new_text == expected
    assert apply_hunks(old, change.hunks) == expected
    assert hunks_applied(old, expected, change.hunks) == [True] * len(change.hunks)
    if expected != old:
        assert hunks_applied(old, old, change.hunks) == [False] * len(change.hunks)
    # Any subset of hunks gives a document whose detected hunks explain it.
    chosen = data.draw(
        st.lists(st.booleans(), min_size=len(change.hunks), max_size=len(change.hunks))
    )
    partial = apply_hunks(old, [h for h, keep in zip(change.hunks, chosen, strict=True) if keep])
    found = hunks_applied(old, partial, change.hunks)
    assert (
        apply_hunks(old, [h for h, keep in zip(change.hunks, found, strict=True) if keep])
        == partial
    )
    # The diff parses and counts the same lines as the hunks.
    parsed = PatchSet(change.diff)
    assert parsed[0].added == sum(len(h.new_lines) for h in change.hunks)
    assert parsed[0].removed == sum(len(h.old_lines) for h in change.hunks)


@settings(max_examples=200, deadline=None)
@given(st.lists(LINE, max_size=20))
def test_add_then_delete_round_trip(lines: list[str]) -> None:
    (add,) = run(patch("*** Add File: new.txt", *(f"+{line}" for line in lines)), {})
    text = "".join(f"{line}\n" for line in lines)
    assert add.new_text == text
    assert apply_hunks("", add.hunks) == text
    (delete,) = run(patch("*** Delete File: new.txt"), {"new.txt": text})
    assert delete.old_text == text
    assert apply_hunks(text, delete.hunks) == ""
    for change in (add, delete):
        parsed = PatchSet(change.diff)
        assert parsed[0].added + parsed[0].removed == len(lines)
