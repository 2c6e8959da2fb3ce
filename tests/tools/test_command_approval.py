"""`shell` and `exec_command` obey the approval policy through the same decision path:
each case runs against both tools, with real processes, a real `ApprovalGate` and a
scripted user (the transport) that records what it was asked."""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from codex_lsp.core.approvals.gate import ApprovalGate, ChangeOutcome, ChangeRequest, TurnCancelled
from codex_lsp.core.sandbox.backend import detect_backend
from codex_lsp.core.sandbox.plan import plan_for
from codex_lsp.core.tools.base import ToolCall, ToolContext, ToolResult
from codex_lsp.core.tools.exec_command import ExecCommandTool, ExecSessions
from codex_lsp.core.tools.shell import ShellTool
from codex_lsp.protocol.approvals import CommandApprovalParams
from codex_lsp.protocol.enums import ApprovalDecision, AskForApproval
from codex_lsp.protocol.items import CommandExecutionItem, ThreadItem
from codex_lsp.protocol.sandbox import (
    DangerFullAccessSandbox,
    SandboxPolicy,
    WorkspaceWriteSandbox,
)

CALL_TIMEOUT_S = 30.0
TOOLS = ["shell", "exec_command"]


class ScriptedUser:
    """Answers command approvals from a list (then `decline`) and records them."""

    def __init__(self) -> None:
        self.answers: list[ApprovalDecision] = []
        self.asked: list[CommandApprovalParams] = []

    async def ask_command(self, params: CommandApprovalParams) -> ApprovalDecision:
        self.asked.append(params)
        return self.answers.pop(0) if self.answers else "decline"

    async def apply_changes(self, request: ChangeRequest) -> ChangeOutcome:
        raise AssertionError("no file changes in these tests")


