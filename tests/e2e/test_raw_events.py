"""`experimentalRawEvents`: a thread started or resumed with it also sends
`codex/rawResponseItem/completed {threadId, turnId, item}` for every output item the model
returns, exactly as the model returned it (Responses API shape; on the Chat wire the
equivalent items the server builds). Threads and clients that did not ask get none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codex_lsp.mock_model import (
    FunctionCallItem,
    MessageItem,
    MockModelServer,
    MockResponse,
    ReasoningItem,
    WebSearchCallItem,
    text_response,
)
from tests.conftest import ClientFactory
from tests.lsp_client import CodexClient, mock_config

RAW = "codex/rawResponseItem/completed"


def _raw(client: CodexClient, thread_id: str) -> list[dict[str, Any]]:
    return [p for p in client.of(RAW) if p["threadId"] == thread_id]


def _script() -> list[MockResponse]:
    return [
        MockResponse(
            items=[
                ReasoningItem(summary=["Looking"], encrypted_content="enc-1", id="rs_1"),
                WebSearchCallItem(query="codex lsp", id="ws_1"),
                FunctionCallItem(
                    name="update_plan",
                    arguments='{"plan": [{"step": "a", "status": "pending"}]}',
                    call_id="call_1",
                    id="fc_1",
                ),
            ]
        ),
        MockResponse(items=[MessageItem(text="Done.", id="msg_1")]),
    ]


async def test_raw_items_only_for_threads_that_asked(
    make_client: ClientFactory, mock_model: MockModelServer
) -> None:
    client = await make_client()
    raw_thread = (await client.start_thread(experimentalRawEvents=True))["thread"]["id"]
    plain_thread = (await client.start_thread())["thread"]["id"]

    mock_model.enqueue(*_script())
    turn = await client.turn(raw_thread, "search and plan")
    assert turn["status"] == "completed"
    mock_model.enqueue(*_script())
    await client.turn(plain_thread, "search and plan")

    assert _raw(client, plain_thread) == []
    events = _raw(client, raw_thread)
    assert {e["turnId"] for e in events} == {turn["id"]}
    items = [e["item"] for e in events]
    assert [i["type"] for i in items] == [
        "reasoning",
        "web_search_call",
        "function_call",
        "message",
    ]
    reasoning, search, call, message = items
    # Exactly what the model returned: ids and statuses included (the history the model
    # is sent later drops them).
    assert reasoning["id"] == "rs_1" and reasoning["encrypted_content"] == "enc-1"
    assert search == {
        "id": "ws_1",
        "type": "web_search_call",
        "status": "completed",
        "action": {"type": "search", "query": "codex lsp"},
    }
    assert call["id"] == "fc_1" and call["status"] == "completed"
    assert call["call_id"] == "call_1" and call["name"] == "update_plan"
    assert message["id"] == "msg_1" and message["status"] == "completed"
    assert message["content"][0]["text"] == "Done."
    assert message["content"][0]["annotations"] == []
    # Each raw item is sent once its output item is done, before the turn completes.
    names = [m for m, p, _ in client.notifications if p.get("threadId") == raw_thread]
    assert names.index(RAW) < names.index("codex/turn/completed")


async def test_resume_decides_for_the_client_that_resumed(
    make_client: ClientFactory, mock_model: MockModelServer
) -> None:
    first = await make_client()
    thread = (await first.start_thread(experimentalRawEvents=True))["thread"]["id"]
    mock_model.enqueue(text_response("one"))
    await first.turn(thread, "hi")
    assert len(_raw(first, thread)) == 1
    await first.stop()

    # Another client (a new server) resumes without asking: nothing raw.
    second = await make_client()
    await second.request("codex/thread/resume", {"threadId": thread})
    mock_model.enqueue(text_response("two"))
    await second.turn(thread, "again")
    assert _raw(second, thread) == []

    # Asking on resume turns them on.
    await second.request("codex/thread/resume", {"threadId": thread, "experimentalRawEvents": True})
    mock_model.enqueue(text_response("three"))
    turn = await second.turn(thread, "once more")
    [event] = _raw(second, thread)
    assert event["turnId"] == turn["id"]
    assert event["item"]["type"] == "message"
    assert event["item"]["content"][0]["text"] == "three"


async def test_chat_wire_sends_the_items_it_builds(
    make_client: ClientFactory, mock_model: MockModelServer, codex_home: Path
) -> None:
    (codex_home / "config.toml").write_text(mock_config(mock_model.url, wire_api="chat"))
    client = await make_client()
    thread = (await client.start_thread(experimentalRawEvents=True))["thread"]["id"]
    mock_model.enqueue(
        MockResponse(items=[ReasoningItem(content=["think"]), MessageItem(text="Hello.")])
    )
    await client.turn(thread, "hi")
    items = [e["item"] for e in _raw(client, thread)]
    assert items == [
        {
            "type": "reasoning",
            "summary": [],
            "content": [{"type": "reasoning_text", "text": "think"}],
        },
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "Hello."}],
        },
    ]
