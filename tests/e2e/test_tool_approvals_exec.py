"""`exec_command` asks for approval as `shell` does, through the real server and both
approval transports (`codex/item/commandExecution/requestApproval` for clients with
approvals, `window/showMessageRequest` for plain LSP clients)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as lsp

from codex_lsp.mock_model import MockModelServer, MockResponse, text_response, tool_call_response
from tests.conftest import ClientFactory
from tests.e2e.tool_helpers import Answers, tool_outputs

APPROVAL = "codex/item/commandExecution/requestApproval"
TITLES = {
    "accept": "Run",
    "acceptForSession": "Run and don't ask again",
    "decline": "Decline",
    "cancel": "Stop turn",
}


def exec_command(cmd: str, call_id: str = "call_1", **extra: Any) -> MockResponse:
    # Not a login shell: the machine's profile can be slow; approvals are the same.
    args = {"cmd": cmd, "login": False, "yield_time_ms": 5000, **extra}
    return tool_call_response("exec_command", args, call_id=call_id)


def _answer(answers: Answers, decision: str) -> None:
    answers.decisions.append(decision)
    answers.titles.append(TITLES[decision])


@pytest.mark.parametrize("custom", [True, False], ids=["custom-requests", "showMessageRequest"])
async def test_exec_command_under_untrusted_asks_first(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path, custom: bool
) -> None:
    answers = Answers()
    client = await make_client(
        codex_caps={"approvals": custom, "deltas": True}, before_start=answers.install
    )
    thread = (await client.start_thread(approvalPolicy="untrusted"))["thread"]["id"]

    # decline: nothing runs; the model is told and the turn goes on.
    _answer(answers, "decline")
    mock_model.enqueue(exec_command("touch x"), text_response("understood"))
    turn = await client.turn(thread, "touch x")
    assert turn["status"] == "completed"
    assert not (workspace / "x").exists()
    cmd = next(i for i in turn["items"] if i["type"] == "commandExecution")
    assert cmd["status"] == "declined"
    assert "declined" in tool_outputs(mock_model.requests[-1].body)[-1]
    ((method, asked),) = answers.requests
    if custom:
        assert method == APPROVAL
        assert asked["command"] == "touch x" and asked["cwd"] == str(workspace)
        assert asked["itemId"] == cmd["id"] and asked["threadId"] == thread
    else:
        assert method == lsp.WINDOW_SHOW_MESSAGE_REQUEST
        assert asked.type == lsp.MessageType.Warning
        assert "touch x" in asked.message and str(workspace) in asked.message
        # The fifth action remembers the proposed rule (tests/e2e/test_exec_rules.py).
        assert [a.title for a in asked.actions] == [
            *TITLES.values(),
            'Run and always allow "touch x"',
        ]

    # A known-safe command runs without asking.
    mock_model.enqueue(exec_command("echo safe-output && ls"), text_response("ok"))
    turn = await client.turn(thread, "look")
    cmd = next(i for i in turn["items"] if i["type"] == "commandExecution")
    assert cmd["status"] == "completed" and "safe-output" in cmd["aggregatedOutput"]
    assert len(answers.requests) == 1

    # acceptForSession: asked once for the same command, both calls run.
    _answer(answers, "acceptForSession")
    mock_model.enqueue(
        exec_command("touch y; echo $((n=$(cat n 2>/dev/null || echo 0)+1)) > n", "c1"),
        exec_command("touch y; echo $((n=$(cat n 2>/dev/null || echo 0)+1)) > n", "c2"),
        text_response("ok"),
    )
    turn = await client.turn(thread, "twice")
    assert turn["status"] == "completed"
    assert len(answers.requests) == 2
    assert [i["status"] for i in turn["items"] if i["type"] == "commandExecution"] == [
        "completed",
        "completed",
    ]
    assert (workspace / "y").exists() and (workspace / "n").read_text() == "2\n"

    # cancel: declines and interrupts the turn.
    _answer(answers, "cancel")
    mock_model.enqueue(exec_command("touch z"), text_response("never sent"))
    turn = await client.turn(thread, "cancel me")
    assert turn["status"] == "interrupted" and not (workspace / "z").exists()
    resolved = client.of("codex/serverRequest/resolved")
    assert len(resolved) == len(answers.requests) == 3


async def test_exec_command_escalation_follows_the_policy(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    answers = Answers()
    client = await make_client(codex_caps={"approvals": True}, before_start=answers.install)
    on_request = (await client.start_thread(approvalPolicy="on-request"))["thread"]["id"]
    answers.decisions.append("decline")
    mock_model.enqueue(
        exec_command(
            "touch esc", with_escalated_permissions=True, justification="needs to write there"
        ),
        text_response("ok"),
    )
    turn = await client.turn(on_request, "escalate")
    cmd = next(i for i in turn["items"] if i["type"] == "commandExecution")
    assert cmd["status"] == "declined" and not (workspace / "esc").exists()
    ((_method, asked),) = answers.requests
    assert asked["reason"] == "needs to write there"

    never = (await client.start_thread(approvalPolicy="never"))["thread"]["id"]
    mock_model.enqueue(
        exec_command("touch esc", with_escalated_permissions=True), text_response("ok")
    )
    turn = await client.turn(never, "escalate")
    cmd = next(i for i in turn["items"] if i["type"] == "commandExecution")
    assert cmd["status"] == "declined" and not (workspace / "esc").exists()
    assert "refused" in tool_outputs(mock_model.requests[-1].body)[-1]
    assert len(answers.requests) == 1


async def test_exec_command_under_danger_full_access_and_untrusted_still_asks(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    answers = Answers()
    client = await make_client(codex_caps={"approvals": True}, before_start=answers.install)
    thread = (await client.start_thread(approvalPolicy="untrusted", sandbox="danger-full-access"))[
        "thread"
    ]["id"]
    answers.decisions.append("accept")
    mock_model.enqueue(exec_command("touch full"), text_response("ok"))
    turn = await client.turn(thread, "touch")
    cmd = next(i for i in turn["items"] if i["type"] == "commandExecution")
    assert cmd["status"] == "completed" and (workspace / "full").exists()
    assert [m for m, _ in answers.requests] == [APPROVAL]
