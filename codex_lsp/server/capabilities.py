"""The capability snapshot that `early` answers `initialize` from, computed by pygls.

pygls computes a server's capabilities from the handlers registered on it; this module
builds the real server, lets pygls answer an `initialize`, and keeps the result
(`codex-lsp schema` writes it next to `early.py`; a test fails when it is out of date).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from .app import create_server
from .early import SNAPSHOT, WILL_SAVE

# The client the snapshot is computed for: one that states `willSave`/`willSaveWaitUntil`,
# so that the snapshot records whether the server supports them.
SNAPSHOT_CLIENT: dict[str, Any] = {
    "textDocument": {"synchronization": dict.fromkeys(WILL_SAVE, True)}
}


def pygls_initialize_result(client_capabilities: dict[str, Any]) -> dict[str, Any]:
    """The `InitializeResult` pygls gives a client with these capabilities."""
    with tempfile.TemporaryDirectory() as home:
        server = create_server(Path(home))
        request = {
            "jsonrpc": "2.0",
            "id": 0,
            "method": "initialize",
            "params": {"processId": None, "capabilities": client_capabilities},
        }
        response = server.replay_initialize(request)
    result: dict[str, Any] = response["result"]
    return result


def snapshot_path() -> Path:
    """Where the snapshot lives (package data, next to `early.py`)."""
    return Path(__file__).with_name(SNAPSHOT)


def current_snapshot() -> str:
    """The snapshot's text for the server as it is registered now."""
    capabilities = dict(pygls_initialize_result(SNAPSHOT_CLIENT)["capabilities"])
    capabilities.pop("positionEncoding", None)  # chosen per client (see `early`)
    return json.dumps(capabilities, indent=2, sort_keys=True) + "\n"


def write_snapshot() -> Path:
    """Write the snapshot; its path."""
    path = snapshot_path()
    path.write_text(current_snapshot(), encoding="utf-8")
    return path
