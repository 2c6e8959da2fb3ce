"""Revert and rollback through the real server: the dropped turns leave the thread and the
model's view, the files they changed come back (also after a restart, from the saved
snapshots), and bad requests are refused with -32602."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException

from codex_lsp.mock_model import MockModelServer, custom_tool_call_response, text_response
from tests.conftest import ClientFactory
from tests.e2e.threads_helpers import run_turn
from tests.lsp_client import CodexClient


def patch_turn(mock_model: MockModelServer, patch: str, reply: str) -> None:
    mock_model.enqueue(custom_tool_call_response("apply_patch", patch), text_response(reply))


ADD_NEW = "*** Begin Patch\n*** Add File: new.txt\n+created by turn one\n*** End Patch"
EDIT_A = "*** Begin Patch\n*** Update File: a.txt\n@@\n-original\n+CHANGED\n*** End Patch"


async def three_turns(
    client: CodexClient, mock_model: MockModelServer, workspace: Path
) -> tuple[str, list[str]]:
    (workspace / "a.txt").write_text("original\n")
    thread_id = (await client.start_thread(approvalPolicy="never"))["thread"]["id"]
    patch_turn(mock_model, ADD_NEW, "ANSWER-1")
    one = await client.turn(thread_id, "QUESTION-1")
    two = await run_turn(client, mock_model, thread_id, "QUESTION-2", "ANSWER-2")
    patch_turn(mock_model, EDIT_A, "ANSWER-3")
    three = await client.turn(thread_id, "QUESTION-3")
    assert [t["status"] for t in (one, two, three)] == ["completed"] * 3
    assert (workspace / "new.txt").exists() and (workspace / "a.txt").read_text() == "CHANGED\n"
    return thread_id, [one["id"], two["id"], three["id"]]


def last_request(mock_model: MockModelServer) -> str:
    return json.dumps(mock_model.requests[-1].body)


async def test_revert_drops_turns_and_restores_their_files(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    client = await make_client()
    thread_id, (one, two, _three) = await three_turns(client, mock_model, workspace)

    result = await client.request(
        "codex/thread/revert", {"threadId": thread_id, "beforeTurnId": two}
    )
    assert [t["id"] for t in result["thread"]["turns"]] == [one]
    assert client.of("codex/thread/reverted")[-1] == {"threadId": thread_id}
    usage = client.of("codex/thread/tokenUsage/updated")[-1]
    assert usage["turnId"] == one  # the context as it was after the turn that remains
    assert (workspace / "a.txt").read_text() == "original\n"  # turn three's edit undone
    assert (workspace / "new.txt").exists()  # turn one is kept

    await run_turn(client, mock_model, thread_id, "QUESTION-4", "ANSWER-4")
    sent = last_request(mock_model)
    assert "QUESTION-1" in sent and "ANSWER-1" in sent and "QUESTION-4" in sent
    assert not any(w in sent for w in ("QUESTION-2", "ANSWER-2", "QUESTION-3", "ANSWER-3"))
    read = await client.request("codex/thread/read", {"threadId": thread_id, "includeTurns": True})
    assert len(read["thread"]["turns"]) == 2

    # After a restart: the drop holds, and rolling back turn one deletes the file it
    # created (its snapshot was saved with the thread).
    await client.stop()
    again = await make_client()
    resumed = await again.request("codex/thread/resume", {"threadId": thread_id})
    assert resumed["thread"]["turns"][0]["id"] == one
    result = await again.request("codex/thread/rollback", {"threadId": thread_id, "numTurns": 2})
    assert result["thread"]["turns"] == []
    assert not (workspace / "new.txt").exists()
    await run_turn(again, mock_model, thread_id, "QUESTION-5", "ANSWER-5")
    sent = last_request(mock_model)
    assert "QUESTION-5" in sent and "QUESTION-1" not in sent and "QUESTION-4" not in sent


async def test_revert_can_keep_the_files(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    client = await make_client()
    thread_id, (_one, _two, three) = await three_turns(client, mock_model, workspace)
    result = await client.request(
        "codex/thread/revert",
        {"threadId": thread_id, "beforeTurnId": three, "restoreFiles": False},
    )
    assert len(result["thread"]["turns"]) == 2
    assert (workspace / "a.txt").read_text() == "CHANGED\n"
    # The dropped turn can no longer be undone; turn one's change still can.
    undone = await client.request(
        lsp.WORKSPACE_EXECUTE_COMMAND,
        lsp.ExecuteCommandParams(command="codex.undoTurn", arguments=[{"threadId": thread_id}]),
    )
    assert undone["turnId"] != three and not (workspace / "new.txt").exists()


@pytest.mark.parametrize(
    ("method", "params", "field", "needle"),
    [
        ("codex/thread/revert", {"beforeTurnId": "nope"}, "beforeTurnId", "unknown turn"),
        ("codex/thread/rollback", {"numTurns": 9}, "numTurns", "has 1 turns"),
        ("codex/thread/rollback", {"numTurns": 0}, "numTurns", "greater than or equal"),
    ],
)
async def test_bad_requests_are_refused(
    make_client: ClientFactory,
    mock_model: MockModelServer,
    method: str,
    params: dict[str, Any],
    field: str,
    needle: str,
) -> None:
    client = await make_client()
    thread_id = (await client.start_thread())["thread"]["id"]
    await run_turn(client, mock_model, thread_id, "hello", "hi")
    with pytest.raises(JsonRpcException) as info:
        await client.request(method, {"threadId": thread_id, **params})
    assert info.value.code == -32602 and needle in info.value.message
    data = info.value.data
    assert isinstance(data, dict) and data["errors"][0]["loc"] == [field]


async def test_revert_is_refused_while_a_turn_runs(
    make_client: ClientFactory, mock_model: MockModelServer
) -> None:
    client = await make_client()
    thread_id = (await client.start_thread())["thread"]["id"]
    first = await run_turn(client, mock_model, thread_id, "hello", "hi")
    mock_model.enqueue(text_response("slow " * 40, delay_ms_between_events=50))
    started = await client.request(
        "codex/turn/start", {"threadId": thread_id, "input": [{"type": "text", "text": "go"}]}
    )
    with pytest.raises(JsonRpcException) as info:
        await client.request(
            "codex/thread/revert", {"threadId": thread_id, "beforeTurnId": first["id"]}
        )
    assert info.value.code == -32602 and "already running" in info.value.message
    turn_id = started["turn"]["id"]
    await client.wait_for("codex/turn/completed", lambda p: p["turn"]["id"] == turn_id)


async def test_commands_for_editors_without_a_plugin(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    client = await make_client()

    async def run(command: str, arg: dict[str, Any]) -> Any:
        params = lsp.ExecuteCommandParams(command=command, arguments=[arg])
        return await client.request(lsp.WORKSPACE_EXECUTE_COMMAND, params)

    mock_model.enqueue(text_response("ANSWER-1"))
    asked = await run("codex.ask", {"text": "QUESTION-1"})
    await client.wait_for("codex/turn/completed", lambda p: p["turn"]["id"] == asked["turnId"])
    thread_id = asked["threadId"]
    mock_model.enqueue(text_response("SUMMARY-BY-COMMAND"))
    assert await run("codex.compact", {}) == {"threadId": thread_id}
    await client.wait_for("codex/thread/compacted", lambda p: p["threadId"] == thread_id)
    await client.wait_for(
        "codex/turn/completed",
        lambda p: (
            p["threadId"] == thread_id and p["turn"]["items"][0]["type"] == "contextCompaction"
        ),
    )
    reverted = await run("codex.revert", {})  # the last turn: the compaction
    assert [t["id"] for t in reverted["thread"]["turns"]] == [asked["turnId"]]
    await run_turn(client, mock_model, thread_id, "QUESTION-2", "ANSWER-2")
    sent = last_request(mock_model)
    assert "ANSWER-1" in sent and "SUMMARY-BY-COMMAND" not in sent  # the compaction is gone
