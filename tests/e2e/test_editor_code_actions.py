"""`textDocument/codeAction`: "Ask Codex to fix" per diagnostic, "Ask Codex about selection",
and running the action's command starts a turn with the problem and the code."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as lsp
from pygls.protocol import JsonRPCResponseMessage

from codex_lsp.mock_model import MockModelServer, text_response
from tests.conftest import ClientFactory
from tests.e2e.editor_helpers import Editor, model_text
from tests.lsp_client import TIMEOUT, CodexClient

SOURCE = "import os\n\n\ndef main():\n    print(undefined_name)\n\n\nmain()\n"
DIAGNOSTIC = lsp.Diagnostic(
    range=lsp.Range(
        start=lsp.Position(line=4, character=10), end=lsp.Position(line=4, character=24)
    ),
    message="undefined name 'undefined_name'",
    severity=lsp.DiagnosticSeverity.Error,
    source="pyflakes",
    code="F821",
)


def request(
    path: Path,
    rng: lsp.Range,
    diagnostics: list[lsp.Diagnostic],
    only: list[lsp.CodeActionKind] | None = None,
) -> lsp.CodeActionParams:
    return lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=path.as_uri()),
        range=rng,
        context=lsp.CodeActionContext(diagnostics=diagnostics, only=only),
    )


def raw_code_action_results(client: CodexClient) -> None:
    """lsprotocol structures a CodeAction that has a `command` as a Command: keep the
    JSON the server sent instead (what editors read)."""
    client.lc.protocol._converter.register_structure_hook(
        lsp.CodeActionResponse,
        lambda obj, _cls: JsonRPCResponseMessage(
            id=obj["id"], jsonrpc=obj["jsonrpc"], result=obj.get("result")
        ),
    )


async def code_actions(client: CodexClient, params: lsp.CodeActionParams) -> list[Any]:
    raw_code_action_results(client)
    result = await asyncio.wait_for(client.lc.text_document_code_action_async(params), TIMEOUT)
    return list(result or [])


@pytest.mark.parametrize("capabilities", ["visual-studio-code", "neovim@v0.10.0"])
async def test_fix_and_selection_actions(
    make_client: ClientFactory, workspace: Path, capabilities: str
) -> None:
    path = workspace / "main.py"
    path.write_text(SOURCE)
    editor = Editor()
    client = await make_client(capabilities=capabilities, before_start=editor.install)
    provider = client.initialize_result.capabilities.code_action_provider
    assert set(provider.code_action_kinds) == {"quickfix", "refactor.rewrite"}
    editor.open(path, "python")
    selection = lsp.Range(
        start=lsp.Position(line=3, character=0), end=lsp.Position(line=5, character=0)
    )
    fix, about = await code_actions(client, request(path, selection, [DIAGNOSTIC]))
    assert fix["title"] == "Ask Codex to fix" and fix["kind"] == "quickfix"
    assert fix["diagnostics"][0]["message"] == DIAGNOSTIC.message
    assert fix["command"]["command"] == "codex.ask"
    (arg,) = fix["command"]["arguments"]
    assert arg["text"].startswith(
        "Fix this problem: undefined name 'undefined_name' (pyflakes, F821)"
    )
    assert arg["uri"] == path.as_uri()
    assert arg["range"]["start"] == {"line": 0, "character": 0}
    assert about["title"] == "Ask Codex about selection" and about["kind"] == "refactor.rewrite"
    assert "diagnostics" not in about or not about["diagnostics"]
    (arg,) = about["command"]["arguments"]
    assert arg["range"] == {
        "start": {"line": 3, "character": 0},
        "end": {"line": 5, "character": 0},
    }


async def test_empty_selection_and_only_filters(
    make_client: ClientFactory, workspace: Path
) -> None:
    path = workspace / "main.py"
    path.write_text(SOURCE)
    client = await make_client(capabilities="visual-studio-code")
    cursor = lsp.Range(
        start=lsp.Position(line=4, character=12), end=lsp.Position(line=4, character=12)
    )
    actions = await code_actions(client, request(path, cursor, [DIAGNOSTIC]))
    assert [a["title"] for a in actions] == ["Ask Codex to fix"]
    assert await code_actions(client, request(path, cursor, [])) == []
    span = lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=1, character=0))
    refactors = await code_actions(
        client, request(path, span, [DIAGNOSTIC], only=[lsp.CodeActionKind.Refactor])
    )
    assert [a["title"] for a in refactors] == ["Ask Codex about selection"]


async def test_clients_without_code_action_literals_get_commands(
    make_client: ClientFactory, workspace: Path
) -> None:
    path = workspace / "main.py"
    path.write_text(SOURCE)
    client = await make_client()  # no textDocument.codeAction capability
    cursor = lsp.Range(
        start=lsp.Position(line=4, character=12), end=lsp.Position(line=4, character=12)
    )
    (command,) = await code_actions(client, request(path, cursor, [DIAGNOSTIC]))
    assert command["command"] == "codex.ask" and command["title"] == "Ask Codex to fix"
    assert "kind" not in command


async def test_running_the_fix_starts_a_turn_with_the_problem_and_the_code(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    path = workspace / "main.py"
    path.write_text(SOURCE)
    editor = Editor()
    client = await make_client(capabilities="neovim@v0.10.0", before_start=editor.install)
    editor.open(path, "python")
    cursor = lsp.Range(
        start=lsp.Position(line=4, character=12), end=lsp.Position(line=4, character=12)
    )
    (fix,) = await code_actions(client, request(path, cursor, [DIAGNOSTIC]))
    mock_model.enqueue(text_response("Define it first."))
    result = await client.request(
        lsp.WORKSPACE_EXECUTE_COMMAND,
        lsp.ExecuteCommandParams(
            command=fix["command"]["command"], arguments=fix["command"]["arguments"]
        ),
    )
    done = await client.wait_for(
        "codex/turn/completed", lambda p: p["turn"]["id"] == result["turnId"]
    )
    assert done["turn"]["status"] == "completed"
    sent = model_text(mock_model.requests[0].body)
    assert "Fix this problem: undefined name 'undefined_name' (pyflakes, F821)" in sent
    assert "line 5, column 11" in sent
    assert SOURCE.rstrip("\n") in sent  # the code around it (here: the whole file)
