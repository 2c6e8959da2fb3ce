"""The bubblewrap backend (when `bwrap` is installed) and the Landlock backend's
unprivileged path (user namespace), exercised by dropping to `nobody` in the child."""

from __future__ import annotations

import importlib
import os
import shutil
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from codex_lsp.core.sandbox import (
    Backend,
    Launch,
    NoBackend,
    SandboxPlan,
    detect_backend,
    linux_sys,
    plan_for,
)
from codex_lsp.core.sandbox.bubblewrap import BubblewrapBackend, bwrap_args
from codex_lsp.core.sandbox.linux_landlock import LandlockBackend, LinuxSupport, probe_linux
from codex_lsp.protocol.sandbox import (
    DangerFullAccessSandbox,
    ReadOnlySandbox,
    WorkspaceWriteSandbox,
)

from .helpers import PYTHON, run

# The module (the package's `spawn` attribute is the function).
spawn_module = importlib.import_module("codex_lsp.core.sandbox.spawn")

NOBODY = 65534
PR_SET_DUMPABLE = 4


def test_bwrap_args(workspace: Path) -> None:
    plan = plan_for(WorkspaceWriteSandbox(), workspace)
    args = bwrap_args(plan)
    root = str(workspace.resolve())
    assert args[:6] == ["--die-with-parent", "--ro-bind", "/", "/", "--dev", "/dev"]
    assert args.index(root) < args.index(f"{root}/.git")  # .git bound after its root
    assert args[-1] == "--unshare-net"
    assert "--unshare-net" not in bwrap_args(
        plan_for(ReadOnlySandbox(network_access=True), workspace)
    )


@pytest.fixture
def bwrap() -> BubblewrapBackend:
    path = shutil.which("bwrap")
    if path is None:
        pytest.skip("bubblewrap is not installed")
    return BubblewrapBackend(path)


async def test_bubblewrap_enforces_workspace_write(
    bwrap: BubblewrapBackend, workspace: Path, outside: Path
) -> None:
    plan = plan_for(WorkspaceWriteSandbox(), workspace)
    smoke = await run(["true"], cwd=workspace, plan=plan, backend=bwrap)
    if smoke.exit_code != 0:
        pytest.skip(f"bwrap cannot run here: {smoke.output.strip()}")
    script = f"echo ok > new.txt; echo x > {outside}/x; echo y >> .git/config; echo done"
    result = await run(["bash", "-c", script], cwd=workspace, plan=plan, backend=bwrap)
    assert result.output.endswith("done\n")
    assert result.output.count("Read-only file system") == 2, result.output
    assert (workspace / "new.txt").read_text() == "ok\n"
    assert list(outside.iterdir()) == []
    assert (workspace / ".git" / "config").read_text() == "[core]\n"


async def test_bubblewrap_network_off(bwrap: BubblewrapBackend, workspace: Path) -> None:
    plan = plan_for(ReadOnlySandbox(), workspace)
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        code = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=5)"
        result = await run([PYTHON, "-c", code], cwd=workspace, plan=plan, backend=bwrap)
    assert result.exit_code != 0


class AsNobody(Backend):
    """Landlock's unprivileged path: the child first becomes `nobody`, then sets up the
    sandbox the way a non-root server would (user namespace, no capability dropping)."""

    name = "landlock-as-nobody"

    def __init__(self) -> None:
        self.inner = LandlockBackend(probe_linux(), unprivileged=True)

    def enforcement_gap(self, plan: SandboxPlan) -> str | None:
        return self.inner.enforcement_gap(plan)

    def launch(self, plan: SandboxPlan, argv: Sequence[str], *, pty: bool) -> Launch:
        launch = self.inner.launch(plan, argv, pty=pty)
        setup = launch.preexec
        assert setup is not None
        libc = linux_sys.libc()

        def become_nobody_then_sandbox() -> None:
            os.setgroups([])
            os.setresgid(NOBODY, NOBODY, NOBODY)
            os.setresuid(NOBODY, NOBODY, NOBODY)
            # Changing uid made us non-dumpable (/proc/self owned by root); a process
            # that was never root is dumpable.
            libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
            setup()

        return Launch(argv=launch.argv, preexec=become_nobody_then_sandbox, env=launch.env)


@pytest.fixture
def nobody_backend() -> AsNobody:
    if os.geteuid() != 0:
        pytest.skip("needs root to become nobody")
    if probe_linux().landlock_abi == 0:
        pytest.skip("Landlock is not available")
    return AsNobody()


