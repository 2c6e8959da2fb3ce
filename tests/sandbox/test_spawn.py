"""`spawn`: output streaming, errors, `kill_tree` on process trees, PTYs."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from codex_lsp.core.sandbox import (
    Backend,
    Launch,
    NoBackend,
    SandboxError,
    SandboxPlan,
    SandboxUnavailable,
    Spawned,
    plan_for,
    spawn,
)
from codex_lsp.protocol.sandbox import ReadOnlySandbox, WorkspaceWriteSandbox

from .helpers import PYTHON, TIMEOUT_S, kill_group, proc_alive, require_enforcement, run, session_of


async def test_output_is_merged_streamed_and_bounded(tmp_path: Path) -> None:
    chunks: list[str] = []
    code = (
        "import sys\n"
        "sys.stdout.write('out-é\\n'); sys.stdout.flush()\n"
        "sys.stderr.write('err\\n'); sys.stderr.flush()\n"
        "sys.stdout.buffer.write('😀'.encode() * 5000); sys.stdout.flush()\n"
        "sys.stdout.write('\\nEND')\n"
    )
    spawned = await spawn([PYTHON, "-c", code], cwd=str(tmp_path), plan=None)
    try:
        text = await asyncio.wait_for(spawned.read_output(200, chunks.append), TIMEOUT_S)
        assert await asyncio.wait_for(spawned.wait(), TIMEOUT_S) == 0
    finally:
        kill_group(spawned)
    joined = "".join(chunks)
    assert joined == "out-é\nerr\n" + "😀" * 5000 + "\nEND"
    assert "\ufffd" not in joined
    assert text.startswith("out-é\nerr\n") and text.endswith("END")
    assert "bytes elided" in text and len(text.encode()) <= 200
    assert spawned.output is not None and spawned.output.total_bytes == len(joined.encode())


async def test_async_callback_and_stdin_pipe(tmp_path: Path) -> None:
    seen: list[str] = []

    async def on_chunk(text: str) -> None:
        seen.append(text)

    spawned = await spawn(["cat"], cwd=str(tmp_path), plan=None, stdin=asyncio.subprocess.PIPE)
    try:
        await spawned.write(b"echoed\n")
        spawned.close_stdin()
        out = await asyncio.wait_for(spawned.read_output(1000, on_chunk), TIMEOUT_S)
        assert await asyncio.wait_for(spawned.wait(), TIMEOUT_S) == 0
    finally:
        kill_group(spawned)
    assert out == "echoed\n" and "".join(seen) == "echoed\n"


async def test_new_session_and_missing_program(tmp_path: Path) -> None:
    spawned = await spawn(["sleep", "30"], cwd=str(tmp_path), plan=None)
    try:
        assert spawned.pgid == spawned.pid == os.getpgid(spawned.pid)
        assert session_of(spawned.pid) == spawned.pid
    finally:
        await asyncio.wait_for(spawned.kill_tree(), TIMEOUT_S)
    with pytest.raises(FileNotFoundError):
        await spawn(["/nonexistent/program"], cwd=str(tmp_path), plan=None)
    with pytest.raises(ValueError):
        await spawn([], cwd=str(tmp_path), plan=None)


async def test_no_backend_refuses_sandboxed_plans(workspace: Path) -> None:
    backend = NoBackend("no sandbox backend available on this system: test")
    plan = plan_for(WorkspaceWriteSandbox(), workspace)
    assert backend.enforcement_gap(plan) == "no sandbox backend available on this system: test"
    with pytest.raises(SandboxUnavailable, match="no sandbox backend"):
        await spawn(["true"], cwd=str(workspace), plan=plan, backend=backend)
    result = await run(["true"], cwd=workspace, plan=None, backend=backend)
    assert result.exit_code == 0


class FailingBackend(Backend):
    """A backend whose child setup fails, as a kernel refusal would."""

    name = "failing"

    def enforcement_gap(self, plan: SandboxPlan) -> str | None:
        return None

    def launch(self, plan: SandboxPlan, argv: Sequence[str], *, pty: bool) -> Launch:
        def fail() -> None:
            raise OSError(1, "landlock_restrict_self: Operation not permitted")

        return Launch(argv=tuple(argv), preexec=fail)


@pytest.mark.parametrize("use_pty", [False, True])
async def test_child_setup_failure_raises_sandbox_error(workspace: Path, use_pty: bool) -> None:
    plan = plan_for(ReadOnlySandbox(), workspace)
    with pytest.raises(SandboxError, match=r"failing.*landlock_restrict_self"):
        await spawn(["true"], cwd=str(workspace), plan=plan, backend=FailingBackend(), pty=use_pty)


TREE_SCRIPT = """
sleep 300 & echo "child $!"
setsid sleep 300 & echo "detached $!"
bash -c 'sleep 300 & echo "grandchild $!"; wait' &
bash -c 'trap "" TERM; echo "stubborn $$"; while :; do sleep 0.05; done' &
sleep 0.3
echo ready
wait
"""


async def read_until(spawned: Spawned, marker: str, timeout: float = TIMEOUT_S) -> str:
    """Output read until `marker` appears (or fail after `timeout`)."""
    seen = ""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"{marker!r} not seen in {seen!r}"
        chunk = await asyncio.wait_for(spawned.read(), remaining)
        assert chunk, f"output ended before {marker!r}: {seen!r}"
        seen += chunk.decode("utf-8", errors="replace")
    return seen


@pytest.mark.parametrize("sandboxed", [False, True])
async def test_kill_tree_kills_grandchildren_and_detached(workspace: Path, sandboxed: bool) -> None:
    plan = plan_for(WorkspaceWriteSandbox(), workspace) if sandboxed else None
    if plan is not None:
        require_enforcement(plan)
    spawned = await spawn(["bash", "-c", TREE_SCRIPT], cwd=str(workspace), plan=plan)
    pids: dict[str, int] = {}
    try:
        output = await read_until(spawned, "ready")
        for line in output.splitlines():
            name, _, pid = line.partition(" ")
            if pid.isdigit():
                pids[name] = int(pid)
        assert set(pids) == {"child", "detached", "grandchild", "stubborn"}, output
        assert session_of(pids["detached"]) != spawned.pid  # really left the session
        everything = [spawned.pid, *pids.values()]
        assert all(proc_alive(pid) for pid in everything)
        # (How long it takes is measured in benchmarks/bench_sandbox.py.)
        await asyncio.wait_for(spawned.kill_tree(), TIMEOUT_S)
        alive = [pid for pid in everything if proc_alive(pid)]
        assert alive == [], f"still alive after kill_tree: {alive}"
        assert spawned.returncode is not None
    finally:
        kill_group(spawned)
        for leftover in pids.values():
            if proc_alive(leftover):
                os.kill(leftover, 9)


@pytest.mark.parametrize("sandboxed", [False, True])
async def test_pty_interactive_bash(workspace: Path, sandboxed: bool) -> None:
    plan = plan_for(WorkspaceWriteSandbox(), workspace) if sandboxed else None
    if plan is not None:
        require_enforcement(plan)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TERM": "dumb", "PS1": "$ "}
    spawned = await spawn(
        ["bash", "--noprofile", "--norc", "-i"], cwd=str(workspace), env=env, plan=plan, pty=True
    )
    try:
        assert spawned.is_pty
        await spawned.write(b"export X=42\n")
        await spawned.write(b"echo $X\n")
        output = await read_until(spawned, "\n42\r")
        assert "no job control" not in output  # the PTY is the controlling terminal
        await spawned.write(b"tty; exit 3\n")
        rest = await asyncio.wait_for(spawned.read_output(10_000), TIMEOUT_S)
        assert "/dev/pts/" in rest
        assert await asyncio.wait_for(spawned.wait(), TIMEOUT_S) == 3
    finally:
        kill_group(spawned)
        spawned.close()
