"""The launcher (Linux): commands die with the process that spawned them, however it
ends; orphans are adopted and killed with the tree; the command gets exactly its argv,
environment and stdio; sandboxes compose (the launcher runs under the same sandbox)."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from codex_lsp.core.sandbox import SandboxPlan, plan_for, spawn
from codex_lsp.core.sandbox.bubblewrap import BubblewrapBackend
from codex_lsp.core.sandbox.launcher import decode_spec, encode_spec
from codex_lsp.protocol.sandbox import WorkspaceWriteSandbox

from .helpers import PYTHON, TIMEOUT_S, kill_group, proc_alive, require_enforcement

ROOT = Path(__file__).resolve().parents[2]
GONE_WITHIN_S = 2.0

# The module (the package's `spawn` attribute is the function).
spawn_module = importlib.import_module("codex_lsp.core.sandbox.spawn")

pytestmark = pytest.mark.skipif(
    not spawn_module.USE_LAUNCHER, reason="no launcher here (Linux with /proc only)"
)


def parent_of(pid: int) -> int:
    data = Path(f"/proc/{pid}/stat").read_bytes()
    return int(data[data.rfind(b")") + 2 :].split()[1])


async def until_gone(pids: list[int], within: float = GONE_WITHIN_S) -> list[int]:
    """Poll until none of `pids` is alive or `within` seconds pass; the ones alive."""
    deadline = time.monotonic() + within
    while True:
        alive = [pid for pid in pids if proc_alive(pid)]
        if not alive or time.monotonic() >= deadline:
            return alive
        await asyncio.sleep(0.01)


async def read_pids(path: Path, count: int) -> list[int]:
    """The first `count` pids the command wrote to `path` (one a line)."""
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        lines = path.read_text().split() if path.exists() else []
        if len(lines) >= count:
            return [int(line) for line in lines[:count]]
        assert time.monotonic() < deadline, f"the command wrote {lines} to {path.name}"
        await asyncio.sleep(0.02)


def kill_all(pids: list[int]) -> None:
    for pid in pids:
        if proc_alive(pid):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


# A background child, an orphan in a session of its own (its subshell exits at once),
# and the shell itself: three pids in `pids`.
TREE = (
    "sleep 300 & echo $! >> pids; (setsid sleep 300 & echo $! >> pids); "
    "echo $$ >> pids; sleep 300; echo after"
)


def test_spec_round_trip_and_refusals() -> None:
    argv, env = decode_spec(encode_spec(["prog", "a b", "", "é"], {"K": "v=w", "E": ""}))
    assert argv == [b"prog", b"a b", b"", "é".encode()]
    assert env == {b"K": b"v=w", b"E": b""}
    with pytest.raises(ValueError, match="null byte"):
        encode_spec(["a\0b"], {})
    with pytest.raises(ValueError, match="variable name"):
        encode_spec(["a"], {"A=B": "x"})


@pytest.mark.parametrize("sandboxed", [False, True])
async def test_orphans_are_adopted_and_killed_with_the_tree(
    workspace: Path, sandboxed: bool
) -> None:
    plan = plan_for(WorkspaceWriteSandbox(), workspace) if sandboxed else None
    if plan is not None:
        require_enforcement(plan)
    spawned = await spawn(["bash", "-c", TREE], cwd=str(workspace), plan=plan)
    pids: list[int] = []
    try:
        assert spawned.launcher_pid is not None
        pids = await read_pids(workspace / "pids", 3)
        _child, orphan, shell = pids
        assert shell == spawned.pid == spawned.pgid
        # The orphan left the session and lost its parent: only the launcher finds it.
        assert parent_of(orphan) == spawned.launcher_pid
        assert os.getsid(orphan) != spawned.pid
        await asyncio.wait_for(spawned.kill_tree(), TIMEOUT_S)
        assert [pid for pid in pids if proc_alive(pid)] == []
        assert spawned.returncode is not None and spawned.returncode < 0
        assert await until_gone([spawned.launcher_pid]) == []  # it ends with its tree
    finally:
        kill_group(spawned)
        kill_all(pids)
        spawned.close()


async def test_exit_is_reported_while_background_processes_live(tmp_path: Path) -> None:
    spawned = await spawn(
        ["bash", "-c", "sleep 300 >/dev/null 2>&1 & echo $!; exit 7"], cwd=str(tmp_path), plan=None
    )
    background: list[int] = []
    try:
        output = await asyncio.wait_for(spawned.read_output(1000), TIMEOUT_S)
        background = [int(output.strip())]
        assert await asyncio.wait_for(spawned.wait(), TIMEOUT_S) == 7
        assert spawned.returncode == 7
        # The background process lives on (until the server ends or the tree is killed)
        # and its launcher with it, so that it can still be found and killed.
        assert proc_alive(background[0]) and spawned.launcher_pid is not None
        assert parent_of(background[0]) == spawned.launcher_pid
        await asyncio.wait_for(spawned.kill_tree(), TIMEOUT_S)
        assert not proc_alive(background[0])
        assert spawned.returncode == 7  # the command's own exit, not the kill
        assert await until_gone([spawned.launcher_pid]) == []
    finally:
        kill_all(background)
        spawned.close()


@pytest.mark.parametrize("use_pty", [False, True])
async def test_command_gets_exactly_its_environment_fds_and_signals(
    tmp_path: Path, use_pty: bool
) -> None:
    code = (
        "import json, os\n"
        "env = dict(e.split('=', 1) for e in open('/proc/self/environ').read().split('\\0') if e)\n"
        "print(json.dumps({'env': env, 'fds': sorted(os.listdir('/proc/self/fd')),"
        " 'sid': os.getsid(0), 'pid': os.getpid(),"
        " 'tty': os.isatty(0)}))\n"
    )
    env = {"ONLY_THIS": "1", "EMPTY": ""}
    spawned = await spawn([PYTHON, "-c", code], cwd=str(tmp_path), plan=None, env=env, pty=use_pty)
    try:
        output = await asyncio.wait_for(spawned.read_output(100_000), TIMEOUT_S)
        assert await asyncio.wait_for(spawned.wait(), TIMEOUT_S) == 0
    finally:
        kill_group(spawned)
        spawned.close()
    seen = json.loads(output.strip().splitlines()[-1])
    # As execve passed it (Python's own locale coercion comes later): nothing added.
    assert seen["env"] == env
    assert seen["fds"] == ["0", "1", "2", "3"]  # 3: the directory being listed
    # Python ignores SIGPIPE and SIGXFSZ in itself; a command gets them at their default.
    status = await spawn(["cat", "/proc/self/status"], cwd=str(tmp_path), plan=None, pty=use_pty)
    try:
        text = await asyncio.wait_for(status.read_output(100_000), TIMEOUT_S)
        assert await asyncio.wait_for(status.wait(), TIMEOUT_S) == 0
    finally:
        kill_group(status)
        status.close()
    (ignored,) = [line.split()[1] for line in text.splitlines() if line.startswith("SigIgn:")]
    assert int(ignored, 16) == 0
    assert seen["sid"] == seen["pid"] == spawned.pid
    assert seen["tty"] is use_pty


async def test_exec_failures_raise_as_subprocess_does(tmp_path: Path) -> None:
    script = tmp_path / "not-executable.sh"
    script.write_text("echo hi\n")
    with pytest.raises(PermissionError):
        await spawn([str(script)], cwd=str(tmp_path), plan=None)
    with pytest.raises(FileNotFoundError):
        await spawn(["no-such-program-anywhere"], cwd=str(tmp_path), plan=None)
    with pytest.raises(ValueError):
        await spawn(["echo", "a\0b"], cwd=str(tmp_path), plan=None)


async def test_sigterm_to_the_launcher_takes_the_tree(workspace: Path) -> None:
    spawned = await spawn(["bash", "-c", TREE], cwd=str(workspace), plan=None)
    pids: list[int] = []
    try:
        pids = await read_pids(workspace / "pids", 3)
        assert spawned.launcher_pid is not None
        os.kill(spawned.launcher_pid, signal.SIGTERM)
        assert await until_gone([*pids, spawned.launcher_pid]) == []
        assert await asyncio.wait_for(spawned.wait(), TIMEOUT_S) == -signal.SIGKILL
    finally:
        kill_group(spawned)
        kill_all(pids)
        spawned.close()


async def test_the_launcher_runs_under_the_commands_sandbox(workspace: Path) -> None:
    plan = plan_for(WorkspaceWriteSandbox(), workspace)
    backend = require_enforcement(plan)
    if backend.name != "linux-landlock":
        pytest.skip("the sandbox is not applied in the child here")
    spawned = await spawn(["sleep", "30"], cwd=str(workspace), plan=plan)
    try:
        assert spawned.launcher_pid is not None
        status = Path(f"/proc/{spawned.launcher_pid}/status").read_text()
        assert "NoNewPrivs:\t1" in status
    finally:
        await asyncio.wait_for(spawned.kill_tree(), TIMEOUT_S)
        spawned.close()


# --- the spawning process dies ------------------------------------------------------

SERVER = """
import asyncio, sys
sys.path.insert(0, sys.argv[1])
from codex_lsp.core.sandbox import plan_for, spawn
from codex_lsp.core.sandbox.bubblewrap import BubblewrapBackend
from codex_lsp.protocol.sandbox import WorkspaceWriteSandbox