class Bench:
    """One thread: both tools, its gate and the items they report."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.user = ScriptedUser()
        self.gate = ApprovalGate(self.user)
        self.sessions = ExecSessions()
        self.shell = ShellTool()
        self.exec = ExecCommandTool(self.sessions)
        self.completed: list[CommandExecutionItem] = []

    def _done(self, item: ThreadItem) -> None:
        assert isinstance(item, CommandExecutionItem)
        self.completed.append(item)

    async def run(
        self,
        tool: str,
        script: str,
        *,
        policy: AskForApproval,
        sandbox: SandboxPolicy | None = None,
        **extra: Any,
    ) -> ToolResult:
        ctx = ToolContext(
            thread_id="t",
            turn_id="u",
            cwd=str(self.cwd),
            emit=lambda event: None,
            item_started=lambda item: None,
            item_completed=self._done,
            sandbox=plan_for(sandbox or WorkspaceWriteSandbox(), self.cwd),
            approvals=self.gate,
            approval_policy=policy,
        )
        if tool == "shell":
            args = {"command": ["bash", "-c", script], **extra}
            call = ToolCall("c", "shell", "function_call", json.dumps(args))
            return await asyncio.wait_for(self.shell.run(call, ctx), CALL_TIMEOUT_S)
        args = {"cmd": script, "login": False, "yield_time_ms": 5000, **extra}
        call = ToolCall("c", "exec_command", "function_call", json.dumps(args))
        return await asyncio.wait_for(self.exec.run(call, ctx), CALL_TIMEOUT_S)


@pytest.fixture
async def bench(tmp_path: Path) -> AsyncIterator[Bench]:
    b = Bench(tmp_path)
    try:
        yield b
    finally:
        await asyncio.wait_for(b.sessions.close_all(), 10)


@pytest.fixture
def outside() -> Iterator[Path]:
    """A directory outside the writable roots (the temp directory is writable)."""
    base = Path("/var/tmp") if Path("/var/tmp").is_dir() else Path.home()
    path = Path(tempfile.mkdtemp(prefix="codex-approval-outside-", dir=base))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("tool", TOOLS)
async def test_untrusted_asks_before_running_and_a_decline_runs_nothing(
    bench: Bench, tool: str
) -> None:
    result = await bench.run(tool, "touch made.txt", policy="untrusted")
    assert not result.success and "declined" in result.output
    assert not (bench.cwd / "made.txt").exists()
    (asked,) = bench.user.asked
    assert asked.command == "touch made.txt" and asked.cwd == str(bench.cwd)
    assert asked.item_id == bench.completed[-1].id
    assert bench.completed[-1].status == "declined"


@pytest.mark.parametrize("tool", TOOLS)
async def test_untrusted_runs_known_safe_commands_without_asking(bench: Bench, tool: str) -> None:
    result = await bench.run(tool, "echo hi && ls", policy="untrusted")
    assert result.success and "hi" in result.output
    assert bench.user.asked == []
    assert bench.completed[-1].status == "completed"


@pytest.mark.parametrize("tool", TOOLS)
async def test_accept_runs_and_accept_for_session_is_remembered(bench: Bench, tool: str) -> None:
    bench.user.answers = ["accept"]
    await bench.run(tool, "touch once.txt", policy="untrusted")
    assert (bench.cwd / "once.txt").exists()
    bench.user.answers = ["acceptForSession"]
    for _ in range(2):
        result = await bench.run(tool, "touch twice.txt", policy="untrusted")
        assert result.success
    assert [p.command for p in bench.user.asked] == ["touch once.txt", "touch twice.txt"]
    assert (bench.cwd / "twice.txt").exists()


@pytest.mark.parametrize("tool", TOOLS)
async def test_cancel_declines_and_stops_the_turn(bench: Bench, tool: str) -> None:
    bench.user.answers = ["cancel"]
    with pytest.raises(TurnCancelled):
        await bench.run(tool, "touch no.txt", policy="untrusted")
    assert not (bench.cwd / "no.txt").exists()
    assert bench.completed[-1].status == "declined"


@pytest.mark.parametrize("tool", TOOLS)
async def test_danger_full_access_asks_only_under_untrusted(bench: Bench, tool: str) -> None:
    full = DangerFullAccessSandbox()
    await bench.run(tool, "touch a.txt", policy="untrusted", sandbox=full)
    assert len(bench.user.asked) == 1 and not (bench.cwd / "a.txt").exists()
    result = await bench.run(tool, "touch b.txt", policy="on-request", sandbox=full)
    assert result.success and (bench.cwd / "b.txt").exists()
    assert len(bench.user.asked) == 1


@pytest.mark.parametrize("tool", TOOLS)
async def test_escalation_is_asked_and_refused_under_never(bench: Bench, tool: str) -> None:
    result = await bench.run(
        tool,
        "echo hi",
        policy="on-request",
        with_escalated_permissions=True,
        justification="needs the network",
    )
    assert not result.success
    (asked,) = bench.user.asked
    assert asked.reason == "needs the network"
    result = await bench.run(tool, "touch esc.txt", policy="never", with_escalated_permissions=True)
    assert not result.success and "refused" in result.output
    assert len(bench.user.asked) == 1 and not (bench.cwd / "esc.txt").exists()


@pytest.mark.parametrize("tool", TOOLS)
async def test_on_failure_offers_a_rerun_outside_the_sandbox(
    bench: Bench, tool: str, outside: Path
) -> None:
    plan = plan_for(WorkspaceWriteSandbox(), bench.cwd)
    if plan.allows_write(outside):
        pytest.skip(f"{outside} is inside a writable root here")
    gap = detect_backend().enforcement_gap(plan)
    if gap is not None:
        pytest.skip(f"no sandbox here: {gap}")
    target = outside / "out.txt"
    bench.user.answers = ["decline"]
    result = await bench.run(tool, f"echo x > {target}", policy="on-failure")
    assert not result.success and not target.exists()
    bench.user.answers = ["accept"]
    result = await bench.run(tool, f"echo x > {target}", policy="on-failure")
    assert result.success and target.read_text() == "x\n"
    assert all("sandbox blocked" in (p.reason or "") for p in bench.user.asked)
    assert len(bench.user.asked) == 2
    assert bench.completed[-1].status == "completed"
