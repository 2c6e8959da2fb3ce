"""write_changes on real files: content, modes, moves, deletes, atomic replacement."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from codex_lsp.core.text import write_changes
from codex_lsp.core.tools.apply_patch import compute_changes

from .helpers import patch


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob("*.apply_patch.tmp"))


def test_update_keeps_mode_bits_and_line_endings(tmp_path: Path) -> None:
    script = tmp_path / "run.sh"
    script.write_bytes(b"#!/bin/sh\r\necho old\r\n")
    script.chmod(0o750)
    changes = compute_changes(
        patch("*** Update File: run.sh", "@@", " #!/bin/sh", "-echo old", "+echo new"), tmp_path
    )
    write_changes(changes)
    assert script.read_bytes() == b"#!/bin/sh\r\necho new\r\n"
    assert stat.S_IMODE(script.stat().st_mode) == 0o750
    assert leftovers(tmp_path) == []


def test_add_creates_parent_directories_with_default_mode(tmp_path: Path) -> None:
    changes = compute_changes(patch("*** Add File: a/b/c.txt", "+hello", "+wörld"), tmp_path)
    write_changes(changes)
    created = tmp_path / "a/b/c.txt"
    assert created.read_text(encoding="utf-8") == "hello\nwörld\n"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(created.stat().st_mode) == 0o666 & ~umask


def test_move_writes_destination_and_removes_source(tmp_path: Path) -> None:
    source = tmp_path / "old/name.py"
    source.parent.mkdir()
    source.write_text("x = 1\n")
    source.chmod(0o600)
    changes = compute_changes(
        patch(
            "*** Update File: old/name.py", "*** Move to: new/dir/name.py", "@@", "-x = 1", "+x = 2"
        ),
        tmp_path,
    )
    write_changes(changes)
    destination = tmp_path / "new/dir/name.py"
    assert not source.exists()
    assert destination.read_text() == "x = 2\n"
    assert stat.S_IMODE(destination.stat().st_mode) == 0o600


def test_delete_and_several_operations(tmp_path: Path) -> None:
    (tmp_path / "gone.txt").write_text("bye\n")
    (tmp_path / "keep.txt").write_text("a\nb\n")
    changes = compute_changes(
        patch(
            "*** Delete File: gone.txt",
            "*** Update File: keep.txt",
            "@@",
            " a",
            "-b",
            "+B",
            "*** Add File: new.txt",
            "+n",
        ),
        tmp_path,
    )
    write_changes(changes)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt", "new.txt"]
    assert (tmp_path / "keep.txt").read_text() == "a\nB\n"


def test_update_through_a_symlink_writes_the_target(tmp_path: Path) -> None:
    target = tmp_path / "real.txt"
    target.write_text("x\n")
    (tmp_path / "link.txt").symlink_to(target)
    write_changes(compute_changes(patch("*** Update File: link.txt", "@@", "-x", "+y"), tmp_path))
    assert (tmp_path / "link.txt").is_symlink()
    assert target.read_text() == "y\n"


def test_failed_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("x\n")
    changes = compute_changes(patch("*** Update File: f.txt", "@@", "-x", "+y"), tmp_path)
    (tmp_path / "f.txt").unlink()
    (tmp_path / "f.txt").mkdir()  # os.replace onto a directory fails
    with pytest.raises(OSError):
        write_changes(changes)
    assert leftovers(tmp_path) == []
