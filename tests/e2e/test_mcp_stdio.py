"""MCP over stdio, through the real server process and the mock model: a demo MCP server
(the SDK's `MCPServer`, its own process) is configured in config.toml; the model sees its
tools, calls them, and the results (text, structured, image) reach the next request;
progress notifications arrive; approvals follow the policy (a declined call never reaches
the server); the server's process dies with codex-lsp; a broken server never holds a turn.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pygls.exceptions import JsonRpcInvalidParams

from codex_lsp.mock_model import MockModelServer, text_response, tool_call_response
from tests.e2e.tool_helpers import Answers
from tests.lsp_client import TIMEOUT, mock_config
from tests.mcp.helpers import LoggingClient, calls, stdio_table

SERVER = "demo"


def write_config(home: Path, mock: MockModelServer, tables: str, **top: str) -> None:
    """config.toml: the mock model, top-level keys, then the MCP tables."""
    head = "".join(f"{key} = {json.dumps(value)}\n" for key, value in top.items())
    (home / "config.toml").write_text(head + mock_config(mock.url, extra="\n" + tables))


async def started(
    codex_home: Path,
    workspace: Path,
    tmp_path: Path,
    answers: Answers | None = None,
    **kwargs: Any,
) -> LoggingClient:
    """The real server (logging to `server.log`), answering approvals with `answers`."""
    client = LoggingClient(codex_home, workspace, tmp_path / "server.log", **kwargs)
    if answers is not None:
        answers.install(client)
    await client.start()
    return client


async def demo_ready(
    mock_model: MockModelServer,
    codex_home: Path,
    workspace: Path,
    tmp_path: Path,
    policy: str = "never",
    table: dict[str, Any] | None = None,
    **kwargs: Any,
) -> tuple[LoggingClient, Path]:
    """The demo stdio server configured (`table`: more keys) under approval `policy`, the
    server started and the demo ready; the client and the demo's calls log."""
    log = tmp_path / "calls.jsonl"
    tables = stdio_table(SERVER, log, **(table or {}))
    write_config(codex_home, mock_model, tables, approval_policy=policy)
    client = await started(codex_home, workspace, tmp_path, **kwargs)
    await client.startup(SERVER, "ready")
    return client, log


async def still_usable(client: LoggingClient, mock_model: MockModelServer, thread_id: str) -> None:
    """The demo server still answers a call."""
    mock_model.enqueue(
        tool_call_response("mcp__demo__echo", {"text": "again"}, call_id="c_again"),
        text_response("ok"),
    )
    turn = await client.turn(thread_id, "once more")
    assert mcp_items(turn)[0]["status"] == "completed"


async def demo_pid(client: LoggingClient, mock_model: MockModelServer, thread_id: str) -> int:
    """The demo server's process id (the model calls `whoami`)."""
    mock_model.enqueue(
        tool_call_response("mcp__demo__whoami", {}, call_id="c_pid"), text_response("ok")
    )
    turn = await client.turn(thread_id, "who are you")
    return int(mcp_items(turn)[0]["result"]["content"][0]["text"])


def tool_specs(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in body.get("tools", []) if t.get("type") == "function"}


def outputs(body: dict[str, Any]) -> dict[str, Any]:
    return {
        i["call_id"]: i["output"] for i in body["input"] if i.get("type") == "function_call_output"
    }


def mcp_items(turn: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for i in turn["items"] if i["type"] == "mcpToolCall"]


