"""JSON Schema of the protocol, generated from the wire models and the method table.

`codex-lsp schema --out schemas/` writes a bundle (`codex_lsp.schema.json`: every type under
`$defs` plus the method table) and one file per type under `types/`. Params are described as
clients send them (validation mode); results and notifications as the server sends them
(serialization mode: every field present). Types that differ between the two directions get
`-Input`/`-Output` suffixes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from . import initialize, methods

BUNDLE_NAME = "codex_lsp.schema.json"
TYPES_DIR = "types"
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _pairs() -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    pairs: list[tuple[type[BaseModel], JsonSchemaMode]] = []
    for spec in methods.REQUESTS.values():
        if spec.params is not None:
            pairs.append((spec.params, "validation"))
        pairs.append((spec.result, "serialization"))
    for spec in methods.SERVER_REQUESTS.values():
        if spec.params is not None:
            pairs.append((spec.params, "serialization"))
        pairs.append((spec.result, "validation"))
    pairs.extend((model, "serialization") for model in methods.NOTIFICATIONS.values())
    pairs.append((initialize.ClientCodexCapabilities, "validation"))
    pairs.append((initialize.EditorSettings, "validation"))
    pairs.append((initialize.ServerCodexCapabilities, "serialization"))
    # A model may be listed twice (shared params/results); keep the first.
    seen: set[tuple[type[BaseModel], str]] = set()
    unique = []
    for pair in pairs:
        if pair not in seen:
            seen.add(pair)
            unique.append(pair)
    return unique


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def build_bundle() -> dict[str, Any]:
    """The whole protocol as one JSON Schema document."""
    pairs = _pairs()
    keys, schema = models_json_schema(pairs, ref_template="#/$defs/{model}")

    def ref_of(model: type[BaseModel] | None, mode: JsonSchemaMode) -> dict[str, Any]:
        if model is None:
            return {"type": "null"}
        return dict(keys[(model, mode)])

    def table(specs: dict[str, methods.RequestSpec], server: bool) -> dict[str, Any]:
        p_mode: JsonSchemaMode = "serialization" if server else "validation"
        r_mode: JsonSchemaMode = "validation" if server else "serialization"
        return {
            name: {"params": ref_of(spec.params, p_mode), "result": ref_of(spec.result, r_mode)}
            for name, spec in sorted(specs.items())
        }

    return {
        "$schema": DRAFT,
        "title": "codex-lsp protocol",
        "description": "Custom LSP methods of codex-lsp (Codex app-server v2 shapes).",
        "requests": table(methods.REQUESTS, server=False),
        "serverRequests": table(methods.SERVER_REQUESTS, server=True),
        "notifications": {
            name: {"params": ref_of(model, "serialization")}
            for name, model in sorted(methods.NOTIFICATIONS.items())
        },
        "$defs": dict(sorted(schema.get("$defs", {}).items())),
    }


def _relink(node: Any) -> Any:
    """Point `#/$defs/X` references at the sibling file `X.json`."""
    if isinstance(node, dict):
        return {
            k: (f"{_ref_name(v)}.json" if k == "$ref" and isinstance(v, str) else _relink(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_relink(v) for v in node]
    return node


def render() -> dict[str, str]:
    """Every schema file, relative path -> text."""
    bundle = build_bundle()
    files = {BUNDLE_NAME: _dump(bundle)}
    for name, definition in bundle["$defs"].items():
        doc = {"$schema": DRAFT, "$id": f"{name}.json", **_relink(definition)}
        files[f"{TYPES_DIR}/{name}.json"] = _dump(doc)
    return files


def _dump(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write_schemas(out: Path) -> list[Path]:
    """Write the schema files into `out`, removing stale per-type files."""
    files = render()
    types_dir = out / TYPES_DIR
    types_dir.mkdir(parents=True, exist_ok=True)
    wanted = {out / rel for rel in files}
    for stale in types_dir.glob("*.json"):
        if stale not in wanted:
            stale.unlink()
    written = []
    for rel, text in files.items():
        path = out / rel
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
