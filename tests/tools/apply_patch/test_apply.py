"""compute_changes: where chunks land, what the new text is, and the errors the model sees."""

from __future__ import annotations

from pathlib import Path

import pytest

from codex_lsp.core.text import Hunk, read_disk_text
from codex_lsp.core.tools.apply_patch import PatchApplyError, compute_changes, summarize

from .helpers import CWD, patch, result, run

PY = """\
import os


class A:
    def run(self):
        return 1


class B:
    def run(self):
        return 1
"""


def test_update_replaces_lines_found_by_context() -> None:
    out = result(
        patch(
            "*** Update File: m.py",
            "@@",
            " class A:",
            "     def run(self):",
            "-        return 1",
            "+        return 10",
        ),
        {"m.py": PY},
    )
    assert out["m.py"] == PY.replace("return 1\n", "return 10\n", 1)


def test_context_header_moves_the_search_position() -> None:
    out = result(
        patch(
            "*** Update File: m.py",
            "@@ class B:",
            "     def run(self):",
            "-        return 1",
            "+        return 2",
        ),
        {"m.py": PY},
    )
    assert out["m.py"].endswith("class B:\n    def run(self):\n        return 2\n")
    assert "class A:\n    def run(self):\n        return 1\n" in out["m.py"]


def test_stacked_context_headers_narrow_the_position() -> None:
    text = (
        "class A:\n    def f():\n        x\n    def g():\n        x\n"
        "class B:\n    def g():\n        x\n"
    )
    out = result(
        patch(
            "*** Update File: m.py", "@@ class B:", "@@     def g():", "-        x", "+        y"
        ),
        {"m.py": text},
    )
    assert out["m.py"] == text[: text.rindex("x")] + "y\n"


def test_context_header_accepts_a_line_prefix() -> None:
    text = "def first(a, b):\n    return a\n\ndef second(a, b):\n    return a\n"
    out = result(
        patch("*** Update File: m.py", "@@ def second", "-    return a", "+    return b"),
        {"m.py": text},
    )
    assert out["m.py"] == "def first(a, b):\n    return a\n\ndef second(a, b):\n    return b\n"


def test_several_chunks_apply_in_order() -> None:
    text = "".join(f"line {i}\n" for i in range(20))
    changes = run(
        patch(
            "*** Update File: f.txt",
            "@@",
            " line 2",
            "-line 3",
            "+LINE 3",
            "@@",
            " line 15",
            "-line 16",
            "+LINE 16",
            "+extra",
        ),
        {"f.txt": text},
    )
    (change,) = changes
    assert change.new_text == text.replace("line 3\n", "LINE 3\n").replace(
        "line 16\n", "LINE 16\nextra\n"
    )
    assert change.hunks == [
        Hunk(3, ["line 3\n"], ["LINE 3\n"], chunk=1),
        Hunk(16, ["line 16\n"], ["LINE 16\n", "extra\n"], chunk=2),
    ]


def test_chunk_is_split_into_minimal_hunks() -> None:
    text = "a\nb\nc\nd\ne\n"
    (change,) = run(
        patch("*** Update File: f", "@@", "-a", "+A", " b", "-c", "+c", " d", "-e", "+E"),
        {"f": text},
    )
    assert change.new_text == "A\nb\nc\nd\nE\n"
    assert change.hunks == [Hunk(0, ["a\n"], ["A\n"], 1), Hunk(4, ["e\n"], ["E\n"], 1)]


def test_end_of_file_marker_prefers_the_match_at_the_end() -> None:
    text = "x = 1\nend\nmiddle\nx = 1\nend\n"
    out = result(
        patch("*** Update File: f", "@@", " x = 1", "-end", "+END", "*** End of File"),
        {"f": text},
    )
    assert out["f"] == "x = 1\nend\nmiddle\nx = 1\nEND\n"


def test_end_of_file_marker_falls_back_to_a_match_elsewhere() -> None:
    out = result(patch("*** Update File: f", "@@", "-a", "+A", "*** End of File"), {"f": "a\nb\n"})
    assert out["f"] == "A\nb\n"


def test_additions_without_context_are_appended() -> None:
    out = result(patch("*** Update File: f", "+new 1", "+new 2"), {"f": "a\nb\n"})
    assert out["f"] == "a\nb\nnew 1\nnew 2\n"


def test_additions_after_a_context_header_are_inserted_after_it() -> None:
    out = result(patch("*** Update File: f", "@@ b", "+inserted"), {"f": "a\nb\nc\n"})
    assert out["f"] == "a\nb\ninserted\nc\n"


def test_trailing_empty_context_line_stands_for_the_final_newline() -> None:
    out = result(patch("*** Update File: f", "@@", " a", "-b", "+B", ""), {"f": "a\nb\n"})
    assert out["f"] == "a\nB\n"


# Tolerant matching, level by level


def test_match_ignoring_trailing_whitespace_keeps_the_file_text() -> None:
    text = "def f():   \n    return 1\t\n"
    out = result(
        patch("*** Update File: f.py", "@@", " def f():", "-    return 1", "+    return 2"),
        {"f.py": text},
    )
    assert out["f.py"] == "def f():   \n    return 2\n"


