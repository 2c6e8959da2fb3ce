"""Turn errors: model failures retried with backoff and announced, or failing the turn at
once; tool calls refused before they ran, shown to the user as failed items."""

from __future__ import annotations

import json
import time
from pathlib import Path

from codex_lsp.mock_model import (
    CustomToolCallItem,
    FunctionCallItem,
    MockItem,
    MockModelServer,
    MockResponse,
    context_exceeded_response,
    cut_response,
    error_response,
    hang_response,
    reasoning_then_text,
    text_response,
)
from tests.conftest import ClientFactory
from tests.lsp_client import CodexClient, mock_config


async def test_500_then_success_is_retried(
    client: CodexClient, mock_model: MockModelServer
) -> None:
    mock_model.enqueue(error_response(500), text_response("recovered"))
    thread = (await client.start_thread())["thread"]
    turn = await client.turn(thread["id"], "hi")
    assert turn["status"] == "completed"
    errors = client.of("codex/error")
    assert len(errors) == 1
    assert errors[0]["willRetry"] is True
    assert errors[0]["turnId"] == turn["id"]
    assert errors[0]["error"]["codexErrorInfo"] == "internalServerError"
    assert "retrying 1/3" in errors[0]["error"]["message"]
    assert [i["text"] for i in turn["items"] if i["type"] == "agentMessage"] == ["recovered"]
    assert len(mock_model.requests) == 2


async def test_429_honours_retry_after(client: CodexClient, mock_model: MockModelServer) -> None:
    mock_model.enqueue(error_response(429, retry_after=1), text_response("after waiting"))
    thread = (await client.start_thread())["thread"]
    turn = await client.turn(thread["id"], "hi")
    assert turn["status"] == "completed"
    (error,) = client.of("codex/error")
    assert error["willRetry"] is True and "in 1.0s" in error["error"]["message"]
    first, second = mock_model.requests
    assert second.received_at - first.received_at >= 0.95


async def test_stream_cut_mid_response_is_retried(
    client: CodexClient, mock_model: MockModelServer
) -> None:
    mock_model.enqueue(cut_response(after_events=8), reasoning_then_text(["again"], "Complete."))
    thread = (await client.start_thread())["thread"]
    turn = await client.turn(thread["id"], "hi")
    assert turn["status"] == "completed"
    (error,) = client.of("codex/error")
    assert error["willRetry"] is True
    assert error["error"]["codexErrorInfo"] == "responseStreamDisconnected"
    # The cut attempt's partial message was completed for the client, then superseded.
    messages = [i for i in turn["items"] if i["type"] == "agentMessage"]
    assert [m["text"] for m in messages] == ["Complete."]
    started = [p["item"]["id"] for p in client.of("codex/item/started")]
    completed = [p["item"]["id"] for p in client.of("codex/item/completed")]
    assert sorted(started) == sorted(completed)
    # The model's history has no trace of the cut attempt.
    mock_model.enqueue(text_response("next"))
    await client.turn(thread["id"], "next")
    assistant = [i for i in mock_model.requests[-1].body["input"] if i.get("role") == "assistant"]
    assert [a["content"][0]["text"] for a in assistant] == ["Complete."]


async def test_context_window_exceeded_fails_at_once(
    client: CodexClient, mock_model: MockModelServer
) -> None:
    mock_model.enqueue(context_exceeded_response(), text_response("never used"))
    thread = (await client.start_thread())["thread"]
    started = time.monotonic()
    turn = await client.turn(thread["id"], "too much")
    assert time.monotonic() - started < 5
    assert turn["status"] == "failed"
    assert turn["error"]["codexErrorInfo"] == "contextWindowExceeded"
    (error,) = client.of("codex/error")
    assert error["willRetry"] is False
    assert error["error"]["codexErrorInfo"] == "contextWindowExceeded"
    usage = client.of("codex/thread/tokenUsage/updated")[-1]["tokenUsage"]
    assert usage["last"]["totalTokens"] == usage["modelContextWindow"] == 272_000
    assert len(mock_model.requests) == 1
    assert mock_model.queued == 1


