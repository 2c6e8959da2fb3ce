"""exec_command / write_stdin: real processes on PTYs, every wait bounded, every session
closed in a `finally`.

Commands run with `login: false`: a login shell reads the machine's profile, which can be
slow or block (a `pyenv rehash` waiting for a lock, say); `-lc` itself is checked with a
stand-in shell that prints its arguments."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from codex_lsp.core.sandbox.backend import SandboxUnavailable, detect_backend
from codex_lsp.core.sandbox.plan import SandboxPlan, plan_for
from codex_lsp.core.tools import pty_sessions
from codex_lsp.core.tools.base import ToolCall, ToolCaps, ToolContext, ToolError, ToolResult
from codex_lsp.core.tools.exec_command import (
    MAX_OUTPUT_BYTES,
    MAX_YIELD_MS,
    ExecCommandTool,
    ExecSessions,
    WriteStdinTool,
    clamp_yield_time_ms,
    output_cap_bytes,
)
from codex_lsp.core.tools.pty_sessions import incomplete_utf8_tail
from codex_lsp.protocol.items import CommandExecutionItem, ThreadItem
from codex_lsp.protocol.sandbox import DangerFullAccessSandbox, WorkspaceWriteSandbox

CALL_TIMEOUT_S = 30.0
PYTHON = sys.executable


def _command_item(item: ThreadItem) -> CommandExecutionItem:
    assert isinstance(item, CommandExecutionItem)
    return item


class Harness:
    """One thread's sessions, both tools and a context; records the items."""

    def __init__(self, cwd: Path, plan: SandboxPlan | None, **session_opts: Any) -> None:
        self.sessions = ExecSessions(**session_opts)
        self.exec = ExecCommandTool(self.sessions)
        self.write = WriteStdinTool(self.sessions)
        self.started: list[CommandExecutionItem] = []
        self.completed: list[CommandExecutionItem] = []
        self.ctx = ToolContext(
            thread_id="t",
            turn_id="u",
            cwd=str(cwd),
            emit=lambda event: None,
            item_started=lambda item: self.started.append(_command_item(item)),
            item_completed=lambda item: self.completed.append(_command_item(item)),
            sandbox=plan,
        )

    async def run_exec(self, **args: Any) -> ToolResult:
        call = ToolCall("c1", "exec_command", "function_call", json.dumps(args))
        return await asyncio.wait_for(self.exec.run(call, self.ctx), CALL_TIMEOUT_S)

    async def run_write(self, **args: Any) -> ToolResult:
        call = ToolCall("c2", "write_stdin", "function_call", json.dumps(args))
        return await asyncio.wait_for(self.write.run(call, self.ctx), CALL_TIMEOUT_S)

    async def write_until(self, session_id: int, chars: str, needle: str) -> str:
        """Type `chars`, then poll until `needle` shows up (bounded)."""
        seen = (await self.run_write(session_id=session_id, chars=chars, yield_time_ms=300)).output
        deadline = time.monotonic() + 10
        while needle not in seen and time.monotonic() < deadline:
            seen += (await self.run_write(session_id=session_id, yield_time_ms=300)).output
        return seen


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    h = Harness(tmp_path, plan_for(DangerFullAccessSandbox(), tmp_path))
    try:
        yield h
    finally:
        await asyncio.wait_for(h.sessions.close_all(), 10)


@pytest.fixture
def outside() -> Iterator[Path]:
    """A directory outside the writable roots (the temp directory is writable)."""
    base = Path("/var/tmp") if Path("/var/tmp").is_dir() else Path.home()
    path = Path(tempfile.mkdtemp(prefix="codex-exec-outside-", dir=base))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def session_id_of(output: str) -> int:
    match = re.search(r"Process running with session ID (\d+)", output)
    assert match, output
    return int(match.group(1))


def body(output: str) -> str:
    """What follows the `Output:` line."""
    return output.split("Output:\n", 1)[1]


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        return False
    state = data[data.rfind(b")") + 2 : data.rfind(b")") + 3]
    return state not in (b"Z", b"X")


async def test_state_is_kept_across_calls(harness: Harness) -> None:
    first = await harness.run_exec(cmd="bash --noprofile --norc", yield_time_ms=300, login=False)
    sid = session_id_of(first.output)
    await harness.run_write(session_id=sid, chars="export X=5\n", yield_time_ms=300)
    seen = await harness.write_until(sid, "echo value=$X\n", "value=5")
    assert re.search(r"^value=5\s*$", seen, re.M), seen
    assert len(harness.sessions) == 1


