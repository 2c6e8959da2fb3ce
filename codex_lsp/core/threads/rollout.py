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

Lines are written and flushed one at a time. A crash can leave a torn last line: readers
skip it with a warning, and `RolloutWriter.open_append` isolates it before appending.
"""

from __future__ import annotations

import io
import json
import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from ..private_files import open_private, private_dir
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


class RolloutWriter:
    """Appends records to one rollout file, one flushed line at a time (thread-safe)."""

    def __init__(self, path: Path, file: io.BufferedWriter) -> None:
        """Wrap an open binary file; use `create` or `open_append` instead."""
        self.path = path
        self._file: io.BufferedWriter | None = file
        self._closed = False
        self._lock = threading.Lock()

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
        file = open_private(path, "xb")
        try:
            head = RolloutRecord(now_ms(), SESSION_META, meta.to_payload())
            file.write(b"".join([head.to_line(), *(r.to_line() for r in records)]))
            file.flush()
        except BaseException:
            file.close()
            path.unlink(missing_ok=True)
            raise
        return cls(path, file)

    @classmethod
    def open_append(cls, path: Path) -> RolloutWriter:
        """Reopen an existing rollout to append to it (resume).

        If the file does not end with a newline (a crash tore the last line), a newline is
        written first so the torn line stays on its own and is skipped by readers.
        Raises FileNotFoundError when the file does not exist.
        """
        with open(path, "rb") as reader:
            size = reader.seek(0, os.SEEK_END)
            last = b"\n"
            if size:
                reader.seek(-1, os.SEEK_END)
                last = reader.read(1)
        file = open_private(path, "ab")
        if last != b"\n":
            file.write(b"\n")
            file.flush()
        return cls(path, file)

    @property
    def closed(self) -> bool:
        """Whether `close` was called."""
        return self._closed

    def append(self, type: str, payload: dict[str, Any]) -> RolloutRecord:
        """Write one record (a line) and flush it; returns the record with its timestamp.

        A released handle is reopened (in append mode) first.
        """
        record = RolloutRecord(now_ms(), type, payload)
        line = record.to_line()
        with self._lock:
            if self._closed:
                raise ValueError(f"rollout writer for {self.path} is closed")
            if self._file is None:
                self._file = open_private(self.path, "ab")
            self._file.write(line)
            self._file.flush()
        return record

    def release(self) -> None:
        """Close the file handle while the thread is idle; the next `append` reopens it.
        Keeps one descriptor per running turn rather than one per loaded thread."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def close(self) -> None:
        """Flush and close the file (idempotent)."""
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


def read_rollout(path: Path) -> RolloutContents:
    """Read a whole rollout. Bad lines are skipped and described in `warnings`.

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
    for warning in warnings:
        log.warning("%s", warning)
    return RolloutContents(meta=meta, records=records, warnings=warnings)
