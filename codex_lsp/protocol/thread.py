"""Threads and turns, and the thread/* requests."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from .base import WireModel
from .enums import (
    ActiveFlag,
    ApprovalsReviewer,
    AskForApproval,
    CodexErrorInfo,
    ReasoningEffort,
    SandboxMode,
    SessionSource,
    ThreadSortKey,
    TurnStatus,
)
from .items import ThreadItem
from .paths import AbsoluteDirectory
from .sandbox import SandboxPolicy


class IdleThreadStatus(WireModel):
    """Not running a turn (`notLoaded`: not in memory; `systemError`: failed to load)."""

    type: Literal["notLoaded", "idle", "systemError"]


class ActiveThreadStatus(WireModel):
    """Running a turn; flags say what it waits for."""

    type: Literal["active"] = "active"
    active_flags: list[ActiveFlag] = Field(default_factory=list)


ThreadStatus = Annotated[IdleThreadStatus | ActiveThreadStatus, Field(discriminator="type")]


class TurnError(WireModel):
    """Why a turn failed."""

    message: str
    codex_error_info: CodexErrorInfo | None = None
    additional_details: str | None = None


class Turn(WireModel):
    """One user input and everything the agent did in answer to it."""

    id: str
    status: TurnStatus
    items: list[ThreadItem] = Field(default_factory=list)
    error: TurnError | None = None


class Thread(WireModel):
    """A conversation with the agent, persisted as a rollout file."""

    id: str
    preview: str = ""
    name: str | None = None
    model_provider: str
    model: str | None = None
    cwd: str
    path: str | None = None
    created_at: int
    updated_at: int
    status: ThreadStatus = Field(default_factory=lambda: IdleThreadStatus(type="notLoaded"))
    forked_from_id: str | None = None
    # Started with `ephemeral: true`: no rollout, never listed, not forkable, gone when the
    # server stops.
    ephemeral: bool = False
    source: SessionSource = "appServer"
    # The thread's own id; a sub-agent's thread carries its root thread's id.
    session_id: str
    # The version of the server that serves the thread.
    cli_version: str
    # Codex's project assignment; this server assigns none.
    project_id: str | None = None
    turns: list[Turn] = Field(default_factory=list)


class ThreadOverrides(WireModel):
    """Settings a client may override when starting, resuming or forking a thread."""

    model: str | None = None
    model_provider: str | None = None
    cwd: AbsoluteDirectory | None = None
    approval_policy: AskForApproval | None = None
    sandbox: SandboxMode | None = None
    config: dict[str, Any] | None = None
    base_instructions: str | None = None
    developer_instructions: str | None = None


class ThreadStartParams(ThreadOverrides):
    """`codex/thread/start` params; `experimentalRawEvents`: the client also gets
    `codex/rawResponseItem/completed` for every item the model returns in this thread."""

    ephemeral: bool | None = None
    experimental_raw_events: bool | None = None


class ThreadResumeParams(ThreadOverrides):
    """`codex/thread/resume` params: exactly one of `threadId`, `path` (a rollout file,
    resumed even when the index does not know it) and `history` (Responses API input
    items: a new thread whose model history starts with them)."""

    thread_id: str | None = None
    path: str | None = None
    history: list[dict[str, Any]] | None = None
    experimental_raw_events: bool | None = None


class ThreadForkParams(ThreadOverrides):
    """`codex/thread/fork` params: history is copied up to and including `lastTurnId`."""

    thread_id: str
    last_turn_id: str | None = None


class ThreadStartResult(WireModel):
    """Result of start, resume and fork: the thread and the settings it runs with."""

    thread: Thread
    model: str
    model_provider: str
    cwd: str
    approval_policy: AskForApproval
    approvals_reviewer: ApprovalsReviewer = "user"
    sandbox: SandboxPolicy
    reasoning_effort: ReasoningEffort | None = None


class ThreadReadParams(WireModel):
    """`codex/thread/read` params."""

    thread_id: str
    include_turns: bool = False


class ThreadReadResult(WireModel):
    """`codex/thread/read` result."""

    thread: Thread


class ThreadListParams(WireModel):
    """`codex/thread/list` params; all filters combine."""

    cursor: str | None = None
    limit: int | None = Field(default=None, ge=1, le=1000)
    sort_key: ThreadSortKey | None = None
    model_providers: list[str] | None = None
    archived: bool | None = None
    cwd: AbsoluteDirectory | None = None
    search_term: str | None = None


class ThreadListResult(WireModel):
    """A page of threads (with `turns: []`); `nextCursor` is null on the last page."""

    data: list[Thread]
    next_cursor: str | None = None


class ThreadIdParams(WireModel):
    """Params naming one thread (archive, unarchive, compact)."""

    thread_id: str


class ThreadUnarchiveResult(WireModel):
    """`codex/thread/unarchive` result."""

    thread: Thread


class ThreadSetNameParams(WireModel):
    """`codex/thread/name/set` params."""

    thread_id: str
    name: str


class ThreadShellCommandParams(WireModel):
    """`codex/thread/shellCommand` params: a user shell command (`!cmd`) in the thread."""

    thread_id: str
    command: str
    timeout_ms: int | None = Field(default=None, ge=1)


class ThreadRevertParams(WireModel):
    """`codex/thread/revert` params: drop turn `beforeTurnId` and every later turn; the
    files they changed are put back unless `restoreFiles` is false."""

    thread_id: str
    before_turn_id: str
    restore_files: bool | None = None


class ThreadRollbackParams(WireModel):
    """`codex/thread/rollback` params (Codex's older name): drop the last `numTurns` turns."""

    thread_id: str
    num_turns: int = Field(ge=1)
    restore_files: bool | None = None


class ThreadRevertResult(WireModel):
    """`codex/thread/revert` and `codex/thread/rollback` result: the thread with the turns
    that remain."""

    thread: Thread
