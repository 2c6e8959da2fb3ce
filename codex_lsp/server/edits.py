"""File changes as LSP `WorkspaceEdit`s: one annotated `TextEdit` per hunk, resource
operations for created, deleted and moved files, and reading back what really landed.

After the client answered `applied: true` (PROTOCOL.md), `await_landing` waits for the
change to show before `observe_applied` judges it hunk by hunk:

- A client that synced a document before answering (VS Code: its didChange comes before
  the answer) costs no wait: whatever of the edit does not show then, the user left out.
- Otherwise (Neovim debounces its didChange, possibly by seconds), the server waits up to
  `LANDING_TIMEOUT` for every file: an open document whose version moved past the one the
  edit was sent against (for an edit without a version, only once the text shows some of
  the edit: the user's typing meanwhile is not the edit), a document opened since with
  other text, or a file that is not open changing on disk. Once part of the edit showed,
  files that were not open get `SETTLE_TIMEOUT` more, open documents `OPEN_SETTLE_TIMEOUT`;
  an open document still unchanged then was left out by the user (its hunks rejected).
  Files still showing nothing are trusted: they count as applied as proposed and the
  server writes them to disk, so an answer of `applied: true` is never reported to the
  model as a decline.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from lsprotocol import types as lsp

from ..core.approvals.gate import ChangeOutcome
from ..core.text import (
    FileChange,
    Hunk,
    apply_hunks,
    hunks_applied,
    split_lines,
    text_change,
    updated_file_diff,
    write_changes,
)
from ..protocol.enums import ApprovalDecision
from .documents import DISK_POLL, LANDING_TIMEOUT, OPEN_SETTLE_TIMEOUT, SETTLE_TIMEOUT

if TYPE_CHECKING:
    from .app import CodexLanguageServer

log = logging.getLogger(__name__)

ANNOTATION_ID = "codex-change"


@dataclass
class EditPlan:
    """The edit sent to the client and what the server must do itself afterwards."""

    edit: lsp.WorkspaceEdit
    # Changes whose resource operations the client cannot do: written by the server.
    server_side: list[FileChange] = field(default_factory=list)
    # URIs whose text edits carry the document's version: the client applies them only to
    # that version, so a later version is the edit (never typing that came before it).
    versioned: set[str] = field(default_factory=set)


def _range(hunk: Hunk) -> lsp.Range:
    return lsp.Range(
        start=lsp.Position(line=hunk.old_start, character=0),
        end=lsp.Position(line=hunk.old_end, character=0),
    )


def _text_edits(
    hunks: Sequence[Hunk], annotation: str | None
) -> list[lsp.TextEdit | lsp.AnnotatedTextEdit]:
    edits: list[lsp.TextEdit | lsp.AnnotatedTextEdit] = []
    for hunk in hunks:
        text = "".join(hunk.new_lines)
        if annotation is not None:
            edits.append(
                lsp.AnnotatedTextEdit(range=_range(hunk), new_text=text, annotation_id=annotation)
            )
        else:
            edits.append(lsp.TextEdit(range=_range(hunk), new_text=text))
    return edits


def _doc_version(server: CodexLanguageServer, uri: str) -> int | None:
    return server.documents.version(uri)


def workspace_edit(
    server: CodexLanguageServer,
    changes: Sequence[FileChange],
    *,
    confirm: bool,
    label: str,
    reason: str | None,
) -> EditPlan:
    """Build the edit, using what the client supports (documentChanges, resource ops)."""
    caps = server.protocol.client_capabilities
    ws_edit = caps.workspace.workspace_edit if caps.workspace is not None else None
    document_changes = bool(ws_edit and ws_edit.document_changes)
    ops = set(ws_edit.resource_operations or []) if ws_edit is not None else set()
    annotations = bool(ws_edit and ws_edit.change_annotation_support)
    annotation = ANNOTATION_ID if (confirm or annotations) and document_changes else None
    plan = EditPlan(edit=lsp.WorkspaceEdit())
    if not document_changes:
        by_uri: dict[str, list[lsp.TextEdit]] = {}
        for change in changes:
            if change.kind == "update" and change.move_path is None:
                by_uri[change.path.as_uri()] = [
                    lsp.TextEdit(range=_range(h), new_text="".join(h.new_lines))
                    for h in change.hunks
                ]
            else:
                plan.server_side.append(change)
        plan.edit.changes = by_uri
        return plan
    items: list[lsp.TextDocumentEdit | lsp.CreateFile | lsp.RenameFile | lsp.DeleteFile] = []
    for change in changes:
        uri = change.path.as_uri()
        if change.kind == "add":
            if lsp.ResourceOperationKind.Create not in ops:
                plan.server_side.append(change)
                continue
            items.append(
                lsp.CreateFile(
                    uri=uri,
                    annotation_id=annotation,
                    options=lsp.CreateFileOptions(overwrite=False),
                )
            )
            items.append(
                lsp.TextDocumentEdit(
                    text_document=lsp.OptionalVersionedTextDocumentIdentifier(
                        uri=uri, version=None
                    ),
                    edits=_text_edits(change.hunks, annotation),
                )
            )
        elif change.kind == "delete":
            if lsp.ResourceOperationKind.Delete not in ops:
                plan.server_side.append(change)
                continue
            items.append(lsp.DeleteFile(uri=uri, annotation_id=annotation))
        else:
            if change.move_path is not None and lsp.ResourceOperationKind.Rename not in ops:
                plan.server_side.append(change)
                continue
            if change.hunks:
                version = _doc_version(server, uri)
                if version is not None:
                    plan.versioned.add(uri)
                items.append(
                    lsp.TextDocumentEdit(
                        text_document=lsp.OptionalVersionedTextDocumentIdentifier(
                            uri=uri, version=version
                        ),
                        edits=_text_edits(change.hunks, annotation),
                    )
                )
            if change.move_path is not None:
                items.append(
                    lsp.RenameFile(
                        old_uri=uri, new_uri=change.move_path.as_uri(), annotation_id=annotation
                    )
                )
    plan.edit.document_changes = items
    if annotation is not None:
        plan.edit.change_annotations = {
            annotation: lsp.ChangeAnnotation(
                label=label, needs_confirmation=confirm, description=reason
            )
        }
    return plan


def _current_text(server: CodexLanguageServer, path: Path) -> str | None:
    source = server.documents.path_text(path)
    if source is not None:
        return source
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError, UnicodeDecodeError):
        return None


def _paths(change: FileChange) -> list[Path]:
    return [change.path] if change.move_path is None else [change.path, change.move_path]


@dataclass(frozen=True)
class Sent:
    """The edit's files as the server saw them when it sent the edit: each path's open
    document version (None: not open), text (buffer or disk; None: absent or unreadable)
    and whether it existed on disk."""

    versions: dict[Path, int | None]
    texts: dict[Path, str | None]
    exists: dict[Path, bool]


def before_sending(server: CodexLanguageServer, changes: Sequence[FileChange]) -> Sent:
    """Note what the edit's files hold now (just before `workspace/applyEdit` goes out)."""
    sent = Sent({}, {}, {})
    for change in changes:
        for path in _paths(change):
            sent.versions[path] = server.documents.version(path.as_uri())
            sent.texts[path] = _current_text(server, path)
            sent.exists[path] = path.exists()
    return sent


