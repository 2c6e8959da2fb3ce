"""Helpers shared by the thread persistence tests: build realistic rollout files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codex_lsp.core.threads.rollout import RolloutWriter, SessionMeta


def meta(
    thread_id: str = "t-1",
    *,
    created_at: int = 1_700_000_000,
    cwd: str = "/work/project",
    provider: str = "openai",
    model: str | None = "gpt-5-codex",
    forked_from_id: str | None = None,
) -> SessionMeta:
    """A SessionMeta with handy defaults."""
    return SessionMeta(
        id=thread_id,
        created_at=created_at,
        cwd=cwd,
        model_provider=provider,
        model=model,
        forked_from_id=forked_from_id,
    )


def user_item(item_id: str, text: str) -> dict[str, Any]:
    """A userMessage ThreadItem wire dict."""
    return {"type": "userMessage", "id": item_id, "content": [{"type": "text", "text": text}]}


def agent_item(item_id: str, text: str) -> dict[str, Any]:
    """An agentMessage ThreadItem wire dict."""
    return {"type": "agentMessage", "id": item_id, "text": text}


def write_turn(
    writer: RolloutWriter,
    turn_id: str,
    user_text: str,
    answer: str,
    *,
    complete: bool = True,
) -> None:
    """Append the records of one ordinary turn (optionally left unfinished)."""
    writer.append(
        "turn_context",
        {"turnId": turn_id, "cwd": "/work/project", "model": "gpt-5-codex"},
    )
    writer.append("turn_started", {"turnId": turn_id})
    writer.append(
        "item_completed", {"turnId": turn_id, "item": user_item(f"{turn_id}-u", user_text)}
    )
    writer.append(
        "response_item",
        {
            "turnId": turn_id,
            "item": {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": user_text}],
            },
        },
    )
    writer.append("item_completed", {"turnId": turn_id, "item": agent_item(f"{turn_id}-a", answer)})
    writer.append(
        "response_item",
        {
            "turnId": turn_id,
            "item": {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": answer}],
            },
        },
    )
    if complete:
        writer.append("turn_completed", {"turnId": turn_id, "status": "completed", "error": None})


def make_thread(
    sessions: Path,
    thread_id: str,
    *,
    created_at: int = 1_700_000_000,
    turns: int = 1,
    text: str = "hello",
    **kwargs: Any,
) -> Path:
    """Write a complete thread with `turns` turns; returns its rollout path."""
    with RolloutWriter.create(sessions, meta(thread_id, created_at=created_at, **kwargs)) as w:
        for n in range(turns):
            write_turn(w, f"{thread_id}-turn{n}", f"{text} {n}" if n else text, f"answer {n}")
        return w.path