def open_to_all(*paths: Path) -> None:
    """Make test directories writable by nobody, so only the sandbox can refuse."""
    for path in paths:
        for current, _dirs, files in os.walk(path):
            os.chmod(current, 0o777)
            for name in files:
                os.chmod(os.path.join(current, name), 0o666)
        parent = path.parent
        while parent != Path("/") and not (parent.stat().st_mode & 0o001):
            os.chmod(parent, parent.stat().st_mode | 0o005)
            parent = parent.parent


def usable_by_others(path: str, bits: int) -> bool:
    """Does `path` give other users `bits`, in a directory they can all reach?"""
    current = Path(path).resolve()
    if current.stat().st_mode & bits != bits:
        return False
    return all(parent.stat().st_mode & 0o001 for parent in current.parents)


@pytest.mark.parametrize("launcher", [False, True], ids=["direct", "launcher"])
async def test_unprivileged_user_namespace_path(
    nobody_backend: AsNobody,
    workspace: Path,
    outside: Path,
    launcher: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not launcher:
        monkeypatch.setattr(spawn_module, "USE_LAUNCHER", False)
    else:
        # The launcher runs as the command's user: here nobody, who cannot reach the
        # server's interpreter under /root; the system's Python runs it just as well.
        system_python = shutil.which("python3", path="/usr/bin:/bin")
        if not spawn_module.USE_LAUNCHER or system_python is None:
            pytest.skip("no launcher on this system, or no system python3")
        if not (
            usable_by_others(system_python, 0o005)
            and usable_by_others(spawn_module.LAUNCHER_PATH, 0o004)
        ):
            pytest.skip("nobody cannot run the launcher from this checkout")
        monkeypatch.setattr(spawn_module, "LAUNCHER_PYTHON", system_python)
    open_to_all(workspace, outside)
    plan = plan_for(WorkspaceWriteSandbox(), workspace)
    smoke = await run(["id", "-u"], cwd=workspace, plan=plan, backend=nobody_backend)
    if smoke.exit_code != 0:
        pytest.skip(f"unprivileged user namespaces are unavailable: {smoke.output.strip()}")
    assert smoke.output == f"{NOBODY}\n"
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        script = (
            "echo ok > new.txt; "
            f"echo x > {outside}/x; "
            "echo y >> .git/config; "
            f"exec 3<>/dev/tcp/127.0.0.1/{port} && echo connected; "
            "echo done"
        )
        result = await run(["bash", "-c", script], cwd=workspace, plan=plan, backend=nobody_backend)
    assert result.output.endswith("done\n")
    assert "connected" not in result.output
    assert "Permission denied" in result.output and "Read-only file system" in result.output
    assert (workspace / "new.txt").read_text() == "ok\n"
    assert list(outside.iterdir()) == []
    assert (workspace / ".git" / "config").read_text() == "[core]\n"


def test_landlock_gaps_without_namespaces(workspace: Path, tmp_path: Path) -> None:
    backend = LandlockBackend(LinuxSupport(7, namespaces=False, namespace_error="EPERM"))
    network_gap = backend.enforcement_gap(plan_for(ReadOnlySandbox(), workspace))
    assert network_gap is not None and "network" in network_gap and "EPERM" in network_gap
    git_plan = plan_for(WorkspaceWriteSandbox(network_access=True), workspace)
    git_gap = backend.enforcement_gap(git_plan)
    assert git_gap is not None and ".git" in git_gap
    no_git = tmp_path / "no-git"
    no_git.mkdir()
    plain = plan_for(WorkspaceWriteSandbox(network_access=True), no_git)
    assert backend.enforcement_gap(plain) is None
    assert backend.enforcement_gap(plan_for(DangerFullAccessSandbox(), workspace)) is None


def test_detect_backend_choices(monkeypatch: pytest.MonkeyPatch, workspace: Path) -> None:
    from codex_lsp.core.sandbox import linux_landlock

    if not sys.platform.startswith("linux"):
        pytest.skip("Linux detection")
    plan = plan_for(WorkspaceWriteSandbox(), workspace)
    try:
        monkeypatch.setattr(linux_landlock, "probe_linux", lambda: LinuxSupport(0, True))
        monkeypatch.setattr(shutil, "which", lambda name: None)
        detect_backend.cache_clear()
        none = detect_backend()
        assert isinstance(none, NoBackend)
        assert none.enforcement_gap(plan) == (
            "no sandbox backend available on this system: Landlock is not supported by the "
            "kernel and bubblewrap is not installed"
        )
        monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/bwrap")
        detect_backend.cache_clear()
        assert isinstance(detect_backend(), BubblewrapBackend)
        monkeypatch.setattr(linux_landlock, "probe_linux", lambda: LinuxSupport(7, True))
        detect_backend.cache_clear()
        assert isinstance(detect_backend(), LandlockBackend)
    finally:
        detect_backend.cache_clear()
