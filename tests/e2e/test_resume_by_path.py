"""`codex/thread/resume` by `path` (a rollout file the index may not know: it is resumed,
appended to and indexed) and by `history` (a new thread whose model history starts with
the given Responses API items); exactly one of `threadId`, `path` and `history`."""

from __future__ import annotations

import shutil
from pathlib import Path

from codex_lsp.mock_model import MockModelServer
from tests.conftest import ClientFactory
from tests.e2e.threads_helpers import (
    ENV_MARKER,
    conversation,
    expect_error,
    rollout_records,
    run_turn,
)
from tests.lsp_client import mock_config


def _message(role: str, part: str, text: str) -> dict[str, object]:
    return {"type": "message", "role": role, "content": [{"type": part, "text": text}]}


async def _recorded_thread(
    make_client: ClientFactory, mock_model: MockModelServer, tmp_path: Path
) -> tuple[str, Path]:
    """A thread with one turn, recorded under another CODEX_HOME; its id and rollout."""
    home = tmp_path / "other-home"
    home.mkdir()
    (home / "config.toml").write_text(mock_config(mock_model.url))
    client = await make_client(home=home)
    thread = (await client.start_thread())["thread"]
    await run_turn(client, mock_model, thread["id"], "What is 2+2?", "It is 4.")
    await client.stop()
    return thread["id"], Path(thread["path"])


async def test_resume_by_path_of_a_rollout_the_index_does_not_know(
    make_client: ClientFactory, mock_model: MockModelServer, tmp_path: Path, codex_home: Path
) -> None:
    # Recorded under another CODEX_HOME, then moved outside any sessions directory.
    thread_id, recorded = await _recorded_thread(make_client, mock_model, tmp_path)
    outside = tmp_path / "saved" / "conversation.jsonl"
    outside.parent.mkdir()
    shutil.move(recorded, outside)

    client = await make_client()
    listed = await client.request("codex/thread/list", {})
    assert thread_id not in [t["id"] for t in listed["data"]]
    await expect_error(client, "codex/thread/resume", {"threadId": thread_id}, "threadId")

    resumed = await client.request("codex/thread/resume", {"path": str(outside)})
    assert resumed["thread"]["id"] == thread_id
    assert resumed["thread"]["path"] == str(outside)
    [turn] = resumed["thread"]["turns"]
    assert [i["type"] for i in turn["items"]] == ["userMessage", "agentMessage"]
    # The conversation goes on in that file, and the model gets its history.
    await run_turn(client, mock_model, thread_id, "And 3+3?", "Six.")
    assert conversation(mock_model.requests[-1].body) == [
        ("user", "What is 2+2?"),
        ("assistant", "It is 4."),
        ("user", "And 3+3?"),
    ]
    texts = [
        r["payload"]["item"].get("text")
        for r in rollout_records(outside)
        if r["type"] == "item_completed"
    ]
    assert "Six." in texts
    # Now indexed: listed, and resumable by id after a restart.
    listed = await client.request("codex/thread/list", {})
    assert thread_id in [t["id"] for t in listed["data"]]
    await client.stop()
    again = await make_client()
    back = await again.request("codex/thread/resume", {"threadId": thread_id})
    assert back["thread"]["path"] == str(outside)
    assert len(back["thread"]["turns"]) == 2


async def test_resume_by_path_of_a_rollout_copied_in_while_running(
    make_client: ClientFactory, mock_model: MockModelServer, tmp_path: Path, codex_home: Path
) -> None:
    thread_id, recorded = await _recorded_thread(make_client, mock_model, tmp_path)

    client = await make_client()
    await client.request("codex/thread/list", {})  # the index is open and does not know it
    target = codex_home / "sessions" / recorded.relative_to(tmp_path / "other-home" / "sessions")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(recorded, target)
    resumed = await client.request("codex/thread/resume", {"path": str(target)})
    assert resumed["thread"]["id"] == thread_id
    assert resumed["thread"]["path"] == str(target)
    # Resuming the same file again returns the loaded thread.
    same = await client.request("codex/thread/resume", {"path": str(target)})
    assert same["thread"]["id"] == thread_id


async def test_resume_from_history(make_client: ClientFactory, mock_model: MockModelServer) -> None:
    client = await make_client()
    history = [
        {"role": "user", "content": "My name is Ada."},
        {"role": "assistant", "content": "Hello Ada."},
        {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "Remember it."}],
        },
    ]
    resumed = await client.request("codex/thread/resume", {"history": history})
    thread = resumed["thread"]
    assert thread["turns"] == [] and thread["path"]
    started = client.of("codex/thread/started")
    assert thread["id"] in [p["thread"]["id"] for p in started]

    await run_turn(client, mock_model, thread["id"], "What is my name?", "Ada.")
    body = mock_model.requests[-1].body
    assert body["input"][:3] == [
        _message("user", "input_text", "My name is Ada."),
        _message("assistant", "output_text", "Hello Ada."),
        history[2],
    ]
    # The initial context follows (the environment), then the new user message.
    assert any(ENV_MARKER in str(i) for i in body["input"][3:])
    assert conversation(body)[-1] == ("user", "What is my name?")
    await client.stop()

    # Recorded: after a restart the thread resumes with the same model history.
    again = await make_client()
    back = await again.request("codex/thread/resume", {"threadId": thread["id"]})
    assert len(back["thread"]["turns"]) == 1
    await run_turn(again, mock_model, thread["id"], "And again?", "Still Ada.")
    assert conversation(mock_model.requests[-1].body)[:3] == [
        ("user", "My name is Ada."),
        ("assistant", "Hello Ada."),
        ("user", "Remember it."),
    ]


async def test_exactly_one_of_thread_id_path_history(
    make_client: ClientFactory, mock_model: MockModelServer, tmp_path: Path, codex_home: Path
) -> None:
    client = await make_client()
    thread = (await client.start_thread())["thread"]
    resume = "codex/thread/resume"
    await expect_error(client, resume, {}, "threadId")
    await expect_error(client, resume, {"threadId": thread["id"], "path": thread["path"]}, "path")
    await expect_error(client, resume, {"path": thread["path"], "history": []}, "history")
    await expect_error(client, resume, {"path": "relative/file.jsonl"}, "path")
    await expect_error(client, resume, {"path": str(tmp_path / "missing.jsonl")}, "path")
    junk = tmp_path / "junk.jsonl"
    junk.write_text("not a rollout\n")
    await expect_error(client, resume, {"path": str(junk)}, "path")
    await expect_error(client, resume, {"history": [{"content": "no type"}]}, "history")
    await expect_error(client, resume, {"history": [{"role": "robot", "content": "x"}]}, "history")
