"""Turn snapshots: what every file a turn changed held before the turn, and the turn's diff.

A `TurnSnapshots` recorder lives for one turn. Tools tell it what they do:
- `apply_patch` calls `before_changes(changes)` before landing a patch (the old text of
  each file is in `FileChange.old_text`; an added file had none) and
  `after_changes(applied)` with what really landed.
- `shell`, `exec_command` and `write_stdin` call `before_command()` before a command starts
  and `after_command()` when the call returns. `before_command` lists the workspace (the
  turn's cwd) and refreshes the thread's in-memory copy of its small text files (see
  `inventory`); `after_command` lists it again and takes the old content of every created,
  modified or deleted file from that copy. A command interrupted before `after_command`
  is settled by `finish()`.
The first capture of a file in a turn is its original. After each step that changed files
the whole turn's unified diff (originals -> current content, files sorted by path) is sent
as a `TurnDiffUpdated` event. `finish()` at the end of the turn records what the turn left
in every file (a digest), so an undo can tell whether the user changed a file since.

What is current: the file on disk, except for files last changed by apply_patch, which are
read as the user sees them (the editor's buffer when open) since that is where the patch
landed.

Limits, on top of the inventory's (see `inventory`: skipped directories, 20,000 files,
1 MiB per file, 64 MiB in all, UTF-8 text only):
- Snapshots live in memory per thread (`ThreadSnapshots`), for the last `MAX_UNDO_TURNS`
  file-changing turns; a saved thread also keeps them on disk (`snapshot_store`), so undo
  works after a restart too. An ephemeral thread's are lost when the server stops.
- Only files under the turn's cwd are seen changing by commands (apply_patch changes are
  recorded wherever they land). A mode change alone (chmod) is not a change.
- Changes a background exec session makes between tool calls are not attributed to the
  turn; changes anything else (the user, a build watcher) makes while a command runs are.
- A file changed by a command whose old content was not kept (large, binary, over budget)
  shows as a binary change in the diff and cannot be restored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .. import events as ev
from .file_states import ABSENT, Original, Seen, file_diff, label_of, observe
from .inventory import (
    BINARY,
    LARGE,
    MAX_FILE_BYTES,
    MAX_FILES,
    RACY_NS,
    UNREADABLE,
    ContentCache,
    Inventory,
    read_small,
    take_inventory,
)

if TYPE_CHECKING:
    from ..text import FileChange
    from .view import WorkspaceView

log = logging.getLogger(__name__)

MAX_UNDO_TURNS = 20


class TurnSnapshots:
    """Records the originals of the files one turn changes; emits the turn's diff."""

    def __init__(
        self,
        store: ThreadSnapshots,
        thread_id: str,
        turn_id: str,
        root: Path,
        emit: ev.EventSink,
        view: WorkspaceView | None = None,
    ) -> None:
        self.store = store
        self.thread_id = thread_id
        self.turn_id = turn_id
        self.root = root
        self.emit = emit
        self.view = view
        self.originals: dict[Path, Original] = {}
        self.touched: set[Path] = set()
        self.created_dirs: set[Path] = set()
        self.warnings: list[str] = []
        # The state each touched file was last seen in, and at the end of the turn.
        self.seen: dict[Path, Seen] = {}
        self.ends: dict[Path, Seen] = {}
        self._via_editor: set[Path] = set()
        self._pending_modes: dict[Path, int] = {}
        self._pending_dirs: set[Path] = set()
        self._file_diffs: dict[Path, str] = {}
        self._open: Inventory | None = None
        self._last_diff = ""
        self.finished = False

    # ---- reading -------------------------------------------------------------------

    def _buffers(self, paths: Iterable[Path]) -> dict[Path, str | None]:
        """Open-buffer texts of files apply_patch changed last (read on the event loop)."""
        view = self.view
        if view is None:
            return {}
        return {p: view.buffer_text(p) for p in paths if p in self._via_editor}

    def _buffer(self, path: Path, buffers: dict[Path, str | None]) -> str | None:
        return buffers.get(path) if path in self._via_editor else None

    def _update_diffs(self, paths: Iterable[Path], buffers: dict[Path, str | None]) -> None:
        """Re-read `paths` and recompute their diffs (call with the store's lock held)."""
        for path in paths:
            seen, data = observe(path, self._buffer(path, buffers))
            self.seen[path] = seen
            original = self.originals[path]
            label = label_of(self.root, path)
            self._file_diffs[path] = file_diff(label, original, seen.exists, data)

    def diff(self) -> str:
        """The turn's unified diff so far, files sorted by path."""
        ordered = sorted(self._file_diffs, key=lambda p: label_of(self.root, p))
        return "".join(self._file_diffs[p] for p in ordered)

    @property
    def changed(self) -> bool:
        """Whether any file differs from its original (as last seen)."""
        return any(self._file_diffs.values())

    def changed_paths(self) -> list[Path]:
        """The files whose diff is not empty, sorted."""
        return sorted(p for p, d in self._file_diffs.items() if d)

    def file_diff(self, path: Path) -> str:
        """One file's diff (original -> as last seen); empty when unchanged."""
        return self._file_diffs.get(path, "")

    def restore_diff(self, path: Path, diff: str) -> None:
        """Set one file's diff (a turn loaded back from disk)."""
        self._file_diffs[path] = diff

    def _emit_diff(self) -> None:
        diff = self.diff()
        if diff != self._last_diff:
            self._last_diff = diff
            self.emit(ev.TurnDiffUpdated(self.thread_id, self.turn_id, diff))

    def _warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    # ---- apply_patch ---------------------------------------------------------------

    def before_changes(self, changes: Sequence[FileChange]) -> None:
        """A patch is about to land: note the file modes and the missing directories."""
        for change in changes:
            with contextlib.suppress(OSError):
                if change.kind != "add":
                    self._pending_modes[change.path] = os.stat(change.path).st_mode
                target = change.move_path if change.move_path is not None else change.path
                if change.kind != "delete":
                    self._pending_dirs.update(_missing_parents(target, self.root))

    async def after_changes(self, applied: Sequence[FileChange]) -> None:
        """A patch landed (`applied`: what really landed, each change's `old_text` being
        the text just before): record the originals, emit the diff. Never raises."""
        try:
            await self._after_changes(applied)
        except Exception:
            log.exception("recording a patch for the turn's diff and undo failed")
            self._warn("recording a patch failed; its changes may not be undone")

    async def _after_changes(self, applied: Sequence[FileChange]) -> None:
        paths: list[Path] = []
        with self.store.lock:
            for change in applied:
                mode = self._pending_modes.get(change.path)
                self.originals.setdefault(change.path, _original_of_change(change, mode))
                paths.append(change.path)
                if change.move_path is not None:
                    self.originals.setdefault(change.move_path, ABSENT)
                    paths.append(change.move_path)
            for path in paths:
                self.touched.add(path)
                self._via_editor.add(path)
            self.created_dirs.update(d for d in self._pending_dirs if d.is_dir())
            self._pending_modes.clear()
            self._pending_dirs.clear()
        if not paths:
            return
        buffers = self._buffers(paths)
        await asyncio.to_thread(self._locked_update, paths, buffers)
        self._emit_diff()

    async def refresh_diff(self) -> None:
        """Re-read every file the turn changed; send the diff if it changed (after an undo)."""
        buffers = self._buffers(self.touched)
        await asyncio.to_thread(self._locked_update, list(self.touched), buffers)
        self._emit_diff()

    def _locked_update(self, paths: Iterable[Path], buffers: dict[Path, str | None]) -> None:
        with self.store.lock:
            self._update_diffs(paths, buffers)

    # ---- commands ------------------------------------------------------------------

    async def before_command(self) -> None:
        """A command is about to run: list the workspace and copy its small text files."""
        buffers = self._buffers(self.touched)
        try:
            changed = await asyncio.to_thread(self._before_command, buffers)
        except Exception:
            log.exception("snapshot before a command failed")
            self._warn("a snapshot before a command failed; its changes cannot be undone")
            return
        if changed:
            self._emit_diff()

    def _before_command(self, buffers: dict[Path, str | None]) -> bool:
        with self.store.lock:
            changed = self._close_command(buffers) if self._open else False
            inventory = take_inventory(str(self.root))
            if inventory.truncated:
                self._warn(
                    f"the workspace has more than {MAX_FILES} files: changes commands made "
                    "past the first ones (in name order) were not tracked"
                )
            self.store.cache.refresh(inventory)
            self._open = inventory
            return changed

    async def after_command(self) -> None:
        """A command returned: find what it changed, emit the diff."""
        if self._open is None:
            return
        buffers = self._buffers(self.touched)
        try:
            changed = await asyncio.to_thread(self._locked_close, buffers)
        except Exception:
            log.exception("snapshot after a command failed")
            self._warn("a snapshot after a command failed; its changes cannot be undone")
            return
        if changed:
            self._emit_diff()

    def _locked_close(self, buffers: dict[Path, str | None]) -> bool:
        with self.store.lock:
            return self._close_command(buffers)

    def _close_command(self, buffers: dict[Path, str | None]) -> bool:
        """Compare the workspace with the listing taken before the command; True when
        files changed. Call with the store's lock held."""
        before, self._open = self._open, None
        if before is None:
            return False
        after = take_inventory(before.root)
        cache = self.store.cache
        changed: list[Path] = []
        for name, stamp in after.files.items():
            old = before.files.get(name)
            if old is None:
                if before.truncated and stamp.mtime_ns < before.taken_ns - RACY_NS:
                    continue  # listed now, past the earlier listing's limit
                changed.append(Path(name))
                continue
            if old == stamp and old.mtime_ns < before.taken_ns - RACY_NS:
                continue
            entry = cache.entries.get(name)
            if entry is not None and entry.stamp == old and entry.data is not None:
                try:
                    if read_small(name) == entry.content():
                        continue
                except OSError:
                    pass
            elif old == stamp:
                continue  # recent but no copy to compare with: assume unchanged
            changed.append(Path(name))
        for name in before.files.keys() - after.files.keys():
            if not os.path.lexists(name):
                changed.append(Path(name))
        for path in changed:
            if path not in self.originals:
                self.originals[path] = self._original_from(before, cache, str(path))
            self.touched.add(path)
            self._via_editor.discard(path)
        if not before.truncated:
            self.created_dirs.update(Path(d) for d in after.dirs - before.dirs)
        if changed:
            self._update_diffs(changed, buffers)
        return bool(changed)

    @staticmethod
    def _original_from(before: Inventory, cache: ContentCache, name: str) -> Original:
        stamp = before.files.get(name)
        if stamp is None:
            return ABSENT
        entry = cache.entries.get(name)
        if entry is None or entry.stamp != stamp:
            return Original(True, None, stamp.mode, UNREADABLE)
        return Original(True, entry.data, stamp.mode, entry.problem)

    # ---- end of the turn -----------------------------------------------------------

    def finish(self) -> None:
        """The turn ended: settle an interrupted command, record what each file holds."""
        with self.store.lock:
            touched = list(self.touched)
        buffers = self._buffers(touched)
        with self.store.lock:
            changed = False
            if self._open is not None:
                try:
                    changed = self._close_command(buffers)
                except Exception:
                    log.exception("snapshot after an interrupted command failed")
            for path in self.touched:
                seen, data = observe(path, self._buffer(path, buffers))
                if path not in self.seen or not seen.same_as(self.seen[path]):
                    self.seen[path] = seen
                    original = self.originals[path]
                    label = label_of(self.root, path)
                    self._file_diffs[path] = file_diff(label, original, seen.exists, data)
                    changed = True
                self.ends[path] = seen
            self.finished = True
        if changed:
            self._emit_diff()
        self.store.turn_finished(self)