async def test_short_command_exits_with_its_code(harness: Harness) -> None:
    result = await harness.run_exec(cmd="echo hello; exit 3", login=False)
    assert result.output.startswith("Process exited with code 3\nWall time: ")
    assert body(result.output) == "hello\n"
    assert not result.success
    assert len(harness.sessions) == 0  # nothing left to talk to
    ok = await harness.run_exec(cmd="echo fine", login=False)
    assert ok.success and "Process exited with code 0" in ok.output
    # The items: one per exec_command, completed with the exit code.
    assert [i.exit_code for i in harness.completed] == [3, 0]
    assert [i.status for i in harness.completed] == ["failed", "completed"]
    assert len(harness.started) == 2


async def test_workdir_is_relative_to_cwd(harness: Harness, tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    result = await harness.run_exec(cmd="pwd", workdir="sub", login=False)
    assert body(result.output).strip() == str(tmp_path / "sub")
    with pytest.raises(ToolError, match="does not exist"):
        await harness.run_exec(cmd="pwd", workdir="missing")


def test_yield_time_is_clamped() -> None:
    assert clamp_yield_time_ms(120_000, 10_000) == MAX_YIELD_MS == 60_000
    assert clamp_yield_time_ms(None, 10_000) == 10_000
    assert clamp_yield_time_ms(-5, 250) == 0
    assert output_cap_bytes(None) == MAX_OUTPUT_BYTES
    assert output_cap_bytes(100) == 400
    assert output_cap_bytes(10**9) == MAX_OUTPUT_BYTES


async def test_long_command_yields_and_large_yield_returns_on_exit(harness: Harness) -> None:
    started = time.monotonic()
    result = await harness.run_exec(cmd="sleep 100", yield_time_ms=200, login=False)
    assert time.monotonic() - started < 5
    assert result.success
    sid = session_id_of(result.output)
    # A huge yield is clamped (and said so), and a process exit ends the wait early.
    started = time.monotonic()
    quick = await harness.run_exec(cmd="echo done", yield_time_ms=120_000, login=False)
    assert time.monotonic() - started < 5
    assert "exceeds the maximum; waited 60000 ms" in quick.output
    assert body(quick.output) == "done\n"
    assert harness.sessions.ids() == [sid]


async def test_output_is_capped_at_128_kib(harness: Harness) -> None:
    script = "import sys; sys.stdout.write('x' * 1048576 + 'END'); sys.stdout.flush()"
    result = await harness.run_exec(cmd=f'{PYTHON} -c "{script}"', login=False)
    assert "Process exited with code 0" in result.output
    out = body(result.output)
    assert len(out.encode()) <= MAX_OUTPUT_BYTES
    assert len(out.encode()) > MAX_OUTPUT_BYTES - 200
    assert out.startswith("xxxx") and out.endswith("xxEND")
    assert "bytes elided" in out
    # max_output_tokens narrows it further; multibyte characters are never split.
    wide = "import sys; sys.stdout.write('\u00e9\u4e2d' * 200000)"
    small = await harness.run_exec(cmd=f'{PYTHON} -c "{wide}"', login=False, max_output_tokens=250)
    text = body(small.output)
    assert len(text.encode()) <= 1000
    assert "\ufffd" not in text


async def test_unread_output_past_the_buffer_is_dropped(tmp_path: Path) -> None:
    h = Harness(tmp_path, None, buffer_bytes=1000)
    try:
        result = await h.run_exec(
            cmd=f"{PYTHON} -c \"print('a' * 5000 + 'TAIL')\"; sleep 100",
            yield_time_ms=1000,
            login=False,
        )
        out = body(result.output)
        assert out.startswith("aaaa") and out.endswith("aTAIL\n"), out
        elided = re.search(r"\[\.\.\. (\d+) bytes elided \.\.\.\]", out)
        assert elided is not None and len(out) < 1100
        # The marker line (with its two newlines) stands for the elided bytes.
        assert len(out) - len(elided.group(0)) - 2 + int(elided.group(1)) == 5005
    finally:
        await asyncio.wait_for(h.sessions.close_all(), 10)


async def test_close_all_kills_the_process_tree(harness: Harness) -> None:
    cmd = (
        "sleep 100 & echo CHILD=$!; "
        f'{PYTHON} -c \'import os,time; os.setsid(); print("CHILD=%d" % os.getpid(), '
        "flush=True); time.sleep(100)' & "
        "wait"
    )
    result = await harness.run_exec(cmd=cmd, yield_time_ms=1500, login=False)
    sid = session_id_of(result.output)
    pids = [int(p) for p in re.findall(r"CHILD=(\d+)", result.output)]
    session = harness.sessions.get(sid)
    assert session is not None and len(pids) == 2
    pids.append(session.pid)
    assert all(alive(pid) for pid in pids)
    await asyncio.wait_for(harness.sessions.close_all(), 5)
    deadline = time.monotonic() + 0.2
    for _ in range(1000):
        if not any(alive(pid) for pid in pids) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.01)
    assert not [pid for pid in pids if alive(pid)]
    assert len(harness.sessions) == 0
    with pytest.raises(ToolError, match="could not start"):
        await harness.run_exec(cmd="echo late", login=False)


