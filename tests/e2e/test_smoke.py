"""Smoke: initialize, start a thread, run a turn."""

from __future__ import annotations

from codex_lsp.mock_model import MockModelServer, reasoning_then_text
from tests.lsp_client import CodexClient


async def test_turn_streams_items_in_order(
    client: CodexClient, mock_model: MockModelServer
) -> None:
    mock_model.enqueue(reasoning_then_text(["Looking at the question."], "Hello from the mock."))
    thread = (await client.start_thread())["thread"]
    turn = await client.turn(thread["id"], "Say hello")
    assert turn["status"] == "completed"
    texts = [i["text"] for i in turn["items"] if i["type"] == "agentMessage"]
    assert texts == ["Hello from the mock."]
