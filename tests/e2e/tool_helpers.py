"""Helpers for tool and approval tests: a client that answers approval prompts."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp

from tests.lsp_client import CodexClient, plain


def sha(path: Path) -> str | None:
    """The file's hash, or None when it does not exist."""
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


class Answers:
    """Scripted answers to the server's approval requests, and a record of them."""

    def __init__(self) -> None:
        self.decisions: list[str] = []
        self.titles: list[str | None] = []
        # Which hunks (0-based, in edit order) a plain client keeps when applying an edit;
        # None: keep all. `apply_result` False: answer applied=false.
        self.keep_hunks: list[int] | None = None
        # The user's own version of a proposed text, by the edit's new text (as VS Code's
        # editable review lets them write).
        self.user_versions: dict[str, str] = {}
        self.apply_result = True
        self.requests: list[tuple[str, Any]] = []

    def install(self, client: CodexClient) -> None:
        """Register handlers on the client (before it starts)."""
        lc = client.lc

        def decision(method: str) -> Callable[[Any], dict[str, str]]:
            def answer(params: Any) -> dict[str, str]:
                self.requests.append((method, plain(params)))
                return {"decision": self.decisions.pop(0) if self.decisions else "decline"}

            return answer

        lc.feature("codex/item/commandExecution/requestApproval")(
            decision("codex/item/commandExecution/requestApproval")
        )
        lc.feature("codex/item/fileChange/requestApproval")(
            decision("codex/item/fileChange/requestApproval")
        )

        @lc.feature(lsp.WINDOW_SHOW_MESSAGE_REQUEST)  # type: ignore[untyped-decorator]
        def show(params: lsp.ShowMessageRequestParams) -> lsp.MessageActionItem | None:
            self.requests.append((lsp.WINDOW_SHOW_MESSAGE_REQUEST, params))
            title = self.titles.pop(0) if self.titles else None
            return lsp.MessageActionItem(title=title) if title is not None else None

        @lc.feature(lsp.WORKSPACE_APPLY_EDIT)  # type: ignore[untyped-decorator]
        def apply(params: lsp.ApplyWorkspaceEditParams) -> lsp.ApplyWorkspaceEditResult:
            self.requests.append((lsp.WORKSPACE_APPLY_EDIT, params))
            if not self.apply_result:
                return lsp.ApplyWorkspaceEditResult(applied=False)
            apply_to_disk(params.edit, self.keep_hunks, self.user_versions)
            return lsp.ApplyWorkspaceEditResult(applied=True)


def _path(uri: str) -> Path:
    return Path(uri.removeprefix("file://"))


def _apply_text(text: str, edits: list[Any], versions: dict[str, str]) -> str:
    lines = text.splitlines(keepends=True)
    for edit in sorted(edits, key=lambda e: e.range.start.line, reverse=True):
        start, end = edit.range.start.line, edit.range.end.line
        new_text = versions.get(edit.new_text, edit.new_text)
        lines[start:end] = [new_text] if new_text else []
    return "".join(lines)


def apply_to_disk(
    edit: lsp.WorkspaceEdit, keep: list[int] | None, versions: dict[str, str] | None = None
) -> None:
    """What an editor that saves after applying does (VS Code's refactoring auto-save),
    keeping only the hunks in `keep` (the user unticked the others) and writing the user's
    own version of a proposed text where `versions` has one."""
    versions = versions or {}
    counter = 0

    def kept(edits: list[Any]) -> list[Any]:
        nonlocal counter
        out = []
        for e in edits:
            if keep is None or counter in keep:
                out.append(e)
            counter += 1
        return out

    for uri, edits in (edit.changes or {}).items():
        path = _path(uri)
        path.write_text(_apply_text(path.read_text(), kept(list(edits)), versions))
    for change in edit.document_changes or []:
        if isinstance(change, lsp.CreateFile):
            _path(change.uri).parent.mkdir(parents=True, exist_ok=True)
            _path(change.uri).write_text("")
        elif isinstance(change, lsp.DeleteFile):
            _path(change.uri).unlink()
        elif isinstance(change, lsp.RenameFile):
            _path(change.old_uri).rename(_path(change.new_uri))
        elif isinstance(change, lsp.TextDocumentEdit):
            path = _path(change.text_document.uri)
            path.write_text(_apply_text(path.read_text(), kept(list(change.edits)), versions))


def tool_outputs(body: dict[str, Any]) -> list[str]:
    """The tool outputs in a model request, in order."""
    return [
        str(item.get("output"))
        for item in body["input"]
        if item.get("type") in ("function_call_output", "custom_tool_call_output")
    ]
