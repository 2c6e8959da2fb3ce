"""ThreadManager: start, resume, fork, read, list, archive and rename threads; run turns.

Every turn it starts ends with `turn/completed`, whatever its runner does (a failing
runner's turn is completed `failed` here). A rollout the server stopped writing mid-stream
is settled when the thread is loaded again: the partial items rebuilt from the journaled
deltas are recorded, and the journal removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ... import __version__
from ...protocol.enums import AskForApproval, ReasoningEffort, ReasoningSummary
from ...protocol.notifications import ErrorInfo
from ...protocol.review import ReviewTarget
from ...protocol.sandbox import SandboxPolicy
from ...protocol.thread import IdleThreadStatus, Thread, Turn, TurnError
from ...protocol.user_input import UserInput
from .. import events as ev
from ..approvals.gate import ApprovalGate, ApprovalTransport, CommandAdvisor
from ..approvals.rules import RuleStore
from ..config.settings import ThreadRequest, ThreadSettings
from ..model.client import ModelClients
from ..private_files import private_dir
from ..redact import redact
from ..tasks import spawn
from ..telemetry import TelemetrySink, reporting
from ..tools.base import ToolRouter
from ..tools.registry import ToolRegistry
from ..turns.lifecycle import TurnLifecycle, save_failed_message

if TYPE_CHECKING:
    from ..turns.user_shell import UserShellRunner
    from ..workspace.undo import UndoResult
from ..turns.user_input import to_model_content
from ..workspace.view import WorkspaceView
from .errors import ThreadBusy, ThreadError, UnknownThread
from .history import ThreadHistory, build_history, records_through_turn
from .index import ListQuery, ThreadIndex, ThreadSummary, summarize_rollout
from .loaded import ActiveTurn, LoadedThread
from .rollout import (
    ITEM_DELTA,
    RESPONSE_ITEM,
    RolloutContents,
    RolloutCorrupt,
    RolloutRecord,
    RolloutWriteError,
    RolloutWriter,
    SessionMeta,
    journal_path,
    now_ms,
    read_rollout,
)

log = logging.getLogger(__name__)

SettingsResolver = Callable[[ThreadRequest], ThreadSettings]
ToolsFactory = Callable[[LoadedThread], ToolRouter]


@dataclass(frozen=True)
class TurnOverrides:
    """Per-turn overrides; they stick for the turns after it."""

    cwd: str | None = None
    approval_policy: AskForApproval | None = None
    sandbox_policy: SandboxPolicy | None = None
    model: str | None = None
    effort: ReasoningEffort | None = None
    summary: ReasoningSummary | None = None
    output_schema: dict[str, Any] | None = None


class ThreadManager:
    """Owns every loaded thread and the thread index."""

    def __init__(
        self,
        home: Path,
        resolve: SettingsResolver,
        emit: ev.EventSink,
        clients: ModelClients,
        *,
        tools: ToolsFactory | None = None,
        read_document: Callable[[str], str | None] | None = None,
        source: str = "lsp",
        approvals: ApprovalTransport | None = None,
        workspace: WorkspaceView | None = None,
        telemetry: TelemetrySink | None = None,
    ) -> None:
        self.home = home
        self.sessions_root = home / "sessions"
        self.archive_root = home / "archived_sessions"
        self._resolve = resolve
        self.emit = emit
        self.clients = clients
        self._tools = tools or (lambda _thread: ToolRegistry([]))
        self._approvals = approvals
        self.workspace = workspace or WorkspaceView()
        self._read_document = read_document
        self._source = source
        # OpenTelemetry events (disabled unless `[otel]` names an exporter).
        self.telemetry = telemetry or TelemetrySink()
        self._index: ThreadIndex | None = None
        # `open_index` builds the index in a worker thread while requests may already ask
        # for it on the event loop: one of them builds it, the other waits.
        self._index_lock = threading.Lock()
        self._index_task: asyncio.Future[ThreadIndex] | None = None
        self.loaded: dict[str, LoadedThread] = {}
        # Threads being loaded from their rollout: a second resume (or a turn/start on a
        # thread that is not loaded) waits for the first instead of loading it twice.
        self._loading: dict[str, asyncio.Future[None]] = {}

    # ---- index -----------------------------------------------------------------------

    def index(self) -> ThreadIndex:
        """The thread index, opened (and rebuilt if needed) on first use."""
        if self._index is None:
            with self._index_lock:
                if self._index is None:
                    private_dir(self.home)
                    self._index = ThreadIndex(self.home)
        return self._index

    def attach_editor(
        self,
        approvals: ApprovalTransport | None,
        workspace: WorkspaceView,
        read_document: Callable[[str], str | None] | None,
    ) -> None:
        """Reach the editor connected after this manager was made (a server that answered
        its first requests before its editor transport was loaded). Threads loaded from now
        on ask and read through it."""
        self._approvals = approvals
        self.workspace = workspace
        self._read_document = read_document

    async def open_index(self) -> None:
        """Open the index off the event loop (a rebuild may scan many rollouts). Every
        request that needs the index awaits this first, so none builds it on the loop."""
        if self._index is not None:
            return
        if self._index_task is None:
            self._index_task = asyncio.ensure_future(asyncio.to_thread(self.index))
        await asyncio.shield(self._index_task)

    def _summary(self, thread_id: str) -> ThreadSummary:
        summary = self.index().get(thread_id)
        if summary is None:
            raise UnknownThread(thread_id)
        return summary

    def _index_loaded(self, thread: LoadedThread) -> None:
        if thread.writer is None:
            return
        self.index().upsert(
            ThreadSummary(
                id=thread.id,
                path=str(thread.writer.path),
                created_at=thread.meta.created_at,
                updated_at=thread.updated_at or thread.meta.created_at,
                model_provider=thread.settings.model_provider,
                model=thread.settings.model,
                cwd=thread.settings.cwd,
                preview=thread.preview,
                name=thread.name,
                archived=False,
                forked_from_id=thread.meta.forked_from_id,
            )
        )

    # ---- start / resume / fork -------------------------------------------------------

    def _new_thread(
        self,
        settings: ThreadSettings,
        *,
        ephemeral: bool,
        forked_from: str | None = None,
        records: Any = (),
        history: ThreadHistory | None = None,
    ) -> LoadedThread:
        now = int(time.time())
        meta = SessionMeta(
            id=str(uuid.uuid4()),
            created_at=now,
            cwd=settings.cwd,
            model_provider=settings.model_provider,
            model=settings.model,
            forked_from_id=forked_from,
            source=self._source,
        )
        writer = (
            None if ephemeral else RolloutWriter.create(self.sessions_root, meta, records=records)
        )
        if writer is not None:
            writer.release()
        thread = LoadedThread(meta=meta, settings=settings, writer=writer, updated_at=now)
        if history is not None:
            _adopt(thread, history)
        if writer is not None:
            from ..workspace.snapshot_store import snapshots_dir
            from ..workspace.snapshots import ThreadSnapshots

            thread.snapshots = ThreadSnapshots(persist_dir=snapshots_dir(self.home, meta.id))
        self._attach_gate(thread)
        self.loaded[thread.id] = thread
        self._index_loaded(thread)
        self.emit(ev.ThreadStarted(thread.view(include_turns=False)))
        self.telemetry.conversation_starts(thread.id, settings)
        return thread

    async def start(self, request: ThreadRequest, *, ephemeral: bool = False) -> LoadedThread:
        """A new thread."""
        await self.open_index()
        settings = self._resolve(request)
        return self._new_thread(settings, ephemeral=ephemeral)

    async def _load_contents(self, thread_id: str) -> tuple[ThreadSummary, RolloutContents]:
        summary = self._summary(thread_id)
        try:
            contents = await asyncio.to_thread(read_rollout, Path(summary.path))
        except FileNotFoundError as exc:
            self._forget_missing()
            raise UnknownThread(thread_id) from exc
        except RolloutCorrupt as exc:
            raise ThreadError(
                "threadId", f"thread {thread_id} cannot be read: its rollout {exc}"
            ) from exc
        except OSError as exc:
            raise ThreadError(
                "threadId",
                f"thread {thread_id} cannot be read from {summary.path}: {exc.strerror or exc}",
            ) from exc
        for warning in contents.warnings:
            log.warning("%s", warning)
        return summary, contents

    def _request_from_record(
        self, request: ThreadRequest, meta: SessionMeta, history: ThreadHistory
    ) -> ThreadRequest:
        _check_provider(request, meta)
        recorded = history.last_context or {}
        return replace(
            request,
            model_provider=meta.model_provider,
            model=request.model or recorded.get("model") or meta.model,
            cwd=request.cwd or recorded.get("cwd") or meta.cwd,
        )

    def _forget_missing(self) -> None:
        """A rollout is not where the index says: reconcile the index with the disk."""
        self.index().sync()

    async def resume(self, thread_id: str, request: ThreadRequest) -> LoadedThread:
        """Load a thread from its rollout (or return it if loaded); appends to the same file."""
        await self.open_index()
        while (pending := self._loading.get(thread_id)) is not None:
            await asyncio.wait([pending])
        thread = self.loaded.get(thread_id)
        if thread is not None:
            # Already loaded: same thread, but a provider switch is refused all the same.
            _check_provider(request, thread.meta)
            if thread.active is None:
                thread.settings = self._reresolve(thread, request)
            return thread
        done = asyncio.get_running_loop().create_future()
        self._loading[thread_id] = done
        try:
            return await self._load(thread_id, request)
        finally:
            del self._loading[thread_id]
            done.set_result(None)

    async def resume_path(self, path: str, request: ThreadRequest) -> LoadedThread:
        """Resume the thread recorded in the rollout file `path`, also when the index does
        not know it (it is indexed then, at that path)."""
        await self.open_index()
        summary = await asyncio.to_thread(_summarize_at, path, self.archive_root)
        loaded = self.loaded.get(summary.id)
        if loaded is not None:
            current = str(loaded.writer.path) if loaded.writer is not None else None
            if current != summary.path:
                raise ThreadError(
                    "path", f"thread {summary.id} is loaded from {current}, not {summary.path}"
                )
        else:
            known = self.index().get(summary.id)
            if known is None or known.path != summary.path:
                self.index().upsert(summary)
        return await self.resume(summary.id, request)

    async def resume_history(
        self, items: list[dict[str, Any]], request: ThreadRequest
    ) -> LoadedThread:
        """A new thread whose model history starts with `items` (Responses API input
        items); they are recorded, so the thread resumes with them after a restart."""
        await self.open_index()
        model_items = [_history_item(index, item) for index, item in enumerate(items)]
        settings = self._resolve(request)
        records = [RolloutRecord(now_ms(), RESPONSE_ITEM, {"item": i}) for i in model_items]
        history = ThreadHistory(
            turns=[],
            model_items=list(model_items),
            token_usage=None,
            name=None,
            last_context=None,
            preview="",
        )
        return self._new_thread(settings, ephemeral=False, records=records, history=history)

    def _reresolve(self, thread: LoadedThread, request: ThreadRequest) -> ThreadSettings:
        """A loaded thread resumed again: the request's overrides apply on top of its
        current settings (the environment context tells the model on the next turn)."""
        s = thread.settings
        if not any((request.model, request.cwd, request.approval_policy, request.sandbox)):
            return s
        fresh = self._resolve(
            replace(
                request,
                model_provider=thread.meta.model_provider,
                model=request.model or s.model,
                cwd=request.cwd or s.cwd,
                approval_policy=request.approval_policy or s.approval_policy,
            )
        )
        return fresh if request.sandbox else fresh.with_changes(sandbox=s.sandbox)

    async def _load(self, thread_id: str, request: ThreadRequest) -> LoadedThread:
        summary, contents = await self._load_contents(thread_id)
        if summary.archived:
            raise ThreadError("threadId", f"thread {thread_id} is archived; unarchive it first")
        history = build_history(contents)
        settings = self._resolve(self._request_from_record(request, contents.meta, history))
        try:
            writer = RolloutWriter.open_append(Path(summary.path))
        except FileNotFoundError as exc:  # archived or deleted meanwhile
            self._forget_missing()
            raise UnknownThread(thread_id) from exc
        except OSError as exc:
            # Readable but not writable now: the thread loads; its turns say why they fail.
            log.warning("rollout %s cannot be opened for writing: %s", summary.path, exc)
            writer = RolloutWriter(Path(summary.path))
        _settle(writer, history.unsettled)
        writer.release()
        thread = LoadedThread(
            meta=contents.meta,
            settings=settings,
            writer=writer,
            updated_at=summary.updated_at,
        )
        _adopt(thread, history)
        from ..workspace.snapshot_store import load_snapshots, snapshots_dir

        thread.snapshots = await asyncio.to_thread(
            load_snapshots,
            snapshots_dir(self.home, thread.id),
            thread.id,
            [t.id for t in thread.turns],
            self.emit,
        )
        self._attach_gate(thread)
        self.loaded[thread.id] = thread
        self.emit(ev.ThreadStarted(thread.view(include_turns=False)))
        self.telemetry.conversation_starts(thread.id, settings)
        if thread.token_usage is not None and thread.turns:
            # The client shows the context use of a resumed thread before its next turn.
            self.emit(ev.TokenUsageUpdated(thread.id, thread.turns[-1].id, thread.token_usage))
        return thread

    async def fork(
        self, thread_id: str, last_turn_id: str | None, request: ThreadRequest
    ) -> LoadedThread:
        """A new thread holding the history of `thread_id` up to `last_turn_id`."""
        await self.open_index()
        source = self.loaded.get(thread_id)
        if source is not None and source.writer is None:
            raise ThreadError("threadId", f"thread {thread_id} is ephemeral and cannot be forked")
        _summary, contents = await self._load_contents(thread_id)
        try:
            records = records_through_turn(contents.records, last_turn_id)
        except KeyError as exc:
            raise ThreadError(
                "lastTurnId", f"unknown turn id {last_turn_id!r} in thread {thread_id}"
            ) from exc
        history = build_history(RolloutContents(meta=contents.meta, records=records, warnings=[]))
        # Items cut short by a crash are copied as the items they became, not as deltas.
        records = [r for r in records if r.type != ITEM_DELTA]
        records += [RolloutRecord(now_ms(), kind, p) for kind, p in history.unsettled]
        settings = self._resolve(self._request_from_record(request, contents.meta, history))
        return self._new_thread(
            settings, ephemeral=False, forked_from=thread_id, records=records, history=history
        )

    def _attach_gate(self, thread: LoadedThread) -> None:
        if self._approvals is None:
            return

        def waiting(on: bool) -> None:
            active = thread.active
            if active is None:
                return
            flag = "waitingOnApproval"
            if on and flag not in active.flags:
                active.flags.append(flag)
            elif not on and flag in active.flags:
                active.flags.remove(flag)
            self.emit(ev.ThreadStatusChanged(thread.id, thread.status()))

        def advisor() -> CommandAdvisor:
            settings = thread.settings
            if not settings.command_assessment:
                return CommandAdvisor(RuleStore(self.home))
            from ..approvals.risk import model_assessor

            client = self.clients.get(settings.model_provider, settings.provider)
            return CommandAdvisor(RuleStore(self.home), model_assessor(client, settings.model))

        thread.gate = ApprovalGate(self._approvals, waiting, advisor)

    # ---- read / list -----------------------------------------------------------------

    async def read(self, thread_id: str, include_turns: bool) -> Thread:
        """A thread, loaded or not."""
        await self.open_index()
        thread = self.loaded.get(thread_id)
        if thread is not None:
            return thread.view(include_turns)
        summary = self._summary(thread_id)
        view = summary_view(summary)
        if include_turns:
            _summary, contents = await self._load_contents(thread_id)
            view.turns = build_history(contents).turns
        return view

    def list_threads(self, query: ListQuery) -> tuple[list[Thread], str | None]:
        """A page of threads (newest first), `turns: []`."""
        rows, cursor = self.index().list(query)
        out = []
        for row in rows:
            thread = self.loaded.get(row.id)
            out.append(thread.view(False) if thread is not None else summary_view(row))
        return out, cursor

    # ---- archive / name --------------------------------------------------------------

    async def _unload(self, thread_id: str) -> None:
        thread = self.loaded.get(thread_id)
        if thread is None:
            return
        if thread.active is not None:
            raise ThreadBusy(thread_id, thread.active.turn.id)
        del self.loaded[thread_id]
        await thread.close_resources()

    def _ephemeral(self, thread_id: str, what: str) -> None:
        thread = self.loaded.get(thread_id)
        if thread is not None and thread.writer is None:
            raise ThreadError("threadId", f"thread {thread_id} is ephemeral and cannot be {what}")

    async def _move(self, thread_id: str, source: str, target: Path) -> None:
        """Move a rollout; an unknown thread if it is not where the index says."""
        try:
            await asyncio.to_thread(shutil.move, source, target)
        except FileNotFoundError as exc:
            self._forget_missing()
            raise UnknownThread(thread_id) from exc
        journal = journal_path(Path(source))
        if journal.exists():  # a crash's deltas not yet settled go with their rollout
            with contextlib.suppress(OSError):
                await asyncio.to_thread(shutil.move, journal, journal_path(target))

    async def archive(self, thread_id: str) -> None:
        """Move the rollout to `archived_sessions/`."""
        await self.open_index()
        self._ephemeral(thread_id, "archived")
        summary = self._summary(thread_id)
        if summary.archived:
            return
        await self._unload(thread_id)
        private_dir(self.archive_root)
        target = self.archive_root / Path(summary.path).name
        await self._move(thread_id, summary.path, target)
        self.index().move(thread_id, str(target), archived=True)
        self.emit(ev.ThreadArchived(thread_id))

    async def unarchive(self, thread_id: str) -> Thread:
        """Move the rollout back to `sessions/YYYY/MM/DD/`."""
        await self.open_index()
        summary = self._summary(thread_id)
        if summary.archived:
            day = time.strftime("%Y/%m/%d", time.gmtime(summary.created_at))
            target_dir = self.sessions_root / day
            private_dir(target_dir)
            target = target_dir / Path(summary.path).name
            await self._move(thread_id, summary.path, target)
            self.index().move(thread_id, str(target), archived=False)
            self.emit(ev.ThreadUnarchived(thread_id))
        loaded = self.loaded.get(thread_id)
        if loaded is not None:
            return loaded.view(False)
        return summary_view(self._summary(thread_id))

    async def set_name(self, thread_id: str, name: str) -> None:
        """Rename a thread (an empty name clears it). Raises `RolloutWriteError` when the
        name cannot be saved: a loaded thread is renamed all the same (saved once its
        rollout can be written), another one is left as it was."""
        await self.open_index()
        value = name.strip() or None
        thread = self.loaded.get(thread_id)
        unsaved: RolloutWriteError | None = None
        if thread is not None:
            thread.name = value
            try:
                thread.record("thread_name", {"name": value})
            except RolloutWriteError as exc:
                # The name applies now; the writer keeps the record until it can write it.
                unsaved = exc
            if thread.writer is None:
                self.emit(ev.ThreadNameUpdated(thread_id, value))
                return
            updated_at = thread.updated_at
        else:
            summary = self._summary(thread_id)
            try:
                writer = RolloutWriter.open_append(Path(summary.path))
            except FileNotFoundError as exc:
                self._forget_missing()
                raise UnknownThread(thread_id) from exc
            except OSError as exc:
                raise RolloutWriteError(Path(summary.path), exc.strerror or str(exc)) from exc
            try:
                updated_at = writer.append("thread_name", {"name": value}).ts // 1000
            finally:
                writer.close()
        self.index().set_name(thread_id, value)
        # The rename is the thread's latest record: keep updatedAt as a rebuild would see it.
        self.index().touch(thread_id, updated_at)
        self.emit(ev.ThreadNameUpdated(thread_id, value))
        if unsaved is not None:
            raise unsaved

    # ---- turns -----------------------------------------------------------------------

    async def start_turn(
        self, thread_id: str, inputs: list[UserInput], overrides: TurnOverrides
    ) -> Turn:
        """Start a turn in the background; returns it `inProgress`."""
        thread = self.loaded.get(thread_id) or await self.resume(thread_id, ThreadRequest())
        if thread.active is not None:
            raise ThreadBusy(thread_id, thread.active.turn.id)
        _refuse_while_undoing(thread)
        # Bad input (a missing image, an unreadable document) is refused before the turn.
        content = await asyncio.to_thread(to_model_content, inputs, self._read_document)
        if thread.active is not None:
            raise ThreadBusy(thread_id, thread.active.turn.id)
        thread.settings = _apply_overrides(thread.settings, overrides)
        self.telemetry.user_prompt(thread.id, thread.settings, inputs)
        turn = Turn(id=str(uuid.uuid4()), status="inProgress", items=[])
        thread.turns.append(turn)
        client = self.clients.get(thread.settings.model_provider, thread.settings.provider)
        events = _TurnEvents(self.emit, turn.id)
        # The turn machinery (runner, workspace snapshots) loads with the first turn.
        from ..turns.runner import TurnRunner

        runner = TurnRunner(
            thread,
            turn,
            inputs,
            content,
            client,
            self._tools(thread),
            events,
            output_schema=overrides.output_schema,
            workspace=self.workspace,
        )
        return self._launch(thread, runner, events, "turn")

    def _launch(
        self,
        thread: LoadedThread,
        runner: TurnLifecycle | UserShellRunner,
        events: _TurnEvents,
        kind: str,
    ) -> Turn:
        """Make `runner` the thread's running turn and start it in the background."""
        turn = runner.turn
        active = ActiveTurn(turn=turn, runner=runner)
        thread.active = active
        if thread.writer is not None:
            # A running thread is as recent as its view says, for `sortKey: updated_at` too.
            thread.updated_at = int(time.time())
            self._touch_index(thread, None)
        self.emit(ev.ThreadStatusChanged(thread.id, thread.status()))
        active.task = spawn(self._run_turn(thread, runner, events), name=f"{kind} {turn.id}")
        return turn.model_copy(deep=True)

    async def start_review(
        self, thread_id: str | ThreadRequest, target: ReviewTarget, detached: bool
    ) -> tuple[Turn, str]:
        """Start a review turn (see `core/review/runner.py`) on the thread; on a new thread
        with its settings when `detached`, or when given a `ThreadRequest` instead of an id
        (no thread exists yet). Returns the turn and its thread's id. The target's diff is
        computed first: a target that cannot be reviewed is refused (`target`) before any
        thread or turn starts."""
        from ..review.runner import ReviewRunner
        from ..review.targets import ReviewTargetError, prepare_review

        source: LoadedThread | None = None
        if isinstance(thread_id, ThreadRequest):
            await self.open_index()
            settings = self._resolve(thread_id)
        else:
            source = self.loaded.get(thread_id) or await self.resume(thread_id, ThreadRequest())
            if source.active is not None:
                raise ThreadBusy(thread_id, source.active.turn.id)
            _refuse_while_undoing(source)
            settings = source.settings
        try:
            request = await prepare_review(target, settings.cwd)
        except ReviewTargetError as exc:
            raise ThreadError("target", str(exc)) from exc
        if source is None or detached:
            ephemeral = source is not None and source.writer is None
            thread = self._new_thread(settings, ephemeral=ephemeral)
        else:
            thread = source
            if thread.active is not None:
                raise ThreadBusy(thread.id, thread.active.turn.id)
        turn = Turn(id=str(uuid.uuid4()), status="inProgress", items=[])
        thread.turns.append(turn)
        client = self.clients.get(thread.settings.model_provider, thread.settings.provider)
        events = _TurnEvents(self.emit, turn.id)
        runner = ReviewRunner(
            thread, turn, request, client, events, inline=not detached, workspace=self.workspace
        )
        return self._launch(thread, runner, events, "review"), thread.id

    async def steer_turn(
        self, thread_id: str, expected_turn_id: str, inputs: list[UserInput]
    ) -> str:
        """Add user input to the running turn `expected_turn_id`; returns its id."""
        thread = self.loaded.get(thread_id)
        if thread is None:
            self._summary(thread_id)
        active = thread.active if thread is not None else None
        if active is None:
            raise ThreadError("expectedTurnId", f"no turn is running in thread {thread_id}")
        if active.turn.id != expected_turn_id:
            raise ThreadError(
                "expectedTurnId",
                f"turn {expected_turn_id} is not the running turn of thread {thread_id} "
                f"(that is {active.turn.id})",
            )
        runner = active.runner
        from ..turns.runner import TurnRunner

        if not isinstance(runner, TurnRunner) or runner.turn.status != "inProgress":
            raise ThreadError("expectedTurnId", f"turn {expected_turn_id} takes no more input")
        content = await asyncio.to_thread(to_model_content, inputs, self._read_document)
        if thread is None or thread.active is not active:
            raise ThreadError("expectedTurnId", f"turn {expected_turn_id} has ended")
        runner.steer(inputs, content)
        self.telemetry.user_prompt(thread.id, thread.settings, inputs)
        return expected_turn_id

    async def compact_thread(self, thread_id: str) -> Turn:
        """Compact the thread's model history as a turn of its own (see
        `core/context/compaction.py`)."""
        from ..context.compaction import CompactionRunner

        thread = self.loaded.get(thread_id) or await self.resume(thread_id, ThreadRequest())
        if thread.active is not None:
            raise ThreadBusy(thread_id, thread.active.turn.id)
        _refuse_while_undoing(thread)
        if not thread.model_items:
            raise ThreadError("threadId", f"thread {thread_id} has no conversation to compact")
        turn = Turn(id=str(uuid.uuid4()), status="inProgress", items=[])
        thread.turns.append(turn)
        client = self.clients.get(thread.settings.model_provider, thread.settings.provider)
        events = _TurnEvents(self.emit, turn.id)
        runner = CompactionRunner(thread, turn, client, events, self.workspace)
        return self._launch(thread, runner, events, "compaction")

    async def start_shell_command(
        self, thread_id: str, command: str, timeout_ms: int | None
    ) -> Turn:
        """Run a command the user typed, as its own turn (no model request)."""
        thread = self.loaded.get(thread_id) or await self.resume(thread_id, ThreadRequest())
        if thread.active is not None:
            raise ThreadBusy(thread_id, thread.active.turn.id)
        _refuse_while_undoing(thread)
        turn = Turn(id=str(uuid.uuid4()), status="inProgress", items=[])
        thread.turns.append(turn)
        from ..turns.user_shell import UserShellRunner

        events = _TurnEvents(self.emit, turn.id)
        runner = UserShellRunner(thread, turn, command, timeout_ms, events)
        return self._launch(thread, runner, events, "shell")

    async def _run_turn(
        self, thread: LoadedThread, runner: TurnLifecycle | UserShellRunner, events: _TurnEvents
    ) -> None:
        failure: BaseException | None = None
        try:
            # What the turn awaits (model client, tools, approvals) reports to this thread.
            with reporting(self.telemetry.conversation(thread.id, thread.settings)):
                await runner.run()
        except asyncio.CancelledError as exc:
            failure = exc
            raise
        except Exception as exc:
            failure = exc  # the turn is completed `failed` below
            log.exception("turn %s of thread %s ended abnormally", runner.turn.id, thread.id)
        finally:
            if not events.completed:
                self._complete_abandoned(thread, runner.turn, failure)
            thread.active = None
            if thread.writer is not None:
                thread.writer.release()
            if thread.writer is not None:
                self._touch_index(thread, thread.preview or None)
            self.emit(ev.ThreadStatusChanged(thread.id, thread.status()))

    def _touch_index(self, thread: LoadedThread, preview: str | None) -> None:
        """Keep the index's `updatedAt` (and preview) current. The index is a cache of the
        rollouts, rebuilt from them: failing to update it (a full disk) fails no turn."""
        try:
            self.index().touch(thread.id, thread.updated_at, preview)
        except (sqlite3.Error, OSError) as exc:
            log.warning("thread index not updated for %s: %s", thread.id, exc)

    def _complete_abandoned(
        self, thread: LoadedThread, turn: Turn, failure: BaseException | None
    ) -> None:
        """A runner stopped without `turn/completed`: the turn ends here, `interrupted` if
        it was cancelled, else `failed`."""
        if isinstance(failure, asyncio.CancelledError):
            turn.status, turn.error = "interrupted", None
        else:
            if isinstance(failure, RolloutWriteError):
                message = save_failed_message(failure)
            else:
                reason = f": {type(failure).__name__}: {failure}" if failure is not None else ""
                message = redact(f"internal error: the turn stopped unexpectedly{reason}")
            turn.status = "failed"
            turn.error = TurnError(message=message, codex_error_info="other")
            info = ErrorInfo(message=message, codex_error_info="other")
            self.emit(ev.TurnError(thread.id, turn.id, info, will_retry=False))
        error = turn.error.wire() if turn.error is not None else None
        with contextlib.suppress(RolloutWriteError):
            thread.record(
                "turn_completed", {"turnId": turn.id, "status": turn.status, "error": error}
            )
        self.emit(ev.TurnCompleted(thread.id, turn.model_copy(deep=True)))

    async def undo_turn(self, thread_id: str, turn_id: str | None = None) -> UndoResult:
        """Put back the files the thread's last file-changing turn changed (`turn_id`, if
        given, must be that turn); see `core/workspace/undo.py`. Refused while a turn runs."""
        thread = self.loaded.get(thread_id) or await self.resume(thread_id, ThreadRequest())
        if thread.active is not None:
            raise ThreadBusy(thread_id, thread.active.turn.id)
        from ..workspace.undo import undo_turn

        return await undo_turn(thread, turn_id, self.workspace, self.emit)

    async def revert(
        self,
        thread_id: str,
        *,
        before_turn_id: str | None = None,
        num_turns: int | None = None,
        restore_files: bool = True,
    ) -> Thread:
        """Drop turn `before_turn_id` and every later one (or the last `num_turns`), with
        their file changes unless `restore_files` is false; see `core/context/revert.py`.
        Returns the thread with the turns that remain."""
        from ..context.revert import drop_turns

        thread = self.loaded.get(thread_id) or await self.resume(thread_id, ThreadRequest())
        if thread.active is not None:
            raise ThreadBusy(thread_id, thread.active.turn.id)
        _refuse_while_undoing(thread)
        writer = thread.writer
        if writer is None:
            raise ThreadError("threadId", f"thread {thread_id} is ephemeral and cannot be reverted")
        ids = [t.id for t in thread.turns]
        if num_turns is not None:
            if num_turns > len(ids):
                raise ThreadError(
                    "numTurns", f"thread {thread_id} has {len(ids)} turns, not {num_turns}"
                )
            before_turn_id = ids[-num_turns]
        if before_turn_id not in ids:
            raise ThreadError(
                "beforeTurnId", f"unknown turn id {before_turn_id!r} in thread {thread_id}"
            )
        dropped = ids[ids.index(before_turn_id) :]
        await drop_turns(thread, dropped, restore_files, self.workspace, self.emit)
        if thread.active is not None:  # a turn started while files were put back
            raise ThreadBusy(thread_id, thread.active.turn.id)
        contents = await asyncio.to_thread(read_rollout, writer.path)
        _adopt(thread, build_history(contents))
        self._touch_index(thread, thread.preview or None)
        self.emit(ev.ThreadReverted(thread_id))
        if thread.token_usage is not None and thread.turns:
            # The context is what it was after the last turn that remains.
            self.emit(ev.TokenUsageUpdated(thread.id, thread.turns[-1].id, thread.token_usage))
        return thread.view(include_turns=True)

    def interrupt(self, thread_id: str, turn_id: str) -> None:
        """Interrupt the running turn at once; `turn/completed` follows."""
        thread = self.loaded.get(thread_id)
        if thread is None:
            self._summary(thread_id)
            raise ThreadError("turnId", f"turn {turn_id} is not running")
        active = thread.active
        if active is None or active.turn.id != turn_id:
            raise ThreadError("turnId", f"turn {turn_id} is not running in thread {thread_id}")
        active.runner.interrupt(active.task)

    async def shutdown(self) -> None:
        """Interrupt running turns, wait for their rollouts to close, close the index and
        the model clients' connections."""
        tasks = []
        for thread in self.loaded.values():
            if thread.active is not None and thread.active.task is not None:
                thread.active.runner.interrupt(thread.active.task)
                tasks.append(thread.active.task)
        if tasks:
            await asyncio.wait(tasks, timeout=5)
        for thread in self.loaded.values():
            await thread.close_resources()
        if self._index is not None:
            self._index.close()
        await self.clients.aclose()


