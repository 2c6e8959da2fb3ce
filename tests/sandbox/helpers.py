"""Helpers for the sandbox tests: run a command to completion with timeouts (killed by
PID in a `finally`), check process liveness through /proc, skip without a backend."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from codex_lsp.core.sandbox import Backend, SandboxPlan, Spawned, detect_backend, spawn

TIMEOUT_S = 10.0
PYTHON = sys.executable


@dataclass
class Run:
    """The result of a finished command."""

    exit_code: int
    output: str


def kill_group(spawned: Spawned) -> None:
    """Last resort in a `finally`: SIGKILL the process group by its id."""
    with contextlib.suppress(OSError):
        os.killpg(spawned.pgid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        os.kill(spawned.pid, signal.SIGKILL)


async def run(
    argv: Sequence[str],
    *,
    cwd: Path | str,
    plan: SandboxPlan | None,
    backend: Backend | None = None,
    env: dict[str, str] | None = None,
) -> Run:
    """Spawn `argv`, read all its output and wait, each step with a timeout."""
    spawned = await spawn(argv, cwd=str(cwd), plan=plan, backend=backend, env=env)
    try:
        output = await asyncio.wait_for(spawned.read_output(1_000_000), TIMEOUT_S)
        code = await asyncio.wait_for(spawned.wait(), TIMEOUT_S)
        return Run(code, output)
    finally:
        if spawned.returncode is None:
            kill_group(spawned)
        spawned.close()


def proc_alive(pid: int) -> bool:
    """Independent of the code under test: /proc/<pid>/stat exists and is no zombie."""
    try:
        data = Path(f"/proc/{pid}/stat").read_bytes()
    except (FileNotFoundError, ProcessLookupError):  # ESRCH: it exited while being read
        return False
    return data[data.rfind(b")") + 2 : data.rfind(b")") + 3] not in (b"Z", b"X")


def session_of(pid: int) -> int:
    """The session id of `pid` (field 6 of /proc/<pid>/stat)."""
    data = Path(f"/proc/{pid}/stat").read_bytes()
    return int(data[data.rfind(b")") + 2 :].split()[3])


def require_enforcement(plan: SandboxPlan, backend: Backend | None = None) -> Backend:
    """The backend, or skip the test when it cannot enforce `plan` here."""
    chosen = backend if backend is not None else detect_backend()
    gap = chosen.enforcement_gap(plan)
    if gap is not None:
        pytest.skip(gap)
    return chosen