def _shows_edit(change: FileChange, now: str | None) -> bool:
    """Does `now` hold the proposal or at least one of its hunks?"""
    if now is None or change.old_text is None:
        return False
    return now == change.new_text or any(hunks_applied(change.old_text, now, change.hunks))


Evidence = Literal["document", "disk"]


def _landed(
    server: CodexLanguageServer, change: FileChange, plan: EditPlan, sent: Sent
) -> Evidence | None:
    """Has the client's application of `change` become visible, and how: through the
    document sync (`didChange`/`didOpen`) or on disk? None: not (yet)."""
    documents = server.documents
    resource_op = change.kind != "update" or change.move_path is not None
    for path in _paths(change):
        uri = path.as_uri()
        was, version = sent.versions.get(path), documents.version(uri)
        if version is None:
            # Not open (or closed since): the file on disk.
            if _current_text(server, path) != sent.texts.get(path):
                return "disk"
        elif was is None:
            # Opened since the edit was sent.
            if documents.text(uri) != sent.texts.get(path):
                return "document"
        elif version > was:
            if uri in plan.versioned or resource_op:
                return "document"
            # An edit without a version: a didChange of the user's typing before the edit
            # reached the buffer moves the version too; wait until the text shows the edit.
            if _shows_edit(change, documents.text(uri)):
                return "document"
        if resource_op and path.exists() != sent.exists.get(path):
            return "disk"  # created, deleted or moved (its document may stay open)
    return None


