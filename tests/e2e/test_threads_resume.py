"""Threads across server restarts: list, resume, history sent to the model, kill -9."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsprotocol.types import MessageType

from codex_lsp.mock_model import (
    MockModelServer,
    error_response,
    hang_response,
    reasoning_then_text,
)
from tests.e2e.threads_helpers import (
    ClientFactory,
    completed_items,
    conversation,
    env_count,
    rollout_records,
    run_turn,
)


async def test_restart_lists_and_resumes_with_history(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    first = await make_client()
    started = await first.start_thread()
    thread_id = started["thread"]["id"]
    turns = [
        await run_turn(first, mock_model, thread_id, "What is 2+2?", "It is 4."),
        await run_turn(first, mock_model, thread_id, "And 3+3?", "That is 6."),
    ]
    live_items = {t["id"]: completed_items(first, t["id"]) for t in turns}
    for turn in turns:
        assert turn["items"] == live_items[turn["id"]]
    await first.stop()

    second = await make_client()
    listed = await second.request("codex/thread/list", {})
    [row] = [t for t in listed["data"] if t["id"] == thread_id]
    assert row["preview"] == "What is 2+2?"
    assert row["modelProvider"] == "mock"
    assert row["cwd"] == str(workspace)
    assert row["turns"] == []
    assert row["status"] == {"type": "notLoaded"}

    resumed = await second.request("codex/thread/resume", {"threadId": thread_id})
    assert resumed["thread"]["id"] == thread_id
    assert resumed["modelProvider"] == "mock"
    got = resumed["thread"]["turns"]
    assert [t["id"] for t in got] == [t["id"] for t in turns]
    for live, back in zip(turns, got, strict=True):
        assert back["status"] == "completed"
        assert back["items"] == live_items[live["id"]]

    await run_turn(second, mock_model, thread_id, "And 4+4?", "Eight.")
    body = mock_model.requests[-1].body
    assert conversation(body) == [
        ("user", "What is 2+2?"),
        ("assistant", "It is 4."),
        ("user", "And 3+3?"),
        ("assistant", "That is 6."),
        ("user", "And 4+4?"),
    ]
    # Settings did not change across the restart: still one environment context.
    assert env_count(body) == 1

    # Resume appended to the same rollout file: one file for the thread.
    files = list((second.home / "sessions").rglob(f"*{thread_id}.jsonl"))
    assert [str(f) for f in files] == [resumed["thread"]["path"]]


async def test_resume_with_changed_cwd_adds_environment_context(
    make_client: ClientFactory, mock_model: MockModelServer, tmp_path: Path
) -> None:
    first = await make_client()
    thread_id = (await first.start_thread())["thread"]["id"]
    await run_turn(first, mock_model, thread_id, "hello", "hi")
    await first.stop()

    other = tmp_path / "elsewhere"
    other.mkdir()
    second = await make_client()
    resumed = await second.request(
        "codex/thread/resume", {"threadId": thread_id, "cwd": str(other)}
    )
    assert resumed["cwd"] == str(other)
    await run_turn(second, mock_model, thread_id, "again", "sure")
    body = mock_model.requests[-1].body
    assert env_count(body) == 2
    assert conversation(body) == [("user", "hello"), ("assistant", "hi"), ("user", "again")]


def _rollout_path(thread: dict[str, Any]) -> Path:
    path = thread["path"]
    assert isinstance(path, str)
    return Path(path)


async def test_kill_mid_turn_then_resume(
    make_client: ClientFactory, mock_model: MockModelServer
) -> None:
    first = await make_client()
    thread = (await first.start_thread())["thread"]
    thread_id = thread["id"]
    long_text = " ".join(f"word{i}" for i in range(400))
    mock_model.enqueue(
        reasoning_then_text(["thinking hard"], long_text, delay_ms_between_events=50)
    )
    started = await first.request(
        "codex/turn/start",
        {"threadId": thread_id, "input": [{"type": "text", "text": "write a lot"}]},
    )
    turn_id = started["turn"]["id"]
    reasoning = await first.wait_for(
        "codex/item/completed",
        lambda p: p["turnId"] == turn_id and p["item"]["type"] == "reasoning",
    )

    def three_deltas(_p: dict[str, Any]) -> bool:
        deltas = first.of("codex/item/agentMessage/delta")
        return len([d for d in deltas if d["turnId"] == turn_id]) >= 3

    await first.wait_for("codex/item/agentMessage/delta", three_deltas)
    user_item = completed_items(first, turn_id)[0]
    assert user_item["type"] == "userMessage"
    await first.kill()

    second = await make_client()
    resumed = await second.request("codex/thread/resume", {"threadId": thread_id})
    [turn] = resumed["thread"]["turns"]
    assert turn["id"] == turn_id
    assert turn["status"] == "interrupted"
    # The message that was streaming comes back with (at least) the text the user saw.
    deltas = first.of("codex/item/agentMessage/delta")
    seen = "".join(d["delta"] for d in deltas if d["turnId"] == turn_id)
    assert turn["items"][:2] == [user_item, reasoning["item"]]
    [message] = turn["items"][2:]
    assert message["type"] == "agentMessage" and message["text"].startswith(seen)
    assert long_text.startswith(message["text"])

    after = await run_turn(second, mock_model, thread_id, "try again", "done now")
    assert after["status"] == "completed"
    assert conversation(mock_model.requests[-1].body)[-1] == ("user", "try again")
    assert ("user", "write a lot") in conversation(mock_model.requests[-1].body)
    assert env_count(mock_model.requests[-1].body) == 1

    # A torn write: half a JSON line without its newline at the end of the rollout.
    await second.stop()
    path = _rollout_path(resumed["thread"])
    with path.open("ab") as f:
        f.write(b'{"ts":1,"type":"item_completed","payload":{"turnId":"x","item":{"ty')
    third = await make_client()
    again = await third.request("codex/thread/resume", {"threadId": thread_id})
    assert [t["id"] for t in again["thread"]["turns"]] == [turn_id, after["id"]]
    # Only a warning for the editor's log.
    warnings = [m.message for m in third.lc.log_messages if m.type == MessageType.Warning]
    assert any(path.name in w and "skipped" in w for w in warnings), warnings
    last = await run_turn(third, mock_model, thread_id, "after the tear", "still fine")
    await third.stop()

    fourth = await make_client()
    final = await fourth.request("codex/thread/read", {"threadId": thread_id, "includeTurns": True})
    turns = final["thread"]["turns"]
    assert [t["id"] for t in turns] == [turn_id, after["id"], last["id"]]
    assert turns[2]["status"] == "completed"
    assert turns[2]["items"] == completed_items(third, last["id"])
    # The torn fragment stays on a line of its own; every later line is a valid record.
    records = rollout_records(path)
    assert any(r["payload"].get("turnId") == last["id"] for r in records)


async def test_long_preview_reads_the_same_after_restart(
    make_client: ClientFactory, mock_model: MockModelServer
) -> None:
    client = await make_client()
    thread_id = (await client.start_thread())["thread"]["id"]
    text = " ".join(f"w{i}" for i in range(150))
    await run_turn(client, mock_model, thread_id, text, "ok")
    live = (await client.request("codex/thread/read", {"threadId": thread_id}))["thread"]
    assert text.startswith(live["preview"]) and 0 < len(live["preview"]) < len(text)
    [row] = (await client.request("codex/thread/list", {}))["data"]
    assert row["preview"] == live["preview"]
    await client.stop()

    client = await make_client()
    [row] = (await client.request("codex/thread/list", {}))["data"]
    assert row["preview"] == live["preview"]
    resumed = await client.request("codex/thread/resume", {"threadId": thread_id})
    assert resumed["thread"]["preview"] == live["preview"]


async def test_failed_and_interrupted_turns_survive_restart(
    make_client: ClientFactory, mock_model: MockModelServer
) -> None:
    client = await make_client()
    thread_id = (await client.start_thread())["thread"]["id"]
    mock_model.enqueue(error_response(400))
    failed = await client.turn(thread_id, "this fails")
    assert failed["status"] == "failed" and failed["error"] is not None

    mock_model.enqueue(hang_response(6))
    started = await client.request(
        "codex/turn/start",
        {"threadId": thread_id, "input": [{"type": "text", "text": "this hangs"}]},
    )
    turn_id = started["turn"]["id"]
    await client.wait_for("codex/item/agentMessage/delta", lambda p: p["turnId"] == turn_id)
    await client.request("codex/turn/interrupt", {"threadId": thread_id, "turnId": turn_id})
    done = await client.wait_for("codex/turn/completed", lambda p: p["turn"]["id"] == turn_id)
    interrupted = done["turn"]
    assert interrupted["status"] == "interrupted"
    await client.stop()

    client = await make_client()
    resumed = await client.request("codex/thread/resume", {"threadId": thread_id})
    assert resumed["thread"]["turns"] == [failed, interrupted]
