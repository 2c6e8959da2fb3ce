"""LineMatcher against a brute-force reference, and the line splitting it relies on."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from codex_lsp.core.text.lines import SourceText, line_keys, split_lines, strip_eol
from codex_lsp.core.tools.apply_patch.matching import LineMatcher, normalize_line

LEVELS: list[Callable[[str], str]] = [lambda s: s, str.rstrip, str.strip, normalize_line]


def reference_find(
    lines: Sequence[str], pattern: Sequence[str], start: int, eof: bool
) -> int | None:
    """Codex's seek_sequence semantics, written the slow obvious way (plus EOF fallback)."""
    if not pattern:
        return min(start, len(lines))
    last = len(lines) - len(pattern)
    if last < 0:
        return None

    def matches(level: Callable[[str], str], at: int) -> bool:
        return all(level(lines[at + k]) == level(p) for k, p in enumerate(pattern))

    if eof and last >= start:
        for level in LEVELS:
            if matches(level, last):
                return last
    for level in LEVELS:
        for at in range(start, last + 1):
            if matches(level, at):
                return at
    return None


# Few distinct lines, so most patterns have many candidates (the counted search is used).
LINE = st.sampled_from(["", "}", "a", " a", "a ", "\ta", "b", "x = 1", "x\u00a0= 1", "\u2014"])


@settings(max_examples=500, deadline=None)
@given(
    st.lists(LINE, max_size=120),
    st.lists(
        st.tuples(st.lists(LINE, min_size=1, max_size=4), st.integers(0, 130), st.booleans()),
        min_size=1,
        max_size=6,
    ),
)
def test_find_agrees_with_reference(
    lines: list[str], searches: list[tuple[list[str], int, bool]]
) -> None:
    matcher = LineMatcher(lines)
    for pattern, start, eof in searches:  # several searches: later ones reuse the counts
        assert matcher.find(pattern, start, eof) == reference_find(lines, pattern, start, eof)


def test_find_with_many_candidates_then_rare_line() -> None:
    lines = ["}"] * 500 + ["target", "}"] + ["}"] * 10
    matcher = LineMatcher(lines)
    assert matcher.find(["}", "target"], 0) == 499
    assert matcher.find(["}", "target"], 500) is None
    assert matcher.find(["}", "}"], 499) == 501
    assert matcher.find(["missing"], 0) is None


def test_find_context_prefix_fallback_and_bom() -> None:
    matcher = LineMatcher(["\ufeffimport os", "def run(a, b):", "    pass"])
    assert matcher.find(["import os"], 0) == 0
    assert matcher.find_context("def run", 0) == 1
    assert matcher.find_context("def run", 2) is None
    assert matcher.find_context("   ", 0) is None  # no blank line here, and no prefix search


TEXT = st.text(st.sampled_from(list("ab \r\n\u2028\x0c\x85")), max_size=40)


@settings(max_examples=500, deadline=None)
@given(TEXT, st.integers(0, 12), st.integers(0, 12))
def test_line_views_agree(text: str, a: int, b: int) -> None:
    lines = split_lines(text)
    assert "".join(lines) == text
    assert all(line.count("\n") == 1 and line.endswith("\n") for line in lines[:-1])
    assert line_keys(text) == [strip_eol(line) for line in lines]
    source = SourceText(text)
    assert list(source) == lines and len(source) == len(lines)
    assert source.keys == line_keys(text)
    low, high = sorted((a, b))
    assert source.slice_text(low, high) == "".join(lines[low:high])
    assert source[low:high] == lines[low:high]
