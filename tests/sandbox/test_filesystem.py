"""Real processes under the detected backend: what workspace-write and read-only allow."""

from __future__ import annotations

from pathlib import Path

import pytest

from codex_lsp.core.sandbox import SandboxPlan, looks_like_sandbox_denial, plan_for
from codex_lsp.protocol.sandbox import (
    DangerFullAccessSandbox,
    ReadOnlySandbox,
    WorkspaceWriteSandbox,
)

from .helpers import PYTHON, require_enforcement, run


def workspace_plan(workspace: Path, outside: Path) -> SandboxPlan:
    plan = plan_for(WorkspaceWriteSandbox(), workspace)
    if plan.allows_write(outside):
        pytest.skip(f"{outside} is inside a writable root here")
    require_enforcement(plan)
    return plan


async def test_workspace_write_allows_the_cwd(workspace: Path, outside: Path) -> None:
    plan = workspace_plan(workspace, outside)
    result = await run(
        ["bash", "-c", "echo made > new.txt && mkdir -p a/b && echo deep > a/b/c && cat new.txt"],
        cwd=workspace,
        plan=plan,
    )
    assert (result.exit_code, result.output) == (0, "made\n")
    assert (workspace / "a" / "b" / "c").read_text() == "deep\n"
    # Top-level entries can be replaced atomically and removed (sed -i, rm -r).
    result = await run(
        ["bash", "-c", "sed -i s/hello/bye/ README.md && rm -r a && mv new.txt renamed.txt"],
        cwd=workspace,
        plan=plan,
    )
    assert result.exit_code == 0, result.output
    assert (workspace / "README.md").read_text() == "bye\n"
    assert not (workspace / "a").exists() and (workspace / "renamed.txt").exists()


async def test_workspace_write_denies_outside(workspace: Path, outside: Path) -> None:
    plan = workspace_plan(workspace, outside)
    target = outside / "escaped.txt"
    result = await run(["bash", "-c", f"echo x > {target}"], cwd=workspace, plan=plan)
    assert result.exit_code != 0
    assert "Permission denied" in result.output
    assert looks_like_sandbox_denial(result.exit_code, result.output, plan)
    assert not target.exists()
    code = f"open({str(target)!r}, 'w').write('x')"
    result = await run([PYTHON, "-c", code], cwd=workspace, plan=plan)
    assert result.exit_code != 0 and "PermissionError" in result.output
    result = await run(["mkdir", str(outside / "newdir")], cwd=workspace, plan=plan)
    assert result.exit_code != 0
    assert list(outside.iterdir()) == []


async def test_workspace_write_keeps_git_read_only(workspace: Path, outside: Path) -> None:
    plan = workspace_plan(workspace, outside)
    config = workspace / ".git" / "config"
    script = (
        "echo evil >> .git/config; "
        "echo evil > .git/hooks/pre-commit; "
        "mv .git moved-git; "
        "rm -rf .git; "
        "echo done"
    )
    result = await run(["bash", "-c", script], cwd=workspace, plan=plan)
    assert result.output.endswith("done\n")
    assert "Read-only file system" in result.output
    assert config.read_text() == "[core]\n"
    assert not (workspace / ".git" / "hooks" / "pre-commit").exists()
    assert not (workspace / "moved-git").exists()
    assert looks_like_sandbox_denial(1, result.output, plan)


async def test_cwd_inside_git_is_read_only_too(workspace: Path, outside: Path) -> None:
    plan = workspace_plan(workspace, outside)
    result = await run(
        ["bash", "-c", "echo evil >> config; echo evil > hooks/pre-commit; echo done"],
        cwd=workspace / ".git",
        plan=plan,
    )
    assert result.output.count("Read-only file system") == 2, result.output
    assert (workspace / ".git" / "config").read_text() == "[core]\n"
    assert not (workspace / ".git" / "hooks" / "pre-commit").exists()


async def test_symlink_out_of_the_cwd_is_denied(workspace: Path, outside: Path) -> None:
    plan = workspace_plan(workspace, outside)
    (workspace / "link").symlink_to(outside)
    (workspace / "file-link").symlink_to(outside / "target.txt")
    result = await run(
        ["bash", "-c", "echo x > link/through.txt; echo y > file-link"],
        cwd=workspace,
        plan=plan,
    )
    assert result.output.count("Permission denied") == 2, result.output
    assert list(outside.iterdir()) == []


async def test_read_only_denies_writes_allows_reads(workspace: Path) -> None:
    plan = plan_for(ReadOnlySandbox(), workspace)
    require_enforcement(plan)
    result = await run(
        ["bash", "-c", "echo x > new.txt; echo y >> README.md; cat README.md; echo ok >/dev/null"],
        cwd=workspace,
        plan=plan,
    )
    assert result.exit_code == 0
    assert result.output.count("Permission denied") == 2, result.output
    assert result.output.endswith("hello\n")
    assert not (workspace / "new.txt").exists()
    assert (workspace / "README.md").read_text() == "hello\n"
    result = await run(["bash", "-c", "touch /tmp/codex-ro-probe-$$"], cwd=workspace, plan=plan)
    assert result.exit_code != 0


async def test_sandboxed_env_and_exec(workspace: Path) -> None:
    plan = plan_for(ReadOnlySandbox(), workspace)
    require_enforcement(plan)
    result = await run(
        [PYTHON, "-c", "import os; print(os.environ['CODEX_SANDBOX_NETWORK_DISABLED'])"],
        cwd=workspace,
        plan=plan,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert (result.exit_code, result.output) == (0, "1\n")


@pytest.mark.parametrize("kind", ["none", "danger"])
async def test_unsandboxed_runs_can_write_anywhere(
    workspace: Path, outside: Path, kind: str
) -> None:
    plan = None if kind == "none" else plan_for(DangerFullAccessSandbox(), workspace)
    target = outside / f"{kind}.txt"
    result = await run(
        ["bash", "-c", f"echo x > {target} && echo y >> .git/config && echo $CODEX_SANDBOX"],
        cwd=workspace,
        plan=plan,
    )
    assert (result.exit_code, result.output) == (0, "\n")
    assert target.read_text() == "x\n"
    assert (workspace / ".git" / "config").read_text() == "[core]\ny\n"