async def test_retries_exhausted_fail_the_turn(
    client: CodexClient, mock_model: MockModelServer
) -> None:
    mock_model.enqueue(*(error_response(503) for _ in range(4)))
    thread = (await client.start_thread())["thread"]
    turn = await client.turn(thread["id"], "hi")
    assert turn["status"] == "failed"
    errors = client.of("codex/error")
    assert [e["willRetry"] for e in errors] == [True, True, True, False]
    assert turn["error"]["codexErrorInfo"] == "internalServerError"


async def test_missing_api_key_fails_with_clear_error(
    make_client: ClientFactory, mock_model: MockModelServer
) -> None:
    client = await make_client(env={"MOCK_API_KEY": ""})
    thread = (await client.start_thread())["thread"]
    turn = await client.turn(thread["id"], "hi")
    assert turn["status"] == "failed"
    assert turn["error"]["codexErrorInfo"] == "unauthorized"
    assert "MOCK_API_KEY" in turn["error"]["message"]
    assert mock_model.requests == []


async def test_chat_completions_wire_full_turn(
    make_client: ClientFactory, mock_model: MockModelServer, tmp_path: Path
) -> None:
    home = tmp_path / "chat-home"
    home.mkdir()
    (home / "config.toml").write_text(mock_config(mock_model.url, wire_api="chat"))
    client = await make_client(home=home)
    answer = "Chat answer here, streamed in several small pieces to the editor."
    mock_model.enqueue(reasoning_then_text(["Reasoning on the chat wire."], answer))
    thread = (await client.start_thread())["thread"]
    turn = await client.turn(thread["id"], "hello chat")
    assert turn["status"] == "completed"
    assert mock_model.requests[-1].wire == "chat"
    body = mock_model.requests[-1].body
    assert body["messages"][0]["role"] == "system"
    assert body["messages"][-1] == {"role": "user", "content": "hello chat"}
    deltas = [p["delta"] for p in client.of("codex/item/agentMessage/delta")]
    assert len(deltas) > 1 and "".join(deltas) == answer
    thoughts = [p["delta"] for p in client.of("codex/item/reasoning/textDelta")]
    assert "".join(thoughts) == "Reasoning on the chat wire."
    usage = client.of("codex/thread/tokenUsage/updated")[-1]["tokenUsage"]
    assert usage["last"]["totalTokens"] > 0

    # Reasoning goes back to the model on the assistant message of the next request.
    mock_model.enqueue(text_response("second"))
    await client.turn(thread["id"], "again")
    messages = mock_model.requests[-1].body["messages"]
    assistant = [m for m in messages if m["role"] == "assistant"]
    assert assistant[0]["content"] == answer
    assert assistant[0]["reasoning"] == "Reasoning on the chat wire."


async def test_idle_stream_times_out_and_is_retried(
    make_client: ClientFactory, mock_model: MockModelServer, tmp_path: Path
) -> None:
    home = tmp_path / "idle-home"
    home.mkdir()
    (home / "config.toml").write_text(
        mock_config(mock_model.url).replace(
            "stream_max_retries = 3\n", "stream_max_retries = 3\nstream_idle_timeout_ms = 400\n"
        )
    )
    client = await make_client(home=home)
    mock_model.enqueue(hang_response(after_events=6), text_response("after the stall"))
    thread = (await client.start_thread())["thread"]
    turn = await client.turn(thread["id"], "hi")
    assert turn["status"] == "completed"
    (error,) = client.of("codex/error")
    assert error["willRetry"] is True
    assert error["error"]["codexErrorInfo"] == "responseStreamDisconnected"
    assert [i["text"] for i in turn["items"] if i["type"] == "agentMessage"] == ["after the stall"]


async def test_reasoning_settings_reach_the_model(
    client: CodexClient, mock_model: MockModelServer
) -> None:
    mock_model.enqueue(text_response("ok"), text_response("ok"))
    thread = (await client.start_thread())["thread"]
    await client.turn(thread["id"], "think hard", effort="high", summary="detailed")
    assert mock_model.requests[-1].body["reasoning"] == {"effort": "high", "summary": "detailed"}
    # Per-turn settings stick for the turns after it.
    await client.turn(thread["id"], "again")
    assert mock_model.requests[-1].body["reasoning"] == {"effort": "high", "summary": "detailed"}


