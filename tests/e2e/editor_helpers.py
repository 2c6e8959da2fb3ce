"""A scripted editor for the editor-feature tests: open documents synced to the server,
workspace edits applied into those buffers (checking versions like vscode-languageclient),
and answers to `window/showMessageRequest`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pytest_lsp import client_capabilities

from tests.lsp_client import TIMEOUT, CodexClient


def caps(name: str, **workspace_edit: Any) -> lsp.ClientCapabilities:
    """A recorded capability set with some `workspace.workspaceEdit` fields replaced."""
    recorded = client_capabilities(name)
    assert recorded.workspace is not None and recorded.workspace.workspace_edit is not None
    for key, value in workspace_edit.items():
        setattr(recorded.workspace.workspace_edit, key, value)
    return recorded


@dataclass
class Buffer:
    """An open document as the editor holds it."""

    path: Path
    version: int
    text: str

    @property
    def uri(self) -> str:
        return self.path.as_uri()


def apply_text_edits(text: str, edits: list[Any]) -> str:
    """Apply LSP text edits (positions in lines/characters) to `text`."""
    lines = text.splitlines(keepends=True)

    def offset(pos: lsp.Position) -> int:
        return sum(len(line) for line in lines[: pos.line]) + (
            pos.character if pos.line < len(lines) else 0
        )

    spans = sorted(
        ((offset(e.range.start), offset(e.range.end), e.new_text) for e in edits), reverse=True
    )
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


class Editor:
    """Open buffers plus the handlers an editor has for the server's requests.

    `saves` True behaves like VS Code (edited documents are saved after an applied edit),
    False like Neovim (edits stay in the buffers). Files that are not open are edited on
    disk (what both editors end up doing for refactoring edits), unless `disk_delay` says
    otherwise."""

    def __init__(
        self,
        *,
        saves: bool = False,
        sync_delay: float | None = None,
        answer_delay: float = 0.0,
        syncs: bool = True,
        keep_hunks: list[int] | None = None,
        disk_delay: float | None = 0.0,
    ) -> None:
        self._client: CodexClient | None = None
        self.saves = saves
        # Send the didChange of an applied edit this long after answering (Neovim
        # debounces it); None: before answering.
        self.sync_delay = sync_delay
        # Apply and answer `workspace/applyEdit` this long after it arrived.
        self.answer_delay = answer_delay
        # False: never send the didChange of an applied edit (the edit stays in the buffer).
        self.syncs = syncs
        # Which text edits (0-based, in the edit's order) are applied; None: all (the user
        # unticked the others, as in VS Code's Refactor Preview).
        self.keep_hunks = keep_hunks
        # Text edits to files that are not open reach the disk this long after the edit
        # was applied; None: never (they stay in a buffer the server does not see).
        self.disk_delay = disk_delay
        self.buffers: dict[str, Buffer] = {}
        self.titles: list[str | None] = []
        self.requests: list[tuple[str, Any]] = []
        # Called with the edit before it is applied (simulate the user typing meanwhile).
        self.before_apply: list[Callable[[lsp.WorkspaceEdit], None]] = []
        self.before_answer: list[Callable[[], None]] = []
        self._edit_index = 0

    @property
    def client(self) -> CodexClient:
        assert self._client is not None, "install the editor first (before_start)"
        return self._client

    # ---- documents -------------------------------------------------------------------

    def open(self, path: Path, language: str = "plaintext") -> Buffer:
        """didOpen with the file's text on disk."""
        buf = Buffer(path, 1, path.read_text())
        self.buffers[buf.uri] = buf
        self.client.lc.text_document_did_open(
            lsp.DidOpenTextDocumentParams(
                text_document=lsp.TextDocumentItem(
                    uri=buf.uri, language_id=language, version=buf.version, text=buf.text
                )
            )
        )
        return buf

    def edit(self, path: Path, start: tuple[int, int], end: tuple[int, int], text: str) -> None:
        """The user types: an incremental didChange (nothing saved)."""
        buf = self.buffers[path.as_uri()]
        rng = lsp.Range(
            start=lsp.Position(line=start[0], character=start[1]),
            end=lsp.Position(line=end[0], character=end[1]),
        )
        buf.text = apply_text_edits(buf.text, [lsp.TextEdit(range=rng, new_text=text)])
        buf.version += 1
        self.client.lc.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=buf.uri, version=buf.version),
                content_changes=[lsp.TextDocumentContentChangePartial(range=rng, text=text)],
            )
        )

    def _replace(self, buf: Buffer, text: str) -> None:
        buf.text = text
        buf.version += 1
        params = lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=buf.uri, version=buf.version),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
        )
        send = self.client.lc.text_document_did_change
        if not self.syncs:
            return
        if self.sync_delay is None:
            send(params)
        else:
            asyncio.get_running_loop().call_later(self.sync_delay, send, params)

    # ---- handlers --------------------------------------------------------------------

    def install(self, client: CodexClient) -> None:
        """Register the handlers (pass as `before_start`)."""
        self._client = client
        lc = client.lc

        @lc.feature(lsp.WINDOW_SHOW_MESSAGE_REQUEST)  # type: ignore[untyped-decorator]
        def show(params: lsp.ShowMessageRequestParams) -> lsp.MessageActionItem | None:
            self.requests.append((lsp.WINDOW_SHOW_MESSAGE_REQUEST, params))
            if self.before_answer:
                self.before_answer.pop(0)()
            title = self.titles.pop(0) if self.titles else None
            return lsp.MessageActionItem(title=title) if title is not None else None

        @lc.feature(lsp.WORKSPACE_APPLY_EDIT)  # type: ignore[untyped-decorator]
        async def apply(params: lsp.ApplyWorkspaceEditParams) -> lsp.ApplyWorkspaceEditResult:
            self.requests.append((lsp.WORKSPACE_APPLY_EDIT, params))
            if self.answer_delay > 0:
                await asyncio.sleep(self.answer_delay)
            if self.before_apply:
                self.before_apply.pop(0)(params.edit)
            return self._apply(params.edit)

    def edits(self) -> list[lsp.WorkspaceEdit]:
        """Every workspace edit received."""
        return [p.edit for m, p in self.requests if m == lsp.WORKSPACE_APPLY_EDIT]

    def _apply(self, edit: lsp.WorkspaceEdit) -> lsp.ApplyWorkspaceEditResult:
        # Versions first, as vscode-languageclient does: nothing is applied on a mismatch.
        for change in edit.document_changes or []:
            if isinstance(change, lsp.TextDocumentEdit):
                buf = self.buffers.get(change.text_document.uri)
                version = change.text_document.version
                if buf is not None and version is not None and version != buf.version:
                    return lsp.ApplyWorkspaceEditResult(
                        applied=False,
                        failure_reason=f"Version {version} of {buf.uri} does not match the "
                        f"document's version {buf.version}",
                    )
        self._edit_index = 0
        touched: list[Buffer] = []
        for uri, text_edits in (edit.changes or {}).items():
            touched += self._edit_text(uri, list(text_edits))
        for change in edit.document_changes or []:
            if isinstance(change, lsp.CreateFile):
                _path(change.uri).parent.mkdir(parents=True, exist_ok=True)
                _path(change.uri).write_text("")
            elif isinstance(change, lsp.DeleteFile):
                _path(change.uri).unlink()
            elif isinstance(change, lsp.RenameFile):
                _path(change.old_uri).rename(_path(change.new_uri))
            elif isinstance(change, lsp.TextDocumentEdit):
                touched += self._edit_text(change.text_document.uri, list(change.edits))
        if self.saves:
            for buf in touched:
                buf.path.write_text(buf.text)
        return lsp.ApplyWorkspaceEditResult(applied=True)

    def _kept(self, edits: list[Any]) -> list[Any]:
        kept = []
        for edit in edits:
            if self.keep_hunks is None or self._edit_index in self.keep_hunks:
                kept.append(edit)
            self._edit_index += 1
        return kept

    def _edit_text(self, uri: str, edits: list[Any]) -> list[Buffer]:
        edits = self._kept(edits)
        buf = self.buffers.get(uri)
        if buf is None:
            path = _path(uri)
            text = apply_text_edits(path.read_text(), edits)
            if self.disk_delay == 0:
                path.write_text(text)
            elif self.disk_delay is not None:
                asyncio.get_running_loop().call_later(self.disk_delay, path.write_text, text)
            return []
        self._replace(buf, apply_text_edits(buf.text, edits))
        return [buf]


def _path(uri: str) -> Path:
    return Path(uri.removeprefix("file://"))


async def eventually(check: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    """Wait until `check()` holds (bounded)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.02)


def model_text(body: dict[str, Any]) -> str:
    """Every text the model was sent in a request (instructions excluded), joined."""
    out: list[str] = []
    for item in body["input"]:
        content = item.get("content")
        if isinstance(content, list):
            out += [str(part.get("text", "")) for part in content if isinstance(part, dict)]
        elif isinstance(content, str):
            out.append(content)
        if "output" in item:
            out.append(str(item["output"]))
    return "\n".join(out)
