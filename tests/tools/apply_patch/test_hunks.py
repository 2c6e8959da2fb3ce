"""apply_hunks (all or some hunks) and hunks_applied (which hunks a document contains)."""

from __future__ import annotations

from itertools import combinations

import pytest

from codex_lsp.core.text import FileChange, Hunk, apply_hunks, hunks_applied

from .helpers import patch, run

TEXT = "".join(f"line {i}\n" for i in range(1, 31))


def three_hunk_change() -> FileChange:
    (change,) = run(
        patch(
            "*** Update File: f.txt",
            "@@",
            " line 2",
            "-line 3",
            "+LINE 3",
            "@@",
            " line 10",
            "+inserted after 10",
            " line 11",
            "@@",
            " line 19",
            "-line 20",
            "-line 21",
            " line 22",
        ),
        {"f.txt": TEXT},
    )
    assert len(change.hunks) == 3
    return change


def test_all_hunks_give_the_new_text() -> None:
    change = three_hunk_change()
    assert change.old_text is not None
    assert apply_hunks(change.old_text, change.hunks) == change.new_text
    assert apply_hunks(change.old_text, list(reversed(change.hunks))) == change.new_text
    assert apply_hunks(change.old_text, []) == change.old_text


def test_a_subset_gives_the_partial_text() -> None:
    change = three_hunk_change()
    assert change.old_text is not None
    first, _, third = change.hunks
    expected = TEXT.replace("line 3\n", "LINE 3\n").replace("line 20\nline 21\n", "")
    assert apply_hunks(change.old_text, [first, third]) == expected


def test_apply_hunks_rejects_stale_text_and_overlaps() -> None:
    with pytest.raises(ValueError, match="does not match"):
        apply_hunks("a\nb\n", [Hunk(1, ["x\n"], ["y\n"])])
    with pytest.raises(ValueError, match="overlap"):
        apply_hunks("a\nb\nc\n", [Hunk(0, ["a\n", "b\n"], []), Hunk(1, ["b\n"], [])])


def test_hunks_applied_for_every_subset() -> None:
    change = three_hunk_change()
    assert change.old_text is not None
    hunks = change.hunks
    for size in range(len(hunks) + 1):
        for subset in combinations(range(len(hunks)), size):
            document = apply_hunks(change.old_text, [hunks[k] for k in subset])
            assert hunks_applied(change.old_text, document, hunks) == [
                k in subset for k in range(len(hunks))
            ]


def test_hunks_applied_when_the_choice_is_ambiguous_locally() -> None:
    old = "a\nb\nb\nc\n"
    # Deleting the first "b": the document "a\nb\nc\n" is also old with the second deleted.
    hunks = [Hunk(1, ["b\n"], []), Hunk(3, ["c\n"], ["C\n"])]
    assert hunks_applied(old, "a\nb\nC\n", hunks) == [True, True]
    assert hunks_applied(old, "a\nb\nb\nC\n", hunks) == [False, True]
    assert hunks_applied(old, "a\nb\nc\n", hunks) == [True, False]


def test_hunks_applied_ignores_line_ending_changes() -> None:
    change = three_hunk_change()
    assert change.old_text is not None
    document = apply_hunks(change.old_text, change.hunks[1:]).replace("\n", "\r\n")
    assert hunks_applied(change.old_text, document, change.hunks) == [False, True, True]


def test_hunks_applied_after_further_edits_by_hand() -> None:
    change = three_hunk_change()
    assert change.old_text is not None
    document = apply_hunks(change.old_text, [change.hunks[0], change.hunks[2]])
    document = document.replace("line 15\n", "line 15 edited by the user\n") + "appended\n"
    assert hunks_applied(change.old_text, document, change.hunks) == [True, False, True]


def test_hunks_applied_for_add_and_delete() -> None:
    add, delete = run(
        patch("*** Add File: n.txt", "+x", "+y", "*** Delete File: o.txt"), {"o.txt": "gone\n"}
    )
    assert hunks_applied("", "x\ny\n", add.hunks) == [True]
    assert hunks_applied("", "", add.hunks) == [False]
    assert hunks_applied("gone\n", "", delete.hunks) == [True]
    assert hunks_applied("gone\n", "gone\n", delete.hunks) == [False]
    assert hunks_applied("x\n", "x\n", []) == []


def test_hunks_map_to_line_range_edits() -> None:
    """One text edit per hunk: replace lines [old_start, old_end) by the joined new lines."""
    change = three_hunk_change()
    assert change.old_text is not None
    lines = change.old_text.splitlines(keepends=True)
    for hunk in sorted(change.hunks, key=lambda h: h.old_start, reverse=True):
        lines[hunk.old_start : hunk.old_end] = ["".join(hunk.new_lines)]
    assert "".join(lines) == change.new_text
