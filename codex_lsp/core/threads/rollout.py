"""The rollout file of one thread: an append-only JSONL log of everything that happened.

Each line is `{"ts": <unix ms>, "type": <str>, "payload": {...}}` (compact JSON, keys in
that order, so cheap substring scans such as the index's can find record types). The
first line is always the `session_meta` record. Record types and their payloads (keys in
camelCase):

- `session_meta` `{id, createdAt, cwd, modelProvider, model, forkedFromId, source}`
- `turn_context` `{turnId, cwd, model, modelProvider, approvalPolicy, sandbox, effort, summary}`
- `turn_started` `{turnId}`
- `item_completed` `{turnId, item}` (a ThreadItem wire dict, client-visible)
- `response_item` `{turnId, item}` (one Responses API input entry, opaque here)
- `turn_completed` `{turnId, status, error}`
- `token_usage` `{turnId, tokenUsage}`
- `thread_name` `{name}`
- `attempt_discarded` `{turnId, itemIds}` (a failed model attempt's items, superseded)
- `item_delta` `{turnId, itemId, kind: "text"|"summary"|"reasoning", index, delta}`: a
  piece of an item still streaming, kept in the journal beside the rollout (see
  `journal_path`) until the item's `item_completed` is written. After a crash, readers
  fold the deltas of items that never completed into partial items.

Lines are written one at a time, straight to the file. A crash can leave a torn last line:
readers skip it with a warning, and `RolloutWriter` isolates it before appending.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import stat
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, NoReturn, Self

from ..private_files import FILE_MODE, private_dir
from .paths import day_dir, file_name_for

log = logging.getLogger(__name__)

SESSION_META = "session_meta"
TURN_CONTEXT = "turn_context"
TURN_STARTED = "turn_started"
ITEM_COMPLETED = "item_completed"
RESPONSE_ITEM = "response_item"
TURN_COMPLETED = "turn_completed"
TOKEN_USAGE = "token_usage"
THREAD_NAME = "thread_name"
ATTEMPT_DISCARDED = "attempt_discarded"
ITEM_DELTA = "item_delta"
# The model history was replaced (compaction): payload {turnId, history}.
COMPACTED = "compacted"
# Turns were dropped (revert, rollback): payload {turnIds}.
TURNS_DROPPED = "turns_dropped"
JOURNAL_SUFFIX = ".partial"


def now_ms() -> int:
    """The current time in unix milliseconds (the `ts` of a record)."""
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class SessionMeta:
    """The first record of a rollout: who the thread is and where it was started."""

    id: str
    created_at: int
    cwd: str
    model_provider: str
    model: str | None
    forked_from_id: str | None
    source: str = "lsp"

    def to_payload(self) -> dict[str, Any]:
        """The `session_meta` payload (camelCase keys)."""
        return {
            "id": self.id,
            "createdAt": self.created_at,
            "cwd": self.cwd,
            "modelProvider": self.model_provider,
            "model": self.model,
            "forkedFromId": self.forked_from_id,
            "source": self.source,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> SessionMeta:
        """Parse a `session_meta` payload; raises ValueError when a field is missing or bad."""
        ident = payload.get("id")
        created_at = payload.get("createdAt")
        cwd = payload.get("cwd")
        provider = payload.get("modelProvider")
        model = payload.get("model")
        forked = payload.get("forkedFromId")
        source = payload.get("source", "lsp")
        if not isinstance(ident, str) or not ident:
            raise ValueError("session_meta has no id")
        if not isinstance(created_at, int) or isinstance(created_at, bool):
            raise ValueError("session_meta has no integer createdAt")
        if not isinstance(cwd, str) or not isinstance(provider, str):
            raise ValueError("session_meta has no cwd or modelProvider")
        if model is not None and not isinstance(model, str):
            raise ValueError("session_meta model is not a string")
        if forked is not None and not isinstance(forked, str):
            raise ValueError("session_meta forkedFromId is not a string")
        return cls(
            id=ident,
            created_at=created_at,
            cwd=cwd,
            model_provider=provider,
            model=model,
            forked_from_id=forked,
            source=source if isinstance(source, str) else "lsp",
        )


@dataclass(frozen=True)
class RolloutRecord:
    """One line of a rollout file."""

    ts: int
    type: str
    payload: dict[str, Any]

    def to_line(self) -> bytes:
        """The record as one compact JSON line, newline included."""
        obj = {"ts": self.ts, "type": self.type, "payload": self.payload}
        text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
        return text.encode("utf-8") + b"\n"


@dataclass
class RolloutContents:
    """A parsed rollout: its meta, every other valid record in order, and what was skipped."""

    meta: SessionMeta
    records: list[RolloutRecord]
    warnings: list[str] = field(default_factory=list)


class RolloutCorrupt(Exception):
    """The file is not a usable rollout (no valid `session_meta` first line)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def rollout_file_name(meta: SessionMeta) -> str:
    """`rollout-YYYY-MM-DDThh-mm-ss-<threadId>.jsonl` (UTC time of creation)."""
    return file_name_for(meta.id, meta.created_at)


