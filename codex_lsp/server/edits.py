"""File changes as LSP `WorkspaceEdit`s: one annotated `TextEdit` per hunk, resource
operations for created, deleted and moved files, and reading back what really landed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types as lsp

from ..core.approvals.gate import ChangeOutcome
from ..core.tools.apply_patch import (
    FileChange,
    Hunk,
    apply_hunks,
    hunks_applied,
    split_lines,
    write_changes,
)
from ..core.tools.apply_patch.diff import text_change, updated_file_diff
from ..protocol.enums import ApprovalDecision

if TYPE_CHECKING:
    from .app import CodexLanguageServer

ANNOTATION_ID = "codex-change"


@dataclass
class EditPlan:
    """The edit sent to the client and what the server must do itself afterwards."""

    edit: lsp.WorkspaceEdit
    # Changes whose resource operations the client cannot do: written by the server.
    server_side: list[FileChange] = field(default_factory=list)


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
                items.append(
                    lsp.TextDocumentEdit(
                        text_document=lsp.OptionalVersionedTextDocumentIdentifier(
                            uri=uri, version=_doc_version(server, uri)
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


def observe_applied(
    server: CodexLanguageServer,
    changes: Sequence[FileChange],
    plan: EditPlan,
    decision: ApprovalDecision,
) -> ChangeOutcome:
    """After the client applied the edit: which hunks really landed (the user may untick
    some in VS Code's Refactor Preview), or the user's own version of the change (a client
    that lets the user edit the proposal before accepting). Files the client changed are
    read back from the synced buffer or the disk; the server writes what the client could
    not."""
    applied: list[FileChange] = []
    rejected: dict[str, list[int]] = {}
    edited: dict[str, str] = {}
    for change in changes:
        if change in plan.server_side:
            continue
        target = change.move_path or change.path
        now = _current_text(server, target)
        if change.kind == "delete":
            if now is None:
                applied.append(change)
            continue
        if change.kind == "add":
            if now is not None:
                applied.append(change)
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
    if plan.server_side:
        write_changes(plan.server_side)
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
