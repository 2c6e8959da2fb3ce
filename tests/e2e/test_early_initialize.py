"""`initialize` answered before pygls is loaded (`codex_lsp.server.early`), and the answer
equal to what pygls computes.

The server answers from `capabilities.json`, then builds pygls and hands it the same
request. These tests hold that the snapshot is current, that the early answer equals
pygls' for clients that offer different things, that the real server process logs no
drift for a full client, that the client's capabilities still reach pygls and the session
(folders, settings, position encoding), and that malformed params still get `-32602`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from codex_lsp.server.capabilities import (
    current_snapshot,
    pygls_initialize_result,
    snapshot_path,
)
from codex_lsp.server.early import early_answer, initialize_result, load_snapshot
from tests.e2e.raw_server import RawServer

# What VS Code 1.139 offers, trimmed to the parts pygls' capability builder reads, plus
# everything a server could react to; and smaller clients.
FULL_CLIENT: dict[str, Any] = {
    "general": {"positionEncodings": ["utf-16"]},
    "workspace": {
        "configuration": True,
        "workspaceFolders": True,
        "applyEdit": True,
        "workspaceEdit": {"documentChanges": True, "changeAnnotationSupport": {}},
        "fileOperations": {
            "didCreate": True,
            "willCreate": True,
            "didRename": True,
            "willRename": True,
            "didDelete": True,
            "willDelete": True,
        },
    },
    "textDocument": {
        "synchronization": {"willSave": True, "willSaveWaitUntil": True, "didSave": True},
        "rename": {"prepareSupport": True},
        "codeAction": {"codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["quickfix"]}}},
    },
    "notebookDocument": {"synchronization": {"dynamicRegistration": True}},
    "window": {"workDoneProgress": True, "showDocument": {"support": True}},
    "experimental": {"codex": {"deltas": True}},
}

CLIENTS: dict[str, dict[str, Any]] = {
    "none": {},
    "full": FULL_CLIENT,
    "utf-8 first": {"general": {"positionEncodings": ["utf-8", "utf-16"]}},
    "utf-32 only": {"general": {"positionEncodings": ["utf-32"]}},
    "unknown encodings": {"general": {"positionEncodings": ["utf-7", "ebcdic"]}},
    "no general": {"window": {"workDoneProgress": False}},
    "will save stated false": {"textDocument": {"synchronization": {"willSave": False}}},
}


async def _initialize(server: RawServer, params: dict[str, Any]) -> dict[str, Any]:
    await server.send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params})
    return await server.reply_to(1)


async def _stop(server: RawServer) -> None:
    """shutdown + exit, and wait: the whole of stderr is then readable."""
    await server.send({"jsonrpc": "2.0", "id": 99, "method": "shutdown"})
    await server.reply_to(99)
    await server.send({"jsonrpc": "2.0", "method": "exit"})
    assert await server.wait_exit(15) == 0


def test_the_snapshot_is_current() -> None:
    assert snapshot_path().read_text(encoding="utf-8") == current_snapshot(), (
        "codex_lsp/server/capabilities.json is out of date with the registered handlers: "
        "run `codex-lsp schema --out schemas/`"
    )


@pytest.mark.parametrize("name", sorted(CLIENTS))
def test_the_early_answer_is_pygls_answer(name: str) -> None:
    capabilities = CLIENTS[name]
    assert initialize_result(capabilities, load_snapshot()) == pygls_initialize_result(capabilities)


@pytest.mark.parametrize(
    "params",
    [
        {"processId": None},  # no capabilities
        {"processId": "12", "capabilities": {}},
        {"processId": True, "capabilities": {}},
        {"capabilities": {}, "rootUri": 5},
        {"capabilities": {}, "workspaceFolders": [{"uri": "file:///x"}]},
        {"capabilities": {}, "trace": "loud"},
        {"capabilities": {}, "clientInfo": "vim"},
        [],
    ],
)
def test_params_of_the_wrong_shape_are_left_to_pygls(params: Any) -> None:
    message = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params}
    assert early_answer(message) is None


def test_only_initialize_requests_are_answered_early() -> None:
    params: dict[str, Any] = {"processId": None, "capabilities": {}}
    assert early_answer({"jsonrpc": "2.0", "method": "initialize", "params": params}) is None
    assert early_answer({"jsonrpc": "2.0", "id": 1, "method": "shutdown"}) is None
    assert (
        early_answer({"jsonrpc": "1.0", "id": 1, "method": "initialize", "params": params}) is None
    )
    answer = early_answer({"jsonrpc": "2.0", "id": "a", "method": "initialize", "params": params})
    assert answer is not None and answer["id"] == "a"


async def test_the_real_server_answers_a_full_client_with_no_drift(
    codex_home: Path, workspace: Path
) -> None:
    folder = workspace / "project"
    folder.mkdir()
    server = await RawServer.start(codex_home, workspace)
    try:
        answer = await _initialize(
            server,
            {
                "processId": None,
                "rootUri": workspace.as_uri(),
                "workspaceFolders": [{"uri": folder.as_uri(), "name": "project"}],
                "capabilities": {**FULL_CLIENT, "general": {"positionEncodings": ["utf-8"]}},
                "initializationOptions": {"codex": {"model": "gpt-5.1-codex-mini"}},
                "clientInfo": {"name": "test-client", "version": "1"},
            },
        )
        assert answer["result"]["capabilities"]["positionEncoding"] == "utf-8"
        assert (
            "codex/thread/list"
            in answer["result"]["capabilities"]["experimental"]["codex"]["methods"]
        )
        await server.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        # The replayed initialize reached the session: the first folder is the default cwd,
        # the initialization options are the editor's settings.
        await server.send({"jsonrpc": "2.0", "id": 2, "method": "codex/thread/start", "params": {}})
        started = await server.reply_to(2)
        assert started["result"]["cwd"] == str(folder)
        assert started["result"]["model"] == "gpt-5.1-codex-mini"
        await _stop(server)
    finally:
        await server.stop()
    stderr = await server.stderr()
    assert "differs from pygls" not in stderr, stderr
    assert "invalid" not in stderr, stderr


async def test_capabilities_pygls_refuses_are_dropped_not_fatal(
    codex_home: Path, workspace: Path
) -> None:
    server = await RawServer.start(codex_home, workspace)
    try:
        answer = await _initialize(
            server, {"processId": None, "capabilities": {"general": {"positionEncodings": 5}}}
        )
        assert "capabilities" in answer["result"]
        await server.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        await server.send(
            {"jsonrpc": "2.0", "id": 2, "method": "codex/thread/list", "params": {"limit": 1}}
        )
        assert (await server.reply_to(2))["result"]["data"] == []
        await _stop(server)
    finally:
        await server.stop()
    stderr = await server.stderr()
    assert "the client's initialize params are invalid" in stderr, stderr


async def test_an_initialize_of_the_wrong_shape_gets_invalid_params(
    codex_home: Path, workspace: Path
) -> None:
    server = await RawServer.start(codex_home, workspace)
    try:
        answer = await _initialize(server, {"processId": None})
        assert answer["error"]["code"] == -32602, json.dumps(answer)
    finally:
        await server.stop()