async def test_model_sees_calls_and_reads_stdio_tools(
    mock_model: MockModelServer, codex_home: Path, workspace: Path, tmp_path: Path
) -> None:
    log = tmp_path / "calls.jsonl"
    write_config(codex_home, mock_model, stdio_table(SERVER, log), approval_policy="never")
    client = await started(codex_home, workspace, tmp_path)
    try:
        await client.startup(SERVER, "starting")
        await client.startup(SERVER, "ready")
        status = (await client.statuses())[SERVER]
        assert status["runtimeStatus"] == {"status": "ready", "error": None}
        assert status["authStatus"] == "unsupported"
        assert set(status["tools"]) >= {"echo", "forecast", "picture", "steps"}
        assert status["tools"]["echo"]["annotations"]["readOnlyHint"] is True
        assert [r["uri"] for r in status["resources"]] == ["demo://readme"]
        assert (
            "codex/mcpServerStatus/list"
            in client.initialize_result.capabilities.experimental["codex"]["methods"]
        )

        mock_model.enqueue(
            tool_call_response("mcp__demo__echo", {"text": "hi"}, call_id="c_echo"),
            tool_call_response("mcp__demo__forecast", {"city": "Oslo"}, call_id="c_fc"),
            tool_call_response("mcp__demo__picture", {}, call_id="c_pic"),
            tool_call_response("mcp__demo__steps", {"count": 3}, call_id="c_steps"),
            text_response("done"),
        )
        thread = (await client.start_thread())["thread"]
        turn = await client.turn(thread["id"], "use the demo tools")
        assert turn["status"] == "completed"

        first = mock_model.requests[0].body
        specs = tool_specs(first)
        echo_spec = specs["mcp__demo__echo"]
        assert echo_spec["parameters"]["type"] == "object"
        assert echo_spec["parameters"]["properties"]["text"]["type"] == "string"
        assert echo_spec["parameters"]["required"] == ["text"]
        assert "title" not in echo_spec["parameters"]
        assert echo_spec["description"] == "Repeat the text."

        echo, forecast, picture, steps = mcp_items(turn)
        assert (echo["server"], echo["tool"], echo["status"]) == (SERVER, "echo", "completed")
        assert echo["arguments"] == {"text": "hi"} and echo["error"] is None
        assert echo["result"]["content"] == [{"type": "text", "text": "echo: hi"}]
        assert isinstance(echo["durationMs"], int)
        assert forecast["result"]["structuredContent"] == {"city": "Oslo", "celsius": 21.5}
        assert picture["result"]["content"][0]["type"] == "image"
        assert steps["result"]["content"] == [{"type": "text", "text": "did 3 steps"}]

        # What the model read: text, structured content as JSON, the image as an image.
        second, third, fourth, last = (r.body for r in mock_model.requests[1:5])
        assert outputs(second)["c_echo"] == "echo: hi"
        assert json.loads(outputs(third)["c_fc"]) == {"city": "Oslo", "celsius": 21.5}
        assert "image (image/png)" in outputs(fourth)["c_pic"]
        images = [
            part
            for item in fourth["input"]
            if item.get("type") == "message"
            for part in item.get("content") or []
            if isinstance(part, dict) and part.get("type") == "input_image"
        ]
        assert images and images[-1]["image_url"].startswith("data:image/png;base64,iVBOR")
        assert outputs(last)["c_steps"] == "did 3 steps"

        progress = client.of("codex/item/mcpToolCall/progress")
        assert [p["message"] for p in progress] == [f"step {i} of 3" for i in (1, 2, 3)]
        assert {p["itemId"] for p in progress} == {steps["id"]}
        assert {p["turnId"] for p in progress} == {turn["id"]}
        assert [c["tool"] for c in calls(log)] == ["echo", "forecast", "picture", "steps"]

        # Started and completed notifications carry the same item.
        started_items = [
            p["item"] for p in client.of("codex/item/started") if p["item"]["type"] == "mcpToolCall"
        ]
        assert [i["status"] for i in started_items] == ["inProgress"] * 4
    finally:
        await client.stop()


async def test_errors_and_timeouts_are_failed_items_the_model_reads(
    mock_model: MockModelServer, codex_home: Path, workspace: Path, tmp_path: Path
) -> None:
    client, _log = await demo_ready(
        mock_model, codex_home, workspace, tmp_path, table={"tool_timeout_sec": 0.5}
    )
    try:
        mock_model.enqueue(
            tool_call_response("mcp__demo__broken", {"reason": "x"}, call_id="c_broken"),
            tool_call_response("mcp__demo__nap", {"seconds": 30}, call_id="c_nap"),
            tool_call_response("mcp__demo__echo", {"wrong": 1}, call_id="c_args"),
            text_response("noted"),
        )
        thread = (await client.start_thread())["thread"]
        turn = await client.turn(thread["id"], "try the failing tools")
        assert turn["status"] == "completed"
        broken, nap, bad_args = mcp_items(turn)
        assert broken["status"] == "failed"
        assert "broken on purpose: x" in broken["error"]["message"]
        assert nap["status"] == "failed"
        assert "timed out after 0.5 s" in nap["error"]["message"]
        assert bad_args["status"] == "failed"
        body = mock_model.requests[-1].body
        said = outputs(body)
        assert "broken on purpose: x" in said["c_broken"]
        assert "timed out" in said["c_nap"]
        assert "text" in said["c_args"]
        await still_usable(client, mock_model, thread["id"])  # after the timeout
    finally:
        await client.stop()


