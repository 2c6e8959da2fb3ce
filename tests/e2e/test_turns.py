"""Turns over the real server: streaming order, interrupts, busy threads, concurrency."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pygls.exceptions import JsonRpcException

from codex_lsp.mock_model import (
    MockModelServer,
    hang_response,
    reasoning_then_text,
    text_response,
)
from tests.conftest import ClientFactory
from tests.lsp_client import CodexClient

ANSWER = "The answer streams in small pieces, one delta at a time, until it is complete."


async def test_item_lifecycle_is_ordered_and_deltas_match(
    client: CodexClient, mock_model: MockModelServer
) -> None:
    mock_model.enqueue(
        reasoning_then_text(["First I read the question.", "Then I answer it."], ANSWER)
    )
    thread = (await client.start_thread())["thread"]
    turn = await client.turn(thread["id"], "Explain streaming")
    turn_id = turn["id"]
    assert turn["status"] == "completed" and turn["error"] is None

    events = client.for_turn(turn_id)
    methods = [m for m, _ in events]
    assert methods[0] == "codex/turn/started"
    assert methods[-1] == "codex/turn/completed"
    for method, params in events:
        assert params["threadId"] == thread["id"], method
        if method != "codex/turn/started" and method != "codex/turn/completed":
            assert params["turnId"] == turn_id, method

    # Every item: started, then its deltas, then completed, and nothing of it afterwards.
    open_items: dict[str, list[str]] = {}
    completed: dict[str, dict[str, Any]] = {}
    for method, params in events:
        if method == "codex/item/started":
            open_items[params["item"]["id"]] = []
        elif method in ("codex/item/agentMessage/delta", "codex/item/reasoning/summaryTextDelta"):
            assert params["itemId"] in open_items, "delta before item/started"
            assert params["itemId"] not in completed, "delta after item/completed"
            open_items[params["itemId"]].append(params["delta"])
        elif method == "codex/item/completed":
            completed[params["item"]["id"]] = params["item"]
    assert set(open_items) == set(completed)

    kinds = [item["type"] for item in completed.values()]
    assert kinds == ["userMessage", "reasoning", "agentMessage"]
    message = next(i for i in completed.values() if i["type"] == "agentMessage")
    deltas = open_items[message["id"]]
    assert len(deltas) > 3
    assert "".join(deltas) == message["text"] == ANSWER
    reasoning = next(i for i in completed.values() if i["type"] == "reasoning")
    assert reasoning["summary"] == ["First I read the question.", "Then I answer it."]
    parts = [p for m, p in events if m == "codex/item/reasoning/summaryPartAdded"]
    assert [p["summaryIndex"] for p in parts] == [0, 1]
    assert "".join(open_items[reasoning["id"]]) == "".join(reasoning["summary"])

    usage = client.of("codex/thread/tokenUsage/updated")[-1]
    assert usage["turnId"] == turn_id
    assert usage["tokenUsage"]["last"]["totalTokens"] > 0
    assert usage["tokenUsage"]["modelContextWindow"] == 272_000

    await client.wait_for("codex/thread/status/changed", lambda p: p["status"]["type"] == "idle")
    statuses = [p["status"]["type"] for p in client.of("codex/thread/status/changed")]
    assert statuses == ["active", "idle"]
    # The completed turn carries its items too.
    assert [i["type"] for i in turn["items"]] == kinds


async def test_request_carries_instructions_agents_md_and_environment(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Any
) -> None:
    (workspace / "AGENTS.md").write_text("Always answer in haiku.\n")
    client = await make_client()
    mock_model.enqueue(text_response("ok"))
    thread = (await client.start_thread(developerInstructions="Prefer small diffs."))["thread"]
    await client.turn(thread["id"], "hello")
    body = mock_model.requests[-1].body
    assert "Codex" in body["instructions"]
    assert body["store"] is False
    assert body["stream"] is True
    assert body["model"] == "gpt-5.1-codex"
    assert "reasoning.encrypted_content" in body["include"]
    texts = [c["text"] for item in body["input"] for c in item.get("content", [])]
    roles = [item.get("role") for item in body["input"]]
    assert roles[0] == "developer" and texts[0] == "Prefer small diffs."
    assert any("Always answer in haiku." in t for t in texts)
    env = next(t for t in texts if t.startswith("<environment_context>"))
    assert f"<cwd>{workspace}</cwd>" in env
    assert "<approval_policy>on-request</approval_policy>" in env
    assert "<sandbox_mode>workspace-write</sandbox_mode>" in env
    assert texts[-1] == "hello"
    assert mock_model.requests[-1].headers["authorization"] == "Bearer test-key"

    # baseInstructions replace ours; a changed approval policy sends a new environment context.
    mock_model.enqueue(text_response("ok"), text_response("ok"))
    other = (await client.start_thread(baseInstructions="You are a test model."))["thread"]
    await client.turn(other["id"], "one")
    assert mock_model.requests[-1].body["instructions"] == "You are a test model."
    await client.turn(other["id"], "two", approvalPolicy="never")
    texts = [c["text"] for item in mock_model.requests[-1].body["input"] for c in item["content"]]
    envs = [t for t in texts if t.startswith("<environment_context>")]
    assert len(envs) == 2 and "<approval_policy>never</approval_policy>" in envs[1]


async def test_interrupt_keeps_partial_message_in_history(
    client: CodexClient, mock_model: MockModelServer
) -> None:
    mock_model.enqueue(hang_response(after_events=12))
    thread = (await client.start_thread())["thread"]
    started = await client.request(
        "codex/turn/start",
        {"threadId": thread["id"], "input": [{"type": "text", "text": "write a lot"}]},
    )
    turn_id = started["turn"]["id"]
    assert started["turn"]["status"] == "inProgress"
    await client.wait_for("codex/item/agentMessage/delta", lambda p: p["turnId"] == turn_id)
    await asyncio.sleep(0.2)  # the mock hangs after a few deltas
    await client.request("codex/turn/interrupt", {"threadId": thread["id"], "turnId": turn_id})
    done = await client.wait_for("codex/turn/completed", lambda p: p["turn"]["id"] == turn_id)
    assert done["turn"]["status"] == "interrupted"
    deltas = [
        p["delta"] for p in client.of("codex/item/agentMessage/delta") if p["turnId"] == turn_id
    ]
    message = next(i for i in done["turn"]["items"] if i["type"] == "agentMessage")
    partial = "".join(deltas)
    assert partial and message["text"] == partial
    await mock_model.wait_for_disconnect(timeout=5)

    mock_model.enqueue(text_response("continuing"))
    turn = await client.turn(thread["id"], "go on")
    assert turn["status"] == "completed"
    history = mock_model.requests[-1].body["input"]
    assistant = [i for i in history if i.get("role") == "assistant"]
    assert assistant[-1]["content"][0]["text"] == partial


async def test_busy_thread_and_concurrent_threads(
    client: CodexClient, mock_model: MockModelServer
) -> None:
    words = [f"word{i} " for i in range(12)]
    mock_model.enqueue(
        text_response("".join(words), chunks=words, delay_ms_between_events=30),
        text_response("".join(words), chunks=words, delay_ms_between_events=30),
    )
    a = (await client.start_thread())["thread"]["id"]
    b = (await client.start_thread())["thread"]["id"]
    params: dict[str, Any] = {"input": [{"type": "text", "text": "hi"}]}
    turn_a = (await client.request("codex/turn/start", {"threadId": a, **params}))["turn"]
    with pytest.raises(JsonRpcException) as busy:
        await client.request("codex/turn/start", {"threadId": a, **params})
    assert busy.value.code == -32602
    assert "already running turn" in busy.value.message
    turn_b = (await client.request("codex/turn/start", {"threadId": b, **params}))["turn"]
    done_a = await client.wait_for("codex/turn/completed", lambda p: p["threadId"] == a)
    done_b = await client.wait_for("codex/turn/completed", lambda p: p["threadId"] == b)
    assert done_a["turn"]["id"] == turn_a["id"] and done_b["turn"]["id"] == turn_b["id"]
    assert done_a["turn"]["status"] == done_b["turn"]["status"] == "completed"
    # Both streams were in flight at once: their deltas interleave.
    order = [p["threadId"] for p in client.of("codex/item/agentMessage/delta")]
    first_b = order.index(b)
    assert a in order[first_b:], "thread b only started after thread a finished"


async def test_invalid_params_and_unknown_ids(client: CodexClient) -> None:
    thread = (await client.start_thread())["thread"]["id"]
    cases: list[tuple[str, dict[str, Any], list[Any]]] = [
        ("codex/turn/start", {"threadId": thread, "input": []}, ["input"]),
        ("codex/turn/start", {"threadId": thread}, ["input"]),
        ("codex/turn/start", {"threadId": thread, "input": [{"type": "bogus"}]}, ["input", 0]),
        (
            "codex/turn/start",
            {"threadId": 7, "input": [{"type": "text", "text": "x"}]},
            ["threadId"],
        ),
        (
            "codex/turn/start",
            {"threadId": "no-such-thread", "input": [{"type": "text", "text": "x"}]},
            ["threadId"],
        ),
        (
            "codex/turn/start",
            {"threadId": thread, "input": [{"type": "text", "text": "x"}], "effort": "extreme"},
            ["effort"],
        ),
        (
            "codex/turn/start",
            {"threadId": thread, "input": [{"type": "localImage", "path": "/nonexistent.png"}]},
            ["input", 0],
        ),
        ("codex/turn/interrupt", {"threadId": thread, "turnId": "nope"}, ["turnId"]),
        ("codex/thread/start", {"approvalPolicy": "sometimes"}, ["approvalPolicy"]),
        ("codex/thread/start", {"modelProvider": "nobody"}, ["modelProvider"]),
    ]
    for method, params, loc in cases:
        with pytest.raises(JsonRpcException) as err:
            await client.request(method, params)
        assert err.value.code == -32602, (method, params)
        assert err.value.data is not None
        assert err.value.data["errors"][0]["loc"][: len(loc)] == loc, (method, params)
    with pytest.raises(JsonRpcException) as err:
        await client.request(
            "codex/turn/start",
            {"threadId": "no-such-thread", "input": [{"type": "text", "text": "x"}]},
        )
    assert "no-such-thread" in err.value.message
    # Still serving.
    assert (await client.start_thread())["thread"]["id"]


async def test_initialize_advertises_codex_methods(client: CodexClient) -> None:
    experimental = client.initialize_result.capabilities.experimental
    codex = experimental["codex"]
    assert codex["protocolVersion"] == "2"
    for method in (
        "codex/thread/start",
        "codex/turn/start",
        "codex/turn/interrupt",
        "codex/thread/list",
        "codex/thread/fork",
    ):
        assert method in codex["methods"]


async def test_client_without_deltas_gets_only_completed_items(
    make_client: ClientFactory, mock_model: MockModelServer
) -> None:
    client = await make_client(codex_caps={"approvals": False, "deltas": False})
    mock_model.enqueue(reasoning_then_text(["thinking"], ANSWER))
    thread = (await client.start_thread())["thread"]
    turn = await client.turn(thread["id"], "hi")
    assert turn["status"] == "completed"
    methods = {m for m, _, _ in client.notifications}
    assert "codex/item/agentMessage/delta" not in methods
    assert "codex/item/reasoning/summaryTextDelta" not in methods
    assert "codex/item/completed" in methods
