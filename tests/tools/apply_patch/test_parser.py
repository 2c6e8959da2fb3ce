"""The `*** Begin Patch` grammar: what parses, and the errors for what does not."""

from __future__ import annotations

import pytest

from codex_lsp.core.tools.apply_patch import (
    AddFile,
    DeleteFile,
    PatchParseError,
    UpdateFile,
    parse_patch,
)

from .helpers import patch


def test_multiple_files_in_order() -> None:
    parsed = parse_patch(
        patch(
            "*** Add File: docs/new.md",
            "+# Title",
            "+",
            "+text",
            "*** Delete File: old.txt",
            "*** Update File: src/app.py",
            "@@",
            "-a",
            "+b",
        )
    )
    add, delete, update = parsed.operations
    assert isinstance(add, AddFile) and add.path == "docs/new.md"
    assert add.lines == ("# Title", "", "text")
    assert add.contents == "# Title\n\ntext\n"
    assert isinstance(delete, DeleteFile) and delete.path == "old.txt"
    assert isinstance(update, UpdateFile) and update.path == "src/app.py"
    assert update.move_path is None
    assert [c.old_lines for c in update.chunks] == [["a"]]
    assert [c.new_lines for c in update.chunks] == [["b"]]


def test_several_chunks_and_stacked_contexts() -> None:
    parsed = parse_patch(
        patch(
            "*** Update File: a.py",
            "@@ class A:",
            "@@     def f(self):",
            "         x = 1",
            "-        return x",
            "+        return x + 1",
            "@@ def g():",
            "-    pass",
            "+    return 2",
            "@@",
            " tail",
            "+more",
        )
    )
    (update,) = parsed.operations
    assert isinstance(update, UpdateFile)
    first, second, third = update.chunks
    assert first.contexts == ("class A:", "    def f(self):")
    assert first.ops == (
        (" ", "        x = 1"),
        ("-", "        return x"),
        ("+", "        return x + 1"),
    )
    assert second.contexts == ("def g():",)
    assert third.contexts == ()
    assert third.old_lines == ["tail"] and third.new_lines == ["tail", "more"]
    assert [c.line for c in update.chunks] == [3, 8, 11]


def test_move_and_end_of_file_marker() -> None:
    parsed = parse_patch(
        patch(
            "*** Update File: src/old.py",
            "*** Move to: src/new.py",
            "@@",
            " last = 1",
            "+added = 2",
            "*** End of File",
        )
    )
    (update,) = parsed.operations
    assert isinstance(update, UpdateFile)
    assert update.move_path == "src/new.py"
    assert update.chunks[0].is_end_of_file


def test_pure_move_needs_no_chunk() -> None:
    (update,) = parse_patch(patch("*** Update File: a.py", "*** Move to: b.py")).operations
    assert isinstance(update, UpdateFile)
    assert update.move_path == "b.py" and update.chunks == ()


@pytest.mark.parametrize(
    "wrapped",
    [
        "<<'EOF'\n{p}EOF\n",
        '<<"EOF"\n{p}EOF',
        "<<EOF\n{p}EOF\n",
        "apply_patch <<'EOF'\n{p}EOF\n",
        "apply_patch <<'PATCH'\n{p}PATCH\n",
        "\n\n   {p}\n\n",
        "```\n{p}```\n",
        "```diff\n{p}\n```",
    ],
)
def test_heredoc_wrapper_and_surrounding_whitespace(wrapped: str) -> None:
    body = patch("*** Add File: a.txt", "+x")
    (add,) = parse_patch(wrapped.format(p=body)).operations
    assert isinstance(add, AddFile) and add.lines == ("x",)


def test_padded_markers_and_crlf_patch_text() -> None:
    text = (
        " *** Begin Patch \r\n  *** Update File: a.txt\r\n@@\r\n-one\r\n+two\r\n *** End Patch \r\n"
    )
    (update,) = parse_patch(text).operations
    assert isinstance(update, UpdateFile)
    assert update.path == "a.txt"
    assert update.chunks[0].ops == (("-", "one"), ("+", "two"))


def test_first_chunk_without_header_and_additions_only() -> None:
    (update,) = parse_patch(patch("*** Update File: a.txt", "+appended", "+lines")).operations
    assert isinstance(update, UpdateFile)
    (chunk,) = update.chunks
    assert (
        chunk.contexts == () and chunk.old_lines == [] and chunk.new_lines == ["appended", "lines"]
    )


def test_empty_line_inside_a_chunk_is_empty_context() -> None:
    (update,) = parse_patch(patch("*** Update File: a", "@@", " a", "", "-b")).operations
    assert isinstance(update, UpdateFile)
    assert update.chunks[0].ops == ((" ", "a"), (" ", ""), ("-", "b"))