async def test_approvals_follow_the_policy_and_a_decline_never_reaches_the_server(
    mock_model: MockModelServer, codex_home: Path, workspace: Path, tmp_path: Path
) -> None:
    answers = Answers()
    client, log = await demo_ready(
        mock_model,
        codex_home,
        workspace,
        tmp_path,
        "on-request",
        answers=answers,
        codex_caps={"approvals": True},
    )
    try:
        thread = (await client.start_thread())["thread"]
        # on-request: the read-only tool runs unasked; the other one is asked about.
        answers.decisions = ["decline"]
        mock_model.enqueue(
            tool_call_response("mcp__demo__echo", {"text": "free"}, call_id="c_ro"),
            tool_call_response("mcp__demo__forecast", {"city": "Rome"}, call_id="c_no"),
            text_response("ok"),
        )
        turn = await client.turn(thread["id"], "go")
        echo, declined = mcp_items(turn)
        assert echo["status"] == "completed"
        assert declined["status"] == "declined" and declined["result"] is None
        assert [c["tool"] for c in calls(log)] == ["echo"]  # never reached the server
        [(method, params)] = answers.requests
        assert method == "codex/item/commandExecution/requestApproval"
        assert params["itemId"] == declined["id"]
        assert params["command"] == 'mcp demo forecast {"city": "Rome"}'
        assert params["cwd"] == thread["cwd"]
        assert params["commandActions"] == [{"type": "unknown", "command": params["command"]}]
        assert "demo" in params["reason"]
        assert "declined" in outputs(mock_model.requests[-1].body)["c_no"]

        # acceptForSession remembers the server's tool: asked once, then it runs.
        answers.decisions = ["acceptForSession"]
        mock_model.enqueue(
            tool_call_response("mcp__demo__forecast", {"city": "Rome"}, call_id="c_1"),
            tool_call_response("mcp__demo__forecast", {"city": "Paris"}, call_id="c_2"),
            text_response("ok"),
        )
        turn = await client.turn(thread["id"], "again")
        assert [i["status"] for i in mcp_items(turn)] == ["completed", "completed"]
        assert len(answers.requests) == 2
        assert [c["arguments"] for c in calls(log)][-2:] == [{"city": "Rome"}, {"city": "Paris"}]

        # untrusted asks about every call, read-only ones too; `cancel` stops the turn.
        answers.decisions = ["cancel"]
        mock_model.enqueue(
            tool_call_response("mcp__demo__echo", {"text": "asked"}, call_id="c_u"),
            text_response("never sent"),
        )
        turn = await client.turn(thread["id"], "careful", approvalPolicy="untrusted")
        assert turn["status"] == "interrupted"
        assert mcp_items(turn)[0]["status"] == "declined"
        assert len(answers.requests) == 3
        assert "asked" not in [c["arguments"].get("text") for c in calls(log)]
    finally:
        await client.stop()


async def test_plain_clients_are_asked_with_show_message_request(
    mock_model: MockModelServer, codex_home: Path, workspace: Path, tmp_path: Path
) -> None:
    answers = Answers()
    client, log = await demo_ready(
        mock_model, codex_home, workspace, tmp_path, "untrusted", answers=answers
    )
    try:
        thread = (await client.start_thread())["thread"]
        answers.titles = ["Decline", "Run"]
        mock_model.enqueue(
            tool_call_response("mcp__demo__echo", {"text": "one"}, call_id="c_1"),
            tool_call_response("mcp__demo__echo", {"text": "two"}, call_id="c_2"),
            text_response("ok"),
        )
        turn = await client.turn(thread["id"], "go")
        assert [i["status"] for i in mcp_items(turn)] == ["declined", "completed"]
        assert [c["arguments"] for c in calls(log)] == [{"text": "two"}]
        messages = [p.message for m, p in answers.requests]
        assert len(messages) == 2 and 'mcp demo echo {"text": "one"}' in messages[0]
        resolved = client.of("codex/serverRequest/resolved")
        assert len(resolved) == 2
    finally:
        await client.stop()


