"""Shared fixtures: a mock model on 127.0.0.1, a CODEX_HOME, and a connected server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from codex_lsp.mock_model import MockModelServer
from tests.lsp_client import CodexClient, mock_config


@pytest.fixture
async def mock_model() -> AsyncIterator[MockModelServer]:
    """The mock model API, on a free loopback port."""
    server = MockModelServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """The editor's workspace folder."""
    path = tmp_path / "workspace"
    path.mkdir()
    return path


@pytest.fixture
def codex_home(tmp_path: Path, mock_model: MockModelServer) -> Path:
    """A CODEX_HOME whose config points at the mock model."""
    home = tmp_path / "codex-home"
    home.mkdir()
    (home / "config.toml").write_text(mock_config(mock_model.url))
    return home


ClientFactory = Callable[..., Awaitable[CodexClient]]


@pytest.fixture
async def make_client(codex_home: Path, workspace: Path) -> AsyncIterator[ClientFactory]:
    """Start servers on demand; every one is stopped (by PID if need be) at the end."""
    started: list[CodexClient] = []

    async def make(**kwargs: Any) -> CodexClient:
        before_start = kwargs.pop("before_start", None)
        client = CodexClient(kwargs.pop("home", codex_home), workspace, **kwargs)
        started.append(client)
        if before_start is not None:
            before_start(client)
        await client.start()
        return client

    try:
        yield make
    finally:
        for client in started:
            await client.stop()


@pytest.fixture
async def client(make_client: ClientFactory) -> CodexClient:
    """One connected server."""
    return await make_client()
