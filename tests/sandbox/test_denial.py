"""`looks_like_sandbox_denial`."""

from __future__ import annotations

from pathlib import Path

from codex_lsp.core.sandbox import looks_like_sandbox_denial, plan_for
from codex_lsp.protocol.sandbox import DangerFullAccessSandbox, WorkspaceWriteSandbox


def test_denials(workspace: Path) -> None:
    off = plan_for(WorkspaceWriteSandbox(), workspace)
    on = plan_for(WorkspaceWriteSandbox(network_access=True), workspace)
    assert looks_like_sandbox_denial(1, "touch: cannot touch '/x': Permission denied", off)
    assert looks_like_sandbox_denial(1, "OSError: [Errno 30] Read-only file system", on)
    assert looks_like_sandbox_denial(2, "ls: Operation not permitted")
    assert looks_like_sandbox_denial(1, "OSError: [Errno 101] Network is unreachable", off)
    assert looks_like_sandbox_denial(7, "curl: (7) Connection refused", off)
    assert not looks_like_sandbox_denial(7, "curl: (7) Connection refused", on)
    assert not looks_like_sandbox_denial(1, "Network is unreachable")  # network unknown
    assert not looks_like_sandbox_denial(0, "Permission denied", off)
    assert not looks_like_sandbox_denial(127, "bash: foo: command not found", off)
    assert not looks_like_sandbox_denial(1, "AssertionError: 1 != 2", off)
    danger = plan_for(DangerFullAccessSandbox(), workspace)
    assert not looks_like_sandbox_denial(1, "Permission denied", danger)
