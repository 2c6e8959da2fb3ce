"""Document sync: the agent reads what the user sees (unsaved edits included), `document`
inputs read the synced buffer, and changed files that are not open are shown."""

from __future__ import annotations

from pathlib import Path

from codex_lsp.mock_model import (
    MockModelServer,
    custom_tool_call_response,
    text_response,
    tool_call_response,
)
from tests.conftest import ClientFactory
from tests.e2e.editor_helpers import Editor, eventually, model_text
from tests.e2e.tool_helpers import tool_outputs

SOURCE = "def greet():\n    return 'hello'\n\nprint(greet())\n"


async def test_read_file_sees_the_unsaved_buffer(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    path = workspace / "app.py"
    path.write_text(SOURCE)
    editor = Editor()
    client = await make_client(capabilities="neovim@v0.10.0", before_start=editor.install)
    editor.open(path, "python")
    # The user renames the string and adds a line; nothing is saved.
    editor.edit(path, (1, 12), (1, 17), "bonjour")
    editor.edit(path, (4, 0), (4, 0), "# unsaved comment\n")
    assert path.read_text() == SOURCE
    thread = (await client.start_thread())["thread"]["id"]
    mock_model.enqueue(
        tool_call_response("read_file", {"file_path": str(path)}, call_id="r1"),
        text_response("read it"),
    )
    turn = await client.turn(thread, "read app.py")
    assert turn["status"] == "completed"
    output = tool_outputs(mock_model.requests[-1].body)[0]
    assert "L2:     return 'bonjour'" in output
    assert "L5: # unsaved comment" in output
    assert "hello" not in output


async def test_document_input_with_a_range_sends_the_unsaved_selection(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    path = workspace / "app.py"
    path.write_text(SOURCE)
    editor = Editor()
    client = await make_client(capabilities="visual-studio-code", before_start=editor.install)
    editor.open(path, "python")
    editor.edit(path, (1, 12), (1, 17), "unsaved-selection")
    thread = (await client.start_thread())["thread"]["id"]
    mock_model.enqueue(text_response("it returns a greeting"))
    selection = {"start": {"line": 1, "character": 4}, "end": {"line": 2, "character": 0}}
    await client.request(
        "codex/turn/start",
        {
            "threadId": thread,
            "input": [
                {"type": "text", "text": "what does this do?"},
                {"type": "document", "uri": path.as_uri(), "range": selection},
            ],
        },
    )
    await client.wait_for("codex/turn/completed")
    sent = model_text(mock_model.requests[0].body)
    assert "return 'unsaved-selection'" in sent
    assert "def greet" not in sent and "print(greet())" not in sent
    # The user message item keeps the input as sent.
    item = next(
        p["item"] for p in client.of("codex/item/started") if p["item"]["type"] == "userMessage"
    )
    assert item["content"][1] == {"type": "document", "uri": path.as_uri(), "range": selection}


async def test_a_changed_file_that_is_not_open_is_shown(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    (workspace / "open.txt").write_text("a\n")
    (workspace / "closed.txt").write_text("b\n")
    editor = Editor(saves=True)
    client = await make_client(capabilities="visual-studio-code", before_start=editor.install)
    editor.open(workspace / "open.txt")
    thread = (await client.start_thread(approvalPolicy="never"))["thread"]["id"]
    open_patch = "*** Begin Patch\n*** Update File: open.txt\n@@\n-a\n+A\n*** End Patch"
    both = (
        "*** Begin Patch\n*** Update File: open.txt\n@@\n-A\n+AA\n"
        "*** Update File: closed.txt\n@@\n-b\n+B\n*** End Patch"
    )
    mock_model.enqueue(
        custom_tool_call_response("apply_patch", open_patch, call_id="p1"),
        custom_tool_call_response("apply_patch", both, call_id="p2"),
        text_response("done"),
    )
    turn = await client.turn(thread, "edit")
    assert [i["status"] for i in turn["items"] if i["type"] == "fileChange"] == ["completed"] * 2
    await eventually(lambda: len(client.lc.shown_documents) >= 1)
    # The first change touched only the open file: nothing shown; the second shows the
    # first file that is not open, without taking focus.
    (shown,) = client.lc.shown_documents
    assert shown.uri == (workspace / "closed.txt").as_uri()
    assert shown.take_focus is False
    assert (workspace / "closed.txt").read_text() == "B\n"
