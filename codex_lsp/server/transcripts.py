"""Transcripts: what a client without the Codex UI shows of a thread.

A plain LSP client (no `capabilities.experimental.codex`: Neovim with only `vim.lsp.enable`,
any generic client) gets no chat: the agent's answer would appear nowhere. For such a
client the server keeps, per saved thread, a Markdown transcript at
`$CODEX_HOME/transcripts/<thread id>.md` (0600; folder 0700): the user's message, the
agent's reasoning summary, the commands it ran (exit code, the start and end of their
output), the files it changed (+/- counts, the diff, bounded) and its answer
(`transcript_text.py`).

- The file is rewritten as the turn runs: after items start and complete, at most every
  `WRITE_DELAY` seconds, and at once when the turn ends. A thread resumed on a later
  connection keeps its transcript and appends to it (one that has none starts with its
  earlier turns). Ephemeral threads get none.
- When a turn of a thread ends for the first time on a connection, the transcript is
  shown with `window/showDocument` (`takeFocus: false`, the cursor on that turn), when
  the client supports it. Editors that do not reload a file they show (Neovim without
  'autoread' events) show later turns on `:checktime` or when the buffer is entered.
- Every turn's end is announced with a one-line `window/showMessage`: the first line of
  the answer, or how the turn ended (naming the transcript when the client cannot show it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types as lsp

from ..core import events as ev
from ..core.private_files import write_private_atomic
from ..core.tasks import spawn
from ..protocol.items import AgentMessageItem, ThreadItem
from ..protocol.thread import Turn
from .transcript_text import (
    finished_turn_text,
    first_line,
    header,
    transcript_name,
    turn_end,
    turn_text,
)

if TYPE_CHECKING:
    from .app import CodexLanguageServer

log = logging.getLogger(__name__)

TRANSCRIPTS = "transcripts"
# Writes of a running turn are at most this often (seconds).
WRITE_DELAY = 0.25
SHOW_TIMEOUT = 10.0
_TURN_HEADING = "## Turn "


@dataclass
class _RunningTurn:
    turn_id: str
    number: int
    started: float
    clock: float
    items: dict[str, ThreadItem] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


@dataclass
class _ThreadTranscript:
    """One thread's transcript: the text of its ended turns, and the running one."""

    path: Path
    cwd: str | None
    head: str
    turns: int
    running: _RunningTurn | None = None
    shown: bool = False
    # The line (0-based) where the last ended turn starts.
    last_turn_line: int = 0
    written: str | None = None
    timer: asyncio.TimerHandle | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def append_turn(self, text: str) -> None:
        self.last_turn_line = self.head.count("\n") + 1
        self.head += "\n" + text
        self.turns += 1

    def text(self) -> str:
        running = self.running
        if running is None:
            return self.head
        body = turn_text(
            running.number,
            running.started,
            running.items.values(),
            self.cwd,
            errors=running.errors,
        )
        return f"{self.head}\n{body}"


