"""apply_patch end to end: each approval transport, declines that never touch disk, and
partial acceptance reported to the model."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lsprotocol import types as lsp

from codex_lsp.mock_model import (
    MockModelServer,
    MockResponse,
    custom_tool_call_response,
    text_response,
)
from tests.conftest import ClientFactory
from tests.e2e.tool_helpers import Answers, sha, tool_outputs

ORIGINAL = "".join(f"line {i}\n" for i in range(1, 31))
PATCH = """*** Begin Patch
*** Update File: notes.txt
@@
 line 2
-line 3
+line three
 line 4
@@
 line 25
-line 26
+line twenty-six
 line 27
*** Add File: new.txt
+brand new
*** End Patch"""


def patch_call() -> MockResponse:
    return custom_tool_call_response("apply_patch", PATCH, call_id="patch_1")


def expected(first: bool, second: bool) -> str:
    text = ORIGINAL
    if first:
        text = text.replace("line 3\n", "line three\n")
    if second:
        text = text.replace("line 26\n", "line twenty-six\n")
    return text


@pytest.mark.parametrize(
    ("caps", "custom"),
    [("visual-studio-code", True), ("visual-studio-code", False), ("neovim", False)],
    ids=["custom-requests", "applyEdit-annotations", "neovim-showMessageRequest"],
)
async def test_accept_lands_the_whole_patch(
    make_client: ClientFactory,
    mock_model: MockModelServer,
    workspace: Path,
    caps: str,
    custom: bool,
) -> None:
    (workspace / "notes.txt").write_text(ORIGINAL)
    answers = Answers()
    answers.decisions.append("accept")
    answers.titles.append("Apply")
    client = await make_client(
        capabilities=caps, codex_caps={"approvals": custom}, before_start=answers.install
    )
    thread = (await client.start_thread(approvalPolicy="untrusted"))["thread"]["id"]
    mock_model.enqueue(patch_call(), text_response("done"))
    turn = await client.turn(thread, "edit")
    assert turn["status"] == "completed"
    assert (workspace / "notes.txt").read_text() == expected(True, True)
    assert (workspace / "new.txt").read_text() == "brand new\n"
    item = next(i for i in turn["items"] if i["type"] == "fileChange")
    assert item["status"] == "completed"
    assert [c["kind"]["type"] for c in item["changes"]] == ["update", "add"]
    assert "Success" in tool_outputs(mock_model.requests[-1].body)[0]
    methods = [m for m, _ in answers.requests]
    edits = [p for m, p in answers.requests if m == lsp.WORKSPACE_APPLY_EDIT]
    if custom:
        assert methods[0] == "codex/item/fileChange/requestApproval"
        assert answers.requests[0][1]["changes"][0]["path"].endswith("notes.txt")
    elif caps == "neovim":
        assert methods[0] == lsp.WINDOW_SHOW_MESSAGE_REQUEST
    else:
        assert methods == [lsp.WORKSPACE_APPLY_EDIT]
        edit = edits[0].edit
        (annotation,) = edit.change_annotations.values()
        assert annotation.needs_confirmation is True
        text_edits = [
            e for c in edit.document_changes if isinstance(c, lsp.TextDocumentEdit) for e in c.edits
        ]
        assert len(text_edits) == 3  # one per hunk (2) + the new file's content
    assert len(client.of("codex/serverRequest/resolved")) == len(answers.requests)


@pytest.mark.parametrize(
    ("caps", "custom"),
    [("visual-studio-code", True), ("visual-studio-code", False), ("neovim", False)],
    ids=["custom-requests", "applyEdit-annotations", "neovim-showMessageRequest"],
)
async def test_decline_never_touches_disk(
    make_client: ClientFactory,
    mock_model: MockModelServer,
    workspace: Path,
    caps: str,
    custom: bool,
) -> None:
    (workspace / "notes.txt").write_text(ORIGINAL)
    before = sha(workspace / "notes.txt")
    answers = Answers()
    answers.decisions.append("decline")
    answers.titles.append("Decline")
    answers.apply_result = False
    client = await make_client(
        capabilities=caps, codex_caps={"approvals": custom}, before_start=answers.install
    )
    thread = (await client.start_thread(approvalPolicy="untrusted"))["thread"]["id"]
    mock_model.enqueue(patch_call(), text_response("ok"))
    turn = await client.turn(thread, "edit")
    assert turn["status"] == "completed"
    assert sha(workspace / "notes.txt") == before
    assert not (workspace / "new.txt").exists()
    item = next(i for i in turn["items"] if i["type"] == "fileChange")
    assert item["status"] == "declined"
    assert "declined" in tool_outputs(mock_model.requests[-1].body)[0]


async def test_partial_acceptance_is_reported(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    (workspace / "notes.txt").write_text(ORIGINAL)
    answers = Answers()
    answers.keep_hunks = [0, 2]  # the first hunk and the new file; the second hunk unticked
    client = await make_client(capabilities="visual-studio-code", before_start=answers.install)
    thread = (await client.start_thread(approvalPolicy="untrusted"))["thread"]["id"]
    mock_model.enqueue(patch_call(), text_response("noted"))
    turn = await client.turn(thread, "edit")
    assert (workspace / "notes.txt").read_text() == expected(True, False)
    item = next(i for i in turn["items"] if i["type"] == "fileChange")
    assert item["status"] == "completed"
    diff = item["changes"][0]["diff"]
    assert "+line three" in diff and "twenty-six" not in diff
    output = tool_outputs(mock_model.requests[-1].body)[0]
    assert "rejected these hunks" in output and "notes.txt: hunk 2" in output


async def test_the_users_own_version_of_a_hunk_is_what_the_model_hears(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    """The user rewrote hunk 1 before accepting and unticked hunk 2: the item and the tool
    output describe what landed, and the model sees its proposal against the user's text."""
    (workspace / "notes.txt").write_text(ORIGINAL)
    answers = Answers()
    answers.keep_hunks = [0, 2]
    answers.user_versions = {"line three\n": "line 3, reworded by me\n"}
    client = await make_client(capabilities="visual-studio-code", before_start=answers.install)
    thread = (await client.start_thread(approvalPolicy="untrusted"))["thread"]["id"]
    mock_model.enqueue(patch_call(), text_response("noted"))
    turn = await client.turn(thread, "edit")
    landed = ORIGINAL.replace("line 3\n", "line 3, reworded by me\n")
    assert (workspace / "notes.txt").read_text() == landed
    assert (workspace / "new.txt").read_text() == "brand new\n"
    item = next(i for i in turn["items"] if i["type"] == "fileChange")
    assert item["status"] == "completed"
    notes = next(c for c in item["changes"] if c["path"].endswith("notes.txt"))
    assert "+line 3, reworded by me" in notes["diff"] and "-line 3\n" in notes["diff"]
    assert "line three" not in notes["diff"] and "twenty-six" not in notes["diff"]
    output = tool_outputs(mock_model.requests[-1].body)[0]
    assert "edited your change before accepting it" in output
    assert "-line three\n+line 3, reworded by me\n" in output
    assert "-line twenty-six\n+line 26\n" in output
    assert "rejected these hunks" not in output


