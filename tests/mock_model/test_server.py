"""Server behaviour: request recording, routing, models, auth, control API, lifecycle."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import openai
import pytest
from openai import AsyncOpenAI

from codex_lsp.mock_model import (
    MockModelServer,
    MockResponse,
    hang_response,
    text_response,
    tool_call_response,
)

from .helpers import TIMEOUT, collect, within

CLIENT_TIMEOUT = aiohttp.ClientTimeout(total=TIMEOUT)


def root(server: MockModelServer) -> str:
    return f"http://127.0.0.1:{server.port}"


async def test_requests_are_recorded(server: MockModelServer) -> None:
    sdk = AsyncOpenAI(
        base_url=server.url,
        api_key="sk-recorded",
        max_retries=0,
        timeout=TIMEOUT,
        default_headers={"X-Custom-Header": "abc"},
        default_query={"api-version": "2025-01-01"},
    )
    try:
        before = time.monotonic()
        stream = await within(
            sdk.responses.create(
                model="gpt-test",
                instructions="be brief",
                input=[{"role": "user", "content": "hello"}],
                stream=True,
            )
        )
        await collect(stream)
    finally:
        await sdk.close()
    (record,) = await server.wait_for_requests(1, timeout=TIMEOUT)
    assert record.method == "POST"
    assert record.path == "/v1/responses"
    assert record.query == {"api-version": "2025-01-01"}
    assert record.headers["authorization"] == "Bearer sk-recorded"
    assert record.headers["x-custom-header"] == "abc"
    assert all(key == key.lower() for key in record.headers)
    assert isinstance(record.body, dict)
    assert record.body["model"] == "gpt-test"
    assert record.body["instructions"] == "be brief"
    assert record.body["stream"] is True
    assert record.wire == "responses"
    assert before <= record.received_at <= time.monotonic()
    assert record.status == 200 and record.completed and not record.client_disconnected


async def test_any_base_path_prefix(server: MockModelServer) -> None:
    server.enqueue(text_response("one"), text_response("two"))
    for base in (f"{root(server)}/openai/deployments/x", f"{root(server)}/api/v1"):
        sdk = AsyncOpenAI(base_url=base, api_key="x", max_retries=0, timeout=TIMEOUT)
        try:
            await collect(await within(sdk.responses.create(model="m", input="x", stream=True)))
        finally:
            await sdk.close()
    paths = [r.path for r in await server.wait_for_requests(2)]
    assert paths == ["/openai/deployments/x/responses", "/api/v1/responses"]


async def test_models_endpoint(client: AsyncOpenAI) -> None:
    page = await within(client.models.list())
    assert [m.id for m in page.data] == ["mock-model"]
    assert page.data[0].object == "model"


async def test_configured_models_and_retrieve() -> None:
    async with MockModelServer(models=["a-model", "b-model"]) as server:
        sdk = AsyncOpenAI(base_url=server.url, api_key="x", max_retries=0, timeout=TIMEOUT)
        try:
            page = await within(sdk.models.list())
            assert [m.id for m in page.data] == ["a-model", "b-model"]
            assert (await within(sdk.models.retrieve("b-model"))).id == "b-model"
            with pytest.raises(openai.NotFoundError):
                await within(sdk.models.retrieve("nope"))
        finally:
            await sdk.close()
        assert server.requests == []  # only model requests are recorded


async def test_require_api_key() -> None:
    async with MockModelServer(require_api_key="sk-good") as server:
        server.enqueue(text_response("authorized"))
        bad = AsyncOpenAI(base_url=server.url, api_key="sk-bad", max_retries=0, timeout=TIMEOUT)
        good = AsyncOpenAI(base_url=server.url, api_key="sk-good", max_retries=0, timeout=TIMEOUT)
        try:
            with pytest.raises(openai.AuthenticationError) as info:
                await within(bad.responses.create(model="m", input="x", stream=True))
            assert info.value.status_code == 401 and info.value.code == "invalid_api_key"
            events = await collect(
                await within(good.responses.create(model="m", input="x", stream=True))
            )
            assert events[-1].type == "response.completed"
        finally:
            await bad.close()
            await good.close()
        assert [r.status for r in server.requests] == [401, 200]


async def test_unknown_route_is_404(server: MockModelServer) -> None:
    async with (
        aiohttp.ClientSession(timeout=CLIENT_TIMEOUT) as session,
        session.post(f"{server.url}/embeddings", json={}) as resp,
    ):
        assert resp.status == 404
        body = await resp.json()
    assert body["error"]["code"] == "unknown_url"


async def test_control_api(server: MockModelServer, client: AsyncOpenAI) -> None:
    base = f"{root(server)}/_mock"
    async with aiohttp.ClientSession(timeout=CLIENT_TIMEOUT) as session:
        async with session.get(f"{base}/health") as resp:
            health: dict[str, Any] = await resp.json()
        assert health == {"status": "ok", "url": server.url, "queued": 0, "requests": 0}

        scripts = [
            text_response("first").model_dump(mode="json"),
            tool_call_response("shell", {"command": ["ls"]}, call_id="call_c").model_dump(
                mode="json"
            ),
        ]
        async with session.post(f"{base}/enqueue", json=scripts) as resp:
            assert resp.status == 200
            assert await resp.json() == {"enqueued": 2, "queued": 2}
        single = {"items": [{"type": "message", "text": "third"}]}
        async with session.post(f"{base}/enqueue", json=single) as resp:
            assert (await resp.json())["queued"] == 3
        async with session.post(f"{base}/enqueue", json={"items": [{"type": "?"}]}) as resp:
            assert resp.status == 400
            assert "invalid script" in (await resp.json())["error"]["message"]

        texts = []
        for _ in range(3):
            stream = await within(client.responses.create(model="m", input="q", stream=True))
            final = (await collect(stream))[-1]
            assert final.type == "response.completed"
            texts.append(final.response.output_text)
        assert texts == ["first", "", "third"]

        async with session.get(f"{base}/requests") as resp:
            recorded: list[dict[str, Any]] = await resp.json()
        assert len(recorded) == 3
        assert recorded[0]["body"]["input"] == "q" and recorded[0]["wire"] == "responses"
        assert recorded[0]["headers"]["authorization"] == "Bearer test-key"
        assert {"received_at", "client_disconnected", "query", "path"} <= recorded[0].keys()

        default = {"items": [{"type": "message", "text": "from default"}]}
        async with session.post(f"{base}/default", json=default) as resp:
            assert resp.status == 200
        async with session.post(f"{base}/reset") as resp:
            assert await resp.json() == {"ok": True}
        async with session.get(f"{base}/requests") as resp:
            assert await resp.json() == []
    stream = await within(client.responses.create(model="m", input="q", stream=True))
    final = (await collect(stream))[-1]
    assert final.type == "response.completed"
    assert final.response.output_text == "from default"


async def test_wait_for_requests_times_out(server: MockModelServer) -> None:
    with pytest.raises(TimeoutError):
        await server.wait_for_requests(1, timeout=0.05)


async def test_stop_ends_hanging_stream_promptly(
    server: MockModelServer, client: AsyncOpenAI
) -> None:
    server.enqueue(hang_response(3))
    stream = await within(client.responses.create(model="m", input="x", stream=True))

    async def consume() -> None:
        async for _ in stream:
            pass

    consumer = asyncio.create_task(consume())
    await server.wait_for_requests(1)
    await asyncio.sleep(0.1)
    start = time.monotonic()
    await within(server.stop())
    assert time.monotonic() - start < 3.0
    with pytest.raises(openai.APIConnectionError):
        await within(consumer)


async def test_restart_after_stop() -> None:
    server = MockModelServer()
    await server.start()
    await server.stop()
    await server.start()
    try:
        assert server.url.startswith("http://127.0.0.1:")
    finally:
        await server.stop()


def test_thread_mode_with_sync_client() -> None:
    server = MockModelServer(default=MockResponse()).start_in_thread()
    try:
        server.enqueue(text_response("from a thread"))
        sdk = openai.OpenAI(base_url=server.url, api_key="x", max_retries=0, timeout=TIMEOUT)
        with sdk:
            events = list(sdk.responses.create(model="m", input="x", stream=True))
            last = events[-1]
            assert last.type == "response.completed"
            assert last.response.output_text == "from a thread"
            chunks = list(
                sdk.chat.completions.create(
                    model="m", messages=[{"role": "user", "content": "x"}], stream=True
                )
            )
            assert chunks[-1].choices[0].finish_reason == "stop"
        records = server.wait_for_requests_sync(2, timeout=TIMEOUT)
        assert [r.wire for r in records] == ["responses", "chat"]
    finally:
        server.stop_thread()
    with pytest.raises(openai.APIConnectionError):
        openai.OpenAI(base_url=server.url, api_key="x", max_retries=0, timeout=2).models.list()
