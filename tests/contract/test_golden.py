"""Every golden wire shape survives JSON -> model -> JSON unchanged (nulls included)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

GOLDEN = sorted((Path(__file__).parent.parent / "golden").glob("*.json"))


def _model(dotted: str) -> type[BaseModel]:
    module, _, name = dotted.rpartition(".")
    model: type[BaseModel] = getattr(importlib.import_module(module), name)
    return model


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_round_trip(path: Path) -> None:
    doc: dict[str, Any] = json.loads(path.read_text())
    model = _model(doc["type"])
    parsed = model.model_validate(doc["json"])
    assert parsed.model_dump(mode="json", by_alias=True) == doc["json"]


def test_there_are_goldens() -> None:
    assert len(GOLDEN) >= 15


def test_absent_optionals_are_sent_as_null() -> None:
    from codex_lsp.protocol.thread import Thread

    sent = Thread(
        id="t", model_provider="p", cwd="/", created_at=1, updated_at=1, session_id="t",
        cli_version="1",
    ).wire()  # fmt: skip
    assert sent["name"] is None and sent["forkedFromId"] is None and sent["path"] is None
    assert sent["status"] == {"type": "notLoaded"}
    assert sent["projectId"] is None and sent["ephemeral"] is False
    assert sent["source"] == "appServer"
