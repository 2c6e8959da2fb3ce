"""The editor's open documents as the agent sees them, and keeping the disk in step.

- Reading: `text(uri)` / `path_text(path)` return the synced buffer (didOpen/didChange,
  unsaved edits included); the thread manager reads `document` inputs through it and the
  tools read files through it.
- After an edit landed through `workspace/applyEdit`: `wait_for_change` wakes the server's
  wait for the client's sync of it (`didOpen`/`didChange`/`didClose`; see
  `edits.await_landing`, bounded by `LANDING_TIMEOUT`), and `save_approved` writes the
  approved text of every edited *open* document whose disk copy differs, so commands and
  tools that read the disk see what the user approved. VS Code saves refactoring edits itself (then
  the disk already matches and nothing is written). A client that keeps the buffer
  modified (Neovim) may still show it as unsaved, and may warn that the file changed on
  disk when the user writes it; the text on disk is identical to the buffer's.
- `window/showDocument`: after a completed fileChange item, the first changed file that is
  not open is shown to the user (without taking focus), when the client supports it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from lsprotocol import types as lsp

from ..core import events as ev
from ..core.tasks import spawn
from ..core.text import FileChange, read_disk_text, write_changes
from ..protocol.items import FileChangeItem

if TYPE_CHECKING:
    from pygls.workspace import TextDocument

    from .app import CodexLanguageServer

log = logging.getLogger(__name__)

# How long to wait, after the client said `applied: true`, for the change to show (its
# didChange, or the file on disk) before trusting the answer (PROTOCOL.md).
LANDING_TIMEOUT = 10.0
# Once the documents the client has open synced, how much longer files it does not have
# open get to change on disk (a client that edits them in buffers it never syncs nor saves,
# such as Neovim, would otherwise cost the whole LANDING_TIMEOUT).
SETTLE_TIMEOUT = 1.0
# How long an open document may take to sync once the rest of an edit showed.
OPEN_SETTLE_TIMEOUT = 3.0
# How often files that are not open are read again while waiting for them to change.
DISK_POLL = 0.1
SHOW_DOCUMENT_TIMEOUT = 10.0


class Documents:
    """The open documents of one editor connection."""

    def __init__(self, server: CodexLanguageServer) -> None:
        self.server = server
        self._changed = asyncio.Event()

    # ---- reading ---------------------------------------------------------------------

    def get(self, uri: str) -> TextDocument | None:
        """The open document for `uri` (pygls keys documents by their unquoted URI)."""
        try:
            docs = self.server.workspace.text_documents
        except RuntimeError:  # not initialized yet
            return None
        doc: TextDocument | None = docs.get(unquote(uri))
        return doc

    def text(self, uri: str) -> str | None:
        """The buffer's text (unsaved edits included), or None when it is not open."""
        doc = self.get(uri)
        if doc is None:
            return None
        source: str = doc.source
        return source

    def path_text(self, path: Path) -> str | None:
        """`text` by path."""
        return self.text(path.as_uri())

    def version(self, uri: str) -> int | None:
        """The open document's version, or None when it is not open."""
        doc = self.get(uri)
        return doc.version if doc is not None else None

    def is_open(self, path: Path) -> bool:
        """Is the file open in the editor (synced through didOpen)?"""
        return self.get(path.as_uri()) is not None

    # ---- after an applied edit -------------------------------------------------------

    def changed(self) -> None:
        """A document opened, changed or closed (wakes `wait_for_change`)."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for_change(self, timeout: float) -> None:
        """Return at the next didOpen/didChange/didClose, or after `timeout` seconds."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), max(timeout, 0.0))

    def save_approved(self, applied: Sequence[FileChange]) -> list[Path]:
        """Write the approved text of edited open documents whose disk copy differs;
        returns the paths written."""
        written: list[Path] = []
        for change in applied:
            if change.kind == "delete" or change.new_text is None:
                continue
            target = change.move_path or change.path
            if not self.is_open(target):
                continue
            try:
                on_disk = read_disk_text(target)
            except (OSError, UnicodeDecodeError):
                on_disk = None
            if on_disk == change.new_text:
                continue
            kind: Any = "add" if on_disk is None else "update"
            try:
                write_changes([FileChange(target, kind, None, on_disk, change.new_text, "", [])])
            except OSError as exc:
                log.warning("could not save the approved text of %s: %s", target, exc)
                continue
            written.append(target)
        if written:
            log.info("saved approved edits of open documents: %s", [str(p) for p in written])
        return written

    # ---- showing changed files -------------------------------------------------------

    def _can_show(self) -> bool:
        caps = self.server.protocol.client_capabilities
        window = caps.window if caps is not None else None
        return bool(window is not None and window.show_document and window.show_document.support)

    def on_event(self, event: ev.CoreEvent) -> None:
        """Notifier listener: show the first file a completed fileChange item changed."""
        if not isinstance(event, ev.ItemCompleted):
            return
        item = event.item
        if not isinstance(item, FileChangeItem) or item.status != "completed":
            return
        if not self._can_show():
            return
        target = first_unopened(self, _targets(item))
        if target is None:
            return
        params = lsp.ShowDocumentParams(uri=target.as_uri(), take_focus=False)
        spawn(self._show(params), name=f"showDocument {target}")

    async def _show(self, params: lsp.ShowDocumentParams) -> None:
        try:
            await asyncio.wait_for(
                self.server.protocol.send_request_async(lsp.WINDOW_SHOW_DOCUMENT, params),
                SHOW_DOCUMENT_TIMEOUT,
            )
        except Exception as exc:  # the client refused or never answered: not our problem
            log.info("window/showDocument %s: %s", params.uri, exc)


def _targets(item: FileChangeItem) -> Iterable[Path]:
    for change in item.changes:
        if change.kind.type == "delete":
            continue
        yield Path(change.kind.move_path or change.path)


def first_unopened(documents: Documents, paths: Iterable[Path]) -> Path | None:
    """The first existing path that is not open in the editor."""
    for path in paths:
        if not documents.is_open(path) and path.is_file():
            return path
    return None


def register_documents(server: CodexLanguageServer, documents: Documents) -> None:
    """Sync hooks (pygls keeps the text; we only hear that it changed)."""

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(_params: lsp.DidOpenTextDocumentParams) -> None:
        documents.changed()

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(_params: lsp.DidChangeTextDocumentParams) -> None:
        documents.changed()

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(_params: lsp.DidCloseTextDocumentParams) -> None:
        documents.changed()
