"""Answering `initialize` before pygls is loaded (codex-lsp's start-up, see `codex_lsp.lazy`).

Importing pygls and lsprotocol costs ~350 ms and our own modules (pydantic models, the
core) ~150 ms more, yet the answer to `initialize` is a constant: the capabilities follow
from the handlers the server registers, not from the client, except `positionEncoding`
(the client's first offer the server supports, as pygls chooses it) and whether
`willSave` is stated at all. So the server answers
from `capabilities.json`, a snapshot of what pygls computes for this server, then loads
pygls and its own modules and hands pygls the same `initialize` (its answer captured, not
sent) so that pygls and the session hold the client's capabilities, folders and settings
exactly as if pygls had answered.

The snapshot cannot silently drift: `codex-lsp schema` regenerates it, a test compares it
with pygls' answer for several clients, and the running server compares its early answer
with pygls' captured one and logs an error when they differ.

This module imports nothing beyond the standard library (a test holds that).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from .. import __version__

SNAPSHOT = "capabilities.json"
# pygls' position encodings, in its order of support; UTF-16 is the LSP default.
SUPPORTED_ENCODINGS = ("utf-8", "utf-16", "utf-32")
DEFAULT_ENCODING = "utf-16"
# The two capabilities pygls words after the client's (see `_text_document_sync`).
WILL_SAVE = ("willSave", "willSaveWaitUntil")


def load_snapshot() -> dict[str, Any]:
    """The server capabilities (without `positionEncoding`) that `codex-lsp schema` saved."""
    text = resources.files(__package__).joinpath(SNAPSHOT).read_text(encoding="utf-8")
    snapshot: dict[str, Any] = json.loads(text)
    return snapshot


def choose_position_encoding(capabilities: dict[str, Any]) -> str:
    """The client's first offered encoding the server supports, else UTF-16 (pygls' rule)."""
    general = capabilities.get("general")
    offered = general.get("positionEncodings") if isinstance(general, dict) else None
    if isinstance(offered, list):
        for encoding in offered:
            if encoding in SUPPORTED_ENCODINGS:
                return str(encoding)
    return DEFAULT_ENCODING


def _optional(params: dict[str, Any], name: str, *types: type) -> bool:
    value = params.get(name)
    return value is None or isinstance(value, types)


def _plausible(params: object) -> bool:
    """Whether `params` has the shape of `InitializeParams` at its top level.

    Anything else is left to pygls (built first, then answering with its -32602). A fault
    deeper down (a wrong type inside `capabilities`) shows only when pygls reads the
    params after the early answer: the server then logs it and goes on without the
    client's capabilities (see `app.CodexLanguageServer.replay_initialize`).
    """
    if not isinstance(params, dict) or not isinstance(params.get("capabilities"), dict):
        return False
    process_id = params.get("processId")
    if isinstance(process_id, bool) or not _optional(params, "processId", int):
        return False
    if not all(_optional(params, name, str) for name in ("rootUri", "rootPath", "locale")):
        return False
    if params.get("trace") not in (None, "off", "messages", "verbose"):
        return False
    client_info = params.get("clientInfo")
    if client_info is not None and not (
        isinstance(client_info, dict) and isinstance(client_info.get("name"), str)
    ):
        return False
    folders = params.get("workspaceFolders")
    if folders is not None and not (
        isinstance(folders, list)
        and all(
            isinstance(f, dict) and isinstance(f.get("uri"), str) and isinstance(f.get("name"), str)
            for f in folders
        )
    ):
        return False
    token = params.get("workDoneToken")
    return token is None or (isinstance(token, int | str) and not isinstance(token, bool))


def _text_document_sync(capabilities: dict[str, Any], snapshot: dict[str, Any]) -> dict[str, Any]:
    """`textDocumentSync` as pygls words it: `willSave` and `willSaveWaitUntil` appear only
    when the client states its own (then true only if both sides support them); the snapshot
    holds whether the server does (see `capabilities.SNAPSHOT_CLIENT`)."""
    sync = dict(snapshot.get("textDocumentSync", {}))
    document = capabilities.get("textDocument")
    client = document.get("synchronization") if isinstance(document, dict) else None
    for key in WILL_SAVE:
        server_side = bool(sync.pop(key, False))
        stated = client.get(key) if isinstance(client, dict) else None
        if stated is not None:
            sync[key] = bool(stated) and server_side
    return sync


def initialize_result(capabilities: dict[str, Any], snapshot: dict[str, Any]) -> dict[str, Any]:
    """The `InitializeResult` for a client with these capabilities."""
    result = {"positionEncoding": choose_position_encoding(capabilities), **snapshot}
    if "textDocumentSync" in snapshot:
        result["textDocumentSync"] = _text_document_sync(capabilities, snapshot)
    return {
        "capabilities": result,
        "serverInfo": {"name": "codex-lsp", "version": __version__},
    }


def early_answer(message: object) -> dict[str, Any] | None:
    """The response to `message` when it is an `initialize` request this module can answer
    (a JSON-RPC 2.0 request whose params have the right shape); None otherwise."""
    if not isinstance(message, dict) or message.get("method") != "initialize":
        return None
    msg_id = message.get("id")
    if message.get("jsonrpc") != "2.0" or isinstance(msg_id, bool):
        return None
    if not isinstance(msg_id, int | str):
        return None
    params = message.get("params")
    if not _plausible(params):
        return None
    assert isinstance(params, dict)
    return {
        "jsonrpc": "2.0",
        "id": msg_id,
        "result": initialize_result(params["capabilities"], load_snapshot()),
    }
