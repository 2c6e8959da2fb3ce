"""`exec_command` and `write_stdin`: commands on a pseudo-terminal that outlive a tool call.

`exec_command` starts `[shell, "-lc" | "-c", cmd]` on a PTY under the turn's sandbox
plan, waits up to `yield_time_ms` (or until the process exits) and returns the output so
far: with the exit code when the process is done, else with a session id. `write_stdin`
types into that session, waits again and returns the output produced since the last
call. Sessions belong to the thread (`ExecSessions`): an interrupted turn leaves them
running, and the thread's owner kills them all with `close_all()`.

As `shell` does, the output is also streamed to the client as it is read, as
`outputDelta` of the exec_command's item (what `write_stdin` follow-ups bring out too),
at most 1 MiB per item (`events.CommandOutputStream`).
"""

from __future__ import annotations

import asyncio
import codecs
import os
import signal
import time
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ...protocol.items import CommandExecutionItem
from .. import events as ev
from ..approvals.commands import ask_rerun_after_denial, clear_command
from ..approvals.gate import TurnCancelled
from ..sandbox.backend import SandboxError, SandboxUnavailable
from ..sandbox.bounds import ELISION_TEMPLATE, bounded_text
from ..sandbox.environment import environment_or_default
from ..sandbox.plan import SandboxPlan
from .base import (
    ToolCall,
    ToolCaps,
    ToolContext,
    ToolError,
    ToolResult,
    function_tool,
    parse_arguments,
)
from .command_actions import parse_command_actions
from .fs_common import resolve_path
from .pty_sessions import (
    Drained,
    ExecSession,
    ExecSessions,
    incomplete_utf8_tail,
    skip_partial_char,
)

__all__ = [
    "ExecCommandTool",
    "ExecSessions",
    "WriteStdinTool",
    "clamp_yield_time_ms",
    "output_cap_bytes",
]

DEFAULT_SHELL = "/bin/bash"
DEFAULT_EXEC_YIELD_MS = 10_000
DEFAULT_WRITE_YIELD_MS = 250
MAX_YIELD_MS = 60_000
# Output returned by one call (head and tail kept, the middle elided).
MAX_OUTPUT_BYTES = 128 * 1024
# `max_output_tokens` is turned into bytes with this rough ratio.
BYTES_PER_TOKEN = 4
# How long typing into the terminal may block before the rest of the input is given up.
WRITE_TIMEOUT_S = 5.0

# What programs see on the terminal: no colours, no pagers waiting for a key.
EXEC_ENV = {
    "TERM": "dumb",
    "NO_COLOR": "1",
    "PAGER": "cat",
    "GIT_PAGER": "cat",
    "GH_PAGER": "cat",
}

_EXEC_DESCRIPTION = (
    "Runs a command in a PTY, returning output or a session ID for ongoing interaction. "
    "The command runs in `shell` (default /bin/bash, as a login shell unless `login` is "
    "false) in `workdir`, under the sandbox. The call waits up to `yield_time_ms` "
    f"(default {DEFAULT_EXEC_YIELD_MS}, at most {MAX_YIELD_MS}) and returns early when "
    "the process exits. If it is still running, the result gives a session ID: use "
    "write_stdin to send input to it or to poll for more output. If the command needs "
    "more than the sandbox allows (writing elsewhere, network), set "
    "`with_escalated_permissions` and give a one-sentence `justification`: the user will "
    "be asked."
)
_WRITE_DESCRIPTION = (
    "Writes characters to the terminal of a running exec_command session and returns the "
    "output produced since the last call. Send an empty `chars` to just poll; send "
    '"\\u0003" for Ctrl-C. Waits up to `yield_time_ms` '
    f"(default {DEFAULT_WRITE_YIELD_MS}, at most {MAX_YIELD_MS}) or until the process exits."
)


class ExecCommandArgs(BaseModel):
    """Arguments of `exec_command`."""

    model_config = ConfigDict(extra="ignore")

    cmd: str = Field(min_length=1)
    workdir: str | None = None
    shell: str | None = None
    login: bool | None = None
    yield_time_ms: int | None = None
    max_output_tokens: int | None = Field(default=None, ge=1)
    with_escalated_permissions: bool | None = None
    justification: str | None = None


class WriteStdinArgs(BaseModel):
    """Arguments of `write_stdin`."""

    model_config = ConfigDict(extra="ignore")

    session_id: int
    chars: str | None = None
    yield_time_ms: int | None = None
    max_output_tokens: int | None = Field(default=None, ge=1)


