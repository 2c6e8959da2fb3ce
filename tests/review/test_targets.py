"""The diff a reviewer gets: bounded per file and in total, every cut named."""

from __future__ import annotations

from codex_lsp.core.review import targets
from codex_lsp.core.review.targets import bound_diff


def file_diff(name: str, lines: int) -> str:
    body = "".join(f"+line {i} of {name}\n" for i in range(lines))
    return (
        f"diff --git a/{name} b/{name}\nnew file mode 100644\n--- /dev/null\n+++ b/{name}\n"
        f"@@ -0,0 +1,{lines} @@\n{body}"
    )


def test_small_diffs_pass_whole() -> None:
    text = file_diff("a.py", 3) + file_diff("b.py", 2)
    bounded = bound_diff(text, "/repo")
    assert bounded.text == text and bounded.notes == []
    assert bounded.files == ["/repo/a.py", "/repo/b.py"]


def test_a_large_file_is_cut_with_a_note(monkeypatch: object) -> None:
    big = file_diff("big.py", 5000)
    text = big + file_diff("small.py", 2)
    bounded = bound_diff(text, "/repo")
    assert len(bounded.text) < len(text)
    assert "+line 1 of small.py" in bounded.text  # the next file is still shown
    (note,) = bounded.notes
    assert note.startswith("big.py: diff cut after ") and "read the file" in note
    assert bounded.files == ["/repo/big.py", "/repo/small.py"]


def test_past_the_total_files_are_named_not_shown(monkeypatch: object) -> None:
    import pytest

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(targets, "TOTAL_DIFF_CHARS", 2000)
        mp.setattr(targets, "FILE_DIFF_CHARS", 1500)
        mp.setattr(targets, "MIN_FILE_CHARS", 300)
        text = "".join(file_diff(f"f{i}.py", 40) for i in range(5))
        bounded = bound_diff(text, "/repo")
    assert len(bounded.text) <= 2000
    assert any(n.startswith("f4.py: not shown") for n in bounded.notes)
    assert len(bounded.files) == 5


def test_unparsable_diff_is_cut_by_characters() -> None:
    text = "@@ garbage without headers\n" + "x" * 10
    bounded = bound_diff(text, "/repo")
    assert bounded.text == text and bounded.files == []