def _original_of_change(change: FileChange, mode: int | None) -> Original:
    if change.kind == "add" or change.old_text is None:
        return ABSENT
    try:
        data = change.old_text.encode("utf-8")
    except UnicodeEncodeError:
        return Original(True, None, mode, BINARY)
    if len(data) > MAX_FILE_BYTES:
        return Original(True, None, mode, LARGE)
    return Original.of_bytes(data, mode)


def _missing_parents(path: Path, root: Path) -> list[Path]:
    """Directories between `root` and `path` that do not exist yet."""
    out = []
    parent = path.parent
    while parent != root and root in parent.parents and not parent.exists():
        out.append(parent)
        parent = parent.parent
    return out


@dataclass
class ThreadSnapshots:
    """A thread's snapshots: the copy of the workspace's text files and, oldest first,
    the file-changing turns that can still be undone."""

    cache: ContentCache = field(default_factory=ContentCache)
    turns: list[TurnSnapshots] = field(default_factory=list)
    undone: set[str] = field(default_factory=set)
    undoing: bool = False
    lock: threading.RLock = field(default_factory=threading.RLock)
    # Where finished turns are saved (see `snapshot_store`); None: memory only.
    persist_dir: Path | None = None

    def begin_turn(
        self,
        thread_id: str,
        turn_id: str,
        root: Path,
        emit: ev.EventSink,
        view: WorkspaceView | None = None,
    ) -> TurnSnapshots:
        """A recorder for a new turn."""
        return TurnSnapshots(self, thread_id, turn_id, root, emit, view)

    def turn_finished(self, turn: TurnSnapshots) -> None:
        """Keep a finished turn that changed files (the newest `MAX_UNDO_TURNS`)."""
        if not turn.changed:
            return
        self.turns.append(turn)
        dropped, self.turns = self.turns[:-MAX_UNDO_TURNS], self.turns[-MAX_UNDO_TURNS:]
        if self.persist_dir is not None:
            from .snapshot_store import drop_turn, save_turn

            save_turn(self.persist_dir, turn)
            for old in dropped:
                drop_turn(self.persist_dir, old.turn_id)

    def discard(self, turn: TurnSnapshots) -> None:
        """The turn was undone or dropped: it can no longer be undone."""
        if turn in self.turns:
            self.turns.remove(turn)
        self.undone.add(turn.turn_id)
        if self.persist_dir is not None:
            from .snapshot_store import drop_turn

            drop_turn(self.persist_dir, turn.turn_id)

    def find(self, turn_id: str) -> TurnSnapshots | None:
        """The undoable turn with this id."""
        return next((t for t in self.turns if t.turn_id == turn_id), None)