def rollout_path(sessions_root: Path, meta: SessionMeta) -> Path:
    """Where `RolloutWriter.create` puts the rollout of `meta` under `sessions_root`."""
    return day_dir(sessions_root, meta.created_at) / rollout_file_name(meta)


class RolloutWriteError(Exception):
    """A record could not be written to the rollout (disk full, file removed, replaced or
    read-only, ...). The record is kept and written before the next one once writing works
    again; nothing already in the file is touched."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"cannot write to {path}: {reason}")
        self.path = path
        self.reason = reason


def journal_path(path: Path) -> Path:
    """The file beside a rollout that holds the deltas of the items still streaming."""
    return path.with_name(path.name + JOURNAL_SUFFIX)


def _reason(exc: OSError) -> str:
    name = errno.errorcode.get(exc.errno or 0)
    text = exc.strerror or str(exc)
    return f"{text} ({name})" if name else text


def _write_all(fd: int, data: bytes) -> None:
    """Write all of `data`; on failure, cut what was written of it (no torn line stays)."""
    view = memoryview(data)
    done = 0
    try:
        while done < len(data):
            count = os.write(fd, view[done:])
            if count <= 0:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            done += count
    except OSError:
        if done:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, os.fstat(fd).st_size - done)
        raise


def _private_fd(fd: int) -> None:
    """Give a rollout file exactly the private mode (a umask cannot loosen or lock it)."""
    with contextlib.suppress(OSError):
        if stat.S_IMODE(os.fstat(fd).st_mode) != FILE_MODE:
            os.fchmod(fd, FILE_MODE)


class RolloutWriter:
    """Appends records to one rollout file, one written line at a time (thread-safe).

    Lines go straight to the file descriptor (no user-space buffer), so what `append`
    returned from is in the file even if the process is killed right after. The path is
    checked before each write: a rollout that was removed or replaced (by a folder, a pipe,
    another file) is never written through a stale descriptor; the path is reopened instead,
    and never created anew. A write that fails raises `RolloutWriteError` and leaves the
    file as it was (a partly written line is cut off again); the records that could not be
    written are kept in order and written first once the path accepts writes again.

    Deltas of items still streaming go to a journal beside the rollout (`journal_path`),
    emptied when their item is recorded complete and removed when the writer is released:
    a crash keeps the text streamed so far without filling the rollout with deltas.
    """

    def __init__(self, path: Path, fd: int | None = None) -> None:
        """Wrap an open descriptor of `path` (or none yet); use `create` or `open_append`."""
        self.path = path
        self._fd: int | None = None
        self._ident: tuple[int, int] | None = None
        self._lead = b""
        self._closed = False
        self._lock = threading.Lock()
        self._backlog: list[bytes] = []
        self._journal_fd: int | None = None
        self._streaming: set[str] = set()
        self._delta_heads: dict[tuple[str, str, str, int], bytes] = {}
        # Why the last write failed; None while writes succeed.
        self.failure: str | None = None
        if fd is not None:
            self._adopt(fd)

    @classmethod
    def create(
        cls,
        sessions_root: Path,
        meta: SessionMeta,
        *,
        records: Sequence[RolloutRecord] = (),
    ) -> RolloutWriter:
        """Create the rollout of a new thread: `session_meta`, then `records` (for a fork).

        Raises FileExistsError when the file already exists.
        """
        path = rollout_path(sessions_root, meta)
        private_dir(path.parent)
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_CLOEXEC
        fd = os.open(path, flags, FILE_MODE)
        try:
            _private_fd(fd)
            head = RolloutRecord(now_ms(), SESSION_META, meta.to_payload())
            _write_all(fd, b"".join([head.to_line(), *(r.to_line() for r in records)]))
        except BaseException:
            os.close(fd)
            path.unlink(missing_ok=True)
            raise
        return cls(path, fd)

    @classmethod
    def open_append(cls, path: Path) -> RolloutWriter:
        """Reopen an existing rollout to append to it (resume).

        If the file does not end with a newline (a crash tore the last line), a newline is
        written before the next record so the torn line stays on its own and is skipped by
        readers. Raises FileNotFoundError when the file does not exist, OSError when it
        cannot be opened for writing.
        """
        writer = cls(path)
        writer._adopt(writer._open_path())
        return writer

    def _open_path(self) -> int:
        """Open the path for appending; never creates it."""
        # O_NONBLOCK: a pipe put in the rollout's place fails at once instead of blocking.
        flags = os.O_RDWR | os.O_APPEND | os.O_CLOEXEC | os.O_NONBLOCK
        fd = os.open(self.path, flags)
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise OSError(errno.EINVAL, "not a regular file", str(self.path))
        return fd

    def _adopt(self, fd: int) -> None:
        info = os.fstat(fd)
        self._fd = fd
        self._ident = (info.st_dev, info.st_ino)
        self._lead = b""
        if info.st_size and os.pread(fd, 1, info.st_size - 1) != b"\n":
            self._lead = b"\n"
        _private_fd(fd)

    def _drop_fd(self) -> None:
        fd, self._fd, self._ident = self._fd, None, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    def _ready_fd(self) -> int:
        """The descriptor to write to, (re)opened if the path no longer names its file."""
        fd = self._fd
        if fd is not None:
            try:
                info = os.stat(self.path)
                same = (info.st_dev, info.st_ino) == self._ident
            except OSError:
                same = False
            if same:
                return fd
            log.warning("rollout %s was removed or replaced; reopening the path", self.path)
            self._drop_fd()
        self._adopt(self._open_path())
        assert self._fd is not None
        return self._fd

    @property
    def closed(self) -> bool:
        """Whether `close` was called."""
        return self._closed

    @property
    def pending(self) -> int:
        """How many records wait to be written (kept after a failed write)."""
        return len(self._backlog)

    def append(self, type: str, payload: dict[str, Any]) -> RolloutRecord:
        """Write one record (a line, after any records kept from failed writes); returns it
        with its timestamp. Raises `RolloutWriteError` when it cannot be written now (the
        record is kept for the next write)."""
        record = RolloutRecord(now_ms(), type, payload)
        line = record.to_line()
        with self._lock:
            if self._closed:
                raise ValueError(f"rollout writer for {self.path} is closed")
            self._backlog.append(line)
            try:
                fd = self._ready_fd()
                data = self._lead + (line if len(self._backlog) == 1 else b"".join(self._backlog))
                _write_all(fd, data)
            except OSError as exc:
                self._fail(exc)
            self._lead = b""
            self._backlog.clear()
            self.failure = None
        return record

    def _fail(self, exc: OSError) -> NoReturn:
        self._drop_fd()
        reason = _reason(exc)
        if self.failure != reason:
            log.error("cannot write to rollout %s: %s", self.path, reason)
        self.failure = reason
        raise RolloutWriteError(self.path, reason) from exc

    # ---- the journal of streaming items ----------------------------------------------

    def append_delta(self, turn_id: str, item_id: str, kind: str, index: int, delta: str) -> None:
        """Journal one delta of an item still streaming (see `ITEM_DELTA`); raises
        `RolloutWriteError` when it cannot be written. On every model delta's path: the line
        is built from a cached head rather than a whole `json.dumps`."""
        key = (turn_id, item_id, kind, index)
        head = self._delta_heads.get(key)
        if head is None:
            ids = json.dumps({"turnId": turn_id, "itemId": item_id, "kind": kind, "index": index})
            head = self._delta_heads[key] = ids[1:-1].encode() + b',"delta":'
        text = json.dumps(delta, ensure_ascii=False).encode()
        line = b'{"ts":%d,"type":"item_delta","payload":{%b%b}}\n' % (now_ms(), head, text)
        with self._lock:
            if self._closed:
                raise ValueError(f"rollout writer for {self.path} is closed")
            try:
                fd = self._journal_fd
                if fd is None:
                    fd = self._open_journal()
                _write_all(fd, line)
            except OSError as exc:
                reason = _reason(exc)
                log.error("cannot write to %s: %s", journal_path(self.path), reason)
                raise RolloutWriteError(journal_path(self.path), reason) from exc
            self._streaming.add(item_id)

    def _open_journal(self) -> int:
        flags = os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC | os.O_NOFOLLOW
        if not self._backlog:
            # Every item a leftover journal could speak for is recorded complete by now.
            flags |= os.O_TRUNC
        fd = os.open(journal_path(self.path), flags, FILE_MODE)
        _private_fd(fd)
        self._journal_fd = fd
        return fd

    def item_done(self, item_id: str) -> None:
        """The item's `item_completed` record is written: its deltas are no longer needed."""
        with self._lock:
            self._streaming.discard(item_id)
            if not self._streaming:
                self._delta_heads.clear()
            if not self._streaming and self._journal_fd is not None:
                with contextlib.suppress(OSError):
                    os.ftruncate(self._journal_fd, 0)

    def drop_journal(self) -> None:
        """Remove the journal if everything it could hold is recorded in the rollout."""
        with self._lock:
            self._close_journal()

    def _close_journal(self) -> None:
        fd, self._journal_fd = self._journal_fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
        if not self._streaming and not self._backlog:
            with contextlib.suppress(OSError):
                os.unlink(journal_path(self.path))

    # ---- lifecycle -------------------------------------------------------------------

    def release(self) -> None:
        """Close the file handles while the thread is idle; the next `append` reopens the
        path. Keeps descriptors per running turn rather than per loaded thread."""
        with self._lock:
            self._drop_fd()
            self._close_journal()

    def close(self) -> None:
        """Close the file (idempotent)."""
        self.release()
        self._closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _split_lines(data: bytes) -> list[str | None]:
    """The file's lines as text; None for a line that is not valid UTF-8."""
    try:
        return list(data.decode("utf-8").split("\n"))
    except UnicodeDecodeError:
        lines: list[str | None] = []
        for raw in data.split(b"\n"):
            try:
                lines.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                lines.append(None)
        return lines


