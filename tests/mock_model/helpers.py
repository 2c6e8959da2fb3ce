"""Shared helpers for the mock model tests: bounded waits, SDK clients, raw SSE reading."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable
from typing import Any, TypeVar

import aiohttp
from openai import AsyncOpenAI

from codex_lsp.mock_model import MockModelServer

T = TypeVar("T")
TIMEOUT = 10.0


async def within(awaitable: Awaitable[T], limit: float = TIMEOUT) -> T:
    """Await with a time limit (every wait in these tests is bounded)."""
    return await asyncio.wait_for(awaitable, limit)


async def collect(stream: AsyncIterator[T], limit: float = TIMEOUT) -> list[T]:
    """Drain an async iterator, bounded by ``limit`` seconds."""

    async def drain() -> list[T]:
        return [item async for item in stream]

    return await within(drain(), limit)


def make_client(server: MockModelServer, *, strict: bool = True) -> AsyncOpenAI:
    """An SDK client for ``server``; ``strict`` validates every event against the SDK types."""
    return AsyncOpenAI(
        base_url=server.url,
        api_key="test-key",
        max_retries=0,
        timeout=TIMEOUT,
        _strict_response_validation=strict,
    )


async def raw_sse(url: str, body: dict[str, Any]) -> list[tuple[str | None, str]]:
    """POST ``body`` and return the raw ``(event, data)`` pairs of the SSE stream."""
    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.post(url, json=body) as resp,
    ):
        assert resp.status == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        text = await resp.text()
    events: list[tuple[str | None, str]] = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        event: str | None = None
        data: list[str] = []
        for line in block.split("\n"):
            if line.startswith("event: "):
                event = line[len("event: ") :]
            elif line.startswith("data: "):
                data.append(line[len("data: ") :])
        events.append((event, "\n".join(data)))
    return events


def json_events(pairs: list[tuple[str | None, str]]) -> list[dict[str, Any]]:
    """Parse the data of raw SSE pairs (skipping ``[DONE]``)."""
    return [json.loads(data) for _, data in pairs if data != "[DONE]"]
