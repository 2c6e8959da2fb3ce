"""The fault suite: the server killed mid-turn, a failing model, sixteen threads streaming
at once, and a rollout that cannot be written. Real faults only: SIGKILL, HTTP errors and
cut streams from the mock model on 127.0.0.1, a folder or a pipe where the rollout was,
RLIMIT_FSIZE set on the running server (EFBIG: a full disk for one file). All of them
also hit root. Figures (recovery time, retry delays, throughput) are in
`benchmarks/bench_faults.py`."""

from __future__ import annotations

import asyncio
import os
import resource
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pygls.exceptions import JsonRpcException

from codex_lsp.core.threads.history import STOPPED_MESSAGE
from codex_lsp.core.threads.rollout import journal_path, read_rollout
from codex_lsp.mock_model import (
    MessageItem,
    MockModelServer,
    MockResponse,
    ReasoningItem,
    context_exceeded_response,
    cut_response,
    error_response,
    reasoning_then_text,
    text_response,
    tool_call_response,
)
from codex_lsp.mock_model.script import split_chunks
from tests.e2e.threads_helpers import (
    ClientFactory,
    conversation,
    rollout_records,
    run_turn,
)
from tests.lsp_client import CodexClient

DELTA = "codex/item/agentMessage/delta"


def _text(prefix: str, words: int) -> str:
    return " ".join(f"{prefix}{i}" for i in range(words))


def _deltas(client: CodexClient, turn_id: str) -> list[dict[str, Any]]:
    return [p for p in client.of(DELTA) if p["turnId"] == turn_id]


async def _start(client: CodexClient, thread_id: str, text: str) -> str:
    started = await client.request(
        "codex/turn/start", {"threadId": thread_id, "input": [{"type": "text", "text": text}]}
    )
    return str(started["turn"]["id"])


async def _completed(client: CodexClient, turn_id: str, timeout: float = 30) -> dict[str, Any]:
    done = await client.wait_for(
        "codex/turn/completed", lambda p: p["turn"]["id"] == turn_id, timeout=timeout
    )
    turn: dict[str, Any] = done["turn"]
    return turn


async def _streamed(client: CodexClient, turn_id: str, count: int) -> None:
    await client.wait_for(DELTA, lambda _p: len(_deltas(client, turn_id)) >= count)


async def test_kill_9_mid_turn_then_restart_and_resume(
    make_client: ClientFactory, mock_model: MockModelServer
) -> None:
    first = await make_client()
    thread_id = (await first.start_thread())["thread"]["id"]
    mock_model.enqueue(
        tool_call_response("shell", {"command": ["bash", "-c", "echo persisted"]}),
        text_response("It printed persisted."),
    )
    done = await first.turn(thread_id, "run something")
    assert done["status"] == "completed"

    answer = _text("w", 300)
    mock_model.enqueue(reasoning_then_text(["planning"], answer, delay_ms_between_events=30))
    turn_id = await _start(first, thread_id, "write a lot")
    await _streamed(first, turn_id, 5)
    await first.kill()
    seen = "".join(d["delta"] for d in _deltas(first, turn_id))
    message_id = _deltas(first, turn_id)[0]["itemId"]

    second = await make_client()
    resumed = await second.request("codex/thread/resume", {"threadId": thread_id})
    turns = resumed["thread"]["turns"]
    # Every item persisted before the kill is there, exactly as the client saw it complete.
    assert turns[0] == done
    cut = turns[1]
    assert cut["id"] == turn_id and cut["status"] == "interrupted"
    assert cut["error"]["message"] == STOPPED_MESSAGE
    assert [i["type"] for i in cut["items"]] == ["userMessage", "reasoning", "agentMessage"]
    # The text streamed before the kill is kept (the journal may hold a little more).
    message = cut["items"][-1]
    assert message["id"] == message_id
    assert message["text"].startswith(seen) and answer.startswith(message["text"])
    read = await second.request("codex/thread/read", {"threadId": thread_id, "includeTurns": True})
    assert read["thread"]["turns"] == turns

    # Loading settled the crash into the rollout: the partial message is a record now.
    path = Path(resumed["thread"]["path"])
    assert not journal_path(path).exists()
    records = rollout_records(path)
    assert any(r["payload"].get("item", {}).get("id") == message_id for r in records)

    later = await run_turn(second, mock_model, thread_id, "go on", "Going on.")
    assert ("assistant", message["text"]) in conversation(mock_model.requests[-1].body)
    await second.stop()

    third = await make_client()
    again = await third.request("codex/thread/resume", {"threadId": thread_id})
    assert again["thread"]["turns"] == [*turns, later]


