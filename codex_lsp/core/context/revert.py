"""Revert and rollback: drop a thread's last turns, and put back the files they changed.

The dropped turns leave what the user sees (`thread/read`, resume) and what the model is
sent: a `turns_dropped` record names them, and rebuilding the history skips every record
of those turns (a compaction made in one of them is undone with it). Their file changes
are undone first, newest turn first, with the thread's turn snapshots (`core/workspace/
undo.py`: through the editor when one is attached; a file changed since is left alone and
stops the walk back), unless the caller keeps the files.
"""

from __future__ import annotations

import logging

from .. import events as ev
from ..threads.loaded import LoadedThread
from ..threads.rollout import TURNS_DROPPED
from ..workspace.undo import UndoResult, undo_turn
from ..workspace.view import WorkspaceView

log = logging.getLogger(__name__)


async def drop_turns(
    thread: LoadedThread,
    dropped: list[str],
    restore_files: bool,
    view: WorkspaceView | None,
    emit: ev.EventSink,
) -> list[UndoResult]:
    """Undo the dropped turns' file changes (when asked) and record the drop. The caller
    rebuilds the thread's history from its rollout afterwards."""
    gone = set(dropped)
    results: list[UndoResult] = []
    store = thread.snapshots
    if store is not None:
        while restore_files and store.turns and store.turns[-1].turn_id in gone:
            result = await undo_turn(thread, None, view, emit)
            results.append(result)
            if not result.undone:
                log.warning("revert of thread %s kept files: %s", thread.id, result.message())
                break
        for turn in [t for t in store.turns if t.turn_id in gone]:
            store.discard(turn)
    thread.record(TURNS_DROPPED, {"turnIds": dropped})
    return results