class _TurnEvents:
    """The event sink of one turn: forwards events, noting when its `turn/completed`
    went out."""

    __slots__ = ("_emit", "completed", "turn_id")

    def __init__(self, emit: ev.EventSink, turn_id: str) -> None:
        self._emit = emit
        self.turn_id = turn_id
        self.completed = False

    def __call__(self, event: ev.CoreEvent) -> None:
        if isinstance(event, ev.TurnCompleted) and event.turn.id == self.turn_id:
            self.completed = True
        self._emit(event)


def _settle(writer: RolloutWriter, records: list[tuple[str, dict[str, Any]]]) -> None:
    """Record the items a crash cut short (rebuilt from the journal), then drop the
    journal. What cannot be written now is kept by the writer for its next write."""
    for kind, payload in records:
        try:
            writer.append(kind, payload)
        except RolloutWriteError as exc:
            log.warning("cannot record the partial items of %s yet: %s", writer.path, exc)
    writer.drop_journal()


def _refuse_while_undoing(thread: LoadedThread) -> None:
    if thread.snapshots is not None and thread.snapshots.undoing:
        raise ThreadError("threadId", f"thread {thread.id} is undoing a turn; try again")


def _check_provider(request: ThreadRequest, meta: SessionMeta) -> None:
    if request.model_provider and request.model_provider != meta.model_provider:
        raise ThreadError(
            "modelProvider",
            f"thread {meta.id} was recorded with model provider {meta.model_provider!r}; it "
            f"cannot continue on {request.model_provider!r} (its encrypted reasoning does not "
            "transfer). Start a new thread instead.",
        )


