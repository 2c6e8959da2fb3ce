"""The shell tool end to end: output streaming, approvals through each transport, the
sandbox, timeouts and interrupts, user shell commands."""

from __future__ import annotations

import asyncio
import json
import os
import socket
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as lsp

from codex_lsp.mock_model import MockModelServer, MockResponse, text_response, tool_call_response
from tests.conftest import ClientFactory
from tests.e2e.tool_helpers import Answers, tool_outputs
from tests.lsp_client import CodexClient


def shell(script: str, call_id: str = "call_1", **extra: Any) -> MockResponse:
    return tool_call_response(
        "shell", {"command": ["bash", "-c", script], **extra}, call_id=call_id
    )


async def test_command_runs_sandboxed_and_streams(
    client: CodexClient, mock_model: MockModelServer, workspace: Path
) -> None:
    mock_model.enqueue(shell("echo hello from the shell; echo more"), text_response("done"))
    thread = (await client.start_thread())["thread"]
    turn = await client.turn(thread["id"], "run it")
    assert turn["status"] == "completed"
    cmd = next(i for i in turn["items"] if i["type"] == "commandExecution")
    assert cmd["status"] == "completed" and cmd["exitCode"] == 0
    assert cmd["command"] == "echo hello from the shell; echo more"
    assert cmd["cwd"] == str(workspace)
    assert cmd["aggregatedOutput"] == "hello from the shell\nmore\n"
    deltas = [p["delta"] for p in client.of("codex/item/commandExecution/outputDelta")]
    assert "".join(deltas) == cmd["aggregatedOutput"]
    output = json.loads(tool_outputs(mock_model.requests[-1].body)[0])
    assert output["output"] == "hello from the shell\nmore\n"
    assert output["metadata"]["exit_code"] == 0
    tools = {t["name"] for t in mock_model.requests[0].body["tools"]}
    assert {"shell", "apply_patch", "read_file", "list_dir", "grep_files", "update_plan"} <= tools


@pytest.mark.parametrize("custom", [True, False], ids=["custom-requests", "showMessageRequest"])
async def test_command_approval_decisions(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path, custom: bool
) -> None:
    answers = Answers()
    client = await make_client(
        codex_caps={"approvals": custom, "deltas": True}, before_start=answers.install
    )
    thread = (await client.start_thread(approvalPolicy="untrusted"))["thread"]["id"]

    def answer(decision: str) -> None:
        answers.decisions.append(decision)
        titles = {
            "accept": "Run",
            "acceptForSession": "Run and don't ask again",
            "decline": "Decline",
            "cancel": "Stop turn",
        }
        answers.titles.append(titles[decision])

    # accept: runs.
    answer("accept")
    mock_model.enqueue(shell("touch accepted.txt"), text_response("ok"))
    turn = await client.turn(thread, "touch")
    assert turn["status"] == "completed" and (workspace / "accepted.txt").exists()
    # decline: does not run; the model is told and the turn goes on.
    answer("decline")
    mock_model.enqueue(shell("touch declined.txt"), text_response("understood"))
    turn = await client.turn(thread, "touch again")
    assert turn["status"] == "completed" and not (workspace / "declined.txt").exists()
    cmd = next(i for i in turn["items"] if i["type"] == "commandExecution")
    assert cmd["status"] == "declined"
    assert "declined" in tool_outputs(mock_model.requests[-1].body)[-1]
    # acceptForSession: asked once for the same argv and cwd.
    answer("acceptForSession")
    mock_model.enqueue(
        shell("touch session.txt", "c1"), shell("touch session.txt", "c2"), text_response("ok")
    )
    asked_before = len(answers.requests)
    turn = await client.turn(thread, "twice")
    assert turn["status"] == "completed"
    assert len(answers.requests) == asked_before + 1
    assert [i["status"] for i in turn["items"] if i["type"] == "commandExecution"] == [
        "completed",
        "completed",
    ]
    # cancel: declines and interrupts the turn.
    answer("cancel")
    mock_model.enqueue(shell("touch cancelled.txt"), text_response("never sent"))
    turn = await client.turn(thread, "cancel me")
    assert turn["status"] == "interrupted" and not (workspace / "cancelled.txt").exists()
    resolved = client.of("codex/serverRequest/resolved")
    assert len(resolved) == len(answers.requests) and all(r["threadId"] == thread for r in resolved)
    if not custom:
        first = answers.requests[0][1]
        assert first.type == lsp.MessageType.Warning
        assert "touch accepted.txt" in first.message and str(workspace) in first.message
        # The fifth action remembers the proposed rule (PROTOCOL.md "Approvals that inform
        # and remember"; tests/e2e/test_exec_rules.py).
        assert [a.title for a in first.actions] == [
            "Run",
            "Run and don't ask again",
            "Decline",
            "Stop turn",
            'Run and always allow "touch"',
        ]


