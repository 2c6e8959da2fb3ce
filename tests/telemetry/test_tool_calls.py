"""`codex.tool_decision` and `codex.tool_result` for each tool call, through the real
tool registry and approval gate (the tools are small fakes that ask, decline or fail)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from codex_lsp.core.approvals.gate import ApprovalGate, ChangeOutcome, ChangeRequest
from codex_lsp.core.telemetry import catalog, reporting
from codex_lsp.core.telemetry.sink import Conversation
from codex_lsp.core.tools.base import InvalidArguments, ToolCall, ToolCaps, ToolContext, ToolResult
from codex_lsp.core.tools.registry import ToolRegistry
from codex_lsp.protocol.approvals import CommandApprovalParams
from codex_lsp.protocol.enums import ApprovalDecision
from codex_lsp.protocol.items import CommandExecutionItem, ThreadItem
from tests.telemetry.memory import MemoryPipeline


class Transport:
    """Answers every command approval with the next scripted decision."""

    def __init__(self, *decisions: ApprovalDecision) -> None:
        self.decisions = list(decisions)
        self.blocked = asyncio.Event()

    async def ask_command(self, params: CommandApprovalParams) -> ApprovalDecision:
        if not self.decisions:  # no answer: the user never decides
            self.blocked.set()
            await asyncio.Event().wait()
        return self.decisions.pop(0)

    async def apply_changes(self, request: ChangeRequest) -> ChangeOutcome:
        return ChangeOutcome(decision="accept")


class FakeTool:
    """`ask`: asks the gate about `argv`; `decline`: its item completes declined without
    asking (a policy refusal); `plain`: runs; `invalid`: rejects its arguments; `fail`:
    runs and fails."""

    parallel_safe = False

    def __init__(self, name: str) -> None:
        self.name = name

    def spec(self, caps: ToolCaps) -> dict[str, Any] | None:
        return {"type": "function", "name": self.name}

    async def run(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        if self.name == "invalid":  # refused before any item shows
            raise InvalidArguments("invalid arguments for invalid: path: Field required")
        item = CommandExecutionItem(
            id=f"item-{call.call_id}", command=call.payload, cwd=ctx.cwd, status="inProgress"
        )
        ctx.item_started(item)
        if self.name == "ask":
            assert ctx.approvals is not None
            argv = [call.payload]
            if not ctx.approvals.command_approved(argv, ctx.cwd):
                params = CommandApprovalParams(
                    thread_id="t",
                    turn_id="u",
                    item_id=item.id,
                    command=call.payload,
                    cwd=ctx.cwd,
                    command_actions=[],
                )
                decision = await ctx.approvals.ask_command(params, argv)
                if decision in ("decline", "cancel"):
                    item.status = "declined"
                    ctx.item_completed(item)
                    return ToolResult("The user declined to run this command.", success=False)
        if self.name == "decline":
            item.status = "declined"
            ctx.item_completed(item)
            return ToolResult("Command refused: approval policy is `never`.", success=False)
        item.status = "failed" if self.name == "fail" else "completed"
        ctx.item_completed(item)
        return ToolResult(f"ran {call.payload}", success=self.name != "fail")


def _context(tmp_path: Path, gate: ApprovalGate) -> ToolContext:
    items: list[ThreadItem] = []
    return ToolContext(
        thread_id="t",
        turn_id="u",
        cwd=str(tmp_path),
        emit=lambda _event: None,
        item_started=items.append,
        item_completed=items.append,
        approvals=gate,
    )


async def _run(
    tmp_path: Path,
    calls: list[ToolCall],
    transport: Transport,
    pipeline: MemoryPipeline | None = None,
) -> MemoryPipeline:
    pipeline = pipeline or MemoryPipeline()
    registry = ToolRegistry([FakeTool(n) for n in ("ask", "decline", "plain", "invalid", "fail")])
    ctx = _context(tmp_path, ApprovalGate(transport))
    with reporting(Conversation(pipeline.emit, {"conversation.id": "t"})):
        await asyncio.wait_for(registry.run_calls(calls, ctx), 10)
    return pipeline


def _call(name: str, call_id: str, payload: str = "cmd") -> ToolCall:
    return ToolCall(call_id=call_id, name=name, kind="function_call", payload=payload)


def _decisions(pipeline: MemoryPipeline) -> dict[str, tuple[str, str]]:
    return {
        d["call_id"]: (d["decision"], d["source"]) for d in pipeline.named(catalog.TOOL_DECISION)
    }


async def test_who_decided_each_call(tmp_path: Path) -> None:
    calls = [
        _call("ask", "accepted", "touch a"),
        _call("ask", "for-session", "touch b"),
        _call("ask", "remembered", "touch b"),
        _call("ask", "declined", "touch c"),
        _call("decline", "policy"),
        _call("plain", "ran"),
        _call("fail", "failed"),
        _call("invalid", "invalid"),
        _call("nope", "unknown"),
    ]
    pipeline = await _run(tmp_path, calls, Transport("accept", "acceptForSession", "decline"))
    assert _decisions(pipeline) == {
        "accepted": ("approved", "user"),
        "for-session": ("approved_for_session", "user"),
        "remembered": ("approved_for_session", "config"),
        "declined": ("denied", "user"),
        "policy": ("denied", "config"),
        "ran": ("approved", "config"),
        "failed": ("approved", "config"),
        "invalid": ("denied", "config"),
        "unknown": ("denied", "config"),
    }
    results = {r["call_id"]: r for r in pipeline.named(catalog.TOOL_RESULT)}
    assert [r["call_id"] for r in pipeline.named(catalog.TOOL_RESULT)] == [c.call_id for c in calls]
    assert {k: r["success"] for k, r in results.items()} == {
        "accepted": "true",
        "for-session": "true",
        "remembered": "true",
        "declined": "false",
        "policy": "false",
        "ran": "true",
        "failed": "false",
        "invalid": "false",
        "unknown": "false",
    }
    assert results["accepted"]["output"] == "ran touch a"
    assert (
        results["accepted"]["arguments"] == "touch a" and results["accepted"]["tool_name"] == "ask"
    )
    assert "unknown tool 'nope'" in str(results["unknown"]["output"])
    # Each decision comes right before its result.
    names = [n for n, _, _ in pipeline.events]
    assert names == [catalog.TOOL_DECISION, catalog.TOOL_RESULT] * len(calls)


async def test_cancel_is_an_abort(tmp_path: Path) -> None:
    pipeline = await _run(tmp_path, [_call("ask", "c1")], Transport("cancel"))
    assert _decisions(pipeline) == {"c1": ("abort", "user")}


async def test_an_interrupt_while_waiting_is_an_abort_and_aborted_result(tmp_path: Path) -> None:
    transport, pipeline = Transport(), MemoryPipeline()  # the user never answers
    task = asyncio.ensure_future(_run(tmp_path, [_call("ask", "waiting")], transport, pipeline))
    await asyncio.wait_for(transport.blocked.wait(), 10)
    assert pipeline.events == []
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert _decisions(pipeline) == {"waiting": ("abort", "user")}
    (result,) = pipeline.named(catalog.TOOL_RESULT)
    assert result["success"] == "false" and result["output"] == "aborted"


async def test_nothing_is_reported_without_a_conversation(tmp_path: Path) -> None:
    registry = ToolRegistry([FakeTool("plain")])
    outputs = await registry.run_calls(
        [_call("plain", "c")], _context(tmp_path, ApprovalGate(Transport()))
    )
    assert outputs[0]["output"] == "ran cmd"
