"""The sink builds the catalog's events: metadata, attributes, what is left out, what is
redacted. (What reaches a collector is tested end to end in tests/e2e/test_telemetry.py.)"""

from __future__ import annotations

import re
from pathlib import Path

from codex_lsp import __version__
from codex_lsp.core.telemetry import TelemetrySink, catalog
from codex_lsp.core.telemetry.sink import Conversation, rfc3339
from codex_lsp.protocol.user_input import ImageInput, TextInput, UserInput
from tests.telemetry.memory import MemoryPipeline, settings, sink

SECRET = "sk-proj-SINKSECRET0123456789abcdef"


def test_a_disabled_sink_does_nothing(tmp_path: Path) -> None:
    off = TelemetrySink()
    assert not off.enabled
    assert off.conversation("t", settings(tmp_path)) is None
    off.conversation_starts("t", settings(tmp_path))
    off.user_prompt("t", settings(tmp_path), [TextInput(text="hi")])
    assert off.shutdown() is True


def test_every_event_carries_the_metadata(tmp_path: Path) -> None:
    pipeline = MemoryPipeline()
    s = settings(
        tmp_path, approval_policy="never", sandbox_mode="read-only", model_reasoning_effort="high"
    )
    telemetry = sink(pipeline, mcp_servers=lambda: ["docs", "github"])
    telemetry.conversation_starts("thread-1", s)
    ((name, attrs, ts),) = pipeline.events
    assert name == catalog.CONVERSATION_STARTS
    assert attrs == {
        "event.name": catalog.CONVERSATION_STARTS,
        "event.timestamp": rfc3339(ts),
        "conversation.id": "thread-1",
        "app.version": __version__,
        "auth_mode": "apiKey",
        "terminal.type": "Neovim",
        "model": "gpt-5.1-codex",
        "slug": "gpt-5.1-codex",
        "provider_name": "Mock",
        "reasoning_effort": "high",
        "context_window": s.model_context_window,
        "approval_policy": "never",
        "sandbox_policy": "read-only",
        "mcp_servers": "docs, github",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", str(attrs["event.timestamp"]))


def test_unknown_values_are_left_out(tmp_path: Path) -> None:
    pipeline = MemoryPipeline()
    local = settings(
        tmp_path,
        model_provider="local",
        model_providers={"local": {"base_url": "http://127.0.0.1:9/v1"}},
    )
    TelemetrySink(pipeline).conversation_starts("t", local)
    ((_, attrs, _),) = pipeline.events
    assert "auth_mode" not in attrs  # a local server: no key
    assert "reasoning_effort" not in attrs and "reasoning_summary" not in attrs
    assert attrs["terminal.type"] == "unknown" and attrs["provider_name"] == "local"


def test_the_prompt_is_redacted_unless_asked_for(tmp_path: Path) -> None:
    inputs: list[UserInput] = [
        TextInput(text="fix the bug, "),
        ImageInput(url="http://x/y.png"),
        TextInput(text=f"key {SECRET}"),
    ]
    pipeline = MemoryPipeline()
    sink(pipeline).user_prompt("t", settings(tmp_path), inputs)
    sink(pipeline, log_user_prompt=True).user_prompt("t", settings(tmp_path), inputs)
    hidden, shown = pipeline.named(catalog.USER_PROMPT)
    text = f"fix the bug, key {SECRET}"
    assert hidden["prompt"] == "[REDACTED]" and hidden["prompt_length"] == len(text)
    assert shown["prompt"] == "fix the bug, key [REDACTED]" and shown["prompt_length"] == len(text)


def test_free_text_is_bounded_and_redacted() -> None:
    pipeline = MemoryPipeline()
    conversation = Conversation(pipeline.emit, {"conversation.id": "t"})
    conversation.tool_result(
        "shell", "c1", f'{{"command": ["echo", "{SECRET}"]}}', 12, True, "x" * 100_000
    )
    conversation.api_request(2, 30, None, f"cannot reach the model: Authorization: Bearer {SECRET}")
    conversation.sse_event(None, 5, error="peer closed connection")
    result, request, sse = (attrs for _, attrs, _ in pipeline.events)
    assert SECRET not in str(result) and "[REDACTED]" in str(result["arguments"])
    assert len(str(result["output"]).encode()) <= catalog.MAX_TEXT_BYTES
    assert "elided" in str(result["output"]) and result["success"] == "true"
    assert request["attempt"] == 2 and "http.response.status_code" not in request
    assert SECRET not in str(request["error.message"])
    assert "event.kind" not in sse and sse["error.message"] == "peer closed connection"


def test_an_emit_that_fails_fails_nothing() -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError("queue gone")

    Conversation(broken, {}).user_prompt("hello")  # logged, not raised


def test_attribute_names_are_the_catalogs(tmp_path: Path) -> None:
    pipeline = MemoryPipeline()
    conversation = sink(pipeline).conversation("t", settings(tmp_path))
    assert conversation is not None
    conversation.conversation_starts(settings(tmp_path), [])
    conversation.api_request(1, 1, 200, None)
    conversation.sse_event(
        "response.completed",
        1,
        usage={
            "input_token_count": 1,
            "output_token_count": 2,
            "cached_token_count": 0,
            "reasoning_token_count": 0,
            "tool_token_count": 3,
        },
    )
    conversation.user_prompt("x")
    conversation.tool_decision("shell", "c", "approved", "config")
    conversation.tool_result("shell", "c", "{}", 1, False, "out")
    for name, attrs, _ in pipeline.events:
        assert set(attrs) <= {*catalog.METADATA, *catalog.ATTRIBUTES[name]}, name
    assert [n for n, _, _ in pipeline.events] == list(catalog.EVENTS)