async def await_landing(
    server: CodexLanguageServer,
    changes: Sequence[FileChange],
    plan: EditPlan,
    sent: Sent,
    timeout: float = LANDING_TIMEOUT,
) -> list[FileChange]:
    """After `applied: true`: wait (bounded) until the client's change shows (see the
    module doc). Returns the changes of which nothing showed, to be trusted as applied."""
    watched = [c for c in changes if c not in plan.server_side]
    seen = [_landed(server, c, plan, sent) for c in watched]
    if "document" in seen:
        # The client synced before answering (VS Code): what does not show, the user left
        # out. (Files created or deleted on disk say nothing: Neovim does those at once
        # and syncs the text later.)
        return []
    pending = [c for c, how in zip(watched, seen, strict=True) if how is None]
    documents = server.documents
    deadline = time.monotonic() + timeout
    settled_at: float | None = None
    synced = False  # a document synced the part of the edit it got
    while pending:
        now = time.monotonic()
        end = deadline
        if len(pending) < len(watched):
            # Once some of the edit showed, the rest gets a little longer: files that were
            # not open to change on disk (Neovim keeps them in buffers it neither syncs nor
            # saves), open documents to sync (a debounced didChange).
            settled_at = now if settled_at is None else settled_at
            still_open = any(sent.versions.get(p) is not None for c in pending for p in _paths(c))
            end = min(end, settled_at + (OPEN_SETTLE_TIMEOUT if still_open else SETTLE_TIMEOUT))
        if now >= end:
            break
        poll = any(not documents.is_open(p) for c in pending for p in _paths(c))
        await documents.wait_for_change(min(end - now, DISK_POLL) if poll else end - now)
        still: list[FileChange] = []
        for c in pending:
            how = _landed(server, c, plan, sent)
            if how is None:
                still.append(c)
            synced = synced or how == "document"
        pending = still
    if pending and synced:
        # Part of the edit showed in a synced document: an open document that never
        # changed is one whose hunks the user rejected (the client syncs what it applies;
        # a file created or deleted on disk alone does not prove that).
        left_out = [c for c in pending if any(sent.versions.get(p) is not None for p in _paths(c))]
        if left_out:
            log.info(
                "%s stayed as it was while the rest of the edit landed: left out by the user",
                [str(c.move_path or c.path) for c in left_out],
            )
        pending = [c for c in pending if c not in left_out]
    if pending:
        log.info(
            "the client answered applied: true but %s did not change within %.1f s: "
            "trusting it (applied as proposed)",
            [str(c.move_path or c.path) for c in pending],
            time.monotonic() - deadline + timeout,
        )
    return pending