async def test_a_broken_or_hanging_server_never_holds_a_turn(
    mock_model: MockModelServer, codex_home: Path, workspace: Path, tmp_path: Path
) -> None:
    log = tmp_path / "calls.jsonl"
    hang = tmp_path / "hang.py"
    hang.write_text("import time\ntime.sleep(600)\n")
    tables = (
        stdio_table(SERVER, log)
        + '[mcp_servers.missing]\ncommand = "no-such-mcp-server-xyz"\n'
        + f"[mcp_servers.hangs]\ncommand = {json.dumps(sys.executable)}\n"
        + f"args = [{json.dumps(str(hang))}]\nstartup_timeout_sec = 30\n"
        + "[mcp_servers.off]\ncommand = 'whatever'\nenabled = false\n"
        + "[mcp_servers.bad]\nargs = ['no command']\n"
    )
    write_config(codex_home, mock_model, tables, approval_policy="never")
    began = time.monotonic()
    client = await started(codex_home, workspace, tmp_path)
    try:
        failed = await client.startup("missing", "failed")
        assert "command not found: no-such-mcp-server-xyz" in failed["error"]
        bad = await client.startup("bad", "failed")
        assert "command" in bad["error"]
        # A turn runs while `hangs` is still starting: only ready servers' tools are offered.
        mock_model.enqueue(text_response("hello"))
        thread = (await client.start_thread())["thread"]
        turn = await client.turn(thread["id"], "hi")
        assert turn["status"] == "completed"
        assert time.monotonic() - began < 20
        statuses = await client.statuses()
        assert list(statuses) == [SERVER, "missing", "hangs", "off", "bad"]
        # Pages, in config.toml's order.
        pages, cursor = [], None
        while True:
            page = await client.request(
                "codex/mcpServerStatus/list", {"limit": 2, "cursor": cursor}
            )
            pages.append([s["name"] for s in page["data"]])
            cursor = page["nextCursor"]
            if cursor is None:
                break
        assert pages == [[SERVER, "missing"], ["hangs", "off"], ["bad"]]
        with pytest.raises(JsonRpcInvalidParams, match="cursor"):
            await client.request("codex/mcpServerStatus/list", {"cursor": "x"})
        assert statuses["hangs"]["runtimeStatus"]["status"] == "starting"
        assert statuses["off"]["runtimeStatus"] == {"status": "disabled", "error": None}
        assert statuses["missing"]["runtimeStatus"]["status"] == "failed"
        offered = set(tool_specs(mock_model.requests[-1].body))
        assert not any(name.startswith(("mcp__missing", "mcp__hangs")) for name in offered)
        started_names = {p["name"] for p in client.of("codex/mcpServer/startupStatus/updated")}
        assert "off" not in started_names
    finally:
        await client.stop()


async def test_startup_timeout_fails_the_server(
    mock_model: MockModelServer, codex_home: Path, workspace: Path, tmp_path: Path
) -> None:
    hang = tmp_path / "hang.py"
    hang.write_text(
        "import sys, time\nprint('about to hang', file=sys.stderr, flush=True)\ntime.sleep(600)\n"
    )
    table = (
        f"[mcp_servers.slow]\ncommand = {json.dumps(sys.executable)}\n"
        f"args = [{json.dumps(str(hang))}]\nstartup_timeout_sec = 1.5\n"
    )
    write_config(codex_home, mock_model, table)
    client = await started(codex_home, workspace, tmp_path)
    try:
        failed = await client.startup("slow", "failed")
        assert "did not start within 1.5 s" in failed["error"]
        assert "about to hang" in failed["error"]  # the server's stderr helps the user
    finally:
        await client.stop()


