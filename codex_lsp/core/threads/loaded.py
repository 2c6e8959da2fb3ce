"""A thread held in memory while the server runs: its settings, history and rollout."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ... import __version__
from ...protocol.account import TokenUsage
from ...protocol.thread import ActiveThreadStatus, IdleThreadStatus, Thread, ThreadStatus, Turn
from ..config.settings import ThreadSettings
from .rollout import RolloutWriter, SessionMeta

if TYPE_CHECKING:
    from ..approvals.gate import ApprovalGate
    from ..tools.pty_sessions import ExecSessions
    from ..turns.lifecycle import TurnLifecycle
    from ..turns.user_shell import UserShellRunner
    from ..workspace.snapshots import ThreadSnapshots


@dataclass
class ActiveTurn:
    """The running turn of a thread and the task running it."""

    turn: Turn
    runner: TurnLifecycle | UserShellRunner
    task: asyncio.Task[None] | None = None
    flags: list[str] = field(default_factory=list)


@dataclass
class LoadedThread:
    """A loaded thread. Only the manager and the turn runner change it."""

    meta: SessionMeta
    settings: ThreadSettings
    writer: RolloutWriter | None
    turns: list[Turn] = field(default_factory=list)
    model_items: list[dict[str, Any]] = field(default_factory=list)
    token_usage: TokenUsage | None = None
    name: str | None = None
    preview: str = ""
    updated_at: int = 0
    last_context: dict[str, Any] | None = None
    active: ActiveTurn | None = None
    gate: ApprovalGate | None = None
    exec_sessions: ExecSessions | None = None
    # What the turns changed, for the turn diff and undo (in memory; made on first use).
    snapshots: ThreadSnapshots | None = None
    # The client asked for `codex/rawResponseItem/completed` (`experimentalRawEvents`).
    raw_events: bool = False

    @property
    def id(self) -> str:
        """The thread id."""
        return self.meta.id

    def record(self, type_: str, payload: dict[str, Any]) -> None:
        """Append one event to the rollout (ephemeral threads have none)."""
        if self.writer is not None:
            self.writer.append(type_, payload)
            if self.active is None:
                self.writer.release()
        self.updated_at = int(time.time())

    async def close_resources(self) -> None:
        """Kill the thread's interactive sessions (no orphan processes) and close files."""
        if self.exec_sessions is not None:
            await self.exec_sessions.close_all()
            self.exec_sessions = None
        if self.writer is not None:
            self.writer.close()

    def status(self) -> ThreadStatus:
        """The status clients see."""
        if self.active is None:
            return IdleThreadStatus(type="idle")
        return ActiveThreadStatus(active_flags=list(self.active.flags))  # type: ignore[arg-type]

    def view(self, include_turns: bool) -> Thread:
        """The wire `Thread`; `turns` only when asked for."""
        return Thread(
            id=self.id,
            preview=self.preview,
            name=self.name,
            model_provider=self.settings.model_provider,
            model=self.settings.model,
            cwd=self.settings.cwd,
            path=str(self.writer.path) if self.writer is not None else None,
            created_at=self.meta.created_at,
            updated_at=self.updated_at or self.meta.created_at,
            status=self.status(),
            forked_from_id=self.meta.forked_from_id,
            ephemeral=self.writer is None,
            session_id=self.id,
            cli_version=__version__,
            turns=[t.model_copy() for t in self.turns] if include_turns else [],
        )
