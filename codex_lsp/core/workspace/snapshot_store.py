"""Turn snapshots kept on disk, so undo, revert and rollback work after a restart.

Each file-changing turn of a saved (non-ephemeral) thread is written, when it ends, to
`$CODEX_HOME/snapshots/<thread id>/<turn id>.json` (0600, folders 0700): for every file it
changed, what the file held before the turn (zlib-compressed, base64), what the turn left
in it (digest and stat stamp, to tell whether the user changed it since), its diff, the
folders the turn created and the warnings. An undone or dropped turn's file is removed.
Loading a thread brings back its turns that still have a file, in the thread's turn order
(the newest `MAX_UNDO_TURNS`). A file that cannot be read back is skipped with a warning:
that turn can no longer be undone, nothing else changes.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
from pathlib import Path
from typing import Any

from .. import events as ev
from ..private_files import private_dir, write_private_atomic
from .file_states import Original, Seen
from .inventory import Stamp
from .snapshots import MAX_UNDO_TURNS, ThreadSnapshots, TurnSnapshots

log = logging.getLogger(__name__)

VERSION = 1


def snapshots_dir(home: Path, thread_id: str) -> Path:
    """Where a thread's turn snapshots are kept."""
    return home / "snapshots" / thread_id


def _original(o: Original) -> dict[str, Any]:
    data = base64.b64encode(o.data).decode("ascii") if o.data is not None else None
    return {"exists": o.exists, "data": data, "mode": o.mode, "problem": o.problem}


def _seen(s: Seen) -> dict[str, Any]:
    return {"exists": s.exists, "digest": s.digest, "stamp": list(s.stamp) if s.stamp else None}


def turn_record(turn: TurnSnapshots) -> dict[str, Any]:
    """A finished turn's snapshot as JSON."""
    files = []
    for path in turn.changed_paths():
        end = turn.ends.get(path)
        files.append(
            {
                "path": str(path),
                "original": _original(turn.originals[path]),
                "end": _seen(end) if end is not None else None,
                "diff": turn.file_diff(path),
            }
        )
    return {
        "version": VERSION,
        "threadId": turn.thread_id,
        "turnId": turn.turn_id,
        "root": str(turn.root),
        "files": files,
        "createdDirs": sorted(str(d) for d in turn.created_dirs),
        "warnings": list(turn.warnings),
    }


def save_turn(directory: Path, turn: TurnSnapshots) -> None:
    """Write a finished turn's snapshot; a failure is logged (undo after a restart is then
    not possible for that turn), never raised."""
    try:
        private_dir(directory)
        data = json.dumps(turn_record(turn), separators=(",", ":"))
        write_private_atomic(directory / f"{turn.turn_id}.json", data)
    except (OSError, ValueError) as exc:
        log.warning("snapshot of turn %s not saved: %s", turn.turn_id, exc)


def drop_turn(directory: Path, turn_id: str) -> None:
    """Forget a turn's snapshot (undone, or the turn was dropped)."""
    with contextlib.suppress(OSError):
        (directory / f"{turn_id}.json").unlink()


def _read_original(raw: dict[str, Any]) -> Original:
    data = raw.get("data")
    return Original(
        bool(raw["exists"]),
        base64.b64decode(data) if isinstance(data, str) else None,
        raw.get("mode"),
        raw.get("problem"),
    )


def _read_seen(raw: dict[str, Any]) -> Seen:
    stamp = raw.get("stamp")
    return Seen(bool(raw["exists"]), raw.get("digest"), Stamp(*stamp) if stamp else None)


def load_turn(
    store: ThreadSnapshots, path: Path, thread_id: str, emit: ev.EventSink
) -> TurnSnapshots:
    """One saved turn, as the finished recorder it was (raises on a bad file)."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    if raw.get("version") != VERSION:
        raise ValueError(f"unknown snapshot version {raw.get('version')!r}")
    turn = TurnSnapshots(store, thread_id, str(raw["turnId"]), Path(raw["root"]), emit)
    for entry in raw["files"]:
        file = Path(entry["path"])
        turn.originals[file] = _read_original(entry["original"])
        turn.touched.add(file)
        if entry.get("end") is not None:
            seen = _read_seen(entry["end"])
            turn.ends[file] = seen
            turn.seen[file] = seen
        turn.restore_diff(file, str(entry["diff"]))
    turn.created_dirs = {Path(d) for d in raw.get("createdDirs", [])}
    turn.warnings = [str(w) for w in raw.get("warnings", [])]
    turn.finished = True
    return turn


def load_snapshots(
    directory: Path, thread_id: str, turn_ids: list[str], emit: ev.EventSink
) -> ThreadSnapshots:
    """A thread's snapshots with its saved turns (in `turn_ids` order) loaded."""
    store = ThreadSnapshots(persist_dir=directory)
    for turn_id in turn_ids:
        path = directory / f"{turn_id}.json"
        if not path.exists():
            continue
        try:
            store.turns.append(load_turn(store, path, thread_id, emit))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning(
                "snapshot %s cannot be read, turn %s cannot be undone: %s", path, turn_id, exc
            )
    del store.turns[:-MAX_UNDO_TURNS]
    return store
