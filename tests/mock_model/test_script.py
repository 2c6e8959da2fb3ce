"""Unit tests for the script models, chunking, usage resolution and builders."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
from pydantic import ValidationError

from codex_lsp.mock_model import (
    ContextLengthExceededFault,
    CutAfterEventsFault,
    FunctionCallItem,
    HttpErrorFault,
    MessageItem,
    MockResponse,
    MockUsage,
    ReasoningItem,
    context_exceeded_response,
    cut_response,
    error_response,
    load_script,
    parse_script,
    reasoning_then_text,
    text_response,
    timestamped_deltas,
    tool_call_response,
)
from codex_lsp.mock_model.script import split_chunks, split_fixed


@pytest.mark.parametrize(
    "text",
    ["", "one", "Hello there, how are you today?", "  leading and trailing  ", "a\n\nb c d e f g"],
)
def test_split_chunks_concatenates_to_text(text: str) -> None:
    chunks = split_chunks(text)
    assert "".join(chunks) == text
    assert all(chunk for chunk in chunks)
    assert split_chunks(text) == chunks  # deterministic


def test_split_chunks_groups_a_few_words() -> None:
    assert split_chunks("one two three four five") == ["one two three", " four five"]


def test_split_fixed() -> None:
    assert split_fixed("abcdefghij", 4) == ["abcd", "efgh", "ij"]
    assert split_fixed("") == []


def test_message_item_deltas_use_chunks() -> None:
    item = MessageItem(text="ignored", chunks=["He", "llo"])
    assert item.deltas() == ["He", "llo"]
    assert item.final_text() == "Hello"


def test_usage_resolution_fills_defaults() -> None:
    usage = MockUsage(input_tokens=100).resolve(
        input_estimate=7, output_estimate=5, reasoning_estimate=3
    )
    assert usage.input_tokens == 100
    assert usage.cached_input_tokens == 0
    assert usage.reasoning_output_tokens == 3
    assert usage.output_tokens == 8  # output includes reasoning
    assert usage.total_tokens == 108


def test_mock_response_round_trips_through_json() -> None:
    script = MockResponse(
        items=[
            ReasoningItem(summary=["s"], content=["c"], encrypted_content="enc"),
            MessageItem(text="hi", chunks=["h", "i"]),
            FunctionCallItem(name="shell", arguments="{}", call_id="call_1"),
        ],
        usage=MockUsage(output_tokens=3),
        delay_ms_between_events=1.5,
        hang_after_events=4,
        fault=CutAfterEventsFault(events=2),
        headers={"x-codex-primary-used-percent": "12.5"},
    )
    data = json.loads(script.model_dump_json())
    assert data["items"][0]["type"] == "reasoning"
    assert data["fault"] == {"type": "cut_after_events", "events": 2}
    assert MockResponse.model_validate(data) == script


def test_parse_script_accepts_object_or_list() -> None:
    assert parse_script({"items": [{"type": "message", "text": "x"}]}) == [
        MockResponse(items=[MessageItem(text="x")])
    ]
    assert len(parse_script([{}, {"fault": {"type": "context_length_exceeded"}}])) == 2


def test_parse_script_rejects_unknown_kinds_and_fields() -> None:
    with pytest.raises(ValidationError):
        parse_script({"items": [{"type": "bogus"}]})
    with pytest.raises(ValidationError):
        parse_script({"itemz": []})


def test_builders() -> None:
    assert text_response("hi").items == [MessageItem(text="hi")]
    r = reasoning_then_text(summary=["plan"], text="done")
    assert isinstance(r.items[0], ReasoningItem) and isinstance(r.items[1], MessageItem)
    call = tool_call_response("shell", {"command": ["ls"]}, call_id="call_9").items[0]
    assert isinstance(call, FunctionCallItem)
    assert json.loads(call.arguments) == {"command": ["ls"]} and call.call_id == "call_9"
    err = error_response(429, retry_after=1).fault
    assert isinstance(err, HttpErrorFault) and err.headers == {"retry-after": "1"}
    assert isinstance(cut_response(3).fault, CutAfterEventsFault)
    assert isinstance(context_exceeded_response().fault, ContextLengthExceededFault)
    ts = timestamped_deltas(4).items[0]
    assert isinstance(ts, MessageItem) and ts.timestamp_deltas == 4


def test_default_call_ids_are_unique() -> None:
    a = tool_call_response("f", {}).items[0]
    b = tool_call_response("f", {}).items[0]
    assert isinstance(a, FunctionCallItem) and isinstance(b, FunctionCallItem)
    assert a.call_id != b.call_id and a.call_id.startswith("call_")


def test_bundled_example_script_loads(tmp_path: Path) -> None:
    example = resources.files("codex_lsp.mock_model").joinpath("scripts/example.json")
    scripts = parse_script(json.loads(example.read_text(encoding="utf-8")))
    assert len(scripts) == 2
    copy = tmp_path / "script.json"
    copy.write_text(example.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_script(copy) == scripts