def parse_record(line: str) -> RolloutRecord | None:
    """Parse one line into a record; None when it is not valid JSON or not a record."""
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    if not isinstance(obj, dict):
        return None
    ts = obj.get("ts")
    kind = obj.get("type")
    payload = obj.get("payload")
    if type(ts) is not int or not isinstance(kind, str) or not isinstance(payload, dict):
        return None
    return RolloutRecord(ts, kind, payload)


def _journal_records(path: Path, warnings: list[str]) -> list[RolloutRecord]:
    """The `item_delta` records of the journal beside `path` (none when it has none)."""
    journal = journal_path(path)
    try:
        data = journal.read_bytes()
    except OSError:
        return []
    out = []
    for number, line in enumerate(_split_lines(data), 1):
        if not line:
            continue
        record = parse_record(line)
        if record is not None and record.type == ITEM_DELTA:
            out.append(record)
        else:
            warnings.append(f"{journal}:{number}: line is not a delta record, skipped")
    return out


def read_rollout(path: Path) -> RolloutContents:
    """Read a whole rollout, then the deltas its journal holds (a crash mid-stream). Bad
    lines are skipped and described in `warnings`.

    Raises RolloutCorrupt when the first line is not a valid `session_meta` record, and
    OSError when the file cannot be read.
    """
    data = path.read_bytes()
    lines = _split_lines(data)
    if lines and lines[-1] == "":
        lines.pop()  # the file ends with a newline: nothing after it
    torn_last = bool(data) and not data.endswith(b"\n")
    if not lines:
        raise RolloutCorrupt(path, "empty file")
    first = lines[0]
    head = parse_record(first) if first is not None else None
    if head is None or head.type != SESSION_META:
        raise RolloutCorrupt(path, "the first line is not a session_meta record")
    try:
        meta = SessionMeta.from_payload(head.payload)
    except ValueError as exc:
        raise RolloutCorrupt(path, str(exc)) from exc
    records: list[RolloutRecord] = []
    warnings: list[str] = []
    last_index = len(lines) - 1
    for index in range(1, len(lines)):
        line = lines[index]
        if line is not None:
            if not line or line.isspace():
                continue
            record = parse_record(line)
            if record is not None:
                records.append(record)
                continue
        if index == last_index and torn_last:
            reason = "truncated last line skipped"
        elif line is None:
            reason = "line is not valid UTF-8, skipped"
        else:
            reason = "line is not a valid record, skipped"
        warnings.append(f"{path}:{index + 1}: {reason}")
    records.extend(_journal_records(path, warnings))
    for warning in warnings:
        log.warning("%s", warning)
    return RolloutContents(meta=meta, records=records, warnings=warnings)
