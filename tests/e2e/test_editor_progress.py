"""`$/progress` for turns: begin (title Codex, the user's text), a report per running item,
end with the turn's outcome; cancelling the progress interrupts the turn."""

from __future__ import annotations

from typing import Any

from lsprotocol import types as lsp

from codex_lsp.mock_model import (
    MockModelServer,
    hang_response,
    reasoning_then_text,
    tool_call_response,
)
from tests.conftest import ClientFactory
from tests.e2e.editor_helpers import eventually
from tests.lsp_client import CodexClient


def reports(client: CodexClient) -> dict[Any, list[Any]]:
    return client.lc.progress_reports


def ended(client: CodexClient) -> bool:
    return any(
        values and isinstance(values[-1], lsp.WorkDoneProgressEnd)
        for values in reports(client).values()
    )


async def test_a_turn_reports_begin_items_and_end(
    make_client: ClientFactory, mock_model: MockModelServer
) -> None:
    client = await make_client(capabilities="visual-studio-code")
    thread = (await client.start_thread())["thread"]["id"]
    mock_model.enqueue(
        tool_call_response("shell", {"command": ["echo", "hi"]}, call_id="c1"),
        reasoning_then_text(["Checking the output"], "All good."),
    )
    turn = await client.turn(thread, "run   the\ntests please")
    assert turn["status"] == "completed"
    await eventually(lambda: ended(client))
    ((token, values),) = reports(client).items()
    assert token == f"codex-turn-{turn['id']}"
    begin, *middle, end = values
    assert isinstance(begin, lsp.WorkDoneProgressBegin)
    assert begin.title == "Codex"
    assert begin.message == "run the tests please"
    assert begin.cancellable is True
    assert [v.message for v in middle] == ["Running `echo hi`", "Thinking", "Writing the answer"]
    assert all(isinstance(v, lsp.WorkDoneProgressReport) for v in middle)
    assert isinstance(end, lsp.WorkDoneProgressEnd)
    assert end.message == "Turn completed"


async def test_no_progress_without_the_capability(
    make_client: ClientFactory, mock_model: MockModelServer
) -> None:
    client = await make_client()  # no window.workDoneProgress
    thread = (await client.start_thread())["thread"]["id"]
    mock_model.enqueue(reasoning_then_text(["x"], "done"))
    await client.turn(thread, "hello")
    assert reports(client) == {}


async def test_cancelling_the_progress_interrupts_the_turn(
    make_client: ClientFactory, mock_model: MockModelServer
) -> None:
    client = await make_client(capabilities="neovim@v0.10.0")
    thread = (await client.start_thread())["thread"]["id"]
    mock_model.enqueue(hang_response(after_events=4))
    started = await client.request(
        "codex/turn/start", {"threadId": thread, "input": [{"type": "text", "text": "wait"}]}
    )
    turn_id = started["turn"]["id"]
    token = f"codex-turn-{turn_id}"
    await eventually(lambda: len(reports(client).get(token, [])) >= 2)  # begin + a report
    client.lc.protocol.notify(
        lsp.WINDOW_WORK_DONE_PROGRESS_CANCEL, lsp.WorkDoneProgressCancelParams(token=token)
    )
    done = await client.wait_for("codex/turn/completed", lambda p: p["turn"]["id"] == turn_id)
    assert done["turn"]["status"] == "interrupted"
    await eventually(lambda: ended(client))
    assert reports(client)[token][-1].message == "Turn interrupted"