async def test_model_faults_in_one_thread_are_kept_as_the_user_saw_them(
    make_client: ClientFactory, mock_model: MockModelServer
) -> None:
    client = await make_client()
    thread_id = (await client.start_thread())["thread"]["id"]
    mock_model.enqueue(error_response(429, retry_after=0.5), text_response("after a 429"))
    after_429 = await client.turn(thread_id, "one")
    first, second = mock_model.requests[-2:]
    assert second.received_at - first.received_at >= 0.45  # retry-after is honoured
    mock_model.enqueue(
        error_response(500),
        cut_response(after_events=8),
        reasoning_then_text(["again"], "after a 500 and a cut"),
    )
    after_cut = await client.turn(thread_id, "two")
    mock_model.enqueue(context_exceeded_response())
    too_long = await client.turn(thread_id, "three")
    # The window is full now: the next turn compacts the history before its request.
    before_compaction = mock_model.requests[-1].body
    mock_model.enqueue(text_response("summary of one to three"), text_response("still here"))
    last = await client.turn(thread_id, "four")
    assert [i["type"] for i in last["items"]] == [
        "userMessage",
        "contextCompaction",
        "agentMessage",
    ]

    live = [after_429, after_cut, too_long, last]
    assert [t["status"] for t in live] == ["completed", "completed", "failed", "completed"]
    assert too_long["error"]["codexErrorInfo"] == "contextWindowExceeded"
    retried = [e["error"]["codexErrorInfo"] for e in client.of("codex/error") if e["willRetry"]]
    assert retried == ["other", "internalServerError", "responseStreamDisconnected"]
    # The cut attempt's message was completed for the client, then superseded everywhere.
    started = {p["item"]["id"] for p in client.of("codex/item/started")}
    completed = {p["item"]["id"] for p in client.of("codex/item/completed")}
    assert started == completed
    assistant = [t for r, t in conversation(before_compaction) if r == "assistant"]
    assert assistant == ["after a 429", "after a 500 and a cut"]
    await client.stop()

    client = await make_client()
    resumed = await client.request("codex/thread/resume", {"threadId": thread_id})
    assert resumed["thread"]["turns"] == live


async def test_sixteen_threads_stream_at_once_and_lose_no_delta(
    client: CodexClient, mock_model: MockModelServer
) -> None:
    n = 16
    thread_ids = [(await client.start_thread())["thread"]["id"] for _ in range(n)]
    texts = [f"thread {k}: " + _text(f"t{k}w", 120) for k in range(n)]
    mock_model.enqueue(
        *(
            MockResponse(
                items=[ReasoningItem(summary=[f"plan {k}"]), MessageItem(text=texts[k])],
                delay_ms_between_events=2,
            )
            for k in range(n)
        )
    )
    turn_ids = await asyncio.gather(*(_start(client, t, "stream") for t in thread_ids))
    turns = await asyncio.gather(*(_completed(client, t, timeout=60) for t in turn_ids))
    assert [t["status"] for t in turns] == ["completed"] * n

    order = {}
    for index, (method, params, _at) in enumerate(client.notifications):
        if method in ("codex/item/started", "codex/item/completed"):
            order[(method, params["item"]["id"])] = index
    delivered = []
    for turn in turns:
        messages = [i for i in turn["items"] if i["type"] == "agentMessage"]
        assert len(messages) == 1
        message = messages[0]
        deltas = [
            (index, params["delta"])
            for index, (method, params, _at) in enumerate(client.notifications)
            if method == DELTA and params["itemId"] == message["id"]
        ]
        # Every delta arrived, in order, between the item's start and its completion.
        assert "".join(d for _i, d in deltas) == message["text"]
        assert len(deltas) == len(split_chunks(message["text"]))
        assert order[("codex/item/started", message["id"])] < deltas[0][0]
        assert deltas[-1][0] < order[("codex/item/completed", message["id"])]
        summaries = [
            params["delta"]
            for method, params, _at in client.notifications
            if method == "codex/item/reasoning/summaryTextDelta" and params["turnId"] == turn["id"]
        ]
        reasoning = next(i for i in turn["items"] if i["type"] == "reasoning")
        assert "".join(summaries) == "".join(reasoning["summary"])
        delivered.append(message["text"])
    assert sorted(delivered) == sorted(texts)


Fault = tuple[str, Callable[[Path], None], Callable[[Path], None], str]


def _move_aside(path: Path) -> Path:
    aside = path.with_name(path.name + ".aside")
    path.rename(aside)
    return aside


