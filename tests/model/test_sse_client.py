"""The model client's own HTTP/SSE transport (issue 16): aiohttp and an SSE decoder in
place of the OpenAI SDK.

The decoder is checked on byte streams cut at awkward places; the client against the mock
model over HTTP on 127.0.0.1 (the request it sends, an early stop, a stream error object);
and a real one-turn `codex-lsp exec` in a subprocess must not import `openai`.
"""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from aiohttp import web

from codex_lsp import __version__
from codex_lsp.core.config.model import ProviderConfig
from codex_lsp.core.model.client import ModelClient, ModelClients, endpoint, request_headers
from codex_lsp.core.model.errors import ModelError
from codex_lsp.core.model.prompt import Prompt
from codex_lsp.core.model.sse import SSEDecoder, StreamError, json_events
from codex_lsp.core.model.stream_events import ModelEvent
from codex_lsp.mock_model import MockModelServer, hang_response, text_response

PROMPT = Prompt(model="m", instructions="i", input=[])


def _decode_in_pieces(raw: bytes, size: int) -> list[bytes]:
    decoder = SSEDecoder()
    events: list[bytes] = []
    for start in range(0, len(raw), size):
        events += decoder.feed(raw[start : start + size])
    return events


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
def test_decoder_line_endings_multiline_data_and_comments(size: int) -> None:
    raw = (
        b": keep-alive comment\r\n"
        b"event: response.created\r\n"
        b'data: {"a":\r\n'
        b"data: 1}\r\n"
        b"\r\n"
        b'data:{"b": 2}\r'
        b"\r"
        b"id: 7\n"
        b'data: {"c": 3}\n'
        b"\n"
        b'data: {"unterminated": true}\n'
    )
    events = _decode_in_pieces(raw, size)
    assert events == [b'{"a":\n1}', b'{"b": 2}', b'{"c": 3}']
    assert [json.loads(e) for e in events] == [{"a": 1}, {"b": 2}, {"c": 3}]


async def _all(raw: list[bytes]) -> list[object]:
    chunks = iter([*raw, b""])

    async def read() -> bytes:
        return next(chunks)

    return [event async for event in json_events(read)]


async def test_done_ends_the_stream_and_error_objects_raise() -> None:
    assert await _all([b'data: {"x": 1}\n\ndata: [DONE]\n\ndata: {"y": 2}\n\n']) == [{"x": 1}]
    with pytest.raises(StreamError, match=r"^overloaded$"):
        await _all([b'data: {"error": {"message": "overloaded"}}\n\n'])
    with pytest.raises(StreamError, match="An error occurred during streaming"):
        await _all([b'event: error\ndata: {"error": "x"}\n\n'])
    with pytest.raises(ValueError):
        await _all([b"data: not json\n\n"])


def test_endpoint_and_headers() -> None:
    for base in ("http://h:1/v1", "http://h:1/v1/"):
        assert endpoint(base, "/responses") == "http://h:1/v1/responses"
    headers = request_headers("k", {"user-agent": "mine/1", "X-Extra": "e"})
    assert headers == {
        "Authorization": "Bearer k",
        "Content-Type": "application/json",
        "Accept": "text/event-stream",
        "user-agent": "mine/1",
        "X-Extra": "e",
    }


