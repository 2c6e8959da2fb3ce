"""Rebuild a thread's history from its rollout: turns for clients, items for the model.

Clients see the `item_completed` items grouped into turns; the model gets every
`response_item` back in order; a compaction (`compacted`) replaces the model's items so
far. Turns a revert dropped (`turns_dropped`) are skipped, records and all. A turn that
was started but never completed (the server stopped mid-turn) comes back `interrupted`
with the items that did complete, plus the items that were still streaming, made of the
deltas journaled so far (a message keeps the text the user saw, which also stays in the
model's history, as after an interrupt).
`glance_rollout` is the cheap variant for listing: meta, preview, name, last timestamp.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from codex_lsp.protocol.account import TokenUsage
from codex_lsp.protocol.items import ThreadItem
from codex_lsp.protocol.thread import Turn, TurnError

from ..turns.stream_state import StreamingItem
from .rollout import (
    ATTEMPT_DISCARDED,
    COMPACTED,
    ITEM_COMPLETED,
    ITEM_DELTA,
    RESPONSE_ITEM,
    SESSION_META,
    THREAD_NAME,
    TOKEN_USAGE,
    TURN_COMPLETED,
    TURN_CONTEXT,
    TURN_STARTED,
    TURNS_DROPPED,
    RolloutContents,
    RolloutCorrupt,
    RolloutRecord,
    SessionMeta,
    parse_record,
)

log = logging.getLogger(__name__)

STOPPED_MESSAGE = "The server stopped before this turn finished."
# A thread's preview is its first user message cut to this many characters (the turn runner
# cuts the live preview the same way, so it reads the same before and after a restart).
PREVIEW_CHARS = 200

_ITEM_ADAPTER: TypeAdapter[ThreadItem] = TypeAdapter(ThreadItem)
_FINAL_STATUSES = frozenset({"completed", "interrupted", "failed"})


@dataclass
class ThreadHistory:
    """What a rollout tells clients (turns, name, usage) and the model (its items)."""

    turns: list[Turn]
    model_items: list[dict[str, Any]]
    token_usage: TokenUsage | None
    name: str | None
    last_context: dict[str, Any] | None
    preview: str
    warnings: list[str] = field(default_factory=list)
    # Records that would make the rollout hold the partial items folded from deltas
    # (`item_completed`, and `response_item` for a message), as `(type, payload)`.
    unsettled: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def preview_of(item: dict[str, Any]) -> str | None:
    """The text of a userMessage item (its `text` inputs joined with " "), at most
    `PREVIEW_CHARS` characters.

    None when the item is not a userMessage or has no text input (e.g. only an image).
    """
    if item.get("type") != "userMessage":
        return None
    content = item.get("content")
    if not isinstance(content, list):
        return None
    texts = [
        part["text"]
        for part in content
        if isinstance(part, dict)
        and part.get("type") == "text"
        and isinstance(part.get("text"), str)
    ]
    return " ".join(texts)[:PREVIEW_CHARS] if texts else None


class _TurnBuilder:
    """A turn being rebuilt: its items so far and, once completed, its outcome."""

    __slots__ = ("error", "id", "items", "status")

    def __init__(self, turn_id: str) -> None:
        self.id = turn_id
        self.items: list[ThreadItem] = []
        self.status: str | None = None
        self.error: TurnError | None = None

    def build(self, running_turn_id: str | None) -> Turn:
        status = self.status
        error = self.error
        if status is None:
            if self.id == running_turn_id:
                status = "inProgress"
            else:
                status = "interrupted"
                error = TurnError(message=STOPPED_MESSAGE)
        return Turn.model_construct(id=self.id, status=status, items=self.items, error=error)


_DELTA_KINDS = {"text": "message", "summary": "reasoning", "reasoning": "reasoning"}


def _turn_error(raw: Any, where: str, warnings: list[str]) -> TurnError | None:
    if raw is None:
        return None
    try:
        return TurnError.model_validate(raw)
    except ValidationError:
        warnings.append(f"{where}: invalid turn error, ignored")
        return None


def build_history(
    contents: RolloutContents, *, running_turn_id: str | None = None
) -> ThreadHistory:
    """Rebuild the history of a thread from its parsed rollout.

    A turn with no `turn_completed` record is `interrupted` (error: the server stopped),
    except `running_turn_id` (a turn still running in this process), left `inProgress`.
    Invalid items or records are skipped and described in `warnings` (which also holds
    the rollout's own warnings).
    """
    warnings = list(contents.warnings)
    turns: dict[str, _TurnBuilder] = {}
    model_items: list[dict[str, Any]] = []
    token_usage: TokenUsage | None = None
    name: str | None = None
    last_context: dict[str, Any] | None = None
    preview: str | None = None
    thread_id = contents.meta.id
    completed_ids: set[str] = set()
    partials: dict[str, tuple[str, StreamingItem]] = {}  # item id -> (turn id, item)
    unsettled: list[tuple[str, dict[str, Any]]] = []

    def turn_for(turn_id: Any, where: str) -> _TurnBuilder | None:
        if not isinstance(turn_id, str):
            warnings.append(f"{where}: record has no turnId, skipped")
            return None
        turn = turns.get(turn_id)
        if turn is None:
            turn = turns[turn_id] = _TurnBuilder(turn_id)
        return turn

    def fold_partials(next_turn: Any = None) -> None:
        """Partial items become items of their turn (before a later turn's records)."""
        for turn_id, partial in list(partials.values()):
            if turn_id == next_turn:
                continue
            del partials[partial.item_id]
            turn = turns.get(turn_id)
            if turn is None:
                turn = turns[turn_id] = _TurnBuilder(turn_id)
            item = partial.thread_item()
            turn.items.append(item)
            unsettled.append((ITEM_COMPLETED, {"turnId": turn_id, "item": item.wire()}))
            history_item = partial.partial_history_item()
            if history_item is not None:
                model_items.append(history_item)
                unsettled.append((RESPONSE_ITEM, {"turnId": turn_id, "item": history_item}))

    reverted = dropped_turns(contents.records)
    for number, record in enumerate(contents.records, 1):
        kind = record.type
        payload = record.payload
        where = f"thread {thread_id} record {number} ({kind})"
        if kind == TURNS_DROPPED or payload.get("turnId") in reverted:
            continue  # reverted: gone for the user and for the model
        if kind == ITEM_DELTA:
            _add_delta(payload, completed_ids, partials)
            continue
        if partials and kind in (TURN_STARTED, TURN_CONTEXT):
            fold_partials(payload.get("turnId"))
        if kind == RESPONSE_ITEM:
            item = payload.get("item")
            if isinstance(item, dict):
                model_items.append(item)
            else:
                warnings.append(f"{where}: no item, skipped")
        elif kind == ITEM_COMPLETED:
            turn = turn_for(payload.get("turnId"), where)
            raw = payload.get("item")
            if turn is None:
                continue
            if isinstance(raw, dict) and isinstance(raw.get("id"), str):
                completed_ids.add(raw["id"])
                partials.pop(raw["id"], None)
            try:
                turn.items.append(_ITEM_ADAPTER.validate_python(raw))
            except ValidationError as exc:
                warnings.append(f"{where}: invalid item skipped ({exc.error_count()} errors)")
                continue
            if preview is None and isinstance(raw, dict):
                preview = preview_of(raw)
        elif kind == TURN_STARTED:
            turn_for(payload.get("turnId"), where)
        elif kind == TURN_COMPLETED:
            turn = turn_for(payload.get("turnId"), where)
            if turn is None:
                continue
            status = payload.get("status")
            if status not in _FINAL_STATUSES:
                warnings.append(f"{where}: unknown status {status!r}, taken as failed")
                status = "failed"
            turn.status = status
            turn.error = _turn_error(payload.get("error"), where, warnings)
        elif kind == TOKEN_USAGE:
            try:
                token_usage = TokenUsage.model_validate(payload.get("tokenUsage"))
            except ValidationError:
                warnings.append(f"{where}: invalid token usage, ignored")
        elif kind == THREAD_NAME:
            raw_name = payload.get("name")
            name = raw_name if isinstance(raw_name, str) and raw_name else None
        elif kind == TURN_CONTEXT:
            last_context = payload
        elif kind == COMPACTED:
            replacement = payload.get("history")
            if isinstance(replacement, list):
                model_items = [i for i in replacement if isinstance(i, dict)]
            else:
                warnings.append(f"{where}: no history, skipped")
        elif kind == ATTEMPT_DISCARDED:
            # A model response that failed and was retried: its items were superseded.
            turn = turn_for(payload.get("turnId"), where)
            dropped = payload.get("itemIds")
            if turn is not None and isinstance(dropped, list):
                turn.items = [i for i in turn.items if i.id not in dropped]
    fold_partials()
    for warning in warnings[len(contents.warnings) :]:
        log.warning("%s", warning)
    return ThreadHistory(
        turns=[turn.build(running_turn_id) for turn in turns.values()],
        model_items=model_items,
        token_usage=token_usage,
        name=name,
        last_context=last_context,
        preview=preview or "",
        warnings=warnings,
        unsettled=unsettled,
    )


def dropped_turns(records: Sequence[RolloutRecord]) -> set[str]:
    """The ids of the turns a revert or rollback dropped."""
    out: set[str] = set()
    for record in records:
        if record.type == TURNS_DROPPED:
            ids = record.payload.get("turnIds")
            if isinstance(ids, list):
                out.update(i for i in ids if isinstance(i, str))
    return out


def _add_delta(
    payload: dict[str, Any],
    completed_ids: set[str],
    partials: dict[str, tuple[str, StreamingItem]],
) -> None:
    """Add one journaled delta to its partial item (ignored once the item completed)."""
    turn_id, item_id = payload.get("turnId"), payload.get("itemId")
    kind, index, delta = payload.get("kind"), payload.get("index", 0), payload.get("delta")
    if not (isinstance(turn_id, str) and isinstance(item_id, str) and isinstance(delta, str)):
        return
    if kind not in _DELTA_KINDS or type(index) is not int or not 0 <= index < 1000:
        return
    if item_id in completed_ids:
        return
    if item_id not in partials:
        partials[item_id] = (turn_id, StreamingItem(_DELTA_KINDS[kind], item_id))
    partial = partials[item_id][1]
    if kind == "text":
        partial.text.append(delta)
    elif kind == "summary":
        partial.add_summary(index, delta)
    else:
        partial.add_content(index, delta)


def records_through_turn(
    records: Sequence[RolloutRecord], last_turn_id: str | None
) -> list[RolloutRecord]:
    """The records a fork copies: everything up to and including `last_turn_id`'s end.

    The cut is after that turn's `turn_completed` record (or, for a turn that never
    completed, after its last record); with None every record is kept. Records of later
    turns and `thread_name` records (a fork starts unnamed) are dropped.
    Raises KeyError(last_turn_id) when no record belongs to that turn.
    """
    end = len(records)
    if last_turn_id is not None:
        completed_at: int | None = None
        last_seen: int | None = None
        for index, record in enumerate(records):
            if record.payload.get("turnId") != last_turn_id:
                continue
            last_seen = index
            if record.type == TURN_COMPLETED:
                completed_at = index
                break
        cut = completed_at if completed_at is not None else last_seen
        if cut is None:
            raise KeyError(last_turn_id)
        end = cut + 1
    return [record for record in records[:end] if record.type != THREAD_NAME]


@dataclass(frozen=True)
class RolloutGlance:
    """What listing a thread needs from its rollout, read without parsing every line."""

    meta: SessionMeta
    preview: str  # first userMessage text ("" if none)
    name: str | None  # the last thread_name record
    last_ts: int | None  # ts (ms) of the last valid line, the meta's included


def _line_at(text: str, pos: int) -> tuple[str, int, int]:
    """The line of `text` containing index `pos`, with its start and end offsets."""
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    if end < 0:
        end = len(text)
    return text[start:end], start, end


def _first_preview(text: str) -> str:
    pos = 0
    while (hit := text.find('"type":"userMessage"', pos)) >= 0:
        line, _, pos = _line_at(text, hit)
        record = parse_record(line)
        if record is not None and record.type == ITEM_COMPLETED:
            item = record.payload.get("item")
            preview = preview_of(item) if isinstance(item, dict) else None
            if preview is not None:
                return preview
    return ""


def _last_name(text: str) -> str | None:
    pos = len(text)
    while (hit := text.rfind('"type":"thread_name"', 0, pos)) >= 0:
        line, pos, _ = _line_at(text, hit)
        record = parse_record(line)
        if record is not None and record.type == THREAD_NAME:
            name = record.payload.get("name")
            return name if isinstance(name, str) and name else None
    return None


def _last_ts(text: str) -> int | None:
    end = len(text)
    while end > 0:
        start = text.rfind("\n", 0, end) + 1
        record = parse_record(text[start:end]) if text[start:end].strip() else None
        if record is not None:
            return record.ts
        end = start - 1
    return None


def glance_rollout(path: Path) -> RolloutGlance:
    """Read a rollout's meta, preview, name and last timestamp, fast.

    Lines written by RolloutWriter are compact JSON, so the records needed are found by
    substring search (`"type":"userMessage"`, `"type":"thread_name"`) and only those lines,
    the first and the last valid one are parsed. Other files are parsed line by line.
    Raises RolloutCorrupt (no valid `session_meta` first line) or OSError.
    """
    text = path.read_bytes().decode("utf-8", errors="replace")
    newline = text.find("\n")
    first = text if newline < 0 else text[:newline]
    head = parse_record(first)
    if head is None or head.type != SESSION_META:
        raise RolloutCorrupt(path, "the first line is not a session_meta record")
    try:
        meta = SessionMeta.from_payload(head.payload)
    except ValueError as exc:
        raise RolloutCorrupt(path, str(exc)) from exc
    if '"type":"session_meta"' in first:
        return RolloutGlance(meta, _first_preview(text), _last_name(text), _last_ts(text))
    preview, name, last_ts = "", None, head.ts  # other JSON spacing: parse every line
    for line in text.split("\n")[1:]:
        record = parse_record(line) if line.strip() else None
        if record is None:
            continue
        last_ts = record.ts
        item = record.payload.get("item")
        if not preview and record.type == ITEM_COMPLETED and isinstance(item, dict):
            preview = preview_of(item) or ""
        elif record.type == THREAD_NAME:
            raw = record.payload.get("name")
            name = raw if isinstance(raw, str) and raw else None
    return RolloutGlance(meta, preview, name, last_ts)