async def test_unknown_session_id_is_an_error(harness: Harness) -> None:
    with pytest.raises(ToolError, match="unknown session id 42"):
        await harness.run_write(session_id=42, chars="x")
    done = await harness.run_exec(cmd="true", login=False)
    assert "Process exited with code 0" in done.output
    with pytest.raises(ToolError, match="unknown session id 1"):
        await harness.run_write(session_id=1)


async def test_interactive_input(harness: Harness) -> None:
    result = await harness.run_exec(
        cmd=f"{PYTHON} -c \"print('got:' + input())\"", yield_time_ms=500, login=False
    )
    sid = session_id_of(result.output)
    reply = await harness.run_write(session_id=sid, chars="hello\n", yield_time_ms=5000)
    assert "Process exited with code 0" in reply.output
    assert "got:hello" in body(reply.output)
    assert harness.sessions.get(sid) is None


async def test_exit_seen_by_a_later_poll_and_ctrl_c(harness: Harness) -> None:
    result = await harness.run_exec(cmd="sleep 0.3; echo bye", yield_time_ms=0, login=False)
    sid = session_id_of(result.output)
    polled = await harness.run_write(session_id=sid, yield_time_ms=5000)
    assert "Process exited with code 0" in polled.output and "bye" in body(polled.output)

    cat = await harness.run_exec(cmd="exec cat", yield_time_ms=200, login=False)
    cat_id = session_id_of(cat.output)
    interrupted = await harness.run_write(session_id=cat_id, chars="\x03", yield_time_ms=5000)
    assert "Process killed by signal 2 (SIGINT)" in interrupted.output
    assert len(harness.sessions) == 0


async def test_cancelled_wait_keeps_the_session(harness: Harness) -> None:
    args = {"cmd": "sleep 100", "login": False}
    call = ToolCall("c1", "exec_command", "function_call", json.dumps(args))
    task = asyncio.create_task(harness.exec.run(call, harness.ctx))
    for _ in range(250):
        if len(harness.sessions):
            break
        await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 5)
    session = harness.sessions.get(1)
    assert session is not None and alive(session.pid)
    assert harness.completed[-1].status == "failed"
    polled = await harness.run_write(session_id=1, yield_time_ms=50)
    assert "Process running with session ID 1" in polled.output


async def test_session_cap_closes_the_oldest(tmp_path: Path) -> None:
    h = Harness(tmp_path, None, max_sessions=2)
    try:
        for _ in range(2):
            await h.run_exec(cmd="sleep 100", yield_time_ms=50, login=False)
        first = h.sessions.get(1)
        assert first is not None
        await h.run_write(session_id=1, yield_time_ms=10)  # 2 is now the least recent
        third = await h.run_exec(cmd="sleep 100", yield_time_ms=50, login=False)
        assert "closed session 2 ('sleep 100')" in third.output
        assert h.sessions.ids() == [1, 3]
    finally:
        await asyncio.wait_for(h.sessions.close_all(), 10)
    assert not alive(first.pid)