def _summarize_at(path: str, archive_root: Path) -> ThreadSummary:
    """The index row of the rollout at `path` (absolute); ThreadError naming `path`."""
    file = Path(path).expanduser()
    if not file.is_absolute():
        raise ThreadError("path", f"{path!r} is not an absolute path")
    file = Path(os.path.abspath(file))
    archived = file.is_relative_to(archive_root)
    try:
        summary = summarize_rollout(file, archived)
    except FileNotFoundError:
        raise ThreadError("path", f"no rollout file at {file}") from None
    except RolloutCorrupt as exc:
        raise ThreadError("path", f"{file} is not a readable rollout: {exc}") from None
    except OSError as exc:
        raise ThreadError("path", f"{file} cannot be read: {exc.strerror or exc}") from None
    if archived:
        raise ThreadError("path", f"thread {summary.id} is archived; unarchive it first")
    return summary


def _history_item(index: int, item: Any) -> dict[str, Any]:
    """One Responses API input item of `history`; a message given as `{role, content}`
    (the API's short form, content as text or parts) gets its type and text parts."""
    where = f"history[{index}]"
    if not isinstance(item, dict):
        raise ThreadError("history", f"{where} is not an object")
    kind = item.get("type")
    if kind is None and "role" in item:
        kind = "message"
    if not isinstance(kind, str) or not kind:
        raise ThreadError("history", f"{where} has no type")
    out = {**item, "type": kind}
    if kind == "message":
        role = item.get("role")
        if role not in ("user", "assistant", "system", "developer"):
            raise ThreadError("history", f"{where}: role {role!r} is not a message role")
        content = item.get("content")
        if isinstance(content, str):
            part = "output_text" if role == "assistant" else "input_text"
            out["content"] = [{"type": part, "text": content}]
        elif not isinstance(content, list):
            raise ThreadError("history", f"{where}: content is neither text nor a list")
    return out