@pytest.mark.parametrize("slash", ["", "/"])
async def test_the_request_sent(slash: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNIT_HEADER_VALUE", "from-env")
    async with MockModelServer() as mock:
        mock.enqueue(text_response("Hello there."))
        provider = ProviderConfig(
            base_url=mock.url + slash,
            query_params={"api-version": "2025-01-01"},
            http_headers={"X-Static": "s"},
            env_http_headers={"X-From-Env": "UNIT_HEADER_VALUE"},
        )
        client = ModelClient("unit", provider)
        try:
            events: list[ModelEvent] = [e async for e in client.stream(PROMPT)]
        finally:
            await client.aclose()
    assert any("Hello there." in repr(e) for e in events)
    request = mock.requests[-1]
    assert request.path.endswith("/v1/responses") and "//" not in request.path
    assert request.query == {"api-version": "2025-01-01"}
    assert request.headers["authorization"] == "Bearer codex-lsp"
    assert request.headers["accept"] == "text/event-stream"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == f"codex-lsp/{__version__}"
    assert request.headers["x-static"] == "s"
    assert request.headers["x-from-env"] == "from-env"


async def test_stopping_early_closes_the_connection() -> None:
    """An interrupt (the consumer closes the stream) drops the connection at once."""
    async with MockModelServer() as mock:
        mock.enqueue(hang_response(after_events=3))
        client = ModelClient("unit", ProviderConfig(base_url=mock.url))
        try:
            stream = client.stream(PROMPT)
            await asyncio.wait_for(anext(stream), 10)
            session = await client._client()
            assert session.connector is not None
            await asyncio.wait_for(stream.aclose(), 5)  # type: ignore[attr-defined]
            # No connection left open or pooled.
            assert session.connector._conns == {}
            assert len(session.connector._acquired) == 0
        finally:
            await client.aclose()
        assert session.closed


async def test_the_clients_close_their_sessions_when_asked() -> None:
    """The thread manager's shutdown closes every provider's session (no waiting for the
    event loop to finalize them)."""
    async with MockModelServer() as mock:
        clients = ModelClients(lambda: "sk-unit")
        sessions = []
        for provider_id in ("one", "two"):
            mock.enqueue(text_response("Hi."))
            client = clients.get(provider_id, ProviderConfig(base_url=mock.url))
            async for _event in client.stream(PROMPT):
                pass
            sessions.append(await client._client())
        assert not any(session.closed for session in sessions)
        await clients.aclose()
        assert all(session.closed for session in sessions)


def test_the_session_closes_with_its_event_loop() -> None:
    """No `aclose()` call: `asyncio.run` ending closes the session and its connections."""

    async def one_turn() -> tuple[ModelClient, aiohttp.ClientSession]:
        async with MockModelServer() as mock:
            mock.enqueue(text_response("Hi."))
            client = ModelClient("unit", ProviderConfig(base_url=mock.url))
            async for _event in client.stream(PROMPT):
                pass
            session = await client._client()
            assert not session.closed
            return client, session

    client, session = asyncio.run(one_turn())
    assert session.closed and client._session is session


async def test_a_broken_connection_is_a_stream_disconnect() -> None:
    async with MockModelServer() as mock:
        mock.enqueue(hang_response(after_events=2))
        provider = ProviderConfig(base_url=mock.url, stream_idle_timeout_ms=300)
        client = ModelClient("unit", provider)
        try:
            with pytest.raises(ModelError) as caught:
                async with asyncio.timeout(10):
                    async for _event in client.stream(PROMPT):
                        pass
        finally:
            await client.aclose()
    assert caught.value.info == "responseStreamDisconnected"
    assert caught.value.retry == "stream"
    assert caught.value.message.startswith("the model stream broke: ")


async def test_connect_failure_is_a_connection_error() -> None:
    client = ModelClient("unit", ProviderConfig(base_url="http://127.0.0.1:9/v1"))
    try:
        with pytest.raises(ModelError) as caught:
            async for _event in client.stream(PROMPT):
                pass
    finally:
        await client.aclose()
    assert caught.value.info == "httpConnectionFailed" and caught.value.retry == "request"
    assert caught.value.message.startswith("cannot reach the model at http://127.0.0.1:9/v1: ")


async def _serve_once(status: int, body: bytes, content_type: str) -> tuple[str, web.AppRunner]:
    """A one-route HTTP server on 127.0.0.1 answering every POST with `body` (raw)."""

    async def answer(_request: web.Request) -> web.Response:
        return web.Response(status=status, body=body, content_type=content_type)

    app = web.Application()
    app.router.add_post("/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return f"http://127.0.0.1:{port}/v1", runner


async def _stream_raw(
    status: int, body: bytes, wire_api: str = "responses", content_type: str = "text/event-stream"
) -> list[ModelEvent]:
    url, runner = await _serve_once(status, body, content_type)
    client = ModelClient("unit", ProviderConfig(base_url=url, wire_api=wire_api))  # type: ignore[arg-type]
    try:
        async with asyncio.timeout(10):
            return [e async for e in client.stream(PROMPT)]
    finally:
        await client.aclose()
        await runner.cleanup()


async def test_an_error_object_in_the_stream_breaks_it() -> None:
    with pytest.raises(ModelError) as caught:
        await _stream_raw(200, b'data: {"error": {"message": "boom", "code": "x"}}\n\n')
    assert caught.value.info == "responseStreamDisconnected" and caught.value.retry == "stream"
    assert caught.value.message == "the model stream broke: boom"


async def test_an_error_answer_that_is_not_json() -> None:
    with pytest.raises(ModelError) as caught:
        await _stream_raw(503, b"  upstream down \n", content_type="text/plain")
    assert caught.value.info == "internalServerError" and caught.value.retry == "request"
    assert caught.value.status == 503 and caught.value.message == "upstream down"


async def test_chat_stream_ends_at_done() -> None:
    chunk = {
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": {"content": "Hi there"}, "finish_reason": "stop"}],
    }
    raw = b"data: " + json.dumps(chunk).encode() + b"\n\ndata: [DONE]\n\n"
    events = await _stream_raw(200, raw, wire_api="chat")
    assert any("Hi there" in repr(e) for e in events)
