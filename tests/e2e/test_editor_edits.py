"""Edits to open documents: versioned per-hunk workspace edits, each capability fallback,
the disk holding the approved text before the next tool runs, and stale versions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lsprotocol import types as lsp

from codex_lsp.mock_model import (
    MockModelServer,
    MockResponse,
    custom_tool_call_response,
    text_response,
    tool_call_response,
)
from tests.conftest import ClientFactory
from tests.e2e.editor_helpers import Editor, caps
from tests.e2e.tool_helpers import tool_outputs

ORIGINAL = "".join(f"line {i}\n" for i in range(1, 21))
TWO_HUNKS = """*** Begin Patch
*** Update File: notes.txt
@@
 line 2
-line 3
+line three
 line 4
@@
 line 16
-line 17
+line seventeen
 line 18
*** End Patch"""
PATCHED = ORIGINAL.replace("line 3\n", "line three\n").replace("line 17\n", "line seventeen\n")


def patch_call(patch: str = TWO_HUNKS, call_id: str = "p1") -> MockResponse:
    return custom_tool_call_response("apply_patch", patch, call_id=call_id)


def text_edits(edit: lsp.WorkspaceEdit) -> list[lsp.TextDocumentEdit]:
    return [c for c in edit.document_changes or [] if isinstance(c, lsp.TextDocumentEdit)]


async def test_open_document_gets_a_versioned_edit_with_one_text_edit_per_hunk(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    path = workspace / "notes.txt"
    path.write_text(ORIGINAL)
    editor = Editor(saves=True)
    client = await make_client(capabilities="visual-studio-code", before_start=editor.install)
    editor.open(path)
    editor.edit(path, (0, 0), (0, 0), "")  # version 2, same text
    thread = (await client.start_thread(approvalPolicy="never"))["thread"]["id"]
    mock_model.enqueue(patch_call(), text_response("done"))
    turn = await client.turn(thread, "edit")
    assert turn["status"] == "completed"
    (edit,) = editor.edits()
    (doc_edit,) = text_edits(edit)
    assert doc_edit.text_document.uri == path.as_uri()
    assert doc_edit.text_document.version == 2
    assert [
        (e.range.start.line, e.range.end.line, getattr(e, "new_text", None)) for e in doc_edit.edits
    ] == [
        (2, 3, "line three\n"),
        (16, 17, "line seventeen\n"),
    ]
    assert editor.buffers[path.as_uri()].text == PATCHED
    assert path.read_text() == PATCHED


async def test_without_document_changes_the_edit_uses_changes(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    path = workspace / "notes.txt"
    path.write_text(ORIGINAL)
    editor = Editor()
    client = await make_client(
        capabilities=caps("visual-studio-code", document_changes=False),
        before_start=editor.install,
    )
    editor.open(path)
    thread = (await client.start_thread(approvalPolicy="never"))["thread"]["id"]
    mock_model.enqueue(patch_call(), text_response("done"))
    await client.turn(thread, "edit")
    (edit,) = editor.edits()
    assert edit.document_changes is None
    assert edit.changes is not None
    assert [len(v) for v in edit.changes.values()] == [2]
    assert editor.buffers[path.as_uri()].text == PATCHED


async def test_without_resource_operations_the_server_creates_and_deletes_files(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    (workspace / "notes.txt").write_text(ORIGINAL)
    (workspace / "old.txt").write_text("old\n")
    editor = Editor(saves=True)
    client = await make_client(
        capabilities=caps("visual-studio-code", resource_operations=[]),
        before_start=editor.install,
    )
    thread = (await client.start_thread(approvalPolicy="never"))["thread"]["id"]
    patch = TWO_HUNKS.replace(
        "*** End Patch", "*** Add File: new.txt\n+fresh\n*** Delete File: old.txt\n*** End Patch"
    )
    mock_model.enqueue(patch_call(patch), text_response("done"))
    turn = await client.turn(thread, "edit")
    assert turn["status"] == "completed"
    (edit,) = editor.edits()
    kinds = {type(c).__name__ for c in edit.document_changes or []}
    assert kinds == {"TextDocumentEdit"}
    assert (workspace / "new.txt").read_text() == "fresh\n"
    assert not (workspace / "old.txt").exists()
    assert (workspace / "notes.txt").read_text() == PATCHED


async def test_without_change_annotations_the_user_is_asked_first(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    path = workspace / "notes.txt"
    path.write_text(ORIGINAL)
    editor = Editor()
    editor.titles.append("Apply")
    client = await make_client(
        capabilities=caps("visual-studio-code", change_annotation_support=None),
        before_start=editor.install,
    )
    editor.open(path)
    thread = (await client.start_thread(approvalPolicy="untrusted"))["thread"]["id"]
    mock_model.enqueue(patch_call(), text_response("done"))
    await client.turn(thread, "edit")
    assert [m for m, _ in editor.requests] == [
        lsp.WINDOW_SHOW_MESSAGE_REQUEST,
        lsp.WORKSPACE_APPLY_EDIT,
    ]
    (edit,) = editor.edits()
    assert not edit.change_annotations
    assert editor.buffers[path.as_uri()].text == PATCHED


@pytest.mark.parametrize(
    ("capabilities", "sync_delay"),
    [("neovim@v0.10.0", None), ("neovim@v0.10.0", 0.15), ("visual-studio-code", None)],
    ids=["neovim", "neovim-debounced-didChange", "vscode-unsaved"],
)
async def test_disk_holds_the_approved_text_before_the_next_tool_runs(
    make_client: ClientFactory,
    mock_model: MockModelServer,
    workspace: Path,
    capabilities: str,
    sync_delay: float | None,
) -> None:
    path = workspace / "notes.txt"
    path.write_text(ORIGINAL)
    # The edit stays in the buffer, like Neovim; its didChange may come after the answer.
    editor = Editor(saves=False, sync_delay=sync_delay)
    editor.titles.append("Apply")
    client = await make_client(capabilities=capabilities, before_start=editor.install)
    editor.open(path)
    editor.edit(path, (0, 0), (0, 0), "# typed, unsaved\n")
    thread = (await client.start_thread(approvalPolicy="untrusted"))["thread"]["id"]
    mock_model.enqueue(
        patch_call(),
        tool_call_response("shell", {"command": ["cat", "notes.txt"]}, call_id="c1"),
        text_response("done"),
    )
    turn = await client.turn(thread, "edit then show")
    assert turn["status"] == "completed"
    approved = "# typed, unsaved\n" + PATCHED
    assert editor.buffers[path.as_uri()].text == approved
    assert path.read_text() == approved
    output = json.loads(tool_outputs(mock_model.requests[-1].body)[1])["output"]
    assert output == approved


async def test_a_stale_version_is_recomputed_and_the_users_typing_kept(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    path = workspace / "notes.txt"
    path.write_text(ORIGINAL)
    editor = Editor(saves=True)
    client = await make_client(capabilities="visual-studio-code", before_start=editor.install)
    editor.open(path)
    # The user types at the top just as the edit arrives: the editor refuses the version.
    editor.before_apply.append(lambda _edit: editor.edit(path, (0, 0), (0, 0), "typing\n"))
    thread = (await client.start_thread(approvalPolicy="never"))["thread"]["id"]
    mock_model.enqueue(patch_call(), text_response("done"))
    turn = await client.turn(thread, "edit")
    assert turn["status"] == "completed"
    first, second = editor.edits()
    assert text_edits(first)[0].text_document.version == 1
    retry = text_edits(second)[0]
    assert retry.text_document.version == 2
    assert [e.range.start.line for e in retry.edits] == [3, 17]  # shifted by the new line
    expected = "typing\n" + PATCHED
    assert editor.buffers[path.as_uri()].text == expected
    assert path.read_text() == expected
    item = next(i for i in turn["items"] if i["type"] == "fileChange")
    assert item["status"] == "completed"
    assert "Success" in tool_outputs(mock_model.requests[-1].body)[0]


async def test_typing_while_asked_is_kept_when_the_edit_has_no_versions(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    path = workspace / "notes.txt"
    path.write_text(ORIGINAL)
    editor = Editor()
    editor.titles.append("Apply")
    # Neovim's edits carry no version: the server recomputes before sending.
    client = await make_client(capabilities="neovim@v0.10.0", before_start=editor.install)
    editor.open(path)
    editor.before_answer.append(lambda: editor.edit(path, (0, 0), (0, 0), "one\ntwo\n"))
    thread = (await client.start_thread(approvalPolicy="untrusted"))["thread"]["id"]
    mock_model.enqueue(patch_call(), text_response("done"))
    turn = await client.turn(thread, "edit")
    assert turn["status"] == "completed"
    (edit,) = editor.edits()
    assert edit.changes is not None
    (edits,) = edit.changes.values()
    assert [e.range.start.line for e in edits] == [4, 18]
    expected = "one\ntwo\n" + PATCHED
    assert editor.buffers[path.as_uri()].text == expected
    assert path.read_text() == expected


async def test_a_patch_that_no_longer_applies_fails_without_touching_the_buffer(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    path = workspace / "notes.txt"
    path.write_text(ORIGINAL)
    editor = Editor(saves=True)
    client = await make_client(capabilities="visual-studio-code", before_start=editor.install)
    editor.open(path)
    # The user rewrites the very lines the patch changes.
    editor.before_apply.append(lambda _e: editor.edit(path, (2, 0), (3, 0), "mine 3\n"))
    thread = (await client.start_thread(approvalPolicy="never"))["thread"]["id"]
    mock_model.enqueue(patch_call(), text_response("ok"))
    turn = await client.turn(thread, "edit")
    assert turn["status"] == "completed"
    assert len(editor.edits()) == 1
    user_text = ORIGINAL.replace("line 3\n", "mine 3\n")
    assert editor.buffers[path.as_uri()].text == user_text
    assert path.read_text() == ORIGINAL
    item = next(i for i in turn["items"] if i["type"] == "fileChange")
    assert item["status"] == "failed"
    assert "no longer applies" in tool_outputs(mock_model.requests[-1].body)[0]