def test_match_ignoring_leading_whitespace() -> None:
    text = "if x:\n\tcall()\n\tother()\n"
    out = result(
        patch(
            "*** Update File: f.py", "@@", " if x:", "-    call()", "+\tcalled()", "     other()"
        ),
        {"f.py": text},
    )
    assert out["f.py"] == "if x:\n\tcalled()\n\tother()\n"


def test_match_after_normalising_unicode_punctuation() -> None:
    text = "msg = \u201chello \u2014 world\u201d\nx\u00a0= 1\n"
    out = result(
        patch("*** Update File: f.py", "@@", ' msg = "hello - world"', "-x = 1", "+x = 2"),
        {"f.py": text},
    )
    assert out["f.py"] == "msg = \u201chello \u2014 world\u201d\nx = 2\n"


def test_exact_match_later_wins_over_loose_match_earlier() -> None:
    text = "value  \nother\nvalue\n"
    out = result(patch("*** Update File: f", "@@", "-value", "+VALUE"), {"f": text})
    assert out["f"] == "value  \nother\nVALUE\n"


# Line endings, trailing newline, Unicode


def test_crlf_file_stays_crlf() -> None:
    text = "one\r\ntwo\r\nthree\r\n"
    (change,) = run(
        patch("*** Update File: w.txt", "@@", " one", "-two", "+TWO", "+two and a half", " three"),
        {"w.txt": text},
    )
    assert change.new_text == "one\r\nTWO\r\ntwo and a half\r\nthree\r\n"
    assert change.hunks == [Hunk(1, ["two\r\n"], ["TWO\r\n", "two and a half\r\n"], 1)]


def test_mixed_line_endings_keep_each_unchanged_line() -> None:
    text = "a\r\nb\nc\r\nd\r\n"
    out = result(patch("*** Update File: f", "@@", " b", "-c", "+C"), {"f": text})
    assert out["f"] == "a\r\nb\nC\r\nd\r\n"


def test_missing_trailing_newline_is_kept_when_the_end_is_untouched() -> None:
    out = result(patch("*** Update File: f", "@@", "-a", "+A", " b"), {"f": "a\nb"})
    assert out["f"] == "A\nb"


def test_changed_last_line_gets_a_newline() -> None:
    out = result(
        patch("*** Update File: f", "@@", "-no newline at end", "+first line", "+second line"),
        {"f": "no newline at end"},
    )
    assert out["f"] == "first line\nsecond line\n"


def test_appending_after_a_last_line_without_newline() -> None:
    (change,) = run(patch("*** Update File: f", "+c"), {"f": "a\nb"})
    assert change.new_text == "a\nb\nc\n"
    assert change.hunks == [Hunk(1, ["b"], ["b\n", "c\n"], 1)]


def test_unicode_content_and_byte_order_mark() -> None:
    text = "\ufeffnaïve = 'café'\nπ = 3.14\n"
    out = result(
        patch(
            "*** Update File: u.py", "@@", "-naïve = 'café'", "+naïve = 'crème brûlée'", " π = 3.14"
        ),
        {"u.py": text},
    )
    assert out["u.py"] == "\ufeffnaïve = 'crème brûlée'\nπ = 3.14\n"


def test_add_file_text_ends_with_newline() -> None:
    (change,) = run(patch("*** Add File: d/new.txt", "+hello", "+world"), {})
    assert change.kind == "add"
    assert change.path == CWD / "d/new.txt"
    assert change.old_text is None and change.new_text == "hello\nworld\n"
    assert change.hunks == [Hunk(0, [], ["hello\n", "world\n"])]


def test_delete_file() -> None:
    (change,) = run(patch("*** Delete File: old.txt"), {"old.txt": "bye\n"})
    assert change.kind == "delete"
    assert change.old_text == "bye\n" and change.new_text is None
    assert change.hunks == [Hunk(0, ["bye\n"], [])]


def test_move_with_changes_and_pure_move() -> None:
    changes = run(
        patch(
            "*** Update File: src/a.py",
            "*** Move to: lib/b.py",
            "@@",
            "-x = 1",
            "+x = 2",
            "*** Update File: c.py",
            "*** Move to: d.py",
        ),
        {"src/a.py": "x = 1\n", "c.py": "c\n"},
    )
    moved, renamed = changes
    assert moved.path == CWD / "src/a.py" and moved.move_path == CWD / "lib/b.py"
    assert moved.new_text == "x = 2\n"
    assert renamed.move_path == CWD / "d.py" and renamed.new_text == "c\n" and renamed.hunks == []


def test_move_to_the_same_path_is_an_update() -> None:
    (change,) = run(patch("*** Update File: a", "*** Move to: ./a", "@@", "-x", "+y"), {"a": "x\n"})
    assert change.move_path is None and change.new_text == "y\n"


