"""Helpers shared by the thread e2e tests (`test_threads_*.py`)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from pygls.exceptions import JsonRpcException

from codex_lsp.mock_model import MockModelServer, text_response
from tests.lsp_client import CodexClient

ClientFactory = Callable[..., Awaitable[CodexClient]]
INVALID_PARAMS = -32602
ENV_MARKER = "<environment_context>"


async def run_turn(
    client: CodexClient,
    mock_model: MockModelServer,
    thread_id: str,
    text: str,
    reply: str,
    **extra: Any,
) -> dict[str, Any]:
    """Queue `reply` as the model's answer, run a turn on `text`; the completed turn."""
    mock_model.enqueue(text_response(reply))
    turn = await client.turn(thread_id, text, **extra)
    assert turn["status"] == "completed", turn
    return turn


def completed_items(client: CodexClient, turn_id: str) -> list[dict[str, Any]]:
    """Every item `codex/item/completed` reported for one turn, in order."""
    return [p["item"] for p in client.of("codex/item/completed") if p["turnId"] == turn_id]


def message_texts(body: Any) -> list[tuple[str, str]]:
    """`(role, text)` of every message in a Responses request body's `input`."""
    out = []
    for entry in body["input"]:
        if entry.get("type", "message") != "message":
            continue
        content = entry["content"]
        if isinstance(content, str):
            text = content
        else:
            text = "".join(part.get("text", "") for part in content)
        out.append((entry["role"], text))
    return out


def conversation(body: Any) -> list[tuple[str, str]]:
    """The user/assistant messages of a model request, environment context left out."""
    return [(r, t) for r, t in message_texts(body) if ENV_MARKER not in t]


def env_count(body: Any) -> int:
    """How many environment-context messages a model request carries."""
    return sum(1 for _r, t in message_texts(body) if ENV_MARKER in t)


async def expect_error(
    client: CodexClient, method: str, params: Any, field: str | None = None
) -> JsonRpcException:
    """Send a request that must fail with -32602 (naming `field` in data.errors[0].loc)."""
    with pytest.raises(JsonRpcException) as info:
        await client.request(method, params)
    exc = info.value
    assert exc.code == INVALID_PARAMS, (exc.code, exc.message)
    if field is not None:
        data: Any = exc.data
        assert isinstance(data, dict), exc.data
        assert data["errors"][0]["loc"][0] == field, data
        assert field in exc.message, exc.message
    return exc


async def list_all(client: CodexClient, **params: Any) -> list[dict[str, Any]]:
    """Every thread `codex/thread/list` returns for `params`, following cursors."""
    out: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        page = await client.request("codex/thread/list", {**params, "cursor": cursor})
        out.extend(page["data"])
        cursor = page["nextCursor"]
        if cursor is None:
            return out
    raise AssertionError("thread/list never ended")


def rollout_records(path: str | Path) -> list[dict[str, Any]]:
    """The valid JSON lines of a rollout file."""
    records = []
    for line in Path(path).read_text().splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return records
