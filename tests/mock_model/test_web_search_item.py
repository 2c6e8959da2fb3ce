"""The mock's `web_search_call` items: valid Responses API events (checked strictly by the
openai SDK's own types) on the Responses wire, left out on the Chat wire."""

from __future__ import annotations

from typing import get_args

from openai import AsyncOpenAI
from openai.types.responses import ResponseFunctionWebSearch, ResponseOutputItemDoneEvent

from codex_lsp.mock_model import (
    MessageItem,
    MockModelServer,
    MockResponse,
    WebSearchCallItem,
    parse_script,
)

from .helpers import collect, within


async def test_web_search_call_events_validate(
    server: MockModelServer, client: AsyncOpenAI
) -> None:
    server.enqueue(
        MockResponse(
            items=[
                WebSearchCallItem(query="weather in Paris", id="ws_1"),
                WebSearchCallItem(action={"type": "open_page", "url": "https://example.com"}),
                MessageItem(text="Sunny."),
            ]
        )
    )
    stream = await within(client.responses.create(model="m", input="hi", stream=True))
    events = await collect(stream)
    for event in events:
        assert get_args(type(event).model_fields["type"].annotation) == (event.type,)
    types = [e.type for e in events]
    assert types[2:7] == [
        "response.output_item.added",
        "response.web_search_call.in_progress",
        "response.web_search_call.searching",
        "response.web_search_call.completed",
        "response.output_item.done",
    ]
    searches = [
        e.item
        for e in events
        if isinstance(e, ResponseOutputItemDoneEvent)
        and isinstance(e.item, ResponseFunctionWebSearch)
    ]
    assert len(searches) == 2 and searches[0].id == "ws_1"
    assert searches[0].action.type == "search"
    assert searches[0].action.query == "weather in Paris"
    assert searches[1].action.type == "open_page"
    assert all(s.status == "completed" for s in searches)


async def test_chat_wire_skips_web_search_calls(
    server: MockModelServer, client: AsyncOpenAI
) -> None:
    [script] = parse_script(
        {"items": [{"type": "web_search_call", "query": "q"}, {"type": "message", "text": "Hi."}]}
    )
    server.enqueue(script)
    answer = await within(
        client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}], stream=False
        )
    )
    message = answer.choices[0].message
    assert message.content == "Hi." and not message.tool_calls