def _adopt(thread: LoadedThread, history: ThreadHistory) -> None:
    thread.turns = history.turns
    thread.model_items = history.model_items
    thread.token_usage = history.token_usage
    thread.name = history.name
    thread.preview = history.preview
    thread.last_context = history.last_context


def _apply_overrides(settings: ThreadSettings, o: TurnOverrides) -> ThreadSettings:
    changes: dict[str, Any] = {}
    if o.cwd is not None:
        changes["cwd"] = o.cwd
    if o.approval_policy is not None:
        changes["approval_policy"] = o.approval_policy
    if o.sandbox_policy is not None:
        changes["sandbox"] = o.sandbox_policy
    if o.model is not None:
        changes["model"] = o.model
    if o.effort is not None:
        changes["reasoning_effort"] = o.effort
    if o.summary is not None:
        changes["reasoning_summary"] = o.summary
    return settings.with_changes(**changes) if changes else settings


def summary_view(summary: ThreadSummary) -> Thread:
    """A thread that is not loaded, from its index row."""
    return Thread(
        id=summary.id,
        preview=summary.preview,
        name=summary.name,
        model_provider=summary.model_provider,
        model=summary.model,
        cwd=summary.cwd,
        path=summary.path,
        created_at=summary.created_at,
        updated_at=summary.updated_at,
        status=IdleThreadStatus(type="notLoaded"),
        forked_from_id=summary.forked_from_id,
        session_id=summary.id,
        cli_version=__version__,
        turns=[],
    )
