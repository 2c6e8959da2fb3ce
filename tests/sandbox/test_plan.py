"""`plan_for` and `SandboxPlan.allows_write`: roots, `.git`, `..`, symlinks."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from codex_lsp.core.sandbox import plan_for
from codex_lsp.protocol.sandbox import (
    DangerFullAccessSandbox,
    ReadOnlySandbox,
    WorkspaceWriteSandbox,
)


def test_workspace_write_roots(
    workspace: Path, outside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmpdir = outside / "tmpdir"
    tmpdir.mkdir()
    extra = outside / "extra"
    (extra / ".git").mkdir(parents=True)
    monkeypatch.setenv("TMPDIR", str(tmpdir))
    (workspace / "sub").mkdir()
    policy = WorkspaceWriteSandbox(writable_roots=[str(extra), "sub"], network_access=True)
    plan = plan_for(policy, workspace)
    assert plan.mode == "workspace-write"
    assert plan.network is True
    assert plan.cwd == workspace.resolve()
    assert plan.writable_roots == (
        workspace.resolve(),
        Path(os.path.realpath(tempfile.gettempdir())),
        tmpdir.resolve(),
        extra.resolve(),
        (workspace / "sub").resolve(),
    )
    assert plan.read_only_subpaths == (workspace.resolve() / ".git", extra.resolve() / ".git")
    assert plan.restricts_network is False


def test_roots_are_deduplicated_and_resolved(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    plan = plan_for(WorkspaceWriteSandbox(writable_roots=[str(link), str(real)]), link)
    assert plan.writable_roots[0] == real.resolve()
    assert plan.writable_roots.count(real.resolve()) == 1
    assert plan.read_only_subpaths == ()


def test_read_only_and_danger_modes(workspace: Path) -> None:
    read_only = plan_for(ReadOnlySandbox(), workspace)
    assert (read_only.mode, read_only.writable_roots, read_only.network) == (
        "read-only",
        (),
        False,
    )
    assert read_only.restricts_network
    assert not read_only.allows_write(workspace / "README.md")
    assert plan_for(ReadOnlySandbox(network_access=True), workspace).network is True
    danger = plan_for(DangerFullAccessSandbox(), workspace)
    assert danger.mode == "danger-full-access"
    assert not danger.is_sandboxed and not danger.restricts_network
    assert danger.allows_write("/etc/passwd")


def test_allows_write_inside_outside_and_dotdot(workspace: Path, outside: Path) -> None:
    plan = plan_for(WorkspaceWriteSandbox(), workspace)
    assert plan.allows_write(workspace / "README.md")
    assert plan.allows_write(workspace / "new" / "deep" / "file.txt")
    assert plan.allows_write("relative/file.txt")  # taken against the plan's cwd
    assert plan.allows_write(workspace / "a" / ".." / "b.txt")
    assert plan.allows_write(workspace)
    assert not plan.allows_write(outside / "x.txt")
    climb = "/".join([".."] * 30)
    assert not plan.allows_write(f"{workspace}/{climb}{outside}/x.txt")
    assert not plan.allows_write(f"{workspace}/missing/{climb}{outside}/x.txt")
    assert not plan.allows_write(os.path.relpath(outside / "x.txt", workspace))
    assert plan.allows_write(Path(tempfile.gettempdir()) / "scratch.txt")


def test_allows_write_refuses_symlink_escapes(workspace: Path, outside: Path) -> None:
    plan = plan_for(WorkspaceWriteSandbox(), workspace)
    (workspace / "out").symlink_to(outside)
    (workspace / "dangling").symlink_to(outside / "not-yet.txt")
    (workspace / "in").symlink_to(workspace / "README.md")
    assert not plan.allows_write(workspace / "out" / "x.txt")
    assert not plan.allows_write(workspace / "out" / "new" / ".." / "x.txt")
    assert not plan.allows_write(workspace / "dangling")
    assert plan.allows_write(workspace / "in")
    # A link from outside into the workspace is judged by where it lands.
    (outside / "back").symlink_to(workspace)
    assert plan.allows_write(outside / "back" / "file.txt")


def test_allows_write_refuses_git(workspace: Path, tmp_path: Path) -> None:
    plan = plan_for(WorkspaceWriteSandbox(), workspace)
    assert not plan.allows_write(workspace / ".git")
    assert not plan.allows_write(workspace / ".git" / "config")
    assert not plan.allows_write(workspace / ".git" / "hooks" / "pre-commit")
    assert not plan.allows_write(workspace / "x" / ".." / ".git" / "config")
    (workspace / "git-link").symlink_to(workspace / ".git")
    assert not plan.allows_write(workspace / "git-link" / "config")
    assert plan.allows_write(workspace / ".gitignore")
    assert plan.allows_write(workspace / "sub" / ".git" / "config")  # not a root's .git
    bare = tmp_path / "no-git"
    bare.mkdir()
    bare_plan = plan_for(WorkspaceWriteSandbox(), bare)
    assert bare_plan.read_only_subpaths == ()
    assert not bare_plan.allows_write(bare / ".git" / "config")  # even before it exists


def test_git_file_pointing_at_a_gitdir(tmp_path: Path) -> None:
    main = tmp_path / "main"
    gitdir = main / ".git" / "worktrees" / "wt"
    gitdir.mkdir(parents=True)
    worktree = tmp_path / "wt"
    worktree.mkdir()
    (worktree / ".git").write_text(f"gitdir: {gitdir}\n")
    plan = plan_for(WorkspaceWriteSandbox(writable_roots=[str(main)]), worktree)
    assert worktree.resolve() / ".git" in plan.read_only_subpaths
    assert gitdir.resolve() in plan.read_only_subpaths
    assert not plan.allows_write(gitdir / "HEAD")
    assert not plan.allows_write(worktree / ".git")