async def test_rate_limit_headers_of_a_429_are_reported(
    client: CodexClient, mock_model: MockModelServer
) -> None:
    headers = {
        "x-codex-primary-used-percent": "100",
        "x-codex-primary-window-minutes": "300",
        "x-codex-primary-reset-at": "2000000000",
    }
    mock_model.enqueue(error_response(429, retry_after=0.1, headers=headers), text_response("ok"))
    thread = (await client.start_thread())["thread"]
    turn = await client.turn(thread["id"], "hi")
    assert turn["status"] == "completed"
    update = await client.wait_for("codex/account/rateLimits/updated")
    primary = update["rateLimits"]["primary"]
    assert primary == {"usedPercent": 100.0, "windowDurationMins": 300, "resetsAt": 2000000000}


async def test_calls_refused_before_running_show_failed_items(
    client: CodexClient, mock_model: MockModelServer, workspace: Path
) -> None:
    """Each refused call shows the user a failed item of the type the call would have
    shown, with the reason; the model reads the same reason in the call's output."""
    patch = "*** Begin Patch\n*** Update File: missing.txt\n@@\n-old\n+new\n*** End Patch"
    calls: list[MockItem] = [
        FunctionCallItem(name="frobnicate", arguments='{"x": 1}', call_id="c_unknown"),
        FunctionCallItem(name="mcp__docs__search", arguments="{}", call_id="c_mcp"),
        FunctionCallItem(name="shell", arguments='{"command": ["ls"', call_id="c_json"),
        FunctionCallItem(name="shell", arguments='{"command": []}', call_id="c_empty"),
        FunctionCallItem(
            name="shell",
            arguments=json.dumps({"command": ["ls", "-l"], "workdir": "nowhere"}),
            call_id="c_workdir",
        ),
        FunctionCallItem(name="read_file", arguments='{"offset": 1}', call_id="c_read"),
        CustomToolCallItem(name="apply_patch", input=patch, call_id="c_patch"),
        CustomToolCallItem(name="apply_patch", input="not a patch", call_id="c_garbage"),
    ]
    mock_model.enqueue(MockResponse(items=calls), text_response("noted"))
    thread = (await client.start_thread())["thread"]
    turn = await client.turn(thread["id"], "try things")
    assert turn["status"] == "completed"
    items = [i for i in turn["items"] if i["type"] not in ("userMessage", "agentMessage")]
    assert [i["status"] for i in items] == ["failed"] * len(calls)
    started = {p["item"]["id"] for p in client.of("codex/item/started")}
    assert {i["id"] for i in items} <= started

    unknown, mcp, bad_json, empty, workdir, read, bad_patch, garbage = items
    assert (unknown["type"], unknown["server"], unknown["tool"]) == (
        "mcpToolCall",
        "codex",
        "frobnicate",
    )
    assert (
        unknown["arguments"] == {"x": 1}
        and "unknown tool 'frobnicate'" in unknown["error"]["message"]
    )
    assert (mcp["server"], mcp["tool"]) == ("docs", "search")
    assert bad_json["type"] == "commandExecution" and bad_json["exitCode"] is None
    assert "not JSON" in bad_json["aggregatedOutput"]
    assert empty["type"] == "commandExecution" and "command" in empty["aggregatedOutput"]
    assert workdir["type"] == "commandExecution" and workdir["command"] == "ls -l"
    assert workdir["cwd"] == str(workspace / "nowhere")
    assert "does not exist" in workdir["aggregatedOutput"]
    assert (read["type"], read["tool"]) == ("mcpToolCall", "read_file")
    assert "file_path" in read["error"]["message"]
    assert bad_patch["type"] == "fileChange"
    [change] = bad_patch["changes"]
    assert change["path"] == str(workspace / "missing.txt")
    assert change["kind"]["type"] == "update" and change["diff"].startswith("# ")
    assert "missing.txt" in change["diff"]
    assert garbage["type"] == "fileChange" and garbage["changes"] == []

    outputs = dict(
        (i["call_id"], str(i["output"]))
        for i in mock_model.requests[-1].body["input"]
        if i.get("type") in ("function_call_output", "custom_tool_call_output")
    )
    assert "unknown tool 'frobnicate'" in outputs["c_unknown"]
    assert outputs["c_workdir"] == workdir["aggregatedOutput"]
    assert outputs["c_read"] == read["error"]["message"]
    assert "missing.txt" in outputs["c_patch"]
    assert len(outputs) == len(calls)
