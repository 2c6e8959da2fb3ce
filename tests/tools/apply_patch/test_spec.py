"""The model-facing tool specs."""

from __future__ import annotations

import json

import pytest

from codex_lsp.core.tools.apply_patch import (
    LARK_GRAMMAR,
    custom_tool_spec,
    function_tool_spec,
    parse_patch,
)
from codex_lsp.core.tools.apply_patch.spec import FORMAT_DESCRIPTION


def example_patch() -> str:
    return FORMAT_DESCRIPTION.split("Example:\n\n", 1)[1] + "\n"


def test_function_tool_shape() -> None:
    spec = function_tool_spec()
    assert spec["type"] == "function" and spec["name"] == "apply_patch"
    assert spec["strict"] is False
    assert spec["parameters"] == {
        "type": "object",
        "properties": {
            "input": {
                "type": "string",
                "description": spec["parameters"]["properties"]["input"]["description"],
            }
        },
        "required": ["input"],
        "additionalProperties": False,
    }
    assert "*** Begin Patch" in spec["description"]
    json.dumps(spec)


def test_custom_tool_shape() -> None:
    spec = custom_tool_spec()
    assert spec["type"] == "custom" and spec["name"] == "apply_patch"
    assert spec["format"] == {"type": "grammar", "syntax": "lark", "definition": LARK_GRAMMAR}
    json.dumps(spec)


def test_description_example_is_a_valid_patch() -> None:
    parsed = parse_patch(example_patch())
    assert len(parsed.operations) == 3


def test_grammar_accepts_the_example_and_rejects_an_empty_patch() -> None:
    lark = pytest.importorskip("lark")
    # Python Lark's Earley lexer refuses zero-width regexps; /(.+)/? is the same language.
    parser = lark.Lark(LARK_GRAMMAR.replace("/(.*)/", "/(.+)/?"), parser="earley")
    parser.parse(example_patch())
    parser.parse(
        "*** Begin Patch\n*** Update File: a\n@@ ctx\n@@\n \n-a\n+\n*** End of File\n"
        "*** Delete File: b\n*** End Patch"
    )
    with pytest.raises(lark.exceptions.LarkError):
        parser.parse("*** Begin Patch\n*** End Patch\n")
