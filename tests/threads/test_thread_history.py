"""Tests of rebuilding turns and model items from rollout records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from codex_lsp.core.threads.history import (
    STOPPED_MESSAGE,
    build_history,
    preview_of,
    records_through_turn,
)
from codex_lsp.core.threads.rollout import RolloutRecord, RolloutWriter, read_rollout
from codex_lsp.protocol.items import AgentMessageItem, UserMessageItem

from .helpers import meta, user_item, write_turn


def _usage(total: int) -> dict[str, Any]:
    return {"total": {"totalTokens": total}, "last": {"totalTokens": 1}}


def test_build_history(tmp_path: Path) -> None:
    with RolloutWriter.create(tmp_path, meta()) as w:
        write_turn(w, "turn-1", "first question", "first answer")
        w.append("token_usage", {"turnId": "turn-1", "tokenUsage": _usage(10)})
        w.append("thread_name", {"name": "old"})
        write_turn(w, "turn-2", "second", "second answer")
        w.append("turn_context", {"turnId": "turn-3", "cwd": "/elsewhere"})
        w.append("turn_started", {"turnId": "turn-3"})
        w.append(
            "turn_completed",
            {"turnId": "turn-3", "status": "failed", "error": {"message": "boom"}},
        )
        w.append("token_usage", {"turnId": "turn-3", "tokenUsage": _usage(25)})
        w.append("thread_name", {"name": "new"})

    history = build_history(read_rollout(w.path))
    assert [t.id for t in history.turns] == ["turn-1", "turn-2", "turn-3"]
    assert [t.status for t in history.turns] == ["completed", "completed", "failed"]
    first = history.turns[0]
    assert isinstance(first.items[0], UserMessageItem)
    assert isinstance(first.items[1], AgentMessageItem)
    assert first.items[1].text == "first answer"
    assert first.error is None
    assert history.turns[2].error is not None
    assert history.turns[2].error.message == "boom"
    assert history.turns[2].items == []
    assert [i["role"] for i in history.model_items] == ["user", "assistant"] * 2
    assert history.token_usage is not None
    assert history.token_usage.total.total_tokens == 25
    assert history.name == "new"
    assert history.last_context == {"turnId": "turn-3", "cwd": "/elsewhere"}
    assert history.preview == "first question"
    assert history.warnings == []
    wire = history.turns[0].wire()
    assert wire["items"][0] == user_item("turn-1-u", "first question")
    assert wire["error"] is None


def test_interrupted_turn(tmp_path: Path) -> None:
    with RolloutWriter.create(tmp_path, meta()) as w:
        write_turn(w, "turn-1", "q1", "a1")
        write_turn(w, "turn-2", "q2", "partial", complete=False)  # server killed mid-turn

    history = build_history(read_rollout(w.path))
    last = history.turns[-1]
    assert last.status == "interrupted"
    assert last.error is not None
    assert last.error.message == STOPPED_MESSAGE
    assert [i.id for i in last.items] == ["turn-2-u", "turn-2-a"]
    assert history.turns[0].status == "completed"

    running = build_history(read_rollout(w.path), running_turn_id="turn-2")
    assert running.turns[-1].status == "inProgress"
    assert running.turns[-1].error is None


def test_invalid_item_skipped_with_warning(tmp_path: Path) -> None:
    with RolloutWriter.create(tmp_path, meta()) as w:
        w.append("turn_started", {"turnId": "t"})
        w.append("item_completed", {"turnId": "t", "item": {"type": "agentMessage", "id": 1}})
        w.append("item_completed", {"turnId": "t", "item": {"type": "nonsense"}})
        w.append("item_completed", {"turnId": "t", "item": user_item("u", "ok")})
        w.append("token_usage", {"turnId": "t", "tokenUsage": {"bad": True}})
        w.append("turn_completed", {"turnId": "t", "status": "completed", "error": None})

    history = build_history(read_rollout(w.path))
    assert [i.id for i in history.turns[0].items] == ["u"]
    assert len(history.warnings) == 3
    assert history.token_usage is None


def test_preview_of() -> None:
    item = {
        "type": "userMessage",
        "id": "u",
        "content": [
            {"type": "text", "text": "look at"},
            {"type": "image", "url": "data:image/png;base64,AAAA"},
            {"type": "text", "text": "this"},
        ],
    }
    assert preview_of(item) == "look at this"
    assert preview_of({"type": "agentMessage", "id": "a", "text": "x"}) is None
    image_only = {"type": "userMessage", "id": "u", "content": [{"type": "image", "url": "x"}]}
    assert preview_of(image_only) is None


def _records() -> list[RolloutRecord]:
    out: list[RolloutRecord] = []
    for turn in ("a", "b", "c"):
        out += [
            RolloutRecord(1, "turn_context", {"turnId": turn}),
            RolloutRecord(2, "turn_started", {"turnId": turn}),
            RolloutRecord(3, "response_item", {"turnId": turn, "item": {"type": "message"}}),
            RolloutRecord(4, "turn_completed", {"turnId": turn, "status": "completed"}),
            RolloutRecord(5, "token_usage", {"turnId": turn, "tokenUsage": _usage(1)}),
        ]
        out.append(RolloutRecord(6, "thread_name", {"name": f"name {turn}"}))
    return out


def test_records_through_turn() -> None:
    records = _records()
    through_b = records_through_turn(records, "b")
    assert through_b[-1] == RolloutRecord(
        4, "turn_completed", {"turnId": "b", "status": "completed"}
    )
    assert {r.payload.get("turnId") for r in through_b} == {"a", "b"}
    assert all(r.type != "thread_name" for r in through_b)
    assert len(through_b) == 9

    everything = records_through_turn(records, None)
    assert len(everything) == 15
    assert all(r.type != "thread_name" for r in everything)

    with pytest.raises(KeyError) as info:
        records_through_turn(records, "zzz")
    assert info.value.args == ("zzz",)


def test_records_through_never_completed_turn() -> None:
    records = [
        r for r in _records() if not (r.type == "turn_completed" and r.payload["turnId"] == "c")
    ]
    through_c = records_through_turn(records, "c")
    assert through_c[-1].type == "token_usage"
    assert len(through_c) == 14