async def test_dismissed_prompt_is_a_decline_and_status_shows_waiting(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    answers = Answers()
    client = await make_client(before_start=answers.install)
    thread = (await client.start_thread(approvalPolicy="untrusted"))["thread"]["id"]
    answers.titles.append(None)
    mock_model.enqueue(shell("touch nope.txt"), text_response("ok"))
    turn = await client.turn(thread, "x")
    assert turn["status"] == "completed" and not (workspace / "nope.txt").exists()
    flags = [p["status"].get("activeFlags") for p in client.of("codex/thread/status/changed")]
    assert ["waitingOnApproval"] in flags


async def test_workspace_write_never_blocks_outside_writes_and_network(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path, tmp_path: Path
) -> None:
    outside = Path(os.environ.get("HOME", "/root")) / f"codex-outside-{os.getpid()}"
    outside.mkdir(exist_ok=True)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    try:
        client = await make_client()
        thread = (await client.start_thread(approvalPolicy="never"))["thread"]["id"]
        target = outside / "escape.txt"
        probe = (
            f"python3 -c \"import socket; socket.create_connection(('127.0.0.1', {port}), 2)\""
            " && echo CONNECTED"
        )
        mock_model.enqueue(
            shell(f"echo x > {target}", "c1"),
            shell(probe, "c2"),
            shell("echo inside > inside.txt", "c3"),
            text_response("done"),
        )
        turn = await client.turn(thread, "try")
        cmds = [i for i in turn["items"] if i["type"] == "commandExecution"]
        assert cmds[0]["status"] == "failed" and not target.exists()
        assert cmds[1]["status"] == "failed" and "CONNECTED" not in cmds[1]["aggregatedOutput"]
        assert cmds[2]["status"] == "completed" and (workspace / "inside.txt").exists()
    finally:
        listener.close()
        for child in outside.iterdir():
            child.unlink()
        outside.rmdir()


async def test_network_allowed_when_configured(
    make_client: ClientFactory, mock_model: MockModelServer
) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    try:
        client = await make_client(init_options={"codex": {"networkAccess": True}})
        thread = (await client.start_thread(approvalPolicy="never"))["thread"]["id"]
        probe = (
            f"python3 -c \"import socket; socket.create_connection(('127.0.0.1', {port}), 2)\""
            " && echo CONNECTED"
        )
        mock_model.enqueue(shell(probe), text_response("done"))
        turn = await client.turn(thread, "net")
        cmd = next(i for i in turn["items"] if i["type"] == "commandExecution")
        assert cmd["status"] == "completed" and "CONNECTED" in cmd["aggregatedOutput"]
    finally:
        listener.close()


async def test_read_only_blocks_writes_in_cwd(
    client: CodexClient, mock_model: MockModelServer, workspace: Path
) -> None:
    thread = (await client.start_thread(approvalPolicy="never", sandbox="read-only"))["thread"]
    mock_model.enqueue(shell("echo x > blocked.txt"), text_response("done"))
    turn = await client.turn(thread["id"], "write")
    cmd = next(i for i in turn["items"] if i["type"] == "commandExecution")
    assert cmd["status"] == "failed" and not (workspace / "blocked.txt").exists()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


async def test_timeout_kills_the_process_tree(
    client: CodexClient, mock_model: MockModelServer, workspace: Path
) -> None:
    script = "(sleep 60 & echo $! > child.pid; wait) & echo $! > sub.pid; sleep 60"
    mock_model.enqueue(shell(script, timeout_ms=1500), text_response("done"))
    thread = (await client.start_thread(approvalPolicy="never"))["thread"]
    turn = await client.turn(thread["id"], "hang")
    cmd = next(i for i in turn["items"] if i["type"] == "commandExecution")
    assert cmd["status"] == "failed" and cmd["exitCode"] is None
    assert "timed out" in tool_outputs(mock_model.requests[-1].body)[0]
    pids = [int((workspace / name).read_text()) for name in ("child.pid", "sub.pid")]
    await asyncio.sleep(0.2)
    assert not any(_alive(pid) for pid in pids)


async def test_interrupt_kills_a_running_command(
    client: CodexClient, mock_model: MockModelServer, workspace: Path
) -> None:
    mock_model.enqueue(shell("echo started; sleep 60 & echo $! > bg.pid; wait"))
    thread = (await client.start_thread(approvalPolicy="never"))["thread"]["id"]
    started = await client.request(
        "codex/turn/start", {"threadId": thread, "input": [{"type": "text", "text": "x"}]}
    )
    turn_id = started["turn"]["id"]
    await client.wait_for("codex/item/commandExecution/outputDelta")
    for _ in range(50):
        if (workspace / "bg.pid").exists() and (workspace / "bg.pid").read_text().strip():
            break
        await asyncio.sleep(0.05)
    await client.request("codex/turn/interrupt", {"threadId": thread, "turnId": turn_id})
    done = await client.wait_for("codex/turn/completed", lambda p: p["turn"]["id"] == turn_id)
    assert done["turn"]["status"] == "interrupted"
    cmd = next(i for i in done["turn"]["items"] if i["type"] == "commandExecution")
    assert cmd["status"] == "failed" and cmd["exitCode"] is None
    assert cmd["aggregatedOutput"].startswith("started")
    await asyncio.sleep(0.2)
    assert not _alive(int((workspace / "bg.pid").read_text()))


async def test_user_shell_command_streams_and_stays_out_of_history(
    client: CodexClient, mock_model: MockModelServer
) -> None:
    thread = (await client.start_thread())["thread"]["id"]
    await client.request(
        "codex/thread/shellCommand", {"threadId": thread, "command": "echo from-the-user"}
    )
    done = await client.wait_for("codex/turn/completed")
    cmd = done["turn"]["items"][0]
    assert cmd["source"] == "userShell" and cmd["status"] == "completed"
    assert cmd["aggregatedOutput"] == "from-the-user\n"
    assert (
        "".join(p["delta"] for p in client.of("codex/item/commandExecution/outputDelta"))
        == "from-the-user\n"
    )
    mock_model.enqueue(text_response("ok"))
    await client.turn(thread, "next")
    assert "from-the-user" not in json.dumps(mock_model.requests[-1].body)


async def test_on_failure_asks_to_rerun_outside_the_sandbox(
    make_client: ClientFactory, mock_model: MockModelServer
) -> None:
    target = Path.home() / f"codex-on-failure-{os.getpid()}.txt"
    answers = Answers()
    answers.decisions.append("accept")
    client = await make_client(codex_caps={"approvals": True}, before_start=answers.install)
    try:
        thread = (await client.start_thread(approvalPolicy="on-failure"))["thread"]["id"]
        mock_model.enqueue(shell(f"echo x > {target}"), text_response("done"))
        turn = await client.turn(thread, "write outside")
        cmd = next(i for i in turn["items"] if i["type"] == "commandExecution")
        assert cmd["status"] == "completed" and target.read_text() == "x\n"
        ((_method, params),) = answers.requests
        assert "sandbox blocked" in params["reason"]
    finally:
        target.unlink(missing_ok=True)


async def test_escalation_request_is_asked_under_on_request(
    make_client: ClientFactory, mock_model: MockModelServer
) -> None:
    answers = Answers()
    answers.decisions.append("decline")
    client = await make_client(codex_caps={"approvals": True}, before_start=answers.install)
    thread = (await client.start_thread(approvalPolicy="on-request"))["thread"]["id"]
    mock_model.enqueue(
        shell("echo hi", with_escalated_permissions=True, justification="needs the network"),
        text_response("ok"),
    )
    turn = await client.turn(thread, "x")
    cmd = next(i for i in turn["items"] if i["type"] == "commandExecution")
    assert cmd["status"] == "declined"
    ((_method, params),) = answers.requests
    assert params["reason"] == "needs the network"


async def test_interrupt_abandons_a_pending_approval(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    asked = asyncio.Event()

    def never_answer(client: CodexClient) -> None:
        @client.lc.feature("codex/item/commandExecution/requestApproval")  # type: ignore[untyped-decorator]
        async def wait_forever(params: Any) -> dict[str, str]:
            asked.set()
            await asyncio.sleep(3600)
            return {"decision": "accept"}

    client = await make_client(codex_caps={"approvals": True}, before_start=never_answer)
    thread = (await client.start_thread(approvalPolicy="untrusted"))["thread"]["id"]
    mock_model.enqueue(shell("touch never.txt"))
    started = await client.request(
        "codex/turn/start", {"threadId": thread, "input": [{"type": "text", "text": "x"}]}
    )
    turn_id = started["turn"]["id"]
    await asyncio.wait_for(asked.wait(), 15)
    await client.request("codex/turn/interrupt", {"threadId": thread, "turnId": turn_id})
    done = await client.wait_for("codex/turn/completed", lambda p: p["turn"]["id"] == turn_id)
    assert done["turn"]["status"] == "interrupted"
    cmd = next(i for i in done["turn"]["items"] if i["type"] == "commandExecution")
    assert cmd["status"] == "failed"
    assert client.of("codex/serverRequest/resolved")
    assert not (workspace / "never.txt").exists()
    # The client answers the cancelled approval with an error (-32800); the server still
    # reads what comes next.
    read = await client.request("codex/thread/read", {"threadId": thread}, timeout=5)
    assert read["thread"]["id"] == thread


async def test_exec_command_sessions_end_with_the_server(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    client = await make_client()
    thread = (await client.start_thread(approvalPolicy="never"))["thread"]["id"]
    start = {
        "cmd": "echo $$ > shell.pid; echo ready; sleep 300",
        "login": False,
        "yield_time_ms": 500,
    }
    mock_model.enqueue(
        tool_call_response("exec_command", start, call_id="e1"),
        tool_call_response("write_stdin", {"session_id": 1, "chars": ""}, call_id="e2"),
        text_response("done"),
    )
    turn = await client.turn(thread, "start a session")
    assert turn["status"] == "completed"
    first, second = tool_outputs(mock_model.requests[-1].body)
    assert "session ID 1" in first and "ready" in first
    assert "session ID 1" in second
    pid = int((workspace / "shell.pid").read_text())
    assert _alive(pid)
    await client.stop()
    await asyncio.sleep(0.3)
    assert not _alive(pid)
