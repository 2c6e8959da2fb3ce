"""Turn snapshots: the workspace inventory, the copy of small text files, what commands and
patches changed, and the turn's unified diff."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from unidiff.patch import PatchSet

from codex_lsp.core import events as ev
from codex_lsp.core.text import apply_hunks, hunks_between, write_changes
from codex_lsp.core.tools.apply_patch import compute_changes
from codex_lsp.core.workspace import inventory as inv
from codex_lsp.core.workspace.file_states import ABSENT, Original, file_diff
from codex_lsp.core.workspace.snapshots import ThreadSnapshots, TurnSnapshots


def diffs(events: list[ev.CoreEvent]) -> list[str]:
    return [e.diff for e in events if isinstance(e, ev.TurnDiffUpdated)]


def recorder(root: Path, events: list[ev.CoreEvent]) -> TurnSnapshots:
    return ThreadSnapshots().begin_turn("thread", "turn", root, events.append)


# ---- inventory and the content copy --------------------------------------------------


def test_inventory_skips_heavy_dirs_and_symlinks(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("a\n")
    for skipped in (".git", "node_modules", ".venv", "__pycache__"):
        (tmp_path / skipped).mkdir()
        (tmp_path / skipped / "x").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "src" / "a.py")
    (tmp_path / "dirlink").symlink_to(tmp_path / "src")
    listing = inv.take_inventory(str(tmp_path))
    assert set(listing.files) == {str(tmp_path / "src" / "a.py")}
    assert listing.dirs == {str(tmp_path / "src")}
    assert not listing.truncated


def test_inventory_stops_at_the_file_limit(tmp_path: Path) -> None:
    for i in range(10):
        (tmp_path / f"f{i:02}").write_text("x")
    listing = inv.take_inventory(str(tmp_path), max_files=4)
    assert listing.truncated
    assert sorted(Path(p).name for p in listing.files) == ["f00", "f01", "f02", "f03"]


def test_cache_keeps_small_text_only(tmp_path: Path) -> None:
    (tmp_path / "text.txt").write_bytes(b"caf\xc3\xa9\r\nline")
    (tmp_path / "nul.bin").write_bytes(b"a\0b")
    (tmp_path / "latin1.txt").write_bytes(b"caf\xe9")
    (tmp_path / "big.txt").write_bytes(b"x" * 2000)
    cache = inv.ContentCache(max_file=1000, max_total=10_000)
    cache.refresh(inv.take_inventory(str(tmp_path)))
    entries = {Path(p).name: e for p, e in cache.entries.items()}
    assert entries["text.txt"].content() == b"caf\xc3\xa9\r\nline"
    assert entries["nul.bin"].problem == inv.BINARY
    assert entries["latin1.txt"].problem == inv.BINARY
    assert entries["big.txt"].problem == inv.LARGE
    assert cache.total == len(b"caf\xc3\xa9\r\nline")


def test_cache_budget_and_refresh(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / name).write_text(name * 40)
    cache = inv.ContentCache(max_file=1000, max_total=100)
    cache.refresh(inv.take_inventory(str(tmp_path)))
    kept = sorted(Path(p).name for p, e in cache.entries.items() if e.data is not None)
    assert kept == ["a", "b"]
    assert cache.entries[str(tmp_path / "c")].problem == inv.OVER_BUDGET
    # A file goes away: its room is given to the one left out.
    (tmp_path / "a").unlink()
    cache.refresh(inv.take_inventory(str(tmp_path)))
    assert str(tmp_path / "a") not in cache.entries
    assert cache.entries[str(tmp_path / "c")].content() == b"c" * 40
    assert cache.total == 80


# ---- hunks and diffs -------------------------------------------------------------------


def test_hunks_between_round_trips() -> None:
    rng = random.Random(7)
    words = ["alpha\n", "beta\n", "gamma\n", "\n", "delta\r\n", "omega"]
    for _ in range(300):
        old = "".join(rng.choice(words[:-1]) for _ in range(rng.randint(0, 30)))
        new = "".join(rng.choice(words[:-1]) for _ in range(rng.randint(0, 30)))
        if rng.random() < 0.3:
            new += "tail without newline"
        assert apply_hunks(old, hunks_between(old, new)) == new


def test_file_diff_shapes() -> None:
    assert file_diff("x", ABSENT, False, None) == ""
    added = file_diff("x", ABSENT, True, b"one\n")
    assert added == "--- /dev/null\n+++ b/x\n@@ -0,0 +1 @@\n+one\n"
    original = Original.of_bytes(b"one\ntwo\n")
    assert file_diff("x", original, True, b"one\ntwo\n") == ""
    assert file_diff("x", original, False, None).startswith("--- a/x\n+++ /dev/null\n")
    changed = file_diff("x", original, True, b"one\n2\n")
    assert changed == "--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n one\n-two\n+2\n"
    binary = file_diff("img", original, True, b"\x89PNG\0")
    assert "Binary files a/img and b/img differ" in binary


# ---- what a turn changed ---------------------------------------------------------------


async def test_a_command_s_changes_are_captured(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("same\n")
    (tmp_path / "edit.txt").write_text("before\n")
    (tmp_path / "gone.txt").write_text("bye\n")
    events: list[ev.CoreEvent] = []
    rec = recorder(tmp_path, events)
    await rec.before_command()
    # What the command does:
    (tmp_path / "edit.txt").write_text("after\n")
    (tmp_path / "gone.txt").unlink()
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "new.txt").write_text("new\n")
    os.utime(tmp_path / "keep.txt")  # touched, same content: not a change
    await rec.after_command()
    assert set(rec.touched) == {
        tmp_path / "edit.txt",
        tmp_path / "gone.txt",
        tmp_path / "sub" / "new.txt",
    }
    assert rec.originals[tmp_path / "edit.txt"].content() == b"before\n"
    assert rec.originals[tmp_path / "gone.txt"].content() == b"bye\n"
    assert not rec.originals[tmp_path / "sub" / "new.txt"].exists
    assert rec.created_dirs == {tmp_path / "sub"}
    (diff,) = diffs(events)
    files = [(p.source_file, p.target_file) for p in PatchSet(diff)]
    assert files == [
        ("a/edit.txt", "b/edit.txt"),
        ("a/gone.txt", "/dev/null"),
        ("/dev/null", "b/sub/new.txt"),
    ]


async def test_same_size_same_mtime_change_is_still_seen(tmp_path: Path) -> None:
    target = tmp_path / "racy.txt"
    target.write_text("aaaa\n")
    stamp = target.stat()
    events: list[ev.CoreEvent] = []
    rec = recorder(tmp_path, events)
    await rec.before_command()
    target.write_text("bbbb\n")
    os.utime(target, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # same size, same mtime
    await rec.after_command()
    assert rec.originals[target].content() == b"aaaa\n"
    assert "-aaaa\n+bbbb\n" in diffs(events)[-1]


async def test_first_capture_wins_and_commands_reuse_the_copy(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("v1\n")
    events: list[ev.CoreEvent] = []
    rec = recorder(tmp_path, events)
    for version in ("v2\n", "v3\n"):
        await rec.before_command()
        (tmp_path / "f.txt").write_text(version)
        await rec.after_command()
    assert rec.originals[tmp_path / "f.txt"].content() == b"v1\n"
    assert diffs(events)[-1].endswith("-v1\n+v3\n")
    # Nothing changed: no new diff is sent.
    await rec.before_command()
    await rec.after_command()
    assert len(diffs(events)) == 2


async def test_patch_and_command_make_one_sorted_diff(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("one\ntwo\nthree\n")
    (tmp_path / "c.txt").write_text("c\n")
    events: list[ev.CoreEvent] = []
    store = ThreadSnapshots()
    rec = store.begin_turn("thread", "turn", tmp_path, events.append)
    patch = (
        "*** Begin Patch\n*** Update File: a.txt\n@@\n one\n-two\n+TWO\n"
        "*** Add File: dir/b.txt\n+bee\n*** End Patch"
    )
    changes = compute_changes(patch, tmp_path)
    rec.before_changes(changes)
    write_changes(changes)
    await rec.after_changes(changes)
    assert len(diffs(events)) == 1
    await rec.before_command()
    (tmp_path / "c.txt").write_text("c\nmore\n")
    (tmp_path / "d.txt").write_text("dee\n")
    await rec.after_command()
    rec.finish()
    diff = diffs(events)[-1]
    targets = [p.path for p in PatchSet(diff)]
    assert targets == ["a.txt", "c.txt", "d.txt", "dir/b.txt"]
    assert "-two\n+TWO\n" in diff and "+more\n" in diff
    assert rec.created_dirs == {tmp_path / "dir"}
    assert store.turns == [rec]
    assert set(rec.ends) == set(rec.touched)


async def test_an_interrupted_command_is_settled_at_the_end(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("old\n")
    events: list[ev.CoreEvent] = []
    rec = recorder(tmp_path, events)
    await rec.before_command()
    (tmp_path / "f.txt").write_text("new\n")
    rec.finish()  # no after_command: the command was killed
    assert rec.originals[tmp_path / "f.txt"].content() == b"old\n"
    assert "+new" in diffs(events)[-1]


async def test_turn_without_changes_is_not_kept(tmp_path: Path) -> None:
    store = ThreadSnapshots()
    rec = store.begin_turn("thread", "turn", tmp_path, lambda _e: None)
    await rec.before_command()
    await rec.after_command()
    rec.finish()
    assert store.turns == []


@pytest.mark.parametrize("size", [inv.MAX_FILE_BYTES + 1])
async def test_large_files_are_seen_but_not_kept(tmp_path: Path, size: int) -> None:
    big = tmp_path / "big.log"
    big.write_bytes(b"x" * size)
    events: list[ev.CoreEvent] = []
    rec = recorder(tmp_path, events)
    await rec.before_command()
    big.write_bytes(b"y" * (size + 1))
    await rec.after_command()
    assert rec.originals[big].problem == inv.LARGE
    assert "Binary files a/big.log and b/big.log differ" in diffs(events)[-1]