async def main() -> None:
    mode, cwd, script = sys.argv[2], sys.argv[3], sys.argv[4]
    plan = None if mode == "none" else plan_for(WorkspaceWriteSandbox(), cwd)
    backend = BubblewrapBackend(sys.argv[5]) if mode == "bwrap" else None
    spawned = await spawn(["bash", "-c", script], cwd=cwd, plan=plan, backend=backend,
                          pty=sys.argv[6] == "pty")
    print(spawned.launcher_pid, flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


@pytest.fixture
def server_script(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "mini_server.py"
    path.write_text(SERVER)
    yield path


@pytest.mark.parametrize("use_pty", [False, True], ids=["pipe", "pty"])
@pytest.mark.parametrize("mode", ["none", "sandboxed", "bwrap"])
async def test_sigkill_of_the_spawning_process_kills_the_tree(
    workspace: Path, server_script: Path, mode: str, use_pty: bool
) -> None:
    bwrap = shutil.which("bwrap") or ""
    if mode == "bwrap" and not bwrap:
        pytest.skip("bubblewrap is not installed")
    plan: SandboxPlan | None = None
    if mode != "none":
        plan = plan_for(WorkspaceWriteSandbox(), workspace)
        require_enforcement(plan, BubblewrapBackend(bwrap) if mode == "bwrap" else None)
    server = await asyncio.create_subprocess_exec(
        PYTHON,
        str(server_script),
        str(ROOT),
        mode,
        str(workspace),
        TREE,
        bwrap,
        "pty" if use_pty else "pipe",
        stdout=asyncio.subprocess.PIPE,
    )
    pids: list[int] = []
    try:
        assert server.stdout is not None
        line = await asyncio.wait_for(server.stdout.readline(), TIMEOUT_S)
        launcher = int(line)
        pids = [launcher, *await read_pids(workspace / "pids", 3)]
        assert all(proc_alive(pid) for pid in pids)
        server.kill()  # SIGKILL: no cleanup of any kind runs in the server
        await asyncio.wait_for(server.wait(), TIMEOUT_S)
        assert await until_gone(pids) == []
    finally:
        with contextlib.suppress(ProcessLookupError):
            server.kill()
        await asyncio.wait_for(server.wait(), TIMEOUT_S)
        kill_all(pids)


async def test_kill_tree_after_the_launcher_was_killed(workspace: Path) -> None:
    """A launcher killed with SIGKILL (by someone else) leaves the process group to the
    server's kill_tree."""
    spawned = await spawn(["bash", "-c", TREE], cwd=str(workspace), plan=None)
    pids: list[int] = []
    try:
        pids = await read_pids(workspace / "pids", 3)
        assert spawned.launcher_pid is not None
        os.kill(spawned.launcher_pid, signal.SIGKILL)
        assert await until_gone([spawned.launcher_pid]) == []
        deadline = time.monotonic() + TIMEOUT_S
        while spawned.process.returncode is None:  # the event loop learns of it
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        await asyncio.wait_for(spawned.kill_tree(), TIMEOUT_S)
        child, _orphan, shell = pids
        assert await until_gone([child, shell]) == []
    finally:
        kill_all(pids)  # the orphan escaped with its launcher
        with contextlib.suppress(asyncio.TimeoutError):  # the pipe closes with it
            await asyncio.wait_for(spawned.read_output(10_000), TIMEOUT_S)
        spawned.close()
