"""docs/TELEMETRY.md lists every event, metadata attribute and event attribute of the
catalog the code sends, and the contract's resource."""

from __future__ import annotations

import re
from pathlib import Path

from codex_lsp.core.telemetry import catalog

DOC = Path(__file__).resolve().parents[2] / "docs" / "TELEMETRY.md"


def _section(text: str, event: str) -> str:
    match = re.search(rf"^### `{re.escape(event)}`\n(.*?)(?=^### |^## )", text, re.M | re.S)
    assert match, f"no section for {event}"
    return match.group(1)


def _table_keys(text: str) -> set[str]:
    return set(re.findall(r"^\| `([^`]+)` \|", text, re.M))


def test_every_event_and_attribute_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    metadata = re.search(r"^## Metadata.*?(?=^## )", text, re.M | re.S)
    assert metadata and _table_keys(metadata.group(0)) == set(catalog.METADATA)
    resource = re.search(r"^## Resource.*?(?=^## )", text, re.M | re.S)
    assert resource and _table_keys(resource.group(0)) == set(catalog.RESOURCE_KEYS)
    for event in catalog.EVENTS:
        assert _table_keys(_section(text, event)) == set(catalog.ATTRIBUTES[event]), event
