"""A command the user typed (`!cmd`): run unsandboxed (the user asked), streamed as a
`commandExecution` item with `source: "userShell"`, interruptible, and never part of the
model's history."""

from __future__ import annotations

import asyncio
import os
import time

from ...protocol.items import CommandExecutionItem, ThreadItem
from ...protocol.thread import Turn
from .. import events as ev
from ..threads.loaded import LoadedThread
from ..tools.base import ToolContext
from ..tools.command_actions import parse_command_actions
from ..tools.shell import Execution, run_command
from .stream_state import new_id


def _now_ms() -> int:
    return int(time.time() * 1000)


class UserShellRunner:
    """Runs one user shell command as its own turn (no model request)."""

    def __init__(
        self,
        thread: LoadedThread,
        turn: Turn,
        command: str,
        timeout_ms: int | None,
        emit: ev.EventSink,
    ) -> None:
        self.thread = thread
        self.turn = turn
        self.command = command
        self.timeout_ms = timeout_ms
        self.emit = emit
        self._started = False
        self._interrupt_requested = False

    def interrupt(self, task: asyncio.Task[None] | None) -> None:
        """Kill the command (see `TurnRunner.interrupt`)."""
        if self._started and task is not None:
            task.cancel()
        else:
            self._interrupt_requested = True

    def _started_item(self, item: ThreadItem) -> None:
        self.emit(ev.ItemStarted(self.thread.id, self.turn.id, item, _now_ms()))

    def _completed_item(self, item: ThreadItem) -> None:
        self.turn.items.append(item)
        self.thread.record("item_completed", {"turnId": self.turn.id, "item": item.wire()})
        self.emit(ev.ItemCompleted(self.thread.id, self.turn.id, item, _now_ms()))

    async def run(self) -> None:
        """Run to the end; never raises."""
        t, turn = self.thread, self.turn
        self._started = True
        self.emit(ev.TurnStarted(t.id, turn.model_copy(deep=True)))
        t.record("turn_started", {"turnId": turn.id})
        # Not a login shell: the server already runs in the user's environment, and login
        # profiles can be slow or block (e.g. waiting on a lock) with no terminal to see it.
        shell = os.environ.get("SHELL") or "/bin/bash"
        argv = [shell, "-c", self.command]
        cwd = t.settings.cwd
        item = CommandExecutionItem(
            id=new_id("cmd"),
            command=self.command,
            cwd=cwd,
            status="inProgress",
            source="userShell",
            command_actions=parse_command_actions(["bash", "-lc", self.command], cwd),
        )
        self._started_item(item)
        ctx = ToolContext(
            thread_id=t.id,
            turn_id=turn.id,
            cwd=cwd,
            emit=self.emit,
            item_started=self._started_item,
            item_completed=self._completed_item,
            env=t.settings.command_env(),
        )
        run = Execution()
        try:
            if self._interrupt_requested:
                raise asyncio.CancelledError
            timeout = self.timeout_ms / 1000 if self.timeout_ms else None
            await run_command(
                argv, cwd=cwd, plan=None, timeout_s=timeout, ctx=ctx, item_id=item.id, run=run
            )
            item.status = "completed" if run.exit_code == 0 else "failed"
            turn.status = "completed"
        except asyncio.CancelledError:
            item.status = "failed"
            turn.status = "interrupted"
        finally:
            item.aggregated_output = run.output
            item.exit_code = run.exit_code
            item.duration_ms = run.duration_ms
            self._completed_item(item)
            t.record("turn_completed", {"turnId": turn.id, "status": turn.status, "error": None})
            self.emit(ev.TurnCompleted(t.id, turn.model_copy(deep=True)))
