"""The `shell` tool: run a command (argv) under the sandbox and the approval policy,
streaming its output into a `commandExecution` item."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ...protocol.items import CommandExecutionItem
from .. import events as ev
from ..approvals.commands import ask_rerun_after_denial, clear_command
from ..approvals.gate import TurnCancelled
from ..sandbox.backend import SandboxError
from ..sandbox.environment import environment_or_default
from ..sandbox.plan import SandboxPlan
from ..sandbox.spawn import spawn
from ..turns.stream_state import new_id
from .base import (
    ToolCall,
    ToolCaps,
    ToolContext,
    ToolError,
    ToolResult,
    function_tool,
    parse_arguments,
)
from .command_actions import command_text, parse_command_actions

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_MS = 10_000
MAX_TIMEOUT_MS = 60 * 60 * 1000
# What the item keeps of the output (the model gets a smaller, bounded copy).
ITEM_OUTPUT_BYTES = 1024 * 1024

DESCRIPTION = (
    "Runs a command and returns its output and exit code. `command` is an argv list; use "
    '["bash", "-lc", "<script>"] for shell syntax (pipes, &&, redirections). Commands run '
    "in a sandbox that may block writes outside the workspace and network access. If a "
    "command needs more (installing packages, writing elsewhere, network), set "
    "`with_escalated_permissions` and give a one-sentence `justification`: the user will "
    "be asked. Prefer `rg` for searching. Set `workdir` instead of `cd`."
)


class ShellArgs(BaseModel):
    """Arguments of `shell`."""

    model_config = ConfigDict(extra="ignore")

    command: list[str] = Field(min_length=1)
    workdir: str | None = None
    timeout_ms: int | None = Field(default=None, ge=1)
    with_escalated_permissions: bool | None = None
    justification: str | None = None


SPEC: dict[str, Any] = function_tool(
    "shell",
    DESCRIPTION,
    {
        "command": {
            "type": "array",
            "items": {"type": "string"},
            "description": "The command and its arguments.",
        },
        "workdir": {"type": "string", "description": "Directory to run in (default cwd)."},
        "timeout_ms": {"type": "number", "description": "Timeout in milliseconds."},
        "with_escalated_permissions": {
            "type": "boolean",
            "description": "Run without the sandbox (the user is asked first).",
        },
        "justification": {
            "type": "string",
            "description": "Why escalated permissions are needed (shown to the user).",
        },
    },
    ["command"],
)


class Execution:
    """The result of running a command once."""

    def __init__(self) -> None:
        self.exit_code: int | None = None
        self.output = ""
        self.timed_out = False
        self.started = time.monotonic()

    @property
    def duration_ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)


async def run_command(
    argv: list[str],
    *,
    cwd: str,
    plan: SandboxPlan | None,
    timeout_s: float | None,
    ctx: ToolContext,
    item_id: str,
    run: Execution | None = None,
    stream: ev.CommandOutputStream | None = None,
) -> Execution:
    """Run `argv` in `ctx.env` (default: the server's environment under the default
    shell environment policy), streaming output deltas through `stream` (default: a new
    one for `item_id`, capped per item); kills the whole tree on timeout or interrupt.
    `run` (if given) holds the output so far even when the call is cancelled."""
    run = run if run is not None else Execution()
    if stream is None:
        stream = ev.CommandOutputStream(ctx.emit, ctx.thread_id, ctx.turn_id, item_id)
    env = environment_or_default(ctx.env)
    try:
        proc = await spawn(argv, cwd=cwd, env=env, plan=plan)
    except FileNotFoundError:
        run.exit_code, run.output = 127, f"command not found: {argv[0]}\n"
        return run
    except PermissionError as exc:
        run.exit_code, run.output = 126, f"cannot execute {argv[0]}: {exc.strerror}\n"
        return run

    try:
        async with asyncio.timeout(timeout_s):
            await proc.read_output(ITEM_OUTPUT_BYTES, stream.write)
            run.exit_code = await proc.wait()
    except TimeoutError:
        run.timed_out = True
        await proc.kill_tree()
    except asyncio.CancelledError:
        await asyncio.shield(proc.kill_tree())
        run.output = proc.output.text() if proc.output is not None else ""
        raise
    finally:
        proc.close()
    run.output = proc.output.text() if proc.output is not None else ""
    return run


def _model_output(run: Execution, timeout_ms: int) -> str:
    output = run.output
    if run.timed_out:
        output += f"\n[command timed out after {timeout_ms} ms and was killed]"
    code = run.exit_code if run.exit_code is not None else 124
    metadata = {"exit_code": code, "duration_seconds": round(run.duration_ms / 1000, 1)}
    return json.dumps({"output": output, "metadata": metadata})


def _workdir(cwd: str, workdir: str | None) -> str:
    path = str((Path(cwd) / workdir).resolve()) if workdir else cwd
    if not os.path.isdir(path):
        raise ToolError(f"workdir {path} does not exist")
    return path


class ShellTool:
    """Runs commands for the model."""

    name = "shell"
    parallel_safe = False

    def spec(self, caps: ToolCaps) -> dict[str, Any] | None:
        return SPEC

    async def run(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        args = parse_arguments(call, ShellArgs)
        cwd = _workdir(ctx.cwd, args.workdir)
        argv = args.command
        item = CommandExecutionItem(
            id=new_id("cmd"),
            command=command_text(argv),
            cwd=cwd,
            status="inProgress",
            command_actions=parse_command_actions(argv, cwd),
        )
        ctx.item_started(item)
        clearance = await clear_command(
            ctx,
            item,
            argv,
            escalated=bool(args.with_escalated_permissions),
            justification=args.justification,
        )
        if not clearance.allowed:
            return self._declined(ctx, item, clearance.message, cancel=clearance.cancel)
        timeout_ms = min(args.timeout_ms or DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS)
        # One stream per item: a rerun outside the sandbox shares the item's cap.
        stream = ev.CommandOutputStream(ctx.emit, ctx.thread_id, ctx.turn_id, item.id)
        if ctx.snapshots is not None:
            await ctx.snapshots.before_command()
        run = await self._execute(ctx, item, argv, cwd, clearance.plan, timeout_ms, stream)
        decision = await ask_rerun_after_denial(
            ctx, item, argv, clearance.plan, run.exit_code, run.output
        )
        if decision in ("accept", "acceptForSession"):
            run = await self._execute(ctx, item, argv, cwd, None, timeout_ms, stream)
        elif decision == "cancel":
            self._complete(ctx, item, run)
            raise TurnCancelled()
        if ctx.snapshots is not None:
            await ctx.snapshots.after_command()
        self._complete(ctx, item, run)
        return ToolResult(_model_output(run, timeout_ms), success=run.exit_code == 0)

    async def _execute(
        self,
        ctx: ToolContext,
        item: CommandExecutionItem,
        argv: list[str],
        cwd: str,
        plan: SandboxPlan | None,
        timeout_ms: int,
        stream: ev.CommandOutputStream,
    ) -> Execution:
        run = Execution()
        try:
            return await run_command(
                argv,
                cwd=cwd,
                plan=plan,
                timeout_s=timeout_ms / 1000,
                ctx=ctx,
                item_id=item.id,
                run=run,
                stream=stream,
            )
        except asyncio.CancelledError:
            item.status = "failed"
            item.aggregated_output = run.output
            item.duration_ms = run.duration_ms
            ctx.item_completed(item)
            raise
        except SandboxError as exc:
            run = Execution()
            run.exit_code, run.output = 1, f"sandbox error: {exc}\n"
            return run

    def _complete(self, ctx: ToolContext, item: CommandExecutionItem, run: Execution) -> None:
        item.status = "completed" if run.exit_code == 0 else "failed"
        item.aggregated_output = run.output
        item.exit_code = run.exit_code
        item.duration_ms = run.duration_ms
        ctx.item_completed(item)

    def _declined(
        self, ctx: ToolContext, item: CommandExecutionItem, message: str, cancel: bool = False
    ) -> ToolResult:
        item.status = "declined"
        ctx.item_completed(item)
        if cancel:
            raise TurnCancelled()
        return ToolResult(message, success=False)