def test_unified_diff_header_numbers_are_ignored() -> None:
    (update,) = parse_patch(
        patch("*** Update File: a", "@@ -10,3 +10,4 @@ def f():", " x", "+y", "@@ -20 +21 @@", "-z")
    ).operations
    assert isinstance(update, UpdateFile)
    assert [c.contexts for c in update.chunks] == [("def f():",), ()]


def test_context_line_that_looks_like_a_marker() -> None:
    (update,) = parse_patch(
        patch("*** Update File: notes.md", "@@", " *** End Patch", "-@@ x", "+*** Add File: y")
    ).operations
    assert isinstance(update, UpdateFile)
    assert update.chunks[0].ops == (
        (" ", "*** End Patch"),
        ("-", "@@ x"),
        ("+", "*** Add File: y"),
    )


def test_blank_lines_between_sections_and_inside_added_file() -> None:
    parsed = parse_patch(
        patch("*** Add File: a.txt", "+one", "", "+three", "", "*** Delete File: b.txt")
    )
    add, delete = parsed.operations
    assert isinstance(add, AddFile) and add.lines == ("one", "", "three")
    assert isinstance(delete, DeleteFile)


def test_unicode_paths_and_lines() -> None:
    (add,) = parse_patch(
        patch("*** Add File: docs/café ☕.md", "+naïve — “quoted” 日本")
    ).operations
    assert isinstance(add, AddFile)
    assert add.path == "docs/café ☕.md" and add.lines == ("naïve — “quoted” 日本",)


# Errors


def error(text: str) -> PatchParseError:
    with pytest.raises(PatchParseError) as info:
        parse_patch(text)
    return info.value


def test_empty_patch() -> None:
    assert str(error("")) == "line 1: the patch is empty: expected '*** Begin Patch'"
    err = error("*** Begin Patch\n*** End Patch\n")
    assert err.line == 2
    assert "the patch is empty" in str(err)


def test_missing_begin_patch() -> None:
    err = error("*** Update File: a\n@@\n-a\n*** End Patch")
    assert str(err) == "line 1: expected '*** Begin Patch', got '*** Update File: a'"


def test_missing_end_patch() -> None:
    err = error("*** Begin Patch\n*** Update File: a\n@@\n-a\n+b\n")
    assert err.line == 6
    assert "expected '*** End Patch' as the last line" in str(err)


def test_text_after_end_patch() -> None:
    err = error(patch("*** Delete File: a") + "\nThat's the patch.\n")
    assert err.line == 5
    assert "unexpected text after '*** End Patch'" in str(err)


def test_bad_line_in_update_names_line_and_expectation() -> None:
    text = patch(
        "*** Update File: src/app.py",  # line 2
        "@@ def f():",
        " a",
        "-b",
        "+c",
        "oops",  # line 7
    )
    err = error(text)
    assert err.line == 7
    assert str(err).startswith("line 7: expected a hunk header ('@@')")
    assert "or '*** End Patch', got 'oops'" in str(err)


def test_bad_file_header() -> None:
    err = error(patch("*** Modify File: a"))
    assert err.line == 2
    assert "expected a file header ('*** Add File: <path>'" in str(err)
    assert "got '*** Modify File: a'" in str(err)


def test_update_without_changes() -> None:
    err = error(patch("*** Update File: a.py", "*** Delete File: b.py"))
    assert err.line == 2
    assert "'*** Update File: a.py' has no changes" in str(err)


def test_hunk_header_without_lines() -> None:
    err = error(patch("*** Update File: a.py", "@@ def f():", "*** Delete File: b.py"))
    assert err.line == 3
    assert "this hunk has no lines" in str(err)


def test_end_of_file_marker_without_lines() -> None:
    err = error(patch("*** Update File: a.py", "@@", "*** End of File"))
    assert err.line == 4
    assert "'*** End of File' must follow the lines of a hunk" in str(err)


def test_chunk_after_end_of_file_needs_header() -> None:
    err = error(patch("*** Update File: a", "@@", "-x", "*** End of File", "-y"))
    assert err.line == 6
    assert "expected a hunk header ('@@') after '*** End of File'" in str(err)


def test_bad_line_in_added_file() -> None:
    err = error(patch("*** Add File: a.txt", "+ok", "not a plus line"))
    assert err.line == 4
    assert "expected a '+' line (content of the added file a.txt)" in str(err)


def test_header_without_path() -> None:
    err = error(patch("*** Delete File:   "))
    assert err.line == 2
    assert "'*** Delete File:' must be followed by a path" in str(err)


def test_error_line_numbers_count_leading_blank_lines_and_heredoc() -> None:
    err = error("\n\n<<'EOF'\n*** Begin Patch\n*** Add File: a\n+x\nbad\n*** End Patch\nEOF\n")
    assert err.line == 7