async def test_cancel_interrupts_the_turn(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    (workspace / "notes.txt").write_text(ORIGINAL)
    answers = Answers()
    answers.decisions.append("cancel")
    client = await make_client(
        capabilities="visual-studio-code",
        codex_caps={"approvals": True},
        before_start=answers.install,
    )
    thread = (await client.start_thread(approvalPolicy="untrusted"))["thread"]["id"]
    mock_model.enqueue(patch_call(), text_response("never"))
    turn = await client.turn(thread, "edit")
    assert turn["status"] == "interrupted"
    assert (workspace / "notes.txt").read_text() == ORIGINAL
    assert len(mock_model.requests) == 1


async def test_accept_for_session_is_not_asked_again(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    (workspace / "notes.txt").write_text(ORIGINAL)
    answers = Answers()
    answers.decisions.append("acceptForSession")
    client = await make_client(
        capabilities="visual-studio-code",
        codex_caps={"approvals": True},
        before_start=answers.install,
    )
    thread = (await client.start_thread(approvalPolicy="untrusted"))["thread"]["id"]
    second = "*** Begin Patch\n*** Add File: second.txt\n+again\n*** End Patch"
    mock_model.enqueue(
        patch_call(),
        custom_tool_call_response("apply_patch", second, call_id="p2"),
        text_response("done"),
    )
    turn = await client.turn(thread, "edit twice")
    assert turn["status"] == "completed"
    asked = [m for m, _ in answers.requests if m == "codex/item/fileChange/requestApproval"]
    assert len(asked) == 1
    assert (workspace / "second.txt").read_text() == "again\n"


async def test_on_request_applies_inside_the_workspace_and_refuses_escapes(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    (workspace / "notes.txt").write_text(ORIGINAL)
    answers = Answers()
    client = await make_client(capabilities="visual-studio-code", before_start=answers.install)
    thread = (await client.start_thread(approvalPolicy="never"))["thread"]["id"]
    # The temp directory is a writable root: escape to the home directory instead.
    target = Path.home() / f"codex-escape-{os.getpid()}.txt"
    escape = f"*** Begin Patch\n*** Add File: {target}\n+x\n*** End Patch"
    mock_model.enqueue(
        patch_call(),
        custom_tool_call_response("apply_patch", escape, call_id="p2"),
        text_response("done"),
    )
    turn = await client.turn(thread, "edit")
    assert (workspace / "notes.txt").read_text() == expected(True, True)
    edit = next(p for m, p in answers.requests if m == lsp.WORKSPACE_APPLY_EDIT).edit
    assert not any(a.needs_confirmation for a in (edit.change_annotations or {}).values())
    items = [i for i in turn["items"] if i["type"] == "fileChange"]
    assert [i["status"] for i in items] == ["completed", "declined"]
    assert not target.exists()
    assert "outside the writable roots" in tool_outputs(mock_model.requests[-1].body)[1]
