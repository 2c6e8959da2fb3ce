"""OpenTelemetry through the real server: a turn with tool calls against the mock model,
exported to real OTLP receivers on 127.0.0.1 (OTLP/HTTP protobuf and JSON, OTLP/gRPC),
decoded with opentelemetry-proto. Every event of the catalog with its metadata and
resource, the prompt redacted unless `log_user_prompt`, the headers at the collector, no
secret in any record; the events reach the collector through the flush at shutdown."""

from __future__ import annotations

from pathlib import Path

import pytest

from codex_lsp.core.telemetry import catalog
from codex_lsp.mock_model import (
    MockModelServer,
    MockUsage,
    cut_response,
    error_response,
    text_response,
    tool_call_response,
)
from tests.conftest import ClientFactory
from tests.e2e.tool_helpers import Answers
from tests.lsp_client import CodexClient, mock_config
from tests.telemetry.collectors import GrpcCollector, HttpCollector, running
from tests.telemetry.helpers import (
    API_KEY,
    EDITOR,
    OTLP_TOKEN,
    TOOL_SECRET,
    assert_no_secret,
    assert_well_formed,
    attributes,
    both,
    named,
    named_editor,
    otel_toml,
    server_env,
)

PROMPT = "Create the file, try another, then print the token"
USAGE = MockUsage(
    input_tokens=100,
    cached_input_tokens=20,
    output_tokens=30,
    reasoning_output_tokens=5,
    total_tokens=130,
)

EXPORTERS = [
    pytest.param("otlp-http", "binary", id="http-binary"),
    pytest.param("otlp-http", "json", id="http-json"),
    pytest.param("otlp-grpc", "binary", id="grpc"),
]


def _script(mock_model: MockModelServer) -> None:
    """Three shell calls (asked and accepted, asked and declined, known-safe so decided by
    the policy: it prints a credential-shaped string), then the answer."""
    mock_model.enqueue(
        tool_call_response("shell", {"command": ["touch", "made-by-tool"]}, call_id="call_ask"),
        tool_call_response("shell", {"command": ["touch", "not-made"]}, call_id="call_deny"),
        tool_call_response("shell", {"command": ["echo", TOOL_SECRET]}, call_id="call_safe"),
        text_response("All done.", usage=USAGE),
    )


async def _server_sending_to(
    collector: HttpCollector,
    make_client: ClientFactory,
    mock_model: MockModelServer,
    codex_home: Path,
    *,
    editor: str = EDITOR,
    log_user_prompt: bool = False,
) -> tuple[CodexClient, str]:
    """A server whose `[otel]` sends to `collector` (OTLP/HTTP), and a new thread on it."""
    extra = otel_toml("otlp-http", collector.endpoint, log_user_prompt=log_user_prompt)
    (codex_home / "config.toml").write_text(mock_config(mock_model.url, extra=extra))
    client = await make_client(env=server_env(), before_start=named_editor(editor))
    return client, (await client.start_thread())["thread"]["id"]


@pytest.mark.parametrize(("exporter", "protocol"), EXPORTERS)
async def test_a_turn_with_tool_calls_sends_the_whole_catalog(
    make_client: ClientFactory,
    mock_model: MockModelServer,
    codex_home: Path,
    workspace: Path,
    exporter: str,
    protocol: str,
) -> None:
    collector = HttpCollector() if exporter == "otlp-http" else GrpcCollector()
    async with running(collector):
        extra = otel_toml(exporter, collector.endpoint, protocol=protocol)
        (codex_home / "config.toml").write_text(mock_config(mock_model.url, extra=extra))
        answers = Answers()
        answers.decisions += ["accept", "decline"]
        client = await make_client(
            env=server_env(),
            codex_caps={"approvals": True, "deltas": True},
            before_start=both(answers.install, named_editor()),
        )
        thread_id = (await client.start_thread(approvalPolicy="untrusted"))["thread"]["id"]
        _script(mock_model)
        turn = await client.turn(thread_id, PROMPT)
        assert turn["status"] == "completed"
        assert (workspace / "made-by-tool").exists() and not (workspace / "not-made").exists()
        assert not collector.exports  # the batch delay is long: nothing sent before the flush
        await client.stop()  # shutdown + exit: the last flush
        records = await collector.wait_for(
            lambda rs: (
                len(named(rs, catalog.TOOL_RESULT)) == 3 and bool(named(rs, catalog.USER_PROMPT))
            )
        )

    assert {r.name for r in records} == set(catalog.EVENTS)
    assert_well_formed(records, thread_id, EDITOR)
    assert_no_secret(collector.exports, records, API_KEY, OTLP_TOKEN, TOOL_SECRET)
    for export in collector.exports:
        assert export.headers["x-otlp-api-key"] == OTLP_TOKEN
        assert export.headers["x-team"] == "codex-lsp-tests"
        if exporter == "otlp-http":
            wanted = "application/json" if protocol == "json" else "application/x-protobuf"
            assert export.content_type == wanted

    (start,) = attributes(records, catalog.CONVERSATION_STARTS)
    assert start["provider_name"] == "mock"
    assert start["approval_policy"] == "untrusted"
    assert start["sandbox_policy"] == "workspace-write"
    assert start["mcp_servers"] == ""
    assert isinstance(start["context_window"], int) and start["context_window"] > 0

    (prompt,) = attributes(records, catalog.USER_PROMPT)
    assert prompt["prompt"] == "[REDACTED]" and prompt["prompt_length"] == len(PROMPT)

    requests = attributes(records, catalog.API_REQUEST)
    assert len(requests) == 4 == len(mock_model.requests)
    for request in requests:
        assert request["attempt"] == 1 and request["http.response.status_code"] == 200
        assert isinstance(request["duration_ms"], int) and request["duration_ms"] >= 0
        assert "error.message" not in request

    sse = attributes(records, catalog.SSE_EVENT)
    kinds = {s["event.kind"] for s in sse}
    assert {"response.created", "response.output_item.done", "response.completed"} <= kinds
    assert "response.output_text.delta" in kinds
    completed = [s for s in sse if s["event.kind"] == "response.completed"]
    assert len(completed) == 4
    assert completed[-1]["input_token_count"] == 100
    assert completed[-1]["cached_token_count"] == 20
    assert completed[-1]["output_token_count"] == 30
    assert completed[-1]["reasoning_token_count"] == 5
    assert completed[-1]["tool_token_count"] == 130
    assert all("input_token_count" not in s for s in sse if s not in completed)

    decisions = {d["call_id"]: d for d in attributes(records, catalog.TOOL_DECISION)}
    assert {k: (d["decision"], d["source"], d["tool_name"]) for k, d in decisions.items()} == {
        "call_ask": ("approved", "user", "shell"),
        "call_deny": ("denied", "user", "shell"),
        "call_safe": ("approved", "config", "shell"),
    }
    results = {r["call_id"]: r for r in attributes(records, catalog.TOOL_RESULT)}
    assert results["call_ask"]["success"] == "true"
    assert "made-by-tool" in results["call_ask"]["arguments"]
    assert results["call_deny"]["success"] == "false"
    assert "declined" in results["call_deny"]["output"]
    assert results["call_safe"]["success"] == "true"
    assert "[REDACTED]" in results["call_safe"]["output"]
    assert "[REDACTED]" in results["call_safe"]["arguments"]
    assert all(isinstance(r["duration_ms"], int) for r in results.values())