def test_later_operations_see_earlier_ones() -> None:
    out = result(
        patch(
            "*** Add File: a.txt",
            "+one",
            "*** Update File: a.txt",
            "@@",
            "-one",
            "+two",
            "*** Delete File: b.txt",
            "*** Add File: b.txt",
            "+fresh",
        ),
        {"b.txt": "stale\n"},
    )
    assert out == {"a.txt": "two\n", "b.txt": "fresh\n"}


def test_absolute_and_dotted_paths() -> None:
    changes = run(
        patch("*** Add File: /tmp/abs.txt", "+x", "*** Add File: sub/../rel.txt", "+y"), {}
    )
    assert [c.path for c in changes] == [Path("/tmp/abs.txt"), CWD / "rel.txt"]


def test_no_change_chunk_has_no_hunks() -> None:
    (change,) = run(patch("*** Update File: f", "@@", " a", "-b", "+b"), {"f": "a\nb\n"})
    assert change.new_text == "a\nb\n" and change.hunks == []


# Errors


def apply_error(text: str, files: dict[str, str]) -> PatchApplyError:
    with pytest.raises(PatchApplyError) as info:
        run(text, files)
    return info.value


def test_chunk_not_found_names_file_chunk_and_lines() -> None:
    err = apply_error(
        patch("*** Update File: src/app.py", "@@", "-a", "+A", "@@", " missing", "-line", "+x"),
        {"src/app.py": "a\nb\n"},
    )
    assert str(err) == (
        "apply_patch: chunk 2 of src/app.py did not apply: could not find these lines "
        "(searched from line 2 on):\nmissing\nline"
    )
    assert err.path == "src/app.py" and err.chunk == 2


def test_chunks_out_of_order_get_a_hint() -> None:
    err = apply_error(
        patch("*** Update File: f", "@@", "-c", "+C", "@@", "-a", "+A"), {"f": "a\nb\nc\n"}
    )
    assert "chunk 2 of f did not apply" in str(err)
    assert "they are at line 1, before the lines matched by the previous chunks" in str(err)


def test_context_header_not_found() -> None:
    err = apply_error(patch("*** Update File: f", "@@ def nowhere():", "-a"), {"f": "a\n"})
    assert str(err) == (
        "apply_patch: chunk 1 of f did not apply: could not find the context line "
        "'@@ def nowhere():'"
    )


def test_add_of_existing_file() -> None:
    err = apply_error(patch("*** Add File: a.txt", "+x"), {"a.txt": "old\n"})
    assert str(err) == (
        "apply_patch: cannot add a.txt: the file already exists "
        "(use '*** Update File:' to change it)"
    )


def test_delete_of_missing_file() -> None:
    err = apply_error(patch("*** Delete File: gone.txt"), {})
    assert str(err) == "apply_patch: cannot delete gone.txt: the file does not exist"


def test_update_of_missing_file() -> None:
    err = apply_error(patch("*** Update File: gone.py", "@@", "-a", "+b"), {})
    assert "apply_patch: cannot update gone.py: the file does not exist" in str(err)


def test_move_onto_existing_file() -> None:
    err = apply_error(
        patch("*** Update File: a", "*** Move to: b", "@@", "-x", "+y"), {"a": "x\n", "b": "b\n"}
    )
    assert str(err) == "apply_patch: cannot move a to b: the destination already exists"


def test_unreadable_files_are_apply_errors(tmp_path: Path) -> None:
    (tmp_path / "bin.dat").write_bytes(b"\xff\xfe\x00bad")
    (tmp_path / "dir").mkdir()
    with pytest.raises(PatchApplyError, match=r"cannot read bin.dat: it is not UTF-8 text"):
        compute_changes(patch("*** Update File: bin.dat", "@@", "-x"), tmp_path)
    with pytest.raises(PatchApplyError, match=r"cannot read dir: Is a directory"):
        compute_changes(patch("*** Delete File: dir"), tmp_path)


def test_read_disk_text_keeps_line_endings(tmp_path: Path) -> None:
    (tmp_path / "w.txt").write_bytes(b"a\r\nb\r\n")
    assert read_disk_text(tmp_path / "w.txt") == "a\r\nb\r\n"
    assert read_disk_text(tmp_path / "missing.txt") is None


# Summary and protocol shape


def test_summarize_in_patch_order() -> None:
    changes = run(
        patch(
            "*** Update File: src/a.py",
            "@@",
            "-x",
            "+y",
            "*** Add File: new.txt",
            "+n",
            "*** Delete File: old.txt",
            "*** Update File: m.py",
            "*** Move to: moved.py",
        ),
        {"src/a.py": "x\n", "old.txt": "o\n", "m.py": "m\n"},
    )
    assert summarize(changes, CWD) == (
        "Success. Updated the following files:\nM src/a.py\nA new.txt\nD old.txt\nM moved.py"
    )
    assert summarize(changes).splitlines()[1] == f"M {CWD / 'src/a.py'}"


def test_to_protocol() -> None:
    (change,) = run(patch("*** Update File: a", "*** Move to: b", "@@", "-x", "+y"), {"a": "x\n"})
    item = change.to_protocol()
    assert item == {
        "path": str(CWD / "a"),
        "kind": {"type": "update", "movePath": str(CWD / "b")},
        "diff": change.diff,
    }