def clamp_yield_time_ms(requested: int | None, default: int) -> int:
    """The wait actually used: `requested` (or `default`) within 0..`MAX_YIELD_MS`."""
    value = default if requested is None else requested
    return max(0, min(value, MAX_YIELD_MS))


def output_cap_bytes(max_output_tokens: int | None) -> int:
    """Bytes of output one call returns: `MAX_OUTPUT_BYTES`, or less when the model asks
    for fewer tokens (about 4 bytes each)."""
    if max_output_tokens is None:
        return MAX_OUTPUT_BYTES
    return max(1, min(MAX_OUTPUT_BYTES, max_output_tokens * BYTES_PER_TOKEN))


def render_output(drained: Drained, cap: int) -> str:
    """The drained output as text of at most `cap` bytes of UTF-8: CRLF from the
    terminal turned into LF; when too long, the head and the tail are kept around one
    `[... N bytes elided ...]` line that also counts what the session had dropped.
    Characters are never split."""
    head = drained.head.replace(b"\r\n", b"\n")
    tail = drained.tail.replace(b"\r\n", b"\n")
    if not drained.dropped_bytes:
        return bounded_text(head + tail, cap)
    total = len(head) + len(tail) + drained.dropped_bytes
    budget = max(0, cap - len(ELISION_TEMPLATE.format(n=total).encode()))
    head_end = min(len(head), budget // 2)
    head_end -= incomplete_utf8_tail(head[:head_end])
    tail_keep = min(len(tail), budget - head_end)
    tail_part = skip_partial_char(tail[len(tail) - tail_keep :]) if tail_keep else b""
    elided = total - head_end - len(tail_part)
    return (
        head[:head_end].decode("utf-8", errors="replace")
        + ELISION_TEMPLATE.format(n=elided)
        + tail_part.decode("utf-8", errors="replace")
    )


def _status_line(session_id: int, exit_code: int | None) -> str:
    if exit_code is None:
        return f"Process running with session ID {session_id}"
    if exit_code >= 0:
        return f"Process exited with code {exit_code}"
    try:
        name = signal.Signals(-exit_code).name
    except ValueError:
        name = "unknown signal"
    return f"Process killed by signal {-exit_code} ({name})"


def format_report(
    *, session_id: int, exit_code: int | None, wall_time_s: float, output: str, notes: list[str]
) -> str:
    """The text the model reads for one exec_command/write_stdin call."""
    lines = [_status_line(session_id, exit_code), f"Wall time: {wall_time_s:.3f} seconds"]
    lines.extend(notes)
    lines.append("Output:")
    return "\n".join(lines) + "\n" + output


def _clamp_note(requested: int | None, used: int) -> list[str]:
    if requested is not None and requested > used:
        return [f"Note: yield_time_ms {requested} exceeds the maximum; waited {used} ms."]
    return []


def _pruned_notes(pruned: list[ExecSession], limit: int) -> list[str]:
    return [
        f"Note: closed session {s.id} ({s.command!r}) to stay within {limit} open sessions."
        for s in pruned
    ]


async def _collect(
    sessions: ExecSessions,
    session: ExecSession,
    *,
    yield_ms: int,
    cap: int,
    started: float,
    notes: list[str],
) -> tuple[str, str, int | None]:
    """Wait, take the new output and, after an exit, release the session. The report,
    the output text and the exit code (None: still running)."""
    await session.wait(yield_ms / 1000)
    output = render_output(session.take_output(), cap)
    exit_code = session.exit_code if session.exited else None
    if exit_code is not None:
        await sessions.release(session)
    report = format_report(
        session_id=session.id,
        exit_code=exit_code,
        wall_time_s=time.monotonic() - started,
        output=output,
        notes=notes,
    )
    return report, output, exit_code


class ExecCommandTool:
    """The `exec_command` tool. One instance per thread (it holds the thread's
    sessions, shared with `WriteStdinTool`)."""

    name = "exec_command"
    parallel_safe = False
    max_output_bytes = MAX_OUTPUT_BYTES

    def __init__(self, sessions: ExecSessions) -> None:
        self.sessions = sessions

    def spec(self, caps: ToolCaps) -> dict[str, Any] | None:
        return function_tool(
            self.name,
            _EXEC_DESCRIPTION,
            {
                "cmd": {"type": "string", "description": "Shell command to execute."},
                "workdir": {
                    "type": "string",
                    "description": "Working directory (absolute, or relative to the "
                    "turn's cwd); defaults to the turn's cwd.",
                },
                "shell": {
                    "type": "string",
                    "description": f"Shell binary to launch (default {DEFAULT_SHELL}).",
                },
                "login": {
                    "type": "boolean",
                    "description": "Run the shell with -l -c (default true) or -c.",
                },
                "yield_time_ms": {
                    "type": "number",
                    "description": "How long to wait for output before returning "
                    f"(default {DEFAULT_EXEC_YIELD_MS}, at most {MAX_YIELD_MS}).",
                },
                "max_output_tokens": {
                    "type": "number",
                    "description": "Most output tokens to return; the middle of "
                    "longer output is elided.",
                },
                "with_escalated_permissions": {
                    "type": "boolean",
                    "description": "Run without the sandbox (the user is asked first).",
                },
                "justification": {
                    "type": "string",
                    "description": "Why escalated permissions are needed (shown to the user).",
                },
            },
            ["cmd"],
        )

    async def run(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        args = parse_arguments(call, ExecCommandArgs)
        cwd = str(resolve_path(ctx.cwd, args.workdir)) if args.workdir else ctx.cwd
        if not await asyncio.to_thread(os.path.isdir, cwd):
            raise ToolError(f"workdir {cwd} does not exist or is not a directory")
        shell = args.shell or DEFAULT_SHELL
        argv = [shell, "-lc" if args.login is not False else "-c", args.cmd]
        yield_ms = clamp_yield_time_ms(args.yield_time_ms, DEFAULT_EXEC_YIELD_MS)
        cap = output_cap_bytes(args.max_output_tokens)

        item = CommandExecutionItem(
            id=f"exec_{uuid.uuid4().hex[:24]}",
            command=args.cmd,
            cwd=cwd,
            status="inProgress",
            command_actions=parse_command_actions(argv, cwd),
        )
        ctx.item_started(item)
        started = time.monotonic()
        # One stream per item (a rerun outside the sandbox shares its cap), fed by the
        # session's reader for as long as the process runs (write_stdin follow-ups too).
        stream = ev.CommandOutputStream(ctx.emit, ctx.thread_id, ctx.turn_id, item.id)
        clearance = await clear_command(
            ctx,
            item,
            argv,
            escalated=bool(args.with_escalated_permissions),
            justification=args.justification,
        )
        if not clearance.allowed:
            item.status = "declined"
            ctx.item_completed(item)
            if clearance.cancel:
                raise TurnCancelled()
            return ToolResult(clearance.message, success=False)
        if ctx.snapshots is not None:
            await ctx.snapshots.before_command()
        report, output, exit_code = await self._start_and_collect(
            ctx, item, args, argv, cwd, clearance.plan, yield_ms, cap, started, stream
        )
        decision = await ask_rerun_after_denial(ctx, item, argv, clearance.plan, exit_code, output)
        if decision in ("accept", "acceptForSession"):
            report, output, exit_code = await self._start_and_collect(
                ctx, item, args, argv, cwd, None, yield_ms, cap, time.monotonic(), stream
            )
        elif decision == "cancel":
            _finish(ctx, item, "failed", exit_code, output, started)
            raise TurnCancelled()
        if ctx.snapshots is not None:
            await ctx.snapshots.after_command()
        status = "failed" if exit_code not in (None, 0) else "completed"
        _finish(ctx, item, status, exit_code, output, started)
        return ToolResult(report, success=exit_code in (None, 0))

    async def _start_and_collect(
        self,
        ctx: ToolContext,
        item: CommandExecutionItem,
        args: ExecCommandArgs,
        argv: list[str],
        cwd: str,
        plan: SandboxPlan | None,
        yield_ms: int,
        cap: int,
        started: float,
        stream: ev.CommandOutputStream,
    ) -> tuple[str, str, int | None]:
        """Start a session for `argv` under `plan` and wait for its first output: the
        report, the output and the exit code (None: still running). Failures to start
        complete the item and raise `ToolError`."""
        env = environment_or_default(ctx.env)
        try:
            begun = await self.sessions.start(
                argv,
                cwd=cwd,
                env={**env, **EXEC_ENV},
                plan=plan,
                command=args.cmd,
                on_output=OutputDeltas(stream),
            )
        except asyncio.CancelledError:
            _finish(ctx, item, "failed", None, "", started)
            raise
        except SandboxUnavailable as exc:
            _finish(ctx, item, "failed", None, "", started)
            raise ToolError(
                "This command cannot run: the sandbox cannot be enforced on this system "
                f"({exc}). It was not started."
            ) from None
        except SandboxError as exc:
            _finish(ctx, item, "failed", None, "", started)
            raise ToolError(f"This command could not start: {exc}") from None
        except FileNotFoundError:
            _finish(ctx, item, "failed", None, "", started)
            raise ToolError(f"shell not found: {argv[0]}") from None
        except (OSError, RuntimeError) as exc:
            _finish(ctx, item, "failed", None, "", started)
            raise ToolError(f"could not start the command: {exc}") from None

        notes = _clamp_note(args.yield_time_ms, yield_ms)
        notes += _pruned_notes(begun.pruned, self.sessions.max_sessions)
        try:
            return await _collect(
                self.sessions,
                begun.session,
                yield_ms=yield_ms,
                cap=cap,
                started=started,
                notes=notes,
            )
        except asyncio.CancelledError:
            # The session stays with the thread; the item just stops being live.
            _finish(ctx, item, "failed", None, "", started)
            raise


class OutputDeltas:
    """A session's terminal output as `outputDelta` text: decoded incrementally as UTF-8
    (never split inside a character), the terminal's CRLF turned into LF (a CR at the end
    of a chunk waits for the next), within the stream's per-item cap."""

    def __init__(self, stream: ev.CommandOutputStream) -> None:
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._cr = ""

    def __call__(self, chunk: bytes) -> None:
        final = not chunk
        text = self._cr + self._decoder.decode(chunk, final=final)
        self._cr = ""
        if text.endswith("\r") and not final:
            text, self._cr = text[:-1], "\r"
        self._stream.write(text.replace("\r\n", "\n"))


def _finish(
    ctx: ToolContext,
    item: CommandExecutionItem,
    status: str,
    exit_code: int | None,
    output: str,
    started: float,
) -> None:
    item.status = "failed" if status == "failed" else "completed"
    item.exit_code = exit_code
    item.aggregated_output = output
    item.duration_ms = int((time.monotonic() - started) * 1000)
    ctx.item_completed(item)


class WriteStdinTool:
    """The `write_stdin` tool: input to, and output from, an `exec_command` session."""

    name = "write_stdin"
    parallel_safe = False
    max_output_bytes = MAX_OUTPUT_BYTES

    def __init__(self, sessions: ExecSessions) -> None:
        self.sessions = sessions

    def spec(self, caps: ToolCaps) -> dict[str, Any] | None:
        return function_tool(
            self.name,
            _WRITE_DESCRIPTION,
            {
                "session_id": {
                    "type": "number",
                    "description": "The session ID exec_command returned.",
                },
                "chars": {
                    "type": "string",
                    "description": "Characters to type (may be empty: just poll).",
                },
                "yield_time_ms": {
                    "type": "number",
                    "description": "How long to wait for output before returning "
                    f"(default {DEFAULT_WRITE_YIELD_MS}, at most {MAX_YIELD_MS}).",
                },
                "max_output_tokens": {
                    "type": "number",
                    "description": "Most output tokens to return; the middle of "
                    "longer output is elided.",
                },
            },
            ["session_id"],
        )

    async def run(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        args = parse_arguments(call, WriteStdinArgs)
        session = self.sessions.get(args.session_id)
        if session is None:
            open_ids = ", ".join(str(i) for i in self.sessions.ids()) or "none"
            raise ToolError(
                f"unknown session id {args.session_id} (it exited and was reported, was "
                f"closed, or never existed); open sessions: {open_ids}"
            )
        session.touch()
        yield_ms = clamp_yield_time_ms(args.yield_time_ms, DEFAULT_WRITE_YIELD_MS)
        cap = output_cap_bytes(args.max_output_tokens)
        notes = _clamp_note(args.yield_time_ms, yield_ms)
        started = time.monotonic()
        if ctx.snapshots is not None:
            await ctx.snapshots.before_command()
        if args.chars and not session.exited:
            try:
                complete = await session.write(args.chars.encode("utf-8"), WRITE_TIMEOUT_S)
            except OSError as exc:
                if not session.exited:
                    raise ToolError(f"could not write to session {session.id}: {exc}") from None
                complete = False
            if not complete:
                notes.append(
                    "Note: not all of the input was written (the program is not reading "
                    "its terminal, or it exited)."
                )
        elif args.chars:
            notes.append("Note: the input was not written: the process had already exited.")
        report, _, exit_code = await _collect(
            self.sessions, session, yield_ms=yield_ms, cap=cap, started=started, notes=notes
        )
        if ctx.snapshots is not None:
            await ctx.snapshots.after_command()
        return ToolResult(report, success=exit_code in (None, 0))