async def test_exited_session_is_pruned_before_a_running_one(tmp_path: Path) -> None:
    h = Harness(tmp_path, None, max_sessions=2)
    try:
        await h.run_exec(cmd="sleep 100", yield_time_ms=50, login=False)
        await h.run_exec(cmd="sleep 0.2; echo x", yield_time_ms=0, login=False)
        exited = h.sessions.get(2)
        assert exited is not None
        await asyncio.wait_for(exited.wait(10), 15)
        await h.run_write(session_id=1, yield_time_ms=10)
        third = await h.run_exec(cmd="sleep 100", yield_time_ms=50, login=False)
        assert "closed session 2" in third.output
        assert h.sessions.ids() == [1, 3]
    finally:
        await asyncio.wait_for(h.sessions.close_all(), 10)


async def test_sandbox_unavailable_is_reported(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refuse(*args: Any, **kwargs: Any) -> Any:
        raise SandboxUnavailable("no Landlock here")

    monkeypatch.setattr(pty_sessions, "spawn", refuse)
    harness.ctx.sandbox = plan_for(WorkspaceWriteSandbox(), tmp_path)
    with pytest.raises(ToolError, match=r"sandbox cannot be enforced.*no Landlock here"):
        await harness.run_exec(cmd="echo hi", login=False)
    assert len(harness.sessions) == 0
    assert harness.completed[-1].status == "failed"


async def test_workspace_write_sandbox_blocks_writes_outside(tmp_path: Path, outside: Path) -> None:
    plan = plan_for(WorkspaceWriteSandbox(), tmp_path)
    if plan.allows_write(outside):
        pytest.skip(f"{outside} is inside a writable root here")
    gap = detect_backend().enforcement_gap(plan)
    if gap is not None:
        pytest.skip(f"no sandbox here: {gap}")
    h = Harness(tmp_path, plan)
    try:
        result = await h.run_exec(
            cmd=f"echo in > inside.txt && echo ok; echo out > {outside}/escaped.txt",
            login=False,
        )
        assert "Process exited with code 1" in result.output
        assert "ok" in body(result.output)
        assert (tmp_path / "inside.txt").read_text() == "in\n"
        assert not (outside / "escaped.txt").exists()
        assert "ermission denied" in body(result.output)
        # An interactive session stays sandboxed too.
        shell = await h.run_exec(cmd="bash --noprofile --norc", yield_time_ms=300, login=False)
        sid = session_id_of(shell.output)
        seen = await h.write_until(sid, f"touch {outside}/b; echo rc=$?\n", "rc=1")
        assert "rc=1" in seen
        assert list(outside.iterdir()) == []
    finally:
        await asyncio.wait_for(h.sessions.close_all(), 10)


def test_specs() -> None:
    sessions = ExecSessions()
    exec_spec = ExecCommandTool(sessions).spec(ToolCaps())
    write_spec = WriteStdinTool(sessions).spec(ToolCaps())
    assert exec_spec is not None and write_spec is not None
    assert exec_spec["name"] == "exec_command"
    assert exec_spec["parameters"]["required"] == ["cmd"]
    assert write_spec["name"] == "write_stdin"
    assert write_spec["parameters"]["required"] == ["session_id"]
    assert not ExecCommandTool.parallel_safe and not WriteStdinTool.parallel_safe


def test_incomplete_utf8_tail() -> None:
    assert incomplete_utf8_tail(b"abc") == 0
    assert incomplete_utf8_tail("é".encode()) == 0
    assert incomplete_utf8_tail("é".encode()[:1]) == 1
    assert incomplete_utf8_tail(b"a" + "中".encode()[:2]) == 2
    assert incomplete_utf8_tail("😀".encode()[:3]) == 3
    assert incomplete_utf8_tail(b"") == 0


async def test_bad_arguments(harness: Harness) -> None:
    with pytest.raises(ToolError, match="cmd"):
        await harness.run_exec(cmd="")
    with pytest.raises(ToolError, match="shell not found"):
        await harness.run_exec(cmd="true", shell="/nonexistent/shell")
    assert os.path.isdir(harness.ctx.cwd)


async def test_login_shell_flag(harness: Harness, tmp_path: Path) -> None:
    fake = tmp_path / "fake-shell"
    fake.write_text('#!/bin/sh\nfor a in "$@"; do echo "arg:$a"; done\n')
    fake.chmod(0o755)
    login = await harness.run_exec(cmd="echo x", shell=str(fake))
    assert body(login.output) == "arg:-lc\narg:echo x\n"
    plain = await harness.run_exec(cmd="echo x", shell=str(fake), login=False)
    assert body(plain.output) == "arg:-c\narg:echo x\n"
