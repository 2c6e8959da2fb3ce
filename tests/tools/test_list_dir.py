"""list_dir: the tree, its order and markers, paging, depth and errors."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from codex_lsp.core.events import CoreEvent
from codex_lsp.core.tools.base import ToolCall, ToolCaps, ToolContext, ToolError
from codex_lsp.core.tools.list_dir import ListDirTool


def make_ctx(cwd: Path) -> ToolContext:
    events: list[CoreEvent] = []
    return ToolContext("t", "u", str(cwd), events.append, lambda i: None, lambda i: None)


async def listing(cwd: Path, **args: Any) -> str:
    call = ToolCall("c1", "list_dir", "function_call", json.dumps(args))
    return (await ListDirTool().run(call, make_ctx(cwd))).output


async def listing_error(cwd: Path, **args: Any) -> str:
    call = ToolCall("c1", "list_dir", "function_call", json.dumps(args))
    with pytest.raises(ToolError) as info:
        await ListDirTool().run(call, make_ctx(cwd))
    return str(info.value)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "src" / "pkg" / "deep").mkdir(parents=True)
    (root / "src" / "pkg" / "deep" / "leaf.txt").write_text("")
    (root / "src" / "pkg" / "mod.py").write_text("")
    (root / "src" / "main.py").write_text("")
    (root / "src.txt").write_text("")
    (root / "README.md").write_text("")
    (root / ".hidden").write_text("")
    (root / "link").symlink_to(root / "README.md")
    os.mkfifo(root / "pipe")
    return root


async def test_depth_two_tree(tree: Path) -> None:
    out = await listing(tree, dir_path=str(tree))
    assert out == "\n".join(
        [
            f"Absolute path: {tree}",
            ".hidden",
            "README.md",
            "link@",
            "pipe?",
            "src/",
            "  main.py",
            "  pkg/",
            "src.txt",
        ]
    )


async def test_depth_one_and_three(tree: Path) -> None:
    one = await listing(tree, dir_path=str(tree), depth=1)
    assert one.splitlines()[1:] == [".hidden", "README.md", "link@", "pipe?", "src/", "src.txt"]
    three = await listing(tree, dir_path=str(tree), depth=3, limit=100)
    assert "    deep/" in three.splitlines()
    assert "    mod.py" in three.splitlines()
    assert "leaf.txt" not in three
    four = await listing(tree, dir_path=str(tree), depth=4, limit=100)
    assert "      leaf.txt" in four.splitlines()


async def test_children_follow_their_directory(tmp_path: Path) -> None:
    # "a.txt" sorts between "a" and "a/x" by full path; the tree keeps a's children under a.
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x").write_text("")
    (tmp_path / "a.txt").write_text("")
    out = await listing(tmp_path, dir_path=".")
    assert out.splitlines()[1:] == ["a/", "  x", "a.txt"]


async def test_relative_dir_path(tree: Path) -> None:
    out = await listing(tree.parent, dir_path="proj/src", depth=1)
    assert out.splitlines() == [f"Absolute path: {tree / 'src'}", "main.py", "pkg/"]


async def test_symlinked_directory_is_not_followed(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "inside").write_text("")
    (tmp_path / "alias").symlink_to(tmp_path / "real")
    out = await listing(tmp_path, dir_path=".")
    assert out.splitlines()[1:] == ["alias@", "real/", "  inside"]


async def test_paging_with_offset_and_limit(tmp_path: Path) -> None:
    for i in range(30):
        (tmp_path / f"f{i:02d}").write_text("")
    first = (await listing(tmp_path, dir_path=".")).splitlines()
    assert first[1] == "f00"
    assert first[25] == "f24"
    assert first[-1] == "... 5 more entries (30 in all); call again with offset=26 to see them"
    rest = (await listing(tmp_path, dir_path=".", offset=26)).splitlines()
    assert rest[1:] == ["f25", "f26", "f27", "f28", "f29"]
    middle = (await listing(tmp_path, dir_path=".", offset=3, limit=2)).splitlines()
    assert middle[1:3] == ["f02", "f03"]
    assert "offset=5" in middle[-1]


async def test_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    out = await listing(tmp_path, dir_path="empty")
    assert out == f"Absolute path: {tmp_path / 'empty'}\n(empty directory)"


async def test_unicode_names(tmp_path: Path) -> None:
    name = "é" * 120  # 240 bytes (a file name cannot reach the 500-byte cut)
    (tmp_path / name).write_text("")
    out = await listing(tmp_path, dir_path=".")
    assert out.splitlines()[1] == name


async def test_errors(tree: Path) -> None:
    assert await listing_error(tree, dir_path="missing") == (
        f"directory not found: {tree / 'missing'}"
    )
    assert "is not a directory" in await listing_error(tree, dir_path="README.md")
    past = await listing_error(tree, dir_path=".", offset=50)
    assert past == "offset 50 is past the last entry (8 entries at depth 2)"
    assert "offset must be" in await listing_error(tree, dir_path=".", offset=0)
    assert "limit must be" in await listing_error(tree, dir_path=".", limit=0)
    assert "depth must be" in await listing_error(tree, dir_path=".", depth=0)
    assert "dir_path: Field required" in await listing_error(tree)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything")
async def test_unreadable_subdirectory_is_shown_not_expanded(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "secret").write_text("")
    locked.chmod(0)
    try:
        out = await listing(tmp_path, dir_path=".")
        assert out.splitlines()[1:] == ["locked/"]
    finally:
        locked.chmod(0o755)


def test_spec_shape() -> None:
    spec = ListDirTool().spec(ToolCaps())
    assert spec is not None
    assert spec["name"] == "list_dir"
    assert spec["parameters"]["required"] == ["dir_path"]
    assert set(spec["parameters"]["properties"]) == {"dir_path", "offset", "limit", "depth"}
    assert ListDirTool.parallel_safe is True
