"""The frame every model turn runs in: `turn/started`, the turn's work, one outcome.

Whatever the work does, the turn ends exactly once: `completed`, `interrupted` (the task
was cancelled, or an approval wait was) or `failed` (a model error, a rollout that cannot
be written, a bug), recorded in the rollout and announced with `turn/completed`. Subclasses
give the work (`_body`) and may complete what it left open when it stops (`_stopping`)
and settle state before the outcome is recorded (`_settled`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from ...protocol.account import TokenUsage
from ...protocol.items import ThreadItem
from ...protocol.notifications import ErrorInfo
from ...protocol.thread import Turn
from ...protocol.thread import TurnError as WireTurnError
from .. import events as ev
from ..approvals.gate import TurnCancelled
from ..model.errors import ModelError
from ..redact import redact
from ..threads.loaded import LoadedThread
from ..threads.rollout import RolloutWriteError

log = logging.getLogger(__name__)


def now_ms() -> int:
    """Unix time in milliseconds (item timestamps)."""
    return int(time.time() * 1000)


def save_failed_message(exc: RolloutWriteError) -> str:
    """What the user reads when the thread could not be saved."""
    return (
        f"This turn was stopped because the conversation could not be saved to {exc.path}: "
        f"{exc.reason}. What was saved before is kept; saving resumes with the next turn "
        "once the file can be written again."
    )


class TurnFailed(Exception):
    """The turn's work failed in a way its user should read (a delegated agent's error)."""

    def __init__(self, message: str, info: Any = None, details: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.info = info
        self.details = details


class TurnLifecycle:
    """One turn of a thread; the owner cancels the task to interrupt it."""

    def __init__(self, thread: LoadedThread, turn: Turn, emit: ev.EventSink) -> None:
        self.thread = thread
        self.turn = turn
        self.emit = emit
        self._started = False
        self._interrupt_requested = False
        # Set once the turn is ending: records that cannot be written then are kept by the
        # writer for later instead of failing the ending itself.
        self._closing = False

    # ---- what subclasses give ----------------------------------------------------------

    async def _body(self) -> None:
        raise NotImplementedError

    def _stopping(self) -> None:
        """The body stopped early (interrupt or failure): complete what it left open."""

    def _settled(self) -> None:
        """After the outcome is known, before it is recorded; never raises."""

    # ---- lifecycle -------------------------------------------------------------------

    def interrupt(self, task: asyncio.Task[None] | None) -> None:
        """Stop the turn now. Before the task first runs, cancelling it would skip `run`
        entirely (no turn/completed), so the request is noted instead."""
        if self._started and task is not None:
            task.cancel()
        else:
            self._interrupt_requested = True

    async def run(self) -> None:
        """Run to the end; never raises (failures end the turn `failed`)."""
        t, turn = self.thread, self.turn
        self._started = True
        self.emit(ev.TurnStarted(t.id, turn.model_copy(deep=True)))
        try:
            if self._interrupt_requested:
                raise asyncio.CancelledError
            await self._body()
            turn.status = "completed"
        except (asyncio.CancelledError, TurnCancelled):
            self._stop()
            turn.status = "interrupted"
        except RolloutWriteError as exc:
            self._stop()
            self._fail(save_failed_message(exc), "other", None)
        except (ModelError, TurnFailed) as exc:
            self._stop()
            self._fail(exc.message, exc.info, exc.details)
        except Exception as exc:
            log.exception("turn %s of thread %s failed", turn.id, t.id)
            self._stop()
            self._fail(redact(f"internal error: {type(exc).__name__}: {exc}"), "other", None)
        finally:
            self._closing = True
            self._settled()
            self._record_end()
            self.emit(ev.TurnCompleted(t.id, turn.model_copy(deep=True)))

    def _stop(self) -> None:
        self._closing = True
        self._stopping()

    def _record_end(self) -> None:
        """Record the turn's outcome. If that cannot be written, the turn failed after all:
        the client and (once writable) the rollout both say so."""
        turn = self.turn
        for _attempt in range(2):
            error = turn.error.wire() if turn.error is not None else None
            payload = {"turnId": turn.id, "status": turn.status, "error": error}
            try:
                self.thread.record("turn_completed", payload)
                return
            except RolloutWriteError as exc:
                if turn.status == "failed":
                    return  # kept by the writer; written once the file accepts writes
                self._fail(save_failed_message(exc), "other", None)

    def _record(self, type_: str, payload: dict[str, Any]) -> bool:
        """Write one record; a failure stops the turn (raises), unless it is ending
        already. Returns whether the record was written."""
        try:
            self.thread.record(type_, payload)
            return True
        except RolloutWriteError:
            if not self._closing:
                raise
            return False

    def _fail(self, message: str, info: Any, details: str | None) -> None:
        self.turn.status = "failed"
        self.turn.error = WireTurnError(
            message=message, codex_error_info=info, additional_details=details
        )
        error = ErrorInfo(message=message, codex_error_info=info, additional_details=details)
        self.emit(ev.TurnError(self.thread.id, self.turn.id, error, will_retry=False))

    def _set_usage(self, usage: TokenUsage) -> None:
        """The thread's token use changed: keep it, record it, tell the client."""
        self.thread.token_usage = usage
        self._record("token_usage", {"turnId": self.turn.id, "tokenUsage": usage.wire()})
        self.emit(ev.TokenUsageUpdated(self.thread.id, self.turn.id, usage))

    # ---- items -----------------------------------------------------------------------

    def _item_started(self, item: ThreadItem) -> None:
        self.emit(ev.ItemStarted(self.thread.id, self.turn.id, item, now_ms()))

    def _item_completed(self, item: ThreadItem) -> None:
        self.turn.items.append(item)
        try:
            if self._record("item_completed", {"turnId": self.turn.id, "item": item.wire()}):
                writer = self.thread.writer
                if writer is not None:
                    writer.item_done(item.id)
        finally:
            # The client sees every item it saw start complete, even when saving failed.
            self.emit(ev.ItemCompleted(self.thread.id, self.turn.id, item, now_ms()))