def observe_applied(
    server: CodexLanguageServer,
    changes: Sequence[FileChange],
    plan: EditPlan,
    decision: ApprovalDecision,
    trusted: Sequence[FileChange] = (),
) -> ChangeOutcome:
    """After the client applied the edit: which hunks really landed (the user may untick
    some in VS Code's Refactor Preview), or the user's own version of the change (a client
    that lets the user edit the proposal before accepting). Files the client changed are
    read back from the synced buffer or the disk; the server writes what the client could
    not, and the `trusted` changes (applied by the client's word, nothing of them visible)
    where no open document holds them (`Documents.save_approved` writes those)."""
    applied: list[FileChange] = []
    rejected: dict[str, list[int]] = {}
    edited: dict[str, str] = {}
    ours: list[FileChange] = []
    trusted_ids = {id(c) for c in trusted}
    for change in changes:
        if change in plan.server_side:
            ours.append(change)
            continue
        target = change.move_path or change.path
        if id(change) in trusted_ids:
            applied.append(change)
            # An open document's approved text is saved by `Documents.save_approved`.
            plain_update = change.kind == "update" and change.move_path is None
            if not (plain_update and server.documents.is_open(target)):
                ours.append(change)
            continue
        now = _current_text(server, target)
        if change.kind == "delete":
            if now is None:
                applied.append(change)
            continue
        if change.kind == "add":
            if now is not None:
                applied.append(change)
                if now == "" and change.new_text and not server.documents.is_open(target):
                    # The client created the file and keeps its text in a buffer it does
                    # not sync (Neovim): the disk must hold what was approved.
                    ours.append(change)
            continue
        if now is None or change.old_text is None:
            continue
        if now == change.new_text:
            applied.append(change)
            continue
        present = hunks_applied(change.old_text, now, change.hunks)
        kept = [h for h, ok in zip(change.hunks, present, strict=True) if ok]
        if change.move_path is None and now != _with_hunks(change.old_text, kept):
            # Neither the proposal nor a subset of its hunks: the user's own version landed.
            applied.append(_landed_as(change, now))
            edited[str(change.path)] = _proposal_vs_landed(change, now)
            continue
        if all(present):
            applied.append(change)
            continue
        if not any(present) and change.move_path is None:
            rejected[str(change.path)] = list(range(1, len(change.hunks) + 1))
            continue
        rejected[str(change.path)] = [i for i, ok in enumerate(present, 1) if not ok]
        applied.append(_partial(change, kept))
    if ours:
        write_changes(ours)
    applied.extend(plan.server_side)
    return ChangeOutcome(decision, applied=applied, rejected_hunks=rejected, user_edited=edited)


def _with_hunks(old_text: str, hunks: Sequence[Hunk]) -> str | None:
    try:
        return apply_hunks(old_text, hunks)
    except ValueError:
        return None


def _diff_labels(diff: str, fallback: str) -> tuple[str, str]:
    old = new = fallback
    for line in diff.splitlines()[:4]:
        if line.startswith("--- a/"):
            old = line[len("--- a/") :]
        elif line.startswith("+++ b/"):
            new = line[len("+++ b/") :]
    return old, new


def _partial(change: FileChange, kept: list[Hunk]) -> FileChange:
    """The change reduced to the hunks that landed (its diff recomputed)."""
    assert change.old_text is not None
    old, new = _diff_labels(change.diff, change.path.as_posix())
    return FileChange(
        path=change.path,
        kind=change.kind,
        move_path=change.move_path,
        old_text=change.old_text,
        new_text=apply_hunks(change.old_text, kept),
        diff=updated_file_diff(old, new, split_lines(change.old_text), kept),
        hunks=kept,
    )


def _landed_as(change: FileChange, now: str) -> FileChange:
    """The change as it really landed: `old_text` -> `now`."""
    assert change.old_text is not None
    label, _ = _diff_labels(change.diff, change.path.as_posix())
    hunks, diff = text_change(label, change.old_text, now)
    return FileChange(change.path, change.kind, None, change.old_text, now, diff, hunks)


def _proposal_vs_landed(change: FileChange, now: str) -> str:
    """A unified diff from the proposed text (``---``) to what the file holds (``+++``)."""
    label, _ = _diff_labels(change.diff, change.path.as_posix())
    return text_change(label, change.new_text or "", now)[1]


def land_on_disk(changes: Sequence[FileChange], decision: ApprovalDecision) -> ChangeOutcome:
    """No editor to apply it: the server writes the approved change itself."""
    write_changes(changes)
    return ChangeOutcome(decision, applied=list(changes))
