"""The turn diff and undo end to end (the real server over stdio, the mock model):
`codex/turn/diff/updated` carries every file a turn changed, and `codex.undoTurn` puts them
back through `workspace/applyEdit` (or on disk without an editor), refusing files the user
edited since and refusing while a turn runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from unidiff.patch import PatchSet

from codex_lsp.mock_model import (
    MockModelServer,
    custom_tool_call_response,
    hang_response,
    text_response,
    tool_call_response,
)
from tests.conftest import ClientFactory
from tests.e2e.tool_helpers import Answers, sha
from tests.lsp_client import CodexClient

ORIGINAL = {"a.txt": "one\ntwo\nthree\n", "c.txt": "see\n"}
PATCH = """*** Begin Patch
*** Update File: a.txt
@@
 one
-two
+TWO
*** Add File: b.txt
+bee
*** End Patch"""
SCRIPT = "printf 'more\\n' >> c.txt; printf 'dee\\n' > d.txt"


def seed(workspace: Path) -> dict[str, str | None]:
    for name, text in ORIGINAL.items():
        (workspace / name).write_text(text)
    return {name: sha(workspace / name) for name in ("a.txt", "b.txt", "c.txt", "d.txt")}


async def changing_turn(client: CodexClient, model: MockModelServer, thread: str) -> str:
    model.enqueue(
        custom_tool_call_response("apply_patch", PATCH, call_id="patch_1"),
        tool_call_response("shell", {"command": ["bash", "-c", SCRIPT]}, call_id="shell_1"),
        text_response("done"),
    )
    turn = await client.turn(thread, "change four files")
    assert turn["status"] == "completed", turn
    turn_id: str = turn["id"]
    return turn_id


def idle_after(client: CodexClient, turn_id: str) -> bool:
    """Whether the thread went idle after `turn_id` completed."""
    completed = False
    for method, params, _ in client.notifications:
        if method == "codex/turn/completed" and params["turn"]["id"] == turn_id:
            completed = True
        elif (
            completed
            and method == "codex/thread/status/changed"
            and params["status"]["type"] == "idle"
        ):
            return True
    return False


async def undo(client: CodexClient, thread: str, **extra: Any) -> Any:
    params = lsp.ExecuteCommandParams(
        command="codex.undoTurn", arguments=[{"threadId": thread, **extra}]
    )
    return await client.request(lsp.WORKSPACE_EXECUTE_COMMAND, params)


@pytest.mark.parametrize("caps", ["visual-studio-code", None], ids=["applyEdit", "disk"])
async def test_turn_diff_and_undo(
    make_client: ClientFactory,
    mock_model: MockModelServer,
    workspace: Path,
    caps: str | None,
) -> None:
    hashes = seed(workspace)
    answers = Answers()
    client = await make_client(capabilities=caps, before_start=answers.install)
    thread = (await client.start_thread(approvalPolicy="never"))["thread"]["id"]
    turn_id = await changing_turn(client, mock_model, thread)

    # The turn's diff: every file, sorted, sent before turn/completed.
    order = [m for m, _ in client.for_turn(turn_id)]
    updates = [p for m, p in client.for_turn(turn_id) if m == "codex/turn/diff/updated"]
    assert len(updates) >= 2  # after the patch, after the command
    assert order.index("codex/turn/diff/updated") < order.index("codex/turn/completed")
    patch_set = PatchSet(updates[-1]["diff"])
    assert [(f.source_file, f.target_file) for f in patch_set] == [
        ("a/a.txt", "b/a.txt"),
        ("/dev/null", "b/b.txt"),
        ("a/c.txt", "b/c.txt"),
        ("/dev/null", "b/d.txt"),
    ]
    assert updates[-1]["threadId"] == thread and updates[-1]["turnId"] == turn_id

    edits_before = sum(1 for m, _ in answers.requests if m == lsp.WORKSPACE_APPLY_EDIT)
    result = await undo(client, thread)

    assert result["undone"] is True and result["refused"] == []
    assert sorted(Path(p).name for p in result["restored"]) == ["a.txt", "c.txt"]
    assert sorted(Path(p).name for p in result["deleted"]) == ["b.txt", "d.txt"]
    for name, digest in hashes.items():
        assert sha(workspace / name) == digest, name
    edits = [p for m, p in answers.requests if m == lsp.WORKSPACE_APPLY_EDIT][edits_before:]
    if caps is None:
        assert edits == []  # no editor to apply it: written to disk by the server
    else:
        (edit,) = edits
        changes = edit.edit.document_changes
        deleted = sorted(Path(c.uri).name for c in changes if isinstance(c, lsp.DeleteFile))
        assert deleted == ["b.txt", "d.txt"]
        edited = sorted(
            Path(c.text_document.uri).name for c in changes if isinstance(c, lsp.TextDocumentEdit)
        )
        assert edited == ["a.txt", "c.txt"]
    # The turn's diff is now empty; a second undo has nothing left, and says so in a
    # normal result (not an error).
    last = [p for p in client.of("codex/turn/diff/updated") if p["turnId"] == turn_id][-1]
    assert last["diff"] == ""
    again = await undo(client, thread)
    assert again == {
        "threadId": thread,
        "turnId": None,
        "undone": False,
        "restored": [],
        "deleted": [],
        "refused": [],
        "notes": [again["notes"][0]],
    }
    assert again["notes"][0].startswith("Nothing to undo: ")
    assert "no file changes to undo" in again["notes"][0]
    # Naming the turn just undone: the same kind of answer, saying it was undone already.
    named = await undo(client, thread, turnId=turn_id)
    assert named["turnId"] is None and named["undone"] is False
    assert named["notes"] == [
        f"Nothing to undo: turn {turn_id} was already undone; its files are back."
    ]
    for name, digest in hashes.items():
        assert sha(workspace / name) == digest, name
    # Ids the thread does not have are still invalid params.
    with pytest.raises(JsonRpcException) as info:
        await undo(client, thread, turnId="no-such-turn")
    assert info.value.code == -32602 and "unknown turn id" in info.value.message
    with pytest.raises(JsonRpcException) as info:
        await undo(client, "00000000-0000-0000-0000-000000000000")
    assert info.value.code == -32602 and "unknown thread id" in info.value.message


async def test_user_edits_are_refused_and_kept(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    hashes = seed(workspace)
    answers = Answers()
    client = await make_client(capabilities="visual-studio-code", before_start=answers.install)
    thread = (await client.start_thread(approvalPolicy="never"))["thread"]["id"]
    await changing_turn(client, mock_model, thread)
    (workspace / "c.txt").write_text("the user typed this\n")

    result = await undo(client, thread)

    assert [Path(r["path"]).name for r in result["refused"]] == ["c.txt"]
    assert "changed since the turn ended" in result["refused"][0]["reason"]
    assert (workspace / "c.txt").read_text() == "the user typed this\n"
    assert sha(workspace / "a.txt") == hashes["a.txt"]
    assert not (workspace / "b.txt").exists() and not (workspace / "d.txt").exists()


async def test_undo_is_refused_while_a_turn_runs(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    seed(workspace)
    answers = Answers()
    client = await make_client(capabilities="visual-studio-code", before_start=answers.install)
    thread = (await client.start_thread(approvalPolicy="never"))["thread"]["id"]
    await changing_turn(client, mock_model, thread)
    mock_model.enqueue(hang_response(2))
    started = await client.request(
        "codex/turn/start", {"threadId": thread, "input": [{"type": "text", "text": "wait"}]}
    )
    running = started["turn"]["id"]
    with pytest.raises(JsonRpcException) as info:
        await undo(client, thread)
    assert "already running turn" in info.value.message
    assert (workspace / "b.txt").exists()
    await client.request("codex/turn/interrupt", {"threadId": thread, "turnId": running})
    await client.wait_for("codex/thread/status/changed", lambda _p: idle_after(client, running))
    assert (await undo(client, thread))["undone"] is True
    assert not (workspace / "b.txt").exists()