def _faults() -> list[Fault]:
    """(name, break, repair, what the error says) for faults that hit root too."""

    def to_folder(path: Path) -> None:
        _move_aside(path)
        path.mkdir()

    def from_folder(path: Path) -> None:
        path.rmdir()
        path.with_name(path.name + ".aside").rename(path)

    def to_pipe(path: Path) -> None:
        _move_aside(path)
        os.mkfifo(path)

    def from_pipe(path: Path) -> None:
        path.unlink()
        path.with_name(path.name + ".aside").rename(path)

    def folder_replaced(path: Path) -> None:
        day = path.parent
        day.rename(day.with_name(day.name + ".aside"))
        day.mkdir()

    def folder_back(path: Path) -> None:
        day = path.parent
        day.rmdir()
        day.with_name(day.name + ".aside").rename(day)

    def removed(path: Path) -> None:
        _move_aside(path)

    def put_back(path: Path) -> None:
        path.with_name(path.name + ".aside").rename(path)

    return [
        ("a folder in its place", to_folder, from_folder, "Is a directory"),
        ("a pipe in its place", to_pipe, from_pipe, "not a regular file"),
        ("its folder replaced", folder_replaced, folder_back, "No such file or directory"),
        ("removed", removed, put_back, "No such file or directory"),
    ]


async def test_rollout_write_faults_fail_the_turn_and_the_thread_goes_on(
    make_client: ClientFactory, mock_model: MockModelServer
) -> None:
    client = await make_client()
    thread = (await client.start_thread())["thread"]
    thread_id, path = thread["id"], Path(thread["path"])
    live = [await run_turn(client, mock_model, thread_id, "hello", "hi")]

    for name, fault, repair, reason in _faults():
        fault(path)
        failed = await client.turn(thread_id, f"while {name}")
        assert failed["status"] == "failed", name
        message = failed["error"]["message"]
        assert reason in message and str(path) in message, (name, message)
        error = client.of("codex/error")[-1]
        assert error["turnId"] == failed["id"] and error["willRetry"] is False
        view = await client.request("codex/thread/read", {"threadId": thread_id})
        assert view["thread"]["status"] == {"type": "idle"}, name
        live.append(failed)
        if name == "a folder in its place":
            # A rename applies at once; it is saved when the file can be written again.
            with pytest.raises(JsonRpcException) as info:
                await client.request(
                    "codex/thread/name/set", {"threadId": thread_id, "name": "kept"}
                )
            assert info.value.code == -32803 and reason in info.value.message
            assert (await client.wait_for("codex/thread/name/updated"))["name"] == "kept"
        if name == "removed":
            # A user shell command is a turn too: it completes, failed, for the same reason.
            await client.request(
                "codex/thread/shellCommand", {"threadId": thread_id, "command": "echo hi"}
            )
            shell = await client.wait_for(
                "codex/turn/completed",
                lambda p: p["turn"]["id"] not in {t["id"] for t in live},
            )
            assert shell["turn"]["status"] == "failed"
            assert reason in shell["turn"]["error"]["message"]
            live.append(shell["turn"])
        repair(path)
        live.append(await run_turn(client, mock_model, thread_id, f"after {name}", "ok"))

    # A full disk mid-stream: the rollout may not grow past its size (EFBIG, real).
    mock_model.enqueue(text_response(_text("x", 400), delay_ms_between_events=10))
    turn_id = await _start(client, thread_id, "write while the disk fills")
    await _streamed(client, turn_id, 3)
    _soft, hard = resource.prlimit(client.pid, resource.RLIMIT_FSIZE)
    resource.prlimit(client.pid, resource.RLIMIT_FSIZE, (path.stat().st_size, hard))
    try:
        failed = await _completed(client, turn_id)
    finally:
        resource.prlimit(client.pid, resource.RLIMIT_FSIZE, (hard, hard))
    assert failed["status"] == "failed"
    assert "File too large" in failed["error"]["message"]
    message = next(i for i in failed["items"] if i["type"] == "agentMessage")
    assert message["text"] == "".join(d["delta"] for d in _deltas(client, turn_id))
    live += [failed, await run_turn(client, mock_model, thread_id, "disk freed", "saved")]
    # The model still has the text it wrote before the disk filled.
    assert ("assistant", message["text"]) in conversation(mock_model.requests[-1].body)
    await client.stop()

    # Nothing the user saw is lost, and the rollout is clean (no torn line, no journal).
    client = await make_client()
    resumed = await client.request("codex/thread/resume", {"threadId": thread_id})
    assert resumed["thread"]["turns"] == live
    assert resumed["thread"]["name"] == "kept"
    assert read_rollout(path).warnings == []
    assert not journal_path(path).exists()
