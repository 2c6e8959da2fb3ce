"""`textDocument/codeAction`: "Ask Codex to fix" per diagnostic, "Ask Codex to fix this" on a
range (no diagnostic needed), "Ask Codex about selection", and running the action's command
starts a turn with the problem and the code."""

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
    trigger: lsp.CodeActionTriggerKind | None = None,
) -> lsp.CodeActionParams:
    return lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=path.as_uri()),
        range=rng,
        context=lsp.CodeActionContext(diagnostics=diagnostics, only=only, trigger_kind=trigger),
    )


def at(line: int, character: int) -> lsp.Range:
    """An empty range: the cursor."""
    return lsp.Range(start=lsp.Position(line, character), end=lsp.Position(line, character))


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
    fix, fix_this, about = await code_actions(client, request(path, selection, [DIAGNOSTIC]))
    assert fix["title"] == "Ask Codex to fix" and fix["kind"] == "quickfix"
    assert fix["diagnostics"][0]["message"] == DIAGNOSTIC.message
    assert fix["command"]["command"] == "codex.ask"
    (arg,) = fix["command"]["arguments"]
    assert arg["text"].startswith(
        "Fix this problem: undefined name 'undefined_name' (pyflakes, F821)"
    )
    assert arg["uri"] == path.as_uri()
    assert arg["range"]["start"] == {"line": 0, "character": 0}
    # The selection (lines 4-5) without a diagnostic of its own: its lines quoted, the
    # code around them as the document input.
    assert fix_this["title"] == "Ask Codex to fix this" and fix_this["kind"] == "quickfix"
    assert not fix_this.get("diagnostics")
    (arg,) = fix_this["command"]["arguments"]
    assert fix_this["command"]["command"] == "codex.ask"
    assert arg["text"] == (
        f"Fix the problem in this code: lines 4-5 of {path}.\n"
        "The lines:\n```\ndef main():\n    print(undefined_name)\n```"
    )
    assert arg["uri"] == path.as_uri()
    assert arg["range"] == {
        "start": {"line": 0, "character": 0},
        "end": {"line": 8, "character": 0},
    }
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
    # A cursor, asked automatically (VS Code's light bulb) or without saying: nothing.
    assert await code_actions(client, request(path, cursor, [])) == []
    automatic = lsp.CodeActionTriggerKind.Automatic
    assert await code_actions(client, request(path, cursor, [], trigger=automatic)) == []
    span = lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=1, character=0))
    refactors = await code_actions(
        client, request(path, span, [DIAGNOSTIC], only=[lsp.CodeActionKind.Refactor])
    )
    assert [a["title"] for a in refactors] == ["Ask Codex about selection"]
    quickfixes = await code_actions(
        client, request(path, span, [], only=[lsp.CodeActionKind.QuickFix])
    )
    assert [a["title"] for a in quickfixes] == ["Ask Codex to fix this"]


async def test_fix_this_at_the_cursor_when_asked(
    make_client: ClientFactory, workspace: Path
) -> None:
    path = workspace / "main.py"
    path.write_text(SOURCE)
    editor = Editor()
    client = await make_client(capabilities="neovim@v0.10.0", before_start=editor.install)
    editor.open(path, "python")
    invoked = lsp.CodeActionTriggerKind.Invoked
    (fix_this,) = await code_actions(client, request(path, at(4, 12), [], trigger=invoked))
    assert fix_this["title"] == "Ask Codex to fix this"
    (arg,) = fix_this["command"]["arguments"]
    assert arg["text"] == (
        f"Fix the problem in this code: line 5, columns 1-25 of {path}.\n"
        "The line:\n```\n    print(undefined_name)\n```"
    )
    # On a blank line there is nothing to fix; with a diagnostic both are offered.
    assert await code_actions(client, request(path, at(1, 0), [], trigger=invoked)) == []
    both = await code_actions(client, request(path, at(4, 12), [DIAGNOSTIC], trigger=invoked))
    assert [a["title"] for a in both] == ["Ask Codex to fix", "Ask Codex to fix this"]


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


async def test_running_fix_this_sends_the_line_and_the_code_around_it(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    path = workspace / "main.py"
    path.write_text(SOURCE)
    editor = Editor()
    client = await make_client(capabilities="neovim@v0.10.0", before_start=editor.install)
    editor.open(path, "python")
    # The user changed the line in the buffer (unsaved): the action quotes what they see.
    editor.edit(path, (4, 10), (4, 24), "missing_value")
    selection = lsp.Range(start=lsp.Position(4, 4), end=lsp.Position(4, 27))
    (fix_this, _about) = await code_actions(client, request(path, selection, []))
    mock_model.enqueue(text_response("Define it first."))
    result = await client.request(
        lsp.WORKSPACE_EXECUTE_COMMAND,
        lsp.ExecuteCommandParams(
            command=fix_this["command"]["command"], arguments=fix_this["command"]["arguments"]
        ),
    )
    done = await client.wait_for(
        "codex/turn/completed", lambda p: p["turn"]["id"] == result["turnId"]
    )
    assert done["turn"]["status"] == "completed"
    sent = model_text(mock_model.requests[0].body)
    assert f"Fix the problem in this code: line 5, columns 5-27 of {path}." in sent
    assert "The line:\n```\n    print(missing_value)\n```" in sent
    assert "def main():\n    print(missing_value)\n\n\nmain()" in sent  # the code around it
