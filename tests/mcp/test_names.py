"""Tool names and input schemas as the model APIs accept them."""

from __future__ import annotations

import re
from typing import Any

from codex_lsp.core.mcp.names import MAX_NAME, model_schema, qualified_name

VALID_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def test_names_are_qualified_and_sanitized() -> None:
    assert qualified_name("docs", "search") == "mcp__docs__search"
    assert qualified_name("git hub", "issues.list/all") == "mcp__git_hub__issues_list_all"
    long_a = qualified_name("server", "a" * 100)
    long_b = qualified_name("server", "a" * 99 + "b")
    for name in (long_a, long_b):
        assert len(name) == MAX_NAME and VALID_NAME.match(name)
        assert name.startswith("mcp__server__aaaa")
    assert long_a != long_b


def test_object_schemas_keep_what_the_apis_read() -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "searchArguments",
        "type": "object",
        "properties": {
            "query": {"type": "string", "title": "Query", "description": "What to find"},
            "limit": {"type": "integer", "minimum": 1, "default": 10},
            "tags": {"type": "array"},
            "exact": {"enum": [True, False]},
        },
        "required": ["query", "not_a_property"],
        "additionalProperties": False,
    }
    assert model_schema(schema) == {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "What to find"},
            "limit": {"type": "integer", "minimum": 1, "default": 10},
            "tags": {"type": "array", "items": {"type": "string"}},
            "exact": {"enum": [True, False], "type": "boolean"},
        },
        "required": ["query"],
        "additionalProperties": False,
    }


def test_refs_are_inlined_and_unions_kept_as_any_of() -> None:
    schema: dict[str, Any] = {
        "type": "object",
        "$defs": {
            "Point": {
                "type": "object",
                "properties": {"x": {"type": "number"}, "next": {"$ref": "#/$defs/Point"}},
            }
        },
        "properties": {
            "start": {"$ref": "#/$defs/Point", "description": "where"},
            "mode": {"oneOf": [{"const": "fast"}, {"const": "slow"}]},
            "maybe": {"type": ["string", "null"]},
            "wrapped": {"allOf": [{"$ref": "#/$defs/Point"}], "description": "one"},
            "anything": {},
            "level": {"const": 3},
        },
    }
    out = model_schema(schema)
    start = out["properties"]["start"]
    assert start["description"] == "where" and start["type"] == "object"
    assert start["properties"]["x"] == {"type": "number"}
    # Recursion is cut after a few levels.
    depth, node = 0, start
    while "next" in node.get("properties", {}):
        node, depth = node["properties"]["next"], depth + 1
    assert 1 <= depth <= 5
    assert out["properties"]["mode"] == {
        "anyOf": [{"const": "fast", "type": "string"}, {"const": "slow", "type": "string"}]
    }
    assert out["properties"]["maybe"] == {"type": ["string", "null"]}
    assert out["properties"]["wrapped"]["description"] == "one"
    assert out["properties"]["wrapped"]["type"] == "object"
    assert out["properties"]["anything"] == {"type": "string"}
    assert out["properties"]["level"] == {"const": 3, "type": "number"}
    assert "$defs" not in out


def test_non_object_schemas_become_empty_objects() -> None:
    for schema in (None, {}, {"type": "string"}, {"anyOf": [{"type": "object"}]}, True):
        assert model_schema(schema) == {"type": "object", "properties": {}}
    assert model_schema({"properties": {"a": {"type": "string"}}}) == {
        "type": "object",
        "properties": {"a": {"type": "string"}},
    }
