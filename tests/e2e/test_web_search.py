"""Web search (`[tools] web_search`) and `model_verbosity`, through the real server and the
mock model: the Responses `web_search` tool is offered only when configured, each
`web_search_call` output item becomes a `webSearch` item (started without a query,
completed with the query of its action), it is recorded (a resume shows it) and replayed
to the model the way Codex replays it; the Chat wire offers neither."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from codex_lsp.mock_model import (
    MessageItem,
    MockModelServer,
    MockResponse,
    WebSearchCallItem,
    text_response,
)
from tests.conftest import ClientFactory
from tests.e2e.threads_helpers import INVALID_PARAMS, expect_error
from tests.lsp_client import CodexClient, mock_config

WEB_SEARCH_TOOL = {"type": "web_search"}


def _configure(home: Path, url: str, extra: str = "", wire_api: str = "responses") -> None:
    (home / "config.toml").write_text(mock_config(url, wire_api=wire_api, extra=extra))


def _search_response(query: str, answer: str) -> MockResponse:
    return MockResponse(items=[WebSearchCallItem(query=query), MessageItem(text=answer)])


def _keys(node: Any) -> set[str]:
    """Every object key anywhere in a JSON value."""
    if isinstance(node, dict):
        return set(node).union(*(_keys(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_keys(v) for v in node))
    return set()


def _events_of(client: CodexClient, item_id: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (m, p["item"])
        for m, p, _ in client.notifications
        if m in ("codex/item/started", "codex/item/completed") and p["item"]["id"] == item_id
    ]


async def test_web_search_calls_become_web_search_items(
    make_client: ClientFactory, mock_model: MockModelServer, codex_home: Path
) -> None:
    _configure(codex_home, mock_model.url, "[tools]\nweb_search = true\n")
    client = await make_client()
    thread = (await client.start_thread())["thread"]["id"]
    mock_model.enqueue(_search_response("weather in Paris", "Sunny in Paris."))
    turn = await client.turn(thread, "What is the weather in Paris?")
    assert turn["status"] == "completed"
    assert WEB_SEARCH_TOOL in mock_model.requests[-1].body["tools"]

    kinds = [i["type"] for i in turn["items"]]
    assert kinds == ["userMessage", "webSearch", "agentMessage"]
    search = turn["items"][1]
    assert search["query"] == "weather in Paris"
    # Started when the model began it (no query yet), completed with its query.
    assert _events_of(client, search["id"]) == [
        ("codex/item/started", {"type": "webSearch", "id": search["id"], "query": ""}),
        ("codex/item/completed", search),
    ]

    # The next request replays the call as Codex does (status and action, no id).
    mock_model.enqueue(text_response("You're welcome."))
    await client.turn(thread, "Thanks")
    replayed = [i for i in mock_model.requests[-1].body["input"] if i["type"] == "web_search_call"]
    assert replayed == [
        {
            "type": "web_search_call",
            "status": "completed",
            "action": {"type": "search", "query": "weather in Paris"},
        }
    ]
    await client.stop()

    # Recorded in the rollout: a resume after a restart shows the item, and the model
    # still gets the call.
    second = await make_client()
    resumed = await second.request("codex/thread/resume", {"threadId": thread})
    first_turn = resumed["thread"]["turns"][0]
    assert [i for i in first_turn["items"] if i["type"] == "webSearch"] == [search]
    mock_model.enqueue(text_response("Still sunny."))
    await second.turn(thread, "And now?")
    body = mock_model.requests[-1].body
    assert [i for i in body["input"] if i["type"] == "web_search_call"] == replayed


async def test_page_actions_name_the_page(
    make_client: ClientFactory, mock_model: MockModelServer
) -> None:
    client = await make_client()
    thread = (await client.start_thread(config={"tools": {"web_search": True}}))["thread"]["id"]
    mock_model.enqueue(
        MockResponse(
            items=[
                WebSearchCallItem(action={"type": "open_page", "url": "https://example.com/a"}),
                WebSearchCallItem(
                    action={
                        "type": "find_in_page",
                        "url": "https://example.com/a",
                        "pattern": "price",
                    }
                ),
                MessageItem(text="Found it."),
            ]
        )
    )
    turn = await client.turn(thread, "look it up")
    queries = [i["query"] for i in turn["items"] if i["type"] == "webSearch"]
    assert queries == ["https://example.com/a", "'price' in https://example.com/a"]
    # Offered because the thread's config override asked for it.
    assert WEB_SEARCH_TOOL in mock_model.requests[-1].body["tools"]


async def test_defaults_offer_no_web_search_and_send_no_verbosity(
    make_client: ClientFactory, mock_model: MockModelServer
) -> None:
    client = await make_client()
    thread = (await client.start_thread())["thread"]["id"]
    mock_model.enqueue(text_response("hi"))
    await client.turn(thread, "hello")
    body = mock_model.requests[-1].body
    assert body["tools"] and all(t["type"] != "web_search" for t in body["tools"])
    assert "text" not in body and "verbosity" not in _keys(body)


async def test_chat_wire_offers_no_web_search_and_sends_no_verbosity(
    make_client: ClientFactory, mock_model: MockModelServer, codex_home: Path
) -> None:
    (codex_home / "config.toml").write_text(
        'model_verbosity = "low"\n'
        + mock_config(mock_model.url, wire_api="chat", extra="[tools]\nweb_search = true\n")
    )
    client = await make_client()
    thread = (await client.start_thread())["thread"]["id"]
    mock_model.enqueue(text_response("hi"))
    turn = await client.turn(thread, "hello")
    assert turn["status"] == "completed"
    request = mock_model.requests[-1]
    assert request.path.endswith("/chat/completions")
    assert all(t["type"] == "function" for t in request.body["tools"])
    assert "web_search" not in json.dumps(request.body["tools"])
    assert "verbosity" not in _keys(request.body) and "text" not in request.body


async def test_verbosity_reaches_the_request_body(
    make_client: ClientFactory, mock_model: MockModelServer, codex_home: Path
) -> None:
    (codex_home / "config.toml").write_text(
        'model_verbosity = "low"\n' + mock_config(mock_model.url)
    )
    client = await make_client()
    thread = (await client.start_thread())["thread"]["id"]
    mock_model.enqueue(text_response("short"))
    await client.turn(thread, "hello")
    assert mock_model.requests[-1].body["text"] == {"verbosity": "low"}

    # A thread's config override wins over the file.
    loud = (await client.start_thread(config={"model_verbosity": "high"}))["thread"]["id"]
    mock_model.enqueue(text_response("long"))
    await client.turn(loud, "hello")
    assert mock_model.requests[-1].body["text"] == {"verbosity": "high"}

    # A bad value is refused naming the key.
    exc = await expect_error(
        client, "codex/thread/start", {"config": {"model_verbosity": "shouty"}}, "config"
    )
    assert exc.code == INVALID_PARAMS and "model_verbosity: 'shouty'" in exc.message
