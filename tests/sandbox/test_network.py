"""Network off: a listener on the host's 127.0.0.1 is unreachable; on: reachable."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from codex_lsp.core.sandbox import looks_like_sandbox_denial, plan_for
from codex_lsp.protocol.sandbox import ReadOnlySandbox, WorkspaceWriteSandbox

from .helpers import PYTHON, require_enforcement, run


@pytest.fixture
def listener() -> Iterator[int]:
    """A TCP listener on 127.0.0.1 in the test process; yields its port."""
    server = socket.create_server(("127.0.0.1", 0))
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


def connect_code(port: int) -> str:
    return f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=5); print('ok')"


@pytest.mark.parametrize("mode", ["workspace-write", "read-only"])
async def test_network_off_blocks_loopback(listener: int, workspace: Path, mode: str) -> None:
    policy = WorkspaceWriteSandbox() if mode == "workspace-write" else ReadOnlySandbox()
    plan = plan_for(policy, workspace)
    require_enforcement(plan)
    result = await run([PYTHON, "-c", connect_code(listener)], cwd=workspace, plan=plan)
    assert result.exit_code != 0
    assert "ok" not in result.output
    assert looks_like_sandbox_denial(result.exit_code, result.output, plan), result.output


async def test_network_on_reaches_loopback(listener: int, workspace: Path) -> None:
    plan = plan_for(WorkspaceWriteSandbox(network_access=True), workspace)
    require_enforcement(plan)
    result = await run([PYTHON, "-c", connect_code(listener)], cwd=workspace, plan=plan)
    assert (result.exit_code, result.output) == (0, "ok\n")
    unsandboxed = await run([PYTHON, "-c", connect_code(listener)], cwd=workspace, plan=None)
    assert (unsandboxed.exit_code, unsandboxed.output) == (0, "ok\n")