class Transcripts:
    """The transcripts of one editor connection (a Notifier listener)."""

    def __init__(self, server: CodexLanguageServer, home: Path) -> None:
        self.server = server
        self.folder = home / TRANSCRIPTS
        self._threads: dict[str, _ThreadTranscript | None] = {}
        self._warned = False

    # ---- which clients ---------------------------------------------------------------

    def wanted(self) -> bool:
        """Only clients that declared no Codex UI (`experimental.codex`) get transcripts."""
        caps = self.server.protocol.client_capabilities
        if caps is None:
            return False
        experimental = caps.experimental
        return not (isinstance(experimental, dict) and "codex" in experimental)

    def _can_show(self) -> bool:
        caps = self.server.protocol.client_capabilities
        window = caps.window if caps is not None else None
        return bool(window is not None and window.show_document and window.show_document.support)

    def path(self, thread_id: str) -> Path:
        """Where a thread's transcript is kept."""
        return self.folder / transcript_name(thread_id)

    # ---- events ----------------------------------------------------------------------

    def on_event(self, event: ev.CoreEvent) -> None:
        """Notifier listener: keep the transcripts and announce turn ends."""
        if isinstance(event, ev.ItemStarted | ev.ItemCompleted):
            running = self._running(event.thread_id, event.turn_id)
            if running is not None:
                running[1].items[event.item.id] = event.item
                self._changed(running[0])
        elif isinstance(event, ev.TurnStarted):
            if self.wanted():
                self._turn_started(event.thread_id, event.turn)
        elif isinstance(event, ev.TurnCompleted):
            if self.wanted():
                self._turn_completed(event.thread_id, event.turn)
        elif isinstance(event, ev.TurnError) and not event.will_retry:
            running = self._running(event.thread_id, event.turn_id)
            if running is not None:
                running[1].errors.append(event.error.message)
                self._changed(running[0])
        elif isinstance(event, ev.ThreadReverted):
            transcript = self._threads.get(event.thread_id)
            if transcript is not None:
                transcript.head += (
                    "\n_Turns were dropped from the thread here (revert or rollback); the "
                    "model no longer sees them._\n"
                )
                self._changed(transcript)

    def _running(
        self, thread_id: str, turn_id: str | None
    ) -> tuple[_ThreadTranscript, _RunningTurn] | None:
        transcript = self._threads.get(thread_id)
        if transcript is None or transcript.running is None:
            return None
        if transcript.running.turn_id != turn_id:
            return None
        return transcript, transcript.running

    def _open(self, thread_id: str, current_turn: str) -> _ThreadTranscript | None:
        """The thread's transcript on this connection (read or begun on first use); None
        for a thread that keeps none (ephemeral, or not loaded)."""
        if thread_id in self._threads:
            return self._threads[thread_id]
        loaded = self.server.session.manager.loaded.get(thread_id)
        transcript: _ThreadTranscript | None = None
        if loaded is not None and loaded.writer is not None:
            cwd = loaded.settings.cwd
            path = self.path(thread_id)
            try:
                head = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                head = ""
            if head:
                turns = sum(1 for line in head.splitlines() if line.startswith(_TURN_HEADING))
                transcript = _ThreadTranscript(path, cwd, head.rstrip("\n") + "\n", turns)
                transcript.written = head
            else:
                transcript = _ThreadTranscript(path, cwd, header(thread_id, cwd), 0)
                for turn in loaded.turns:
                    if turn.id != current_turn and turn.status != "inProgress":
                        number = transcript.turns + 1
                        transcript.append_turn(finished_turn_text(number, None, turn, cwd))
        self._threads[thread_id] = transcript
        return transcript

    def _turn_started(self, thread_id: str, turn: Turn) -> None:
        transcript = self._open(thread_id, turn.id)
        if transcript is None:
            return
        if transcript.running is not None:  # never ended (should not happen): keep it
            self._end_running(transcript, transcript.running, None)
        transcript.running = _RunningTurn(
            turn.id, transcript.turns + 1, time.time(), time.monotonic()
        )
        for item in turn.items:
            transcript.running.items[item.id] = item
        self._changed(transcript)

    def _end_running(
        self, transcript: _ThreadTranscript, running: _RunningTurn, turn: Turn | None
    ) -> None:
        error = turn.error.message if turn is not None and turn.error is not None else None
        status = turn.status if turn is not None else "interrupted"
        items = turn.items if turn is not None else list(running.items.values())
        end = turn_end(status, time.monotonic() - running.clock, error)
        errors = [e for e in running.errors if e != error]
        text = turn_text(
            running.number, running.started, items, transcript.cwd, errors=errors, end=end
        )
        transcript.running = None
        transcript.append_turn(text)

    def _turn_completed(self, thread_id: str, turn: Turn) -> None:
        transcript = self._threads.get(thread_id)
        running = transcript.running if transcript is not None else None
        if transcript is not None and running is not None and running.turn_id == turn.id:
            self._end_running(transcript, running, turn)
            if transcript.timer is not None:
                transcript.timer.cancel()
                transcript.timer = None
        else:
            transcript = None
        spawn(self._finish(transcript, turn), name=f"transcript of turn {turn.id}")

    # ---- writing and showing ---------------------------------------------------------

    def _changed(self, transcript: _ThreadTranscript) -> None:
        if transcript.timer is None:
            loop = asyncio.get_running_loop()
            transcript.timer = loop.call_later(WRITE_DELAY, self._due, transcript)

    def _due(self, transcript: _ThreadTranscript) -> None:
        transcript.timer = None
        spawn(self._write(transcript), name=f"write {transcript.path.name}")

    async def _write(self, transcript: _ThreadTranscript) -> bool:
        """Write the transcript as it is now (each write renders the latest state)."""
        async with transcript.lock:
            text = transcript.text()
            if text == transcript.written:
                return True
            try:
                await asyncio.to_thread(write_private_atomic, transcript.path, text)
            except OSError as exc:
                if not self._warned:
                    self._warned = True
                    log.warning("could not write the transcript %s: %s", transcript.path, exc)
                return False
            transcript.written = text
            return True

    async def _finish(self, transcript: _ThreadTranscript | None, turn: Turn) -> None:
        written = transcript is not None and await self._write(transcript)
        show = transcript is not None and written and not transcript.shown and self._can_show()
        self._announce(turn, transcript if written and not self._can_show() else None)
        if show and transcript is not None:
            transcript.shown = True
            await self._show(transcript)

    def _announce(self, turn: Turn, unshown: _ThreadTranscript | None) -> None:
        """One line saying how the turn ended (and where the transcript is, for clients
        that cannot be shown it)."""
        answers = [i.text for i in turn.items if isinstance(i, AgentMessageItem) and i.text]
        if turn.status == "completed":
            kind = lsp.MessageType.Info
            text = first_line(answers[-1]) if answers else "turn completed"
        elif turn.status == "failed":
            kind = lsp.MessageType.Error
            error = turn.error.message if turn.error is not None else "unknown error"
            text = f"turn failed: {first_line(error)}"
        else:
            kind = lsp.MessageType.Warning
            text = f"turn {turn.status}"
        message = f"Codex: {text}"
        if unshown is not None:
            message += f" (transcript: {unshown.path})"
        self.server.window_show_message(lsp.ShowMessageParams(type=kind, message=message))

    async def _show(self, transcript: _ThreadTranscript) -> None:
        at = lsp.Position(line=transcript.last_turn_line, character=0)
        params = lsp.ShowDocumentParams(
            uri=transcript.path.as_uri(), take_focus=False, selection=lsp.Range(at, at)
        )
        with contextlib.suppress(Exception):  # refused or unanswered: nothing to do
            await asyncio.wait_for(
                self.server.protocol.send_request_async(lsp.WINDOW_SHOW_DOCUMENT, params),
                SHOW_TIMEOUT,
            )
