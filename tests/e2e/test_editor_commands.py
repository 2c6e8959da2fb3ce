"""`workspace/executeCommand`: the agent driven by an editor with no plugin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException

from codex_lsp.mock_model import (
    MockModelServer,
    custom_tool_call_response,
    hang_response,
    text_response,
)
from tests.conftest import ClientFactory
from tests.e2e.editor_helpers import Editor, model_text
from tests.lsp_client import CodexClient

COMMANDS = [
    "codex.ask",
    "codex.clearReview",
    "codex.compact",
    "codex.interrupt",
    "codex.login",
    "codex.newThread",
    "codex.resumeThread",
    "codex.revert",
    "codex.review",
    "codex.undoTurn",
]


async def run(client: CodexClient, command: str, *arguments: Any) -> Any:
    """`workspace/executeCommand`; the result as plain JSON."""
    params = lsp.ExecuteCommandParams(command=command, arguments=list(arguments))
    return await client.request(lsp.WORKSPACE_EXECUTE_COMMAND, params)


async def error_of(client: CodexClient, command: str, *arguments: Any) -> JsonRpcException:
    with pytest.raises(JsonRpcException) as err:
        await run(client, command, *arguments)
    return err.value


def loc_of(err: JsonRpcException) -> Any:
    """The field a -32602 error names."""
    data: Any = err.data
    return data["errors"][0]["loc"]


async def test_commands_are_advertised(client: CodexClient) -> None:
    provider = client.initialize_result.capabilities.execute_command_provider
    assert sorted(provider.commands) == COMMANDS


async def test_new_thread_then_ask_about_a_range(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    path = workspace / "calc.py"
    path.write_text("def add(a, b):\n    return a - b\n\n\nprint(add(1, 2))\n")
    editor = Editor()
    client = await make_client(capabilities="neovim@v0.10.0", before_start=editor.install)
    editor.open(path, "python")
    editor.edit(path, (1, 13), (1, 14), "*")  # unsaved: `a * b`
    thread_id = await run(client, "codex.newThread", {"cwd": str(workspace)})
    assert isinstance(thread_id, str)
    started = await client.wait_for("codex/thread/started")
    assert started["thread"]["id"] == thread_id and started["thread"]["cwd"] == str(workspace)
    mock_model.enqueue(text_response("It multiplies."))
    rng = {"start": {"line": 0, "character": 0}, "end": {"line": 2, "character": 0}}
    result = await run(
        client, "codex.ask", {"text": "Is this right?", "uri": path.as_uri(), "range": rng}
    )
    assert result["threadId"] == thread_id
    done = await client.wait_for(
        "codex/turn/completed", lambda p: p["turn"]["id"] == result["turnId"]
    )
    assert done["turn"]["status"] == "completed"
    sent = model_text(mock_model.requests[0].body)
    assert "Is this right?" in sent
    assert "return a * b" in sent and "print(add" not in sent


async def test_ask_without_a_thread_starts_one(
    client: CodexClient, mock_model: MockModelServer
) -> None:
    mock_model.enqueue(text_response("one"), text_response("two"))
    first = await run(client, "codex.ask", {"text": "hello"})
    await client.wait_for("codex/turn/completed", lambda p: p["turn"]["id"] == first["turnId"])
    # The next ask goes to the same (current) thread.
    second = await run(client, "codex.ask", {"text": "again"})
    assert second["threadId"] == first["threadId"]
    await client.wait_for("codex/turn/completed", lambda p: p["turn"]["id"] == second["turnId"])
    assert len(client.of("codex/thread/started")) == 1


async def test_interrupt_the_current_turn(client: CodexClient, mock_model: MockModelServer) -> None:
    mock_model.enqueue(hang_response(after_events=4))
    asked = await run(client, "codex.ask", {"text": "take your time"})
    await mock_model.wait_for_requests(1)
    result = await run(client, "codex.interrupt")
    assert result == asked
    done = await client.wait_for(
        "codex/turn/completed", lambda p: p["turn"]["id"] == asked["turnId"]
    )
    assert done["turn"]["status"] == "interrupted"
    await client.wait_for("codex/thread/status/changed", lambda p: p["status"]["type"] == "idle")
    assert await run(client, "codex.interrupt", {"threadId": asked["threadId"]}) is None


async def test_resume_thread_makes_it_current(
    make_client: ClientFactory, mock_model: MockModelServer
) -> None:
    first = await make_client()
    mock_model.enqueue(text_response("first answer"))
    asked = await run(first, "codex.ask", {"text": "first question"})
    await first.wait_for("codex/turn/completed")
    await first.stop()

    second = await make_client()
    thread = await run(second, "codex.resumeThread", {"threadId": asked["threadId"]})
    assert thread["id"] == asked["threadId"]
    assert [t["id"] for t in thread["turns"]] == [asked["turnId"]]
    mock_model.enqueue(text_response("second answer"))
    again = await run(second, "codex.ask", {"text": "second question"})
    assert again["threadId"] == asked["threadId"]
    await second.wait_for("codex/turn/completed")
    assert "first answer" in model_text(mock_model.requests[-1].body)


async def test_login_is_the_account_login(client: CodexClient) -> None:
    result = await run(client, "codex.login", {"apiKey": "sk-test-command-login"})
    assert result == {"type": "apiKey"}
    await client.wait_for("codex/account/login/completed")
    account = await client.request("codex/account/read", {})
    assert account["account"] == {"type": "apiKey"}
    err = await error_of(client, "codex.login", {"apiKey": "  "})
    assert err.code == -32602 and loc_of(err) == ["apiKey"]


@pytest.mark.parametrize(
    ("command", "arguments", "loc"),
    [
        ("codex.ask", [{}], ["text"]),
        ("codex.ask", [{"text": "x", "range": {}}], ["range", "start"]),
        ("codex.ask", [{"text": "x", "uri": "file:///nope/missing.py"}], ["uri"]),
        ("codex.ask", [{"text": "x"}, {"text": "y"}], []),
        ("codex.ask", ["text"], []),
        ("codex.ask", [{"text": "x", "threadId": "not-a-thread"}], ["threadId"]),
        ("codex.newThread", [{"cwd": 5}], ["cwd"]),
        ("codex.resumeThread", [{}], ["threadId"]),
        ("codex.interrupt", [], ["threadId"]),
        ("codex.login", [{}], ["apiKey"]),
    ],
)
async def test_bad_arguments_name_the_field(
    client: CodexClient, command: str, arguments: list[Any], loc: list[Any]
) -> None:
    err = await error_of(client, command, *arguments)
    assert err.code == -32602
    assert loc_of(err) == loc


async def test_review_outside_a_repository_names_the_target(client: CodexClient) -> None:
    err = await error_of(client, "codex.review", {})
    assert err.code == -32602 and "not in a git repository" in err.message
    assert isinstance(err.data, dict) and err.data["errors"][0]["loc"] == ["target"]
    assert client.of("codex/thread/started") == []  # no thread is left behind


async def test_undo_turn_restores_the_files(
    client: CodexClient, mock_model: MockModelServer, workspace: Path
) -> None:
    (workspace / "a.txt").write_text("before\n")
    patch = "*** Begin Patch\n*** Update File: a.txt\n@@\n-before\n+after\n*** End Patch"
    mock_model.enqueue(
        custom_tool_call_response("apply_patch", patch, call_id="p1"), text_response("done")
    )
    thread_id = await run(client, "codex.newThread", {"cwd": str(workspace)})
    await client.request("codex/thread/resume", {"threadId": thread_id, "approvalPolicy": "never"})
    asked = await run(client, "codex.ask", {"text": "edit"})
    await client.wait_for("codex/turn/completed", lambda p: p["turn"]["id"] == asked["turnId"])
    assert (workspace / "a.txt").read_text() == "after\n"
    await run(client, "codex.undoTurn", {"turnId": asked["turnId"]})
    assert (workspace / "a.txt").read_text() == "before\n"