async def test_stdio_servers_die_with_the_server_even_on_sigkill(
    mock_model: MockModelServer, codex_home: Path, workspace: Path, tmp_path: Path
) -> None:
    client, _log = await demo_ready(
        mock_model,
        codex_home,
        workspace,
        tmp_path,
        env={"MCP_SECRET_TOKEN": "zq7-mcp-secret-0b1c"},
    )
    thread = (await client.start_thread())["thread"]
    pid = await demo_pid(client, mock_model, thread["id"])
    mock_model.enqueue(
        tool_call_response("mcp__demo__environment", {"name": "MCP_SECRET_TOKEN"}, call_id="c_e"),
        tool_call_response("mcp__demo__environment", {"name": "MOCK_API_KEY"}, call_id="c_k"),
        text_response("ok"),
    )
    await client.turn(thread["id"], "what do you see")
    # The child gets only a minimal environment (no secrets, no provider key).
    said = outputs(mock_model.requests[-1].body)
    assert said["c_e"] == "<unset>" and said["c_k"] == "<unset>"
    os.kill(pid, 0)  # alive
    await client.kill()
    deadline = time.monotonic() + TIMEOUT
    while _alive(pid):
        assert time.monotonic() < deadline, f"MCP server {pid} outlived the killed server"
        await asyncio.sleep(0.05)


async def readiness(client: LoggingClient, name: str, count: int) -> None:
    """Wait until server `name` has been reported ready `count` times."""

    def ready_count() -> int:
        return sum(
            1
            for p in client.of("codex/mcpServer/startupStatus/updated")
            if p["name"] == name and p["status"] == "ready"
        )

    deadline = time.monotonic() + TIMEOUT
    while ready_count() < count:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"{name} was not ready {count} times"
        seen = {id(p) for p in client.of("codex/mcpServer/startupStatus/updated")}
        await client.wait_for("codex/mcpServer/startupStatus/updated", not_in(seen), remaining)


