"""grep_files: the Python search (always) and ripgrep (when installed) give the same
answers; newest files first; include globs; limits; errors; timeouts and cancellation."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from codex_lsp.core.events import CoreEvent
from codex_lsp.core.tools.base import ToolCall, ToolCaps, ToolContext, ToolError, ToolResult
from codex_lsp.core.tools.grep_files import GlobMatcher, GrepFilesTool, expand_braces

HAVE_RG = shutil.which("rg") is not None


@pytest.fixture(
    params=[
        "python",
        pytest.param("rg", marks=pytest.mark.skipif(not HAVE_RG, reason="rg not installed")),
    ]
)
def tool(request: pytest.FixtureRequest) -> GrepFilesTool:
    return GrepFilesTool(rg_command="rg" if request.param == "rg" else None)


def make_ctx(cwd: Path) -> ToolContext:
    events: list[CoreEvent] = []
    return ToolContext("t", "u", str(cwd), events.append, lambda i: None, lambda i: None)


def call(**args: Any) -> ToolCall:
    return ToolCall("c1", "grep_files", "function_call", json.dumps(args))


async def grep(tool: GrepFilesTool, cwd: Path, **args: Any) -> ToolResult:
    return await tool.run(call(**args), make_ctx(cwd))


def write(path: Path, text: str | bytes, mtime: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    os.utime(path, (mtime, mtime))
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    base = 1_700_000_000.0
    write(root / "old.py", "def needle():\n    pass\n", base)
    write(root / "src" / "mid.ts", "const needle = 1;\n", base + 100)
    write(root / "src" / "new.py", "# needle here\n", base + 200)
    write(root / "src" / "view.tsx", "<Needle/> needle\n", base + 50)
    write(root / "docs" / "notes.md", "nothing to see\n", base + 300)
    write(root / "nested" / "a" / "b" / "deep.py", "needle = 2\n", base + 10)
    return root


def lines(result: ToolResult) -> list[str]:
    return result.output.splitlines()


async def test_files_newest_first(tool: GrepFilesTool, repo: Path) -> None:
    result = await grep(tool, repo, pattern="needle")
    assert result.success
    assert lines(result) == [
        str(repo / "src" / "new.py"),
        str(repo / "src" / "mid.ts"),
        str(repo / "src" / "view.tsx"),
        str(repo / "nested" / "a" / "b" / "deep.py"),
        str(repo / "old.py"),
    ]


async def test_regex_and_anchors(tool: GrepFilesTool, repo: Path) -> None:
    result = await grep(tool, repo, pattern=r"^def \w+\(")
    assert lines(result) == [str(repo / "old.py")]
    result = await grep(tool, repo, pattern=r"^needle = \d")
    assert lines(result) == [str(repo / "nested" / "a" / "b" / "deep.py")]


async def test_include_glob(tool: GrepFilesTool, repo: Path) -> None:
    py = await grep(tool, repo, pattern="needle", include="*.py")
    assert lines(py) == [
        str(repo / "src" / "new.py"),
        str(repo / "nested" / "a" / "b" / "deep.py"),
        str(repo / "old.py"),
    ]
    ts = await grep(tool, repo, pattern="needle", include="*.{ts,tsx}")
    assert lines(ts) == [str(repo / "src" / "mid.ts"), str(repo / "src" / "view.tsx")]
    under = await grep(tool, repo, pattern="needle", include="nested/**/*.py")
    assert lines(under) == [str(repo / "nested" / "a" / "b" / "deep.py")]
    excluded = await grep(tool, repo, pattern="needle", include="!*.py")
    assert lines(excluded) == [str(repo / "src" / "mid.ts"), str(repo / "src" / "view.tsx")]


async def test_path_and_limit(tool: GrepFilesTool, repo: Path) -> None:
    src = await grep(tool, repo, pattern="needle", path="src", limit=2)
    assert lines(src) == [str(repo / "src" / "new.py"), str(repo / "src" / "mid.ts")]
    absolute = await grep(tool, repo.parent, pattern="needle", path=str(repo / "nested"))
    assert lines(absolute) == [str(repo / "nested" / "a" / "b" / "deep.py")]
    one_file = await grep(tool, repo, pattern="needle", path="old.py")
    assert lines(one_file) == [str(repo / "old.py")]


async def test_no_matches(tool: GrepFilesTool, repo: Path) -> None:
    result = await grep(tool, repo, pattern="absent_[0-9]+_token")
    assert result.output == "No matches found."
    assert result.success is False


async def test_skips_hidden_vcs_dependencies_and_binaries(
    tool: GrepFilesTool, tmp_path: Path
) -> None:
    base = 1_700_000_000.0
    write(tmp_path / "keep.txt", "needle\n", base)
    write(tmp_path / ".git" / "config", "needle\n", base)
    write(tmp_path / ".hidden" / "x.txt", "needle\n", base)
    write(tmp_path / ".dotfile", "needle\n", base)
    write(tmp_path / "node_modules" / "lib" / "index.js", "needle\n", base)
    write(tmp_path / "blob.bin", b"\x00\x01needle\x00", base)
    # rg skips node_modules only through ignore files; a repo normally has one.
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (tmp_path / ".gitignore").write_text("node_modules/\n")
    result = await grep(tool, tmp_path, pattern="needle")
    assert lines(result) == [str(tmp_path / "keep.txt")]


async def test_utf8_content(tool: GrepFilesTool, tmp_path: Path) -> None:
    write(tmp_path / "u.txt", "grüße an alle\n", 1.0)
    write(tmp_path / "latin1.txt", b"gr\xfc\xdfe\n", 2.0)
    result = await grep(tool, tmp_path, pattern="grüße")
    assert lines(result) == [str(tmp_path / "u.txt")]


async def test_errors(tool: GrepFilesTool, repo: Path) -> None:
    with pytest.raises(ToolError, match="pattern must not be empty"):
        await grep(tool, repo, pattern="  ")
    with pytest.raises(ToolError, match="limit must be greater than zero"):
        await grep(tool, repo, pattern="x", limit=0)
    with pytest.raises(ToolError, match=r"path not found: .*missing"):
        await grep(tool, repo, pattern="x", path="missing")
    with pytest.raises(ToolError, match="pattern: Field required"):
        await grep(tool, repo)


async def test_invalid_regex_python(repo: Path) -> None:
    with pytest.raises(ToolError, match="invalid regular expression"):
        await grep(GrepFilesTool(rg_command=None), repo, pattern="(unclosed")


@pytest.mark.skipif(not HAVE_RG, reason="rg not installed")
async def test_invalid_regex_rg(repo: Path) -> None:
    with pytest.raises(ToolError, match="rg failed"):
        await grep(GrepFilesTool(), repo, pattern="(unclosed")


async def test_python_search_deadline_gives_partial_results(repo: Path) -> None:
    result = await grep(GrepFilesTool(rg_command=None, timeout=0), repo, pattern="needle")
    assert "search stopped after 0 seconds; results are partial" in result.output


async def test_missing_rg_falls_back_to_python(repo: Path) -> None:
    tool = GrepFilesTool(rg_command="definitely-not-ripgrep-here")
    result = await grep(tool, repo, pattern="needle", include="*.ts")
    assert lines(result) == [str(repo / "src" / "mid.ts")]


def fake_rg(tmp_path: Path) -> tuple[Path, Path]:
    """An `rg` that records its pid and hangs."""
    pid_file = tmp_path / "rg.pid"
    script = tmp_path / "fake-rg"
    script.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nexec sleep 30\n")
    script.chmod(0o755)
    return script, pid_file


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def wait_for_file(path: Path) -> int:
    for _ in range(200):
        if path.exists() and path.read_text().strip():
            return int(path.read_text())
        await asyncio.sleep(0.01)
    raise AssertionError("fake rg did not start")


async def test_rg_timeout_kills_the_process(tmp_path: Path) -> None:
    script, pid_file = fake_rg(tmp_path)
    tool = GrepFilesTool(rg_command=str(script), timeout=0.5)
    with pytest.raises(ToolError, match=r"rg timed out after 0\.5 seconds"):
        await grep(tool, tmp_path, pattern="x")
    assert process_gone(await wait_for_file(pid_file))


async def test_cancel_kills_rg(tmp_path: Path) -> None:
    script, pid_file = fake_rg(tmp_path)
    tool = GrepFilesTool(rg_command=str(script))
    task = asyncio.create_task(grep(tool, tmp_path, pattern="x"))
    pid = await wait_for_file(pid_file)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert process_gone(pid)


@pytest.mark.parametrize(
    ("glob", "path", "expected"),
    [
        ("*.py", "a.py", True),
        ("*.py", "src/deep/a.py", True),
        ("*.py", "a.pyc", False),
        ("*.{ts,tsx}", "x/y.tsx", True),
        ("*.{ts,tsx}", "x/y.js", False),
        ("src/*.py", "src/a.py", True),
        ("src/*.py", "src/sub/a.py", False),
        ("src/**/*.py", "src/a.py", True),
        ("src/**/*.py", "src/sub/deeper/a.py", True),
        ("**/test_*.py", "tests/tools/test_x.py", True),
        ("test_?.py", "test_a.py", True),
        ("test_?.py", "test_ab.py", False),
        ("[ab]*.md", "b.md", True),
        ("[!ab]*.md", "b.md", False),
        ("!*.md", "x.md", False),
        ("!*.md", "x.py", True),
        ("/top.py", "top.py", True),
    ],
)
def test_glob_matcher(glob: str, path: str, expected: bool) -> None:
    assert GlobMatcher(glob).matches(path) is expected


def test_expand_braces() -> None:
    assert expand_braces("*.{ts,tsx}") == ["*.ts", "*.tsx"]
    assert expand_braces("{a,b}/{c,d}") == ["a/c", "a/d", "b/c", "b/d"]
    assert expand_braces("{a,{b,c}}.x") == ["a.x", "b.x", "c.x"]
    assert expand_braces("{single}.x") == ["{single}.x"]
    assert expand_braces("unbalanced{") == ["unbalanced{"]


def test_spec_shape() -> None:
    spec = GrepFilesTool().spec(ToolCaps())
    assert spec is not None
    assert spec["name"] == "grep_files"
    assert spec["parameters"]["required"] == ["pattern"]
    assert set(spec["parameters"]["properties"]) == {"pattern", "include", "path", "limit"}
    assert GrepFilesTool.parallel_safe is True
