"""How MCP tools are named and described to the model.

Names: `mcp__<server>__<tool>`, every character outside `[a-zA-Z0-9_-]` replaced by `_`,
at most 64 characters (a longer name keeps its start and ends with a hash of the whole,
so two long names stay apart).

Input schemas: what a server declares is JSON Schema of any dialect; the Responses and
Chat Completions APIs take a function's `parameters` only as an object schema, and
refuse or misread some keywords. `model_schema` makes the subset both accept: the top
level is `{type: "object", properties, ...}`; local `$ref`s are inlined (`$defs`,
`definitions`; recursion cut after a few levels); `oneOf` becomes `anyOf`, a one-element
`allOf` is merged; every schema has a `type` (inferred from its keywords, `string` when
nothing says); objects have `properties` and arrays `items`; annotation-only keywords
(`title`, `$schema`, `$id`, `examples`, ...) are dropped.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

MAX_NAME = 64
PREFIX = "mcp__"
SEPARATOR = "__"
_INVALID = re.compile(r"[^A-Za-z0-9_-]")
_HASH_CHARS = 10
_MAX_REF_DEPTH = 4

# Keywords kept as they are; anything else not handled below is dropped.
_KEPT = frozenset(
    {
        "type",
        "description",
        "enum",
        "const",
        "default",
        "format",
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "uniqueItems",
        "required",
    }
)
_JSON_TYPES = frozenset({"object", "array", "string", "number", "integer", "boolean", "null"})


def sanitize_name(text: str) -> str:
    """`text` with every character outside `[a-zA-Z0-9_-]` replaced by `_`."""
    return _INVALID.sub("_", text)


def qualified_name(server: str, tool: str) -> str:
    """The model-facing name of `tool` of `server`."""
    name = sanitize_name(f"{PREFIX}{server}{SEPARATOR}{tool}")
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:_HASH_CHARS]
    return f"{name[: MAX_NAME - _HASH_CHARS - 1]}_{digest}"


def model_schema(schema: Any) -> dict[str, Any]:
    """A tool's input schema as the model APIs accept it (module doc)."""
    root = schema if isinstance(schema, dict) else {}
    defs: dict[str, Any] = {}
    for key in ("$defs", "definitions"):
        found = root.get(key)
        if isinstance(found, dict):
            defs.update({f"#/{key}/{name}": value for name, value in found.items()})
    cleaned = _clean(root, defs, 0)
    if cleaned.get("type") != "object":
        # Not an object at the top (or a union): the APIs need one.
        cleaned = {"type": "object", "properties": {}}
    cleaned.setdefault("properties", {})
    return cleaned


def _clean(node: Any, defs: dict[str, Any], depth: int) -> dict[str, Any]:
    if not isinstance(node, dict):
        # `true` (anything) and malformed schemas: a string is the safest reading.
        return {"type": "string"}
    ref = node.get("$ref")
    if isinstance(ref, str):
        target = defs.get(ref)
        if target is None or depth >= _MAX_REF_DEPTH:
            out: dict[str, Any] = {"type": "object", "properties": {}}
        else:
            out = _clean(target, defs, depth + 1)
        if isinstance(node.get("description"), str):
            out["description"] = node["description"]
        return out
    out = {key: value for key, value in node.items() if key in _KEPT}
    all_of = node.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1:
        merged = _clean(all_of[0], defs, depth)
        return {**merged, **{k: v for k, v in out.items() if k != "type"}}
    alternatives = node.get("anyOf", node.get("oneOf"))
    if isinstance(alternatives, list) and alternatives:
        out.pop("type", None)
        out["anyOf"] = [_clean(alt, defs, depth) for alt in alternatives]
        return out
    properties = node.get("properties")
    if isinstance(properties, dict):
        out["properties"] = {str(k): _clean(v, defs, depth) for k, v in properties.items()}
    for key in ("items", "additionalProperties"):
        value = node.get(key)
        if isinstance(value, dict):
            out[key] = _clean(value, defs, depth)
        elif isinstance(value, bool) and key == "additionalProperties":
            out[key] = value
    _fix_type(out, node)
    if isinstance(out.get("required"), list) and isinstance(out.get("properties"), dict):
        out["required"] = [r for r in out["required"] if r in out["properties"]]
    elif "required" in out:
        out.pop("required")
    return out


def _fix_type(out: dict[str, Any], node: dict[str, Any]) -> None:
    """Every schema gets a `type` the APIs know; objects `properties`, arrays `items`."""
    declared = node.get("type")
    if isinstance(declared, list):
        kinds = [t for t in declared if t in _JSON_TYPES]
        declared = kinds if len(kinds) > 1 else (kinds[0] if kinds else None)
    elif declared not in _JSON_TYPES:
        declared = None
    if declared is None:
        declared = _infer_type(node)
    out["type"] = declared
    kinds = declared if isinstance(declared, list) else [declared]
    if "object" in kinds:
        out.setdefault("properties", {})
    if "array" in kinds:
        out.setdefault("items", {"type": "string"})


def _infer_type(node: dict[str, Any]) -> str:
    if any(k in node for k in ("properties", "required", "additionalProperties")):
        return "object"
    if any(k in node for k in ("items", "prefixItems", "minItems", "maxItems")):
        return "array"
    values = node.get("enum")
    if "const" in node:
        values = [node["const"]]
    if isinstance(values, list) and values:
        if all(isinstance(v, bool) for v in values):
            return "boolean"
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            return "number"
    if any(k in node for k in ("minimum", "maximum", "multipleOf", "exclusiveMinimum")):
        return "number"
    return "string"