async def test_the_prompt_is_sent_with_log_user_prompt(
    make_client: ClientFactory, mock_model: MockModelServer, codex_home: Path
) -> None:
    async with running(HttpCollector()) as collector:
        client, thread_id = await _server_sending_to(
            collector,
            make_client,
            mock_model,
            codex_home,
            editor="Visual Studio Code",
            log_user_prompt=True,
        )
        mock_model.enqueue(text_response("hi"), text_response("again"))
        text = f"Plain words, and a key someone pasted: {TOOL_SECRET}"
        assert (await client.turn(thread_id, text))["status"] == "completed"
        assert (await client.turn(thread_id, "second turn"))["status"] == "completed"
        await client.stop()
        records = await collector.wait_for(lambda rs: len(named(rs, catalog.USER_PROMPT)) == 2)
    first, second = attributes(records, catalog.USER_PROMPT)
    assert first["prompt"] == "Plain words, and a key someone pasted: [REDACTED]"
    assert first["prompt_length"] == len(text)
    assert second["prompt"] == "second turn"
    assert_well_formed(records, thread_id, "Visual Studio Code")
    assert_no_secret(collector.exports, records, API_KEY, OTLP_TOKEN, TOOL_SECRET)


async def test_retried_requests_are_numbered_attempts_with_their_errors(
    make_client: ClientFactory, mock_model: MockModelServer, codex_home: Path
) -> None:
    async with running(HttpCollector()) as collector:
        client, thread_id = await _server_sending_to(collector, make_client, mock_model, codex_home)
        # A 500 (the request is retried), a stream cut mid-way (the stream is retried), done.
        mock_model.enqueue(error_response(500), cut_response(after_events=4), text_response("ok"))
        assert (await client.turn(thread_id, "retry me"))["status"] == "completed"
        await client.stop()
        records = await collector.wait_for(lambda rs: len(named(rs, catalog.API_REQUEST)) == 3)
    first, second, third = attributes(records, catalog.API_REQUEST)
    assert (first["attempt"], first["http.response.status_code"]) == (1, 500)
    assert first["error.message"]
    assert (second["attempt"], second["http.response.status_code"]) == (2, 200)
    assert (third["attempt"], third["http.response.status_code"]) == (3, 200)
    assert "error.message" not in second and "error.message" not in third
    broken = [s for s in attributes(records, catalog.SSE_EVENT) if "error.message" in s]
    assert len(broken) == 1 and "event.kind" not in broken[0]
    assert_well_formed(records, thread_id, EDITOR)
    assert_no_secret(collector.exports, records, API_KEY, OTLP_TOKEN)


async def test_steering_input_is_a_user_prompt_too(
    make_client: ClientFactory, mock_model: MockModelServer, codex_home: Path
) -> None:
    async with running(HttpCollector()) as collector:
        client, thread_id = await _server_sending_to(
            collector, make_client, mock_model, codex_home, log_user_prompt=True
        )
        # A slow answer, steered while it streams: one more request answers the steer.
        slow = text_response("streaming slowly " * 30, delay_ms_between_events=40)
        mock_model.enqueue(slow, text_response("Steered."))
        params = {"threadId": thread_id, "input": [{"type": "text", "text": "go"}]}
        turn_id = (await client.request("codex/turn/start", params))["turn"]["id"]
        await client.wait_for("codex/item/agentMessage/delta", lambda p: p["turnId"] == turn_id)
        params = {"threadId": thread_id, "expectedTurnId": turn_id}
        params["input"] = [{"type": "text", "text": "also mention tests"}]
        await client.request("codex/turn/steer", params)
        await client.wait_for("codex/turn/completed", lambda p: p["turn"]["id"] == turn_id)
        await client.stop()
        records = await collector.wait_for(lambda rs: len(named(rs, catalog.USER_PROMPT)) == 2)
    prompts = [p["prompt"] for p in attributes(records, catalog.USER_PROMPT)]
    assert prompts == ["go", "also mention tests"]
    assert len(attributes(records, catalog.API_REQUEST)) == 2
