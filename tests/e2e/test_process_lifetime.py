"""No process started for a thread outlives the server (PROTOCOL.md): a command that left
children, grandchildren, orphans and processes in sessions of their own dies with the
server, whether the server is SIGKILLed (no cleanup at all), SIGTERMed or sees its stdin
close. Covered for the `shell` tool, an `exec_command` PTY session and a user shell
command (`codex/thread/shellCommand`), each through the real server process.

Processes are found by a marker in their argv (a `sleep` duration unique to the test),
plus the launcher that started the command (the parent of its top process); a pid counts
as the same process only while its start time is unchanged."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from codex_lsp.mock_model import MockModelServer, text_response, tool_call_response
from tests.conftest import ClientFactory
from tests.lsp_client import CodexClient

# Processes must be gone this long after the server is (PROTOCOL acceptance).
GONE_WITHIN_S = 2.0
STARTED_WITHIN_S = 8.0
# The command's tree: a background child, a child in a session of its own, an orphan
# (its parent subshell exits at once) and an orphan in a session of its own, then the
# foreground sleep (not exec'd in place of the shell: a command follows it). Six
# processes carry the marker: the shell and five sleeps.
EXPECTED = 6

pytestmark = pytest.mark.skipif(
    not os.path.isdir("/proc/self/task"), reason="needs Linux /proc to find the processes"
)


def tree_script(marker: str) -> str:
    return (
        f"sleep {marker} & setsid sleep {marker} & (sleep {marker} &); "
        f"(setsid sleep {marker} &); echo started; sleep {marker}; echo finished"
    )


def new_marker() -> str:
    """A `sleep` duration no other process uses: 299.<random digits> seconds."""
    return f"299.{secrets.randbelow(10**9):09d}"


Proc = tuple[int, int]  # pid, start time (clock ticks since boot)


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, start time) of `pid`, or None when it is gone."""
    try:
        data = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    fields = data[data.rfind(b")") + 2 :].split()
    return fields[0].decode(), int(fields[1]), int(fields[19])


def with_marker(marker: str) -> list[Proc]:
    """Live processes whose argv contains `marker`."""
    found: list[Proc] = []
    needle = marker.encode()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            argv = Path(f"/proc/{name}/cmdline").read_bytes()
        except OSError:
            continue
        if needle in argv:
            stat = _stat(int(name))
            if stat is not None and stat[0] != "Z":
                found.append((int(name), stat[2]))
    return found


def alive(procs: list[Proc]) -> list[Proc]:
    """The processes of `procs` that still run (the same pid and start time, no zombie)."""
    left: list[Proc] = []
    for pid, started in procs:
        stat = _stat(pid)
        if stat is not None and stat[2] == started and stat[0] != "Z":
            left.append((pid, started))
    return left


async def running_tree(marker: str) -> list[Proc]:
    """The command's processes once all of them run, plus the launcher above them."""
    deadline = time.monotonic() + STARTED_WITHIN_S
    procs = with_marker(marker)
    while len(procs) < EXPECTED and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        procs = with_marker(marker)
    assert len(procs) >= EXPECTED, f"the command did not start: {procs}"
    pids = {pid for pid, _ in procs}
    parents: set[Proc] = set()
    for pid, _ in procs:
        stat = _stat(pid)
        if stat is not None and stat[1] not in pids and stat[1] > 1:
            parent = _stat(stat[1])
            if parent is not None:
                parents.add((stat[1], parent[2]))  # the launcher, or the server itself
    procs.extend(sorted(parents))
    return procs


async def gone(procs: list[Proc], marker: str) -> list[Proc]:
    """Poll until none of `procs` and nothing with `marker` runs, or `GONE_WITHIN_S`."""
    deadline = time.monotonic() + GONE_WITHIN_S
    while True:
        left = alive(procs) + [p for p in with_marker(marker) if p not in procs]
        if not left or time.monotonic() >= deadline:
            return left
        await asyncio.sleep(0.02)


def kill_leftovers(procs: list[Proc], marker: str) -> None:
    """Clean up after a failed test (by pid, only the processes found)."""
    for pid, _ in alive(procs) + with_marker(marker):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


# --- how each kind of command is started --------------------------------------------


async def start_shell_tool(client: CodexClient, mock_model: MockModelServer, marker: str) -> None:
    mock_model.enqueue(
        tool_call_response(
            "shell",
            {"command": ["bash", "-c", tree_script(marker)], "timeout_ms": 120_000},
            call_id="call_1",
        )
    )
    thread = (await client.start_thread(approvalPolicy="never"))["thread"]["id"]
    await client.request(
        "codex/turn/start", {"threadId": thread, "input": [{"type": "text", "text": "run"}]}
    )


async def start_exec_session(client: CodexClient, mock_model: MockModelServer, marker: str) -> None:
    args = {"cmd": tree_script(marker), "login": False, "yield_time_ms": 300}
    mock_model.enqueue(
        tool_call_response("exec_command", args, call_id="e1"), text_response("running")
    )
    thread = (await client.start_thread(approvalPolicy="never"))["thread"]["id"]
    turn = await client.turn(thread, "start it")
    assert turn["status"] == "completed"


async def start_user_shell(client: CodexClient, mock_model: MockModelServer, marker: str) -> None:
    thread = (await client.start_thread())["thread"]["id"]
    await client.request(
        "codex/thread/shellCommand",
        {"threadId": thread, "command": tree_script(marker), "timeoutMs": 120_000},
    )


Starter = Callable[[CodexClient, MockModelServer, str], Awaitable[None]]
KINDS: dict[str, Starter] = {
    "shell-tool": start_shell_tool,
    "exec-session": start_exec_session,
    "user-shell": start_user_shell,
}


# --- how the server ends ---------------------------------------------------------------


async def wait_exit(client: CodexClient) -> None:
    server = client.lc._server
    assert server is not None
    await asyncio.wait_for(server.wait(), 10.0)


async def end_by_sigkill(client: CodexClient) -> None:
    os.kill(client.pid, signal.SIGKILL)
    await wait_exit(client)


async def end_by_sigterm(client: CodexClient) -> None:
    os.kill(client.pid, signal.SIGTERM)
    await wait_exit(client)


async def end_by_stdin_eof(client: CodexClient) -> None:
    server = client.lc._server
    assert server is not None and server.stdin is not None
    server.stdin.close()
    await wait_exit(client)


ENDINGS: dict[str, Callable[[CodexClient], Awaitable[None]]] = {
    "sigkill": end_by_sigkill,
    "sigterm": end_by_sigterm,
    "stdin-eof": end_by_stdin_eof,
}


@pytest.mark.parametrize("ending", list(ENDINGS))
@pytest.mark.parametrize("kind", list(KINDS))
async def test_nothing_outlives_the_server(
    make_client: ClientFactory, mock_model: MockModelServer, kind: str, ending: str
) -> None:
    marker = new_marker()
    client = await make_client()
    procs: list[Proc] = []
    try:
        await KINDS[kind](client, mock_model, marker)
        procs = await running_tree(marker)
        server_pid = client.pid
        assert all(pid != server_pid for pid, _ in procs[:EXPECTED])
        await ENDINGS[ending](client)
        left = await gone([p for p in procs if p[0] != server_pid], marker)
        assert left == [], f"still running {GONE_WITHIN_S} s after the server ended: {left}"
    finally:
        kill_leftovers(procs, marker)
