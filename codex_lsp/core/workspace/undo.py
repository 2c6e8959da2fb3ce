"""Undo a turn's file changes, without git, from the turn's snapshots.

Rules:
- Only the last turn of the thread that changed files (and is not undone yet) can be
  undone; undoing again walks back one file-changing turn at a time. Not while a turn
  runs. A saved thread's snapshots are kept on disk, so this works after a restart; an
  ephemeral thread's only while the server runs. When nothing is left to undo (or the
  turn asked for was undone already, or changed no files), `NothingToUndo` says why, and
  `codex.undoTurn` answers with a normal result (`nothing_to_undo`), not an error.
- Every file the turn changed goes back to its content before the turn: updated files are
  edited back, files the turn created are deleted, files it deleted are recreated (with
  their mode), directories it created are removed when empty.
- A file whose content is not what the turn left (the user edited it, or the editor's
  buffer differs from the disk) is refused and left alone; so is a file whose old content
  was not kept (large, binary, past the snapshot's limits). The rest is undone, and the
  turn counts as undone as soon as one file was put back (the refused ones are listed in
  the result); when nothing could be put back, it stays the turn to undo.
- The reverse change lands like any file change: through the thread's approval transport
  (`workspace/applyEdit` when an editor is attached, so it joins the editor's undo
  history), else on disk. It is recorded in the rollout (`turn_undone`) and the model is
  told which files were restored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import stat
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import events as ev
from ..approvals.gate import ChangeOutcome, ChangeRequest
from ..instructions import user_text_message
from ..text import (
    FileChange,
    Hunk,
    added_file_diff,
    deleted_file_diff,
    split_lines,
    text_change,
    write_changes,
)
from ..threads.errors import ThreadError
from .file_states import binary_diff, label_of, observe
from .inventory import is_text
from .snapshots import MAX_UNDO_TURNS, TurnSnapshots

if TYPE_CHECKING:
    from ..threads.loaded import LoadedThread
    from .view import WorkspaceView

log = logging.getLogger(__name__)

TURN_UNDONE = "turn_undone"


@dataclass(frozen=True)
class RefusedFile:
    """A file the undo left as it is, and why."""

    path: str
    reason: str


@dataclass
class UndoResult:
    """What an undo did. `undone`: the turn counts as undone (something was restored)."""

    thread_id: str
    turn_id: str
    restored: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    refused: list[RefusedFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    undone: bool = False

    def wire(self) -> dict[str, Any]:
        """The result as JSON (camelCase), for `codex.undoTurn`."""
        return {
            "threadId": self.thread_id,
            "turnId": self.turn_id,
            "undone": self.undone,
            "restored": list(self.restored),
            "deleted": list(self.deleted),
            "refused": [{"path": r.path, "reason": r.reason} for r in self.refused],
            "notes": list(self.notes),
        }

    def message(self) -> str:
        """One human-readable line (for `window/showMessage`)."""
        parts = []
        if self.restored:
            parts.append(f"restored {len(self.restored)} file(s)")
        if self.deleted:
            parts.append(f"deleted {len(self.deleted)} file(s) the turn created")
        head = "Undo: " + (", ".join(parts) if parts else "nothing was undone")
        refused = "; ".join(f"{Path(r.path).name}: {r.reason}" for r in self.refused)
        return f"{head}. Not restored: {refused}" if refused else f"{head}."


class NothingToUndo(ThreadError):
    """The request is valid but there is nothing to undo; the message says why."""


def nothing_to_undo(thread_id: str, reason: str) -> dict[str, Any]:
    """`codex.undoTurn`'s answer when there is nothing to undo: no turn, nothing undone,
    and the reason in `notes`."""
    return {
        "threadId": thread_id,
        "turnId": None,
        "undone": False,
        "restored": [],
        "deleted": [],
        "refused": [],
        "notes": [reason],
    }


def pick_turn(thread: LoadedThread, turn_id: str | None) -> TurnSnapshots:
    """The turn to undo. Raises `NothingToUndo` when there is none (every file-changing
    turn is undone, or the turn asked for was undone already or changed no files), and
    ThreadError for a turn id the thread does not have or a turn that is not the last."""
    store = thread.snapshots
    if turn_id is not None and not any(t.id == turn_id for t in thread.turns):
        raise ThreadError("turnId", f"unknown turn id {turn_id!r} in thread {thread.id}")
    if store is not None and turn_id is not None and turn_id in store.undone:
        raise NothingToUndo(
            "turnId", f"Nothing to undo: turn {turn_id} was already undone; its files are back."
        )
    if store is None or not store.turns:
        why = (
            "its file-changing turns were undone (or dropped) already"
            if store is not None and store.undone
            else f"undo covers its last {MAX_UNDO_TURNS} file-changing turns"
        )
        raise NothingToUndo(
            "turnId" if turn_id is not None else "threadId",
            f"Nothing to undo: thread {thread.id} has no file changes to undo ({why}).",
        )
    last = store.turns[-1]
    if turn_id is None or turn_id == last.turn_id:
        return last
    if store.find(turn_id) is not None:
        raise ThreadError(
            "turnId",
            f"only the last turn that changed files ({last.turn_id}) can be undone; "
            f"undo it first, then turn {turn_id}",
        )
    raise NothingToUndo(
        "turnId",
        f"Nothing to undo: turn {turn_id} has no file changes that can be undone (none, or "
        f"it is older than the last {MAX_UNDO_TURNS} file-changing turns).",
    )


@dataclass
class _Plan:
    changes: list[FileChange] = field(default_factory=list)
    refused: list[RefusedFile] = field(default_factory=list)


def plan_undo(turn: TurnSnapshots, buffers: dict[Path, str | None]) -> _Plan:
    """The reverse change of every file the turn changed that can safely be put back."""
    plan = _Plan()
    for path in turn.changed_paths():
        original = turn.originals[path]
        end = turn.ends.get(path)
        seen, data = observe(path, buffers.get(path))

        def refuse(reason: str, path: Path = path) -> None:
            plan.refused.append(RefusedFile(str(path), reason))

        if end is None or not seen.same_as(end):
            where = " (or its editor buffer differs from the disk)" if buffers.get(path) else ""
            refuse(f"changed since the turn ended{where}; left as it is")
            continue
        if original.exists and original.data is None:
            refuse(f"its content before the turn was not kept ({original.problem})")
            continue
        label = label_of(turn.root, path)
        old = original.content()
        current = data.decode("utf-8") if data is not None and is_text(data) else None
        if not original.exists:
            if not seen.exists:
                continue
            lines = split_lines(current) if current is not None else []
            diff = (
                deleted_file_diff(label, lines)
                if current is not None
                else binary_diff(label, True, False)
            )
            hunks = [Hunk(0, lines, [])] if lines else []
            plan.changes.append(FileChange(path, "delete", None, current, None, diff, hunks))
            continue
        assert old is not None
        text = old.decode("utf-8")
        lines = split_lines(text)
        if not seen.exists:
            hunks = [Hunk(0, [], lines)] if lines else []
            diff = added_file_diff(label, lines)
            plan.changes.append(FileChange(path, "add", None, None, text, diff, hunks))
        elif data != old:
            if current is None:
                refuse("it is not a text file of at most 1 MiB now; left as it is")
                continue
            hunks, diff = text_change(label, current, text)
            plan.changes.append(FileChange(path, "update", None, current, text, diff, hunks))
    return plan


def _write_each(changes: list[FileChange]) -> tuple[ChangeOutcome, dict[Path, str]]:
    """No editor: write each change to disk on its own (one failure stops no other)."""
    applied: list[FileChange] = []
    failures: dict[Path, str] = {}
    for change in changes:
        try:
            write_changes([change])
        except OSError as exc:
            failures[change.path] = f"could not be written: {exc.strerror or exc}"
        else:
            applied.append(change)
    return ChangeOutcome("accept", applied=applied), failures


async def _land(
    thread: LoadedThread, turn: TurnSnapshots, changes: list[FileChange]
) -> tuple[ChangeOutcome, dict[Path, str]]:
    transport = thread.gate.transport if thread.gate is not None else None
    if transport is None:
        return await asyncio.to_thread(_write_each, changes)
    request = ChangeRequest(
        thread_id=thread.id,
        turn_id=turn.turn_id,
        item_id=f"undo_{uuid.uuid4().hex[:24]}",
        changes=changes,
        needs_confirmation=False,
        reason=f"Undo the file changes of turn {turn.turn_id}",
        grant_root=str(turn.root),
    )
    try:
        return await transport.apply_changes(request), {}
    except Exception as exc:  # the editor or the disk failed: report, keep the server up
        log.exception("landing the undo of turn %s failed", turn.turn_id)
        return ChangeOutcome("decline", error=f"{type(exc).__name__}: {exc}"), {}


def _settle(
    turn: TurnSnapshots,
    changes: list[FileChange],
    outcome: ChangeOutcome,
    failures: dict[Path, str],
    result: UndoResult,
) -> None:
    landed = {c.path: c for c in outcome.applied}
    for change in changes:
        got = landed.get(change.path)
        name = str(change.path)
        if got is None:
            reason = failures.get(change.path) or (
                f"the undo could not be applied: {outcome.error}"
                if outcome.error
                else "the editor did not apply the undo"
            )
            result.refused.append(RefusedFile(name, reason))
        elif change.kind == "update" and got.new_text != change.new_text:
            result.refused.append(RefusedFile(name, "the editor applied only part of the undo"))
        elif change.kind == "delete":
            result.deleted.append(name)
        else:
            result.restored.append(name)
            mode = turn.originals[change.path].mode
            if change.kind == "add" and mode is not None:
                with contextlib.suppress(OSError):
                    os.chmod(change.path, stat.S_IMODE(mode))
    for directory in sorted(turn.created_dirs, key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):
            directory.rmdir()  # only when empty


def _tell_model(thread: LoadedThread, result: UndoResult) -> None:
    lines = [f"The user undid the file changes of an earlier turn ({result.turn_id})."]
    if result.restored:
        lines.append("Back to their content before that turn: " + ", ".join(result.restored))
    if result.deleted:
        lines.append("Deleted (that turn created them): " + ", ".join(result.deleted))
    if result.refused:
        lines.append(
            "Left as they are: " + "; ".join(f"{r.path} ({r.reason})" for r in result.refused)
        )
    note = user_text_message("<undo>\n" + "\n".join(lines) + "\n</undo>")
    thread.model_items.append(note)
    thread.record("response_item", {"turnId": result.turn_id, "item": note})


async def undo_turn(
    thread: LoadedThread,
    turn_id: str | None,
    view: WorkspaceView | None,
    emit: ev.EventSink,
) -> UndoResult:
    """Undo the file changes of the thread's last file-changing turn (see module doc).
    Raises `NothingToUndo` when there is nothing to undo, ThreadError when the turn is not
    the last one or unknown."""
    turn = pick_turn(thread, turn_id)
    store = turn.store
    if store.undoing:
        raise ThreadError("threadId", f"an undo of thread {thread.id} is already in progress")
    store.undoing = True
    try:
        result = UndoResult(thread.id, turn.turn_id, notes=list(turn.warnings))
        paths = turn.changed_paths()
        buffers = {p: view.buffer_text(p) for p in paths} if view is not None else {}
        plan = await asyncio.to_thread(plan_undo, turn, buffers)
        result.refused.extend(plan.refused)
        if plan.changes:
            outcome, failures = await _land(thread, turn, plan.changes)
            _settle(turn, plan.changes, outcome, failures, result)
        result.undone = bool(result.restored or result.deleted)
        if result.undone or (not plan.changes and not plan.refused):
            # Undone (a turn whose files are all back already counts as undone too).
            result.undone = True
            store.discard(turn)
            thread.record(
                TURN_UNDONE,
                {"turnId": turn.turn_id, **{k: v for k, v in result.wire().items() if k in _KEPT}},
            )
            _tell_model(thread, result)
            await turn.refresh_diff()
        return result
    finally:
        store.undoing = False


_KEPT = ("restored", "deleted", "refused")
