"""`$/progress` for every turn, when the client supports work-done progress.

At `turn/started` the server creates a token (`window/workDoneProgress/create`); once the
client answered it sends `begin` (title `Codex`, the user's text as message, cancellable),
a `report` per running item ("Running `cargo test`", "Editing src/app.py", "Thinking",
"Writing the answer", ...) and `end` when the turn completes. Events that arrive while the
token is being created are queued. Cancelling the progress interrupts the turn.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from ..core import events as ev
from ..core.tasks import spawn
from ..protocol import items as it
from ..protocol.thread import ActiveThreadStatus, Turn
from ..protocol.user_input import DocumentInput, MentionInput, TextInput

if TYPE_CHECKING:
    from .app import CodexLanguageServer

log = logging.getLogger(__name__)

TITLE = "Codex"
CREATE_TIMEOUT = 10.0
MESSAGE_CHARS = 80


def shorten(text: str, limit: int = MESSAGE_CHARS) -> str:
    """One line, at most `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _relative(path: str, cwd: str | None) -> str:
    if cwd:
        try:
            return str(Path(path).relative_to(cwd))
        except ValueError:
            pass
    return path


def item_message(item: it.ThreadItem, cwd: str | None) -> str | None:
    """What the progress says while `item` runs (None: nothing to say)."""
    if isinstance(item, it.CommandExecutionItem):
        return f"Running `{shorten(item.command, 60)}`"
    if isinstance(item, it.FileChangeItem):
        names = [_relative(c.kind.move_path or c.path, cwd) for c in item.changes]
        more = f" and {len(names) - 3} more" if len(names) > 3 else ""
        return f"Editing {', '.join(names[:3])}{more}" if names else "Editing files"
    if isinstance(item, it.ReasoningItem):
        return "Thinking"
    if isinstance(item, it.AgentMessageItem):
        return "Writing the answer"
    if isinstance(item, it.McpToolCallItem):
        return f"Calling {item.server}.{item.tool}"
    if isinstance(item, it.WebSearchItem):
        # The query is known when the search is done; it starts without one.
        return shorten(f"Searching the web for {item.query}") if item.query else "Searching the web"
    if isinstance(item, it.ContextCompactionItem):
        return "Compacting the conversation"
    if isinstance(item, it.EnteredReviewModeItem):
        return "Reviewing"
    return None


def user_text(item: it.UserMessageItem) -> str | None:
    """The user's request as a short line."""
    parts: list[str] = []
    for entry in item.content:
        if isinstance(entry, TextInput):
            parts.append(entry.text)
        elif isinstance(entry, DocumentInput):
            parts.append(f"[{Path(entry.uri).name}]")
        elif isinstance(entry, MentionInput):
            parts.append(f"@{entry.name}")
    text = shorten(" ".join(parts))
    return text or None


def end_message(turn: Turn) -> str:
    """`completed`, `interrupted` or `failed` (with the error)."""
    if turn.status == "failed":
        error = turn.error.message if turn.error is not None else "unknown error"
        return shorten(f"Turn failed: {error}")
    if turn.status == "interrupted":
        return "Turn interrupted"
    return "Turn completed"


@dataclass
class _Bar:
    """One turn's progress token and what waits to be sent on it."""

    token: str
    thread_id: str
    turn_id: str
    ready: bool = False
    failed: bool = False
    message: str | None = None
    pending: list[dict[str, Any]] = field(default_factory=list)
    ended: bool = False


class TurnProgress:
    """Notifier listener: core events of turns -> `$/progress`."""

    def __init__(self, server: CodexLanguageServer) -> None:
        self.server = server
        self._bars: dict[str, _Bar] = {}  # turn id -> bar
        self._by_token: dict[str, _Bar] = {}
        self._waiting: dict[str, bool] = {}  # thread id -> waiting on approval

    def supported(self) -> bool:
        """Does the client support server-initiated work-done progress?"""
        caps = self.server.protocol.client_capabilities
        window = caps.window if caps is not None else None
        return bool(window is not None and window.work_done_progress)

    # ---- events ----------------------------------------------------------------------

    def __call__(self, event: ev.CoreEvent) -> None:
        if isinstance(event, ev.TurnStarted):
            self._start(event.thread_id, event.turn.id)
        elif isinstance(event, ev.ItemStarted):
            bar = self._bars.get(event.turn_id)
            if bar is None:
                return
            if isinstance(event.item, it.UserMessageItem):
                bar.message = bar.message or user_text(event.item)
                return
            message = item_message(event.item, self._cwd(event.thread_id))
            if message is not None:
                self._report(bar, message)
        elif isinstance(event, ev.ThreadStatusChanged):
            self._status(event)
        elif isinstance(event, ev.TurnCompleted):
            bar = self._bars.pop(event.turn.id, None)
            if bar is not None:
                self._send(bar, {"kind": "end", "message": end_message(event.turn)})
                bar.ended = True
                if bar.ready or bar.failed:
                    self._forget(bar)

    def _cwd(self, thread_id: str) -> str | None:
        thread = self.server.session.manager.loaded.get(thread_id)
        return thread.settings.cwd if thread is not None else None

    def _status(self, event: ev.ThreadStatusChanged) -> None:
        status = event.status
        waiting = isinstance(status, ActiveThreadStatus) and (
            "waitingOnApproval" in status.active_flags
        )
        was = self._waiting.get(event.thread_id, False)
        if waiting == was:
            return
        self._waiting[event.thread_id] = waiting
        if not waiting:
            del self._waiting[event.thread_id]
        if waiting:
            for bar in self._bars.values():
                if bar.thread_id == event.thread_id:
                    self._report(bar, "Waiting for your approval")

    # ---- sending ---------------------------------------------------------------------

    def _start(self, thread_id: str, turn_id: str) -> None:
        if not self.supported():
            return
        bar = _Bar(token=f"codex-turn-{turn_id}", thread_id=thread_id, turn_id=turn_id)
        self._bars[turn_id] = bar
        self._by_token[bar.token] = bar
        spawn(self._create(bar), name=f"progress {bar.token}")

    async def _create(self, bar: _Bar) -> None:
        params = lsp.WorkDoneProgressCreateParams(token=bar.token)
        protocol = self.server.protocol
        try:
            await asyncio.wait_for(
                protocol.send_request_async(lsp.WINDOW_WORK_DONE_PROGRESS_CREATE, params),
                CREATE_TIMEOUT,
            )
        except Exception as exc:
            log.info("no progress for turn %s: the client refused the token (%s)", bar.turn_id, exc)
            bar.failed = True
            self._forget(bar)
            return
        # Lets pygls route `window/workDoneProgress/cancel` for this token without warning.
        protocol.progress.tokens[bar.token] = Future()
        begin: dict[str, Any] = {"kind": "begin", "title": TITLE, "cancellable": True}
        if bar.message is not None:
            begin["message"] = bar.message
        self._write(bar, begin)
        bar.ready = True
        for value in bar.pending:
            self._write(bar, value)
        bar.pending.clear()
        if bar.ended:
            self._forget(bar)

    def _report(self, bar: _Bar, message: str) -> None:
        self._send(bar, {"kind": "report", "message": message})

    def _send(self, bar: _Bar, value: dict[str, Any]) -> None:
        if bar.failed:
            return
        if bar.ready:
            self._write(bar, value)
        else:
            bar.pending.append(value)

    def _write(self, bar: _Bar, value: dict[str, Any]) -> None:
        self.server.protocol.send_raw(
            {
                "jsonrpc": "2.0",
                "method": lsp.PROGRESS,
                "params": {"token": bar.token, "value": value},
            }
        )

    def _forget(self, bar: _Bar) -> None:
        self._by_token.pop(bar.token, None)
        self.server.protocol.progress.tokens.pop(bar.token, None)

    # ---- cancel ----------------------------------------------------------------------

    def cancel(self, token: str | int) -> None:
        """The user cancelled the progress: interrupt its turn."""
        bar = self._by_token.get(str(token))
        if bar is None or bar.ended:
            return
        manager = self.server.session.manager
        try:
            manager.interrupt(bar.thread_id, bar.turn_id)
        except Exception as exc:  # the turn just ended
            log.info("progress cancel for turn %s: %s", bar.turn_id, exc)


def register_progress(server: CodexLanguageServer, progress: TurnProgress) -> None:
    """Handle `window/workDoneProgress/cancel`."""

    @server.feature(lsp.WINDOW_WORK_DONE_PROGRESS_CANCEL)
    def cancel(params: lsp.WorkDoneProgressCancelParams) -> None:
        progress.cancel(params.token)
