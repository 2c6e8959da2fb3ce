"""Fixtures: a started MockModelServer and openai SDK clients pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from openai import AsyncOpenAI

from codex_lsp.mock_model import MockModelServer

from .helpers import make_client


@pytest.fixture
async def server() -> AsyncIterator[MockModelServer]:
    """A started server on a free loopback port."""
    async with MockModelServer() as srv:
        yield srv


@pytest.fixture
async def client(server: MockModelServer) -> AsyncIterator[AsyncOpenAI]:
    """A client that strictly validates every response/event against the SDK's types."""
    sdk = make_client(server)
    try:
        yield sdk
    finally:
        await sdk.close()


@pytest.fixture
async def lenient_client(server: MockModelServer) -> AsyncIterator[AsyncOpenAI]:
    """A client with the SDK's default (non-strict) parsing."""
    sdk = make_client(server, strict=False)
    try:
        yield sdk
    finally:
        await sdk.close()
