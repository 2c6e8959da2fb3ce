"""Context control through the real server: manual and automatic compaction (both wires),
its persistence across a restart, and steering a running turn."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pygls.exceptions import JsonRpcException

from codex_lsp.mock_model import MockModelServer, MockUsage, text_response, tool_call_response
from tests.conftest import ClientFactory
from tests.e2e.threads_helpers import completed_items, run_turn
from tests.lsp_client import CodexClient, mock_config

LONG = " ".join(["lorem"] * 600)  # about 3,600 characters


def sent(mock_model: MockModelServer, index: int) -> str:
    """Everything one model request carried, as JSON text (either wire)."""
    return json.dumps(mock_model.requests[index].body)


def history_size(mock_model: MockModelServer, index: int) -> int:
    body = mock_model.requests[index].body
    return len(json.dumps(body.get("input", body.get("messages"))))


def write_config(home: Path, mock_model: MockModelServer, wire: str, limit: int | None) -> None:
    head = f"model_auto_compact_token_limit = {limit}\n" if limit is not None else ""
    (home / "config.toml").write_text(head + mock_config(mock_model.url, wire_api=wire))


async def compact(client: CodexClient, thread_id: str) -> dict[str, Any]:
    """Run a manual compaction to its end; the completed turn."""
    # Turns done before the request (the compaction may complete before we look).
    before = _seen(client)
    assert await client.request("codex/thread/compact/start", {"threadId": thread_id}) == {}
    started = await client.wait_for(
        "codex/turn/started",
        lambda p: p["threadId"] == thread_id and p["turn"]["id"] not in before,
    )
    turn_id = started["turn"]["id"]
    done = await client.wait_for("codex/turn/completed", lambda p: p["turn"]["id"] == turn_id)
    turn: dict[str, Any] = done["turn"]
    return turn


def _seen(client: CodexClient) -> set[str]:
    return {p["turn"]["id"] for p in client.of("codex/turn/completed")}


@pytest.mark.parametrize("wire", ["responses", "chat"])
async def test_manual_compaction_replaces_the_history_and_survives_a_restart(
    make_client: ClientFactory,
    mock_model: MockModelServer,
    codex_home: Path,
    workspace: Path,
    wire: str,
) -> None:
    write_config(codex_home, mock_model, wire, None)
    client = await make_client()
    thread_id = (await client.start_thread())["thread"]["id"]
    for n in (1, 2, 3):
        await run_turn(client, mock_model, thread_id, f"QUESTION-{n}", f"ANSWER-{n} {LONG}")
    before = history_size(mock_model, 2)

    mock_model.enqueue(text_response("SUMMARY-OF-WORK: three questions answered."))
    turn = await compact(client, thread_id)
    assert turn["status"] == "completed"
    assert [i["type"] for i in completed_items(client, turn["id"])] == ["contextCompaction"]
    assert client.of("codex/thread/compacted")[-1] == {"threadId": thread_id, "turnId": turn["id"]}
    usage = client.of("codex/thread/tokenUsage/updated")[-1]
    assert usage["turnId"] == turn["id"]
    assert 0 < usage["tokenUsage"]["last"]["totalTokens"] < 1000

    # The summary request: the whole conversation, the instruction, no tools.
    summary_request = sent(mock_model, 3)
    assert "ANSWER-3" in summary_request and "replaced by a summary" in summary_request
    assert not mock_model.requests[3].body.get("tools")

    await run_turn(client, mock_model, thread_id, "QUESTION-4", "ANSWER-4")
    after = sent(mock_model, 4)
    assert "SUMMARY-OF-WORK" in after
    assert all(f"QUESTION-{n}" in after for n in (1, 2, 3, 4))
    assert not any(f"ANSWER-{n}" in after for n in (1, 2, 3))
    assert history_size(mock_model, 4) < before

    # A restart keeps the compacted history for the model and every turn for the user.
    await client.stop()
    again = await make_client()
    read = await again.request("codex/thread/read", {"threadId": thread_id, "includeTurns": True})
    assert len(read["thread"]["turns"]) == 5
    await again.request("codex/thread/resume", {"threadId": thread_id})
    await run_turn(again, mock_model, thread_id, "QUESTION-5", "ANSWER-5")
    resumed = sent(mock_model, 5)
    assert "SUMMARY-OF-WORK" in resumed and "ANSWER-4" in resumed
    assert "ANSWER-1" not in resumed

    # A fork of the compacted thread keeps the compaction.
    forked = await again.request("codex/thread/fork", {"threadId": thread_id})
    await run_turn(again, mock_model, forked["thread"]["id"], "QUESTION-6", "ANSWER-6")
    assert "SUMMARY-OF-WORK" in sent(mock_model, 6) and "ANSWER-2" not in sent(mock_model, 6)


async def test_compaction_is_refused_while_a_turn_runs_and_on_an_empty_thread(
    make_client: ClientFactory, mock_model: MockModelServer
) -> None:
    client = await make_client()
    thread_id = (await client.start_thread())["thread"]["id"]
    with pytest.raises(JsonRpcException) as info:
        await client.request("codex/thread/compact/start", {"threadId": thread_id})
    assert info.value.code == -32602 and "no conversation" in info.value.message
    mock_model.enqueue(text_response("slow " * 40, delay_ms_between_events=50))
    started = await client.request(
        "codex/turn/start", {"threadId": thread_id, "input": [{"type": "text", "text": "hi"}]}
    )
    with pytest.raises(JsonRpcException) as info:
        await client.request("codex/thread/compact/start", {"threadId": thread_id})
    assert info.value.code == -32602 and "already running" in info.value.message
    turn_id = started["turn"]["id"]
    await client.wait_for("codex/turn/completed", lambda p: p["turn"]["id"] == turn_id)


async def test_automatic_compaction_inside_the_turn_that_crosses_the_limit(
    make_client: ClientFactory, mock_model: MockModelServer, codex_home: Path
) -> None:
    write_config(codex_home, mock_model, "responses", 5000)
    client = await make_client()
    thread_id = (await client.start_thread(approvalPolicy="never"))["thread"]["id"]
    await run_turn(client, mock_model, thread_id, "QUESTION-1", f"ANSWER-1 {LONG}")
    # The tool call's response reports a full context: compaction comes before the next
    # request of the same turn.
    mock_model.enqueue(
        tool_call_response(
            "shell", {"command": ["echo", "TOOL-OUTPUT"]}, usage=MockUsage(total_tokens=6000)
        ),
        text_response("SUMMARY-AUTO"),
        text_response("Done after compaction."),
    )
    turn = await client.turn(thread_id, "QUESTION-2")
    assert turn["status"] == "completed", turn
    kinds = [i["type"] for i in completed_items(client, turn["id"])]
    assert kinds == ["userMessage", "commandExecution", "contextCompaction", "agentMessage"]
    assert "replaced by a summary" in sent(mock_model, 2)
    last = sent(mock_model, 3)
    assert "SUMMARY-AUTO" in last and "QUESTION-1" in last and "QUESTION-2" in last
    assert "ANSWER-1" not in last
    assert len(client.of("codex/thread/compacted")) == 1

    # Below the limit now: the next turn does not compact again.
    await run_turn(client, mock_model, thread_id, "QUESTION-3", "ANSWER-3")
    assert len(mock_model.requests) == 5 and len(client.of("codex/thread/compacted")) == 1


async def test_still_full_after_compaction_fails_the_turn_without_a_loop(
    make_client: ClientFactory, mock_model: MockModelServer, codex_home: Path
) -> None:
    write_config(codex_home, mock_model, "responses", 20)
    client = await make_client()
    thread_id = (await client.start_thread())["thread"]["id"]
    mock_model.enqueue(text_response("ANSWER-1", usage=MockUsage(total_tokens=500)))
    await client.turn(thread_id, "QUESTION-1")
    mock_model.enqueue(text_response("A summary far longer than twenty tokens. " * 5))
    turn = await client.turn(thread_id, "QUESTION-2")
    assert turn["status"] == "failed"
    assert turn["error"]["codexErrorInfo"] == "contextWindowExceeded"
    assert "even after it was compacted" in turn["error"]["message"]
    assert len(mock_model.requests) == 2  # one summary request, no retry, no loop


async def test_steering_reaches_the_next_model_request(
    make_client: ClientFactory, mock_model: MockModelServer
) -> None:
    client = await make_client()
    thread_id = (await client.start_thread())["thread"]["id"]
    mock_model.enqueue(
        text_response("first answer " * 30, delay_ms_between_events=40),
        text_response("Answered the steer."),
    )
    started = await client.request(
        "codex/turn/start", {"threadId": thread_id, "input": [{"type": "text", "text": "go"}]}
    )
    turn_id = started["turn"]["id"]
    await client.wait_for("codex/item/agentMessage/delta", lambda p: p["turnId"] == turn_id)
    steer = [{"type": "text", "text": "STEER: also mention tests"}]
    with pytest.raises(JsonRpcException) as info:
        await client.request(
            "codex/turn/steer",
            {"threadId": thread_id, "expectedTurnId": "not-this-turn", "input": steer},
        )
    assert info.value.code == -32602 and "expectedTurnId" in json.dumps(info.value.data)
    result = await client.request(
        "codex/turn/steer", {"threadId": thread_id, "expectedTurnId": turn_id, "input": steer}
    )
    assert result == {"turnId": turn_id}
    done = await client.wait_for("codex/turn/completed", lambda p: p["turn"]["id"] == turn_id)
    assert done["turn"]["status"] == "completed"
    users = [i for i in completed_items(client, turn_id) if i["type"] == "userMessage"]
    assert [u["content"][0]["text"] for u in users] == ["go", "STEER: also mention tests"]
    assert len(mock_model.requests) == 2
    assert "STEER: also mention tests" not in sent(mock_model, 0)
    assert "STEER: also mention tests" in sent(mock_model, 1)
    # No turn running: refused.
    with pytest.raises(JsonRpcException) as info:
        await client.request(
            "codex/turn/steer", {"threadId": thread_id, "expectedTurnId": turn_id, "input": steer}
        )
    assert info.value.code == -32602 and "no turn is running" in info.value.message