def not_in(seen: set[int]) -> Callable[[dict[str, Any]], bool]:
    """A `wait_for` predicate: a notification not among `seen` (by identity)."""
    return lambda params: id(params) not in seen


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            state = handle.read().rsplit(b")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in (b"Z", b"X")


async def test_reload_and_config_changes_restart_servers(
    mock_model: MockModelServer, codex_home: Path, workspace: Path, tmp_path: Path
) -> None:
    log = tmp_path / "calls.jsonl"
    write_config(codex_home, mock_model, stdio_table(SERVER, log))
    client = await started(codex_home, workspace, tmp_path)
    try:
        await readiness(client, SERVER, 1)
        assert await client.request("codex/config/mcpServer/reload", None) == {}
        # The reload restarts it: starting, then ready again.
        await readiness(client, SERVER, 2)
        # Editing config.toml by hand: a new server starts, the edited one restarts
        # with its new tool list, nothing else is needed.
        write_config(
            codex_home,
            mock_model,
            stdio_table(SERVER, log, enabled_tools=["echo"]) + stdio_table("second", log),
        )
        await readiness(client, "second", 1)
        await readiness(client, SERVER, 3)
        statuses = await client.statuses()
        assert list(statuses) == [SERVER, "second"]
        assert list(statuses[SERVER]["tools"]) == ["echo"]
        mock_model.enqueue(text_response("hello"))
        thread = (await client.start_thread())["thread"]
        await client.turn(thread["id"], "hi")
        offered = {n for n in tool_specs(mock_model.requests[-1].body) if n.startswith("mcp__")}
        assert "mcp__demo__echo" in offered and "mcp__demo__forecast" not in offered
        assert "mcp__second__forecast" in offered

        # A half-edited config.toml (invalid TOML) stops nothing: the next turn (which
        # reads the file again) still gets every tool.
        config = codex_home / "config.toml"
        config.write_text(config.read_text() + "\n[mcp_servers.broken\n")
        mock_model.enqueue(text_response("still here"))
        thread = (await client.start_thread())["thread"]
        await client.turn(thread["id"], "hi again")
        again = {n for n in tool_specs(mock_model.requests[-1].body) if n.startswith("mcp__")}
        assert again == offered
        assert [s["runtimeStatus"]["status"] for s in (await client.statuses()).values()] == [
            "ready",
            "ready",
        ]
    finally:
        await client.stop()


@pytest.mark.parametrize("wire_api", ["chat"])
async def test_chat_completions_wire_gets_the_tools_too(
    wire_api: str,
    mock_model: MockModelServer,
    codex_home: Path,
    workspace: Path,
    tmp_path: Path,
) -> None:
    log = tmp_path / "calls.jsonl"
    (codex_home / "config.toml").write_text(
        'approval_policy = "never"\n'
        + mock_config(mock_model.url, wire_api=wire_api, extra="\n" + stdio_table(SERVER, log))
    )
    client = await started(codex_home, workspace, tmp_path)
    try:
        await client.startup(SERVER, "ready")
        mock_model.enqueue(
            tool_call_response("mcp__demo__forecast", {"city": "Lima"}, call_id="c_1"),
            text_response("ok"),
        )
        thread = (await client.start_thread())["thread"]
        turn = await client.turn(thread["id"], "weather")
        assert mcp_items(turn)[0]["status"] == "completed"
        first = mock_model.requests[0].body
        functions = {t["function"]["name"]: t["function"] for t in first["tools"]}
        params = functions["mcp__demo__forecast"]["parameters"]
        assert params["type"] == "object" and params["properties"]["city"]["type"] == "string"
        tool_message = [m for m in mock_model.requests[1].body["messages"] if m["role"] == "tool"]
        assert json.loads(tool_message[0]["content"]) == {"city": "Lima", "celsius": 21.5}
    finally:
        await client.stop()


async def test_a_server_that_dies_fails_its_calls_at_once_and_turns_go_on(
    mock_model: MockModelServer, codex_home: Path, workspace: Path, tmp_path: Path
) -> None:
    client, _log = await demo_ready(mock_model, codex_home, workspace, tmp_path)
    try:
        thread = (await client.start_thread())["thread"]
        os.kill(await demo_pid(client, mock_model, thread["id"]), signal.SIGKILL)
        mock_model.enqueue(
            tool_call_response("mcp__demo__echo", {"text": "anyone?"}, call_id="c_gone"),
            text_response("it is gone"),
        )
        began = time.monotonic()
        turn = await client.turn(thread["id"], "still there?")
        assert time.monotonic() - began < 10  # not the 60 s tool timeout
        assert turn["status"] == "completed"
        [gone] = mcp_items(turn)
        assert gone["status"] == "failed" and gone["error"]["message"]
        failed = await client.startup(SERVER, "failed")
        assert failed["error"]
        assert (await client.statuses())[SERVER]["runtimeStatus"]["status"] == "failed"
    finally:
        await client.stop()


async def test_interrupting_a_running_call_completes_its_item(
    mock_model: MockModelServer, codex_home: Path, workspace: Path, tmp_path: Path
) -> None:
    client, _log = await demo_ready(mock_model, codex_home, workspace, tmp_path)
    try:
        mock_model.enqueue(tool_call_response("mcp__demo__nap", {"seconds": 30}, call_id="c_nap"))
        thread = (await client.start_thread())["thread"]
        started_turn = await client.request(
            "codex/turn/start",
            {"threadId": thread["id"], "input": [{"type": "text", "text": "nap"}]},
        )
        turn_id = started_turn["turn"]["id"]
        await client.wait_for("codex/item/started", lambda p: p["item"]["type"] == "mcpToolCall")
        await client.request("codex/turn/interrupt", {"threadId": thread["id"], "turnId": turn_id})
        done = await client.wait_for("codex/turn/completed", lambda p: p["turn"]["id"] == turn_id)
        assert done["turn"]["status"] == "interrupted"
        [nap] = mcp_items(done["turn"])
        assert nap["status"] == "failed" and nap["error"] == {"message": "interrupted"}
        await still_usable(client, mock_model, thread["id"])
    finally:
        await client.stop()


async def test_shutdown_stops_the_servers(
    mock_model: MockModelServer, codex_home: Path, workspace: Path, tmp_path: Path
) -> None:
    client, _log = await demo_ready(mock_model, codex_home, workspace, tmp_path)
    thread = (await client.start_thread())["thread"]
    pid = await demo_pid(client, mock_model, thread["id"])
    began = time.monotonic()
    await client.stop()  # shutdown, exit (and SIGKILL only if the server stayed)
    server = client.lc._server
    assert server is not None and server.returncode == 0  # it exited by itself
    assert time.monotonic() - began < 5
    deadline = time.monotonic() + TIMEOUT
    while _alive(pid):
        assert time.monotonic() < deadline, f"MCP server {pid} outlived the shutdown"
        await asyncio.sleep(0.05)
