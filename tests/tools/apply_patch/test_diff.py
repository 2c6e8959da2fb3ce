"""The diffs of file changes parse with unidiff and agree with the hunks."""

from __future__ import annotations

import difflib

from unidiff.patch import PatchSet

from codex_lsp.core.text import FileChange

from .helpers import patch, run


def parse_one(change: FileChange) -> PatchSet:
    parsed = PatchSet(change.diff)
    assert len(parsed) == 1
    return parsed


def counts(parsed: PatchSet) -> tuple[int, int]:
    file = parsed[0]
    return file.added, file.removed


def test_update_diff_has_three_lines_of_context_and_merges_close_hunks() -> None:
    text = "".join(f"line {i}\n" for i in range(1, 41))
    (change,) = run(
        patch(
            "*** Update File: src/app.py",
            "@@",
            "-line 5",
            "+five",
            "@@",
            "-line 9",
            "+nine",
            "+nine bis",
            "@@",
            "-line 30",
        ),
        {"src/app.py": text},
    )
    assert len(change.hunks) == 3
    parsed = parse_one(change)
    file = parsed[0]
    assert file.source_file == "a/src/app.py" and file.target_file == "b/src/app.py"
    assert file.path == "src/app.py"
    # line 5 and line 9 are 3 lines apart: one diff hunk; line 30 is far: another.
    assert [(h.source_start, h.source_length, h.target_start, h.target_length) for h in file] == [
        (2, 11, 2, 12),
        (27, 7, 28, 6),
    ]
    assert counts(parsed) == (3, 3)
    assert change.diff.startswith("--- a/src/app.py\n+++ b/src/app.py\n@@ -2,11 +2,12 @@\n")


def test_update_diff_matches_difflib() -> None:
    text = "".join(f"l{i}\n" for i in range(30))
    (change,) = run(
        patch("*** Update File: f", "@@", " l3", "-l4", "+L4", "@@", " l20", "+new", " l21"),
        {"f": text},
    )
    assert change.new_text is not None
    expected = "".join(
        difflib.unified_diff(
            text.splitlines(keepends=True),
            change.new_text.splitlines(keepends=True),
            "a/f",
            "b/f",
        )
    )
    assert change.diff == expected


def test_add_and_delete_diffs() -> None:
    add, delete = run(
        patch("*** Add File: docs/new.md", "+# New", "+", "+body", "*** Delete File: old.txt"),
        {"old.txt": "one\ntwo"},
    )
    parsed_add = parse_one(add)
    assert parsed_add[0].is_added_file and parsed_add[0].path == "docs/new.md"
    assert counts(parsed_add) == (3, 0)
    assert add.diff == "--- /dev/null\n+++ b/docs/new.md\n@@ -0,0 +1,3 @@\n+# New\n+\n+body\n"
    parsed_delete = parse_one(delete)
    assert parsed_delete[0].is_removed_file and parsed_delete[0].path == "old.txt"
    assert counts(parsed_delete) == (0, 2)
    assert delete.diff == (
        "--- a/old.txt\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-one\n-two\n\\ No newline at end of file\n"
    )


def test_empty_added_file() -> None:
    (add,) = run(patch("*** Add File: empty.txt"), {})
    assert add.new_text == "" and add.hunks == []
    assert parse_one(add)[0].is_added_file


def test_move_diffs() -> None:
    moved, renamed = run(
        patch(
            "*** Update File: a.py",
            "*** Move to: pkg/b.py",
            "@@",
            "-x",
            "+y",
            "*** Update File: c.py",
            "*** Move to: d.py",
        ),
        {"a.py": "x\n", "c.py": "c\n"},
    )
    parsed = parse_one(moved)
    assert parsed[0].is_rename and parsed[0].path == "pkg/b.py"
    assert counts(parsed) == (1, 1)
    parsed = parse_one(renamed)
    assert parsed[0].is_rename and len(parsed[0]) == 0


def test_no_newline_marker_and_crlf() -> None:
    (change,) = run(patch("*** Update File: w.txt", "+c"), {"w.txt": "a\r\nb"})
    assert change.diff == (
        "--- a/w.txt\n+++ b/w.txt\n@@ -1,2 +1,3 @@\n a\n-b\n\\ No newline at end of file\n+b\n+c\n"
    )
    assert counts(parse_one(change)) == (2, 1)


def test_paths_outside_cwd_are_absolute() -> None:
    (change,) = run(patch("*** Add File: /tmp/out.txt", "+x"), {})
    assert change.diff.startswith("--- /dev/null\n+++ /tmp/out.txt\n")
    assert parse_one(change)[0].is_added_file
