"""An MCP tool's result for the item and for the model."""

from __future__ import annotations

import json

from codex_lsp.core.mcp.results import model_result, wire_result


def test_text_blocks_are_joined() -> None:
    result = {"content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}
    answer = model_result(result)
    assert (answer.output, answer.success, answer.extra_history) == ("a\nb", True, [])
    assert wire_result(result).wire() == {
        "content": result["content"],
        "structuredContent": None,
    }


def test_structured_content_wins_as_json() -> None:
    result = {
        "content": [{"type": "text", "text": "{ pretty }"}],
        "structuredContent": {"n": 1, "s": "é"},
    }
    assert json.loads(model_result(result).output) == {"n": 1, "s": "é"}


def test_errors_are_failures_with_their_text() -> None:
    result = {"content": [{"type": "text", "text": "boom"}], "isError": True,
              "structuredContent": {"ignored": True}}  # fmt: skip
    answer = model_result(result)
    assert (answer.output, answer.success) == ("boom", False)
    assert model_result({"content": [], "isError": True}).output == "(error)"
    assert model_result({"content": []}).output == "(no output)"


def test_images_go_to_the_model_as_images() -> None:
    result = {
        "content": [
            {"type": "text", "text": "a chart"},
            {"type": "image", "data": "iVBOR", "mimeType": "image/png"},
            {"type": "image", "data": "x", "mimeType": "image/tiff"},
            {"type": "audio", "data": "x", "mimeType": "audio/wav"},
            {"type": "resource", "resource": {"uri": "file:///a.txt", "text": "inside"}},
            {"type": "resource_link", "uri": "file:///b", "name": "b"},
        ]
    }
    answer = model_result(result)
    lines = answer.output.splitlines()
    assert lines[0] == "a chart"
    assert "image (image/png) attached" in lines[1]
    assert "image/tiff" in lines[2] and "not shown" in lines[2]
    assert "audio" in lines[3]
    assert lines[4:6] == ["[resource file:///a.txt]", "inside"]
    assert lines[6] == "[resource link file:///b (b)]"
    assert answer.extra_history == [
        {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_image", "image_url": "data:image/png;base64,iVBOR"}],
        }
    ]
