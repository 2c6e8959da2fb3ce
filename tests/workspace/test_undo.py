"""Undo through the thread manager (in process, the mock model, no editor): files go back
byte for byte, user edits are refused, repeated undo walks back, running turns refuse."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from codex_lsp.core import events as ev
from codex_lsp.core.config.loader import load_config
from codex_lsp.core.config.settings import ThreadRequest, resolve
from codex_lsp.core.model.client import ModelClients
from codex_lsp.core.threads.errors import ThreadBusy, ThreadError
from codex_lsp.core.threads.manager import ThreadManager, TurnOverrides
from codex_lsp.core.tools.defaults import thread_tools
from codex_lsp.core.workspace.undo import NothingToUndo
from codex_lsp.mock_model import (
    MockModelServer,
    custom_tool_call_response,
    hang_response,
    text_response,
    tool_call_response,
)
from codex_lsp.protocol.initialize import EditorSettings
from codex_lsp.protocol.user_input import TextInput

TIMEOUT = 15.0
A_TEXT = b"alpha\r\nbeta\r\ngamma"  # CRLF, no final newline: restored byte for byte
PATCH = """*** Begin Patch
*** Update File: a.txt
@@
 alpha
-beta
+BETA
*** Add File: b.txt
+bee
*** End Patch"""
SCRIPT = "printf 'see more\\n' >> c.txt; mkdir -p sub; printf 'dee\\n' > sub/d.txt; rm e.txt"


@dataclass
class Harness:
    manager: ThreadManager
    model: MockModelServer
    root: Path
    events: list[ev.CoreEvent] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def emit(self, event: ev.CoreEvent) -> None:
        self.events.append(event)
        self.changed.set()

    def _settled(self, turn_id: str) -> ev.TurnCompleted | None:
        """The turn's completion, once the thread went idle after it."""
        done: ev.TurnCompleted | None = None
        for event in self.events:
            if isinstance(event, ev.TurnCompleted) and event.turn.id == turn_id:
                done = event
            elif (
                done is not None
                and isinstance(event, ev.ThreadStatusChanged)
                and event.status.type == "idle"
            ):
                return done
        return None

    async def wait_turn(self, turn_id: str) -> ev.TurnCompleted:
        async with asyncio.timeout(TIMEOUT):
            while (done := self._settled(turn_id)) is None:
                self.changed.clear()
                await self.changed.wait()
            return done

    async def turn(self, thread_id: str, *responses: object) -> str:
        self.model.enqueue(*responses)  # type: ignore[arg-type]
        turn = await self.manager.start_turn(thread_id, [TextInput(text="go")], TurnOverrides())
        done = await self.wait_turn(turn.id)
        assert done.turn.status == "completed", done.turn
        return turn.id

    def diffs(self, turn_id: str) -> list[str]:
        return [
            e.diff
            for e in self.events
            if isinstance(e, ev.TurnDiffUpdated) and e.turn_id == turn_id
        ]


@pytest.fixture
async def harness(
    codex_home: Path, workspace: Path, mock_model: MockModelServer, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Harness]:
    monkeypatch.setenv("MOCK_API_KEY", "test-key")
    loaded = load_config(codex_home)
    box: list[Harness] = []
    manager = ThreadManager(
        codex_home,
        lambda req: resolve(loaded.config, EditorSettings(), req, str(workspace)),
        lambda e: box[0].emit(e),
        ModelClients(lambda: "test-key"),
        tools=thread_tools,
    )
    box.append(Harness(manager, mock_model, workspace))
    try:
        yield box[0]
    finally:
        await manager.shutdown()


def seed(root: Path) -> dict[str, bytes]:
    files = {"a.txt": A_TEXT, "c.txt": b"see\n", "e.txt": b"to be removed\n"}
    for name, data in files.items():
        (root / name).write_bytes(data)
    (root / "e.txt").chmod(0o751)
    return files


async def changing_turn(h: Harness, thread_id: str) -> str:
    return await h.turn(
        thread_id,
        custom_tool_call_response("apply_patch", PATCH, call_id="p1"),
        tool_call_response("shell", {"command": ["bash", "-c", SCRIPT]}, call_id="s1"),
        text_response("done"),
    )


async def start(h: Harness) -> str:
    thread = await h.manager.start(
        ThreadRequest(approval_policy="never", sandbox="danger-full-access")
    )
    return thread.id


async def test_undo_restores_every_file(harness: Harness) -> None:
    h, root = harness, harness.root
    before = seed(root)
    thread_id = await start(h)
    turn_id = await changing_turn(h, thread_id)
    assert (root / "a.txt").read_bytes() == b"alpha\r\nBETA\r\ngamma"
    assert (root / "sub" / "d.txt").exists() and not (root / "e.txt").exists()
    diff = h.diffs(turn_id)[-1]
    for header in ("+++ b/a.txt", "+++ b/b.txt", "+++ b/c.txt", "+++ b/sub/d.txt", "--- a/e.txt"):
        assert header in diff

    result = await h.manager.undo_turn(thread_id, None)

    assert result.undone and result.refused == []
    assert sorted(Path(p).name for p in result.restored) == ["a.txt", "c.txt", "e.txt"]
    assert sorted(Path(p).name for p in result.deleted) == ["b.txt", "d.txt"]
    for name, data in before.items():
        assert (root / name).read_bytes() == data, name
    assert (root / "e.txt").stat().st_mode & 0o777 == 0o751
    assert not (root / "b.txt").exists() and not (root / "sub").exists()
    assert h.diffs(turn_id)[-1] == ""
    # Recorded in the rollout, and the model hears of it on the next turn.
    thread = h.manager.loaded[thread_id]
    assert thread.writer is not None
    records = [json.loads(line) for line in thread.writer.path.read_text().splitlines()]
    undone = [r for r in records if r["type"] == "turn_undone"]
    assert undone and undone[0]["payload"]["turnId"] == turn_id
    await h.turn(thread_id, text_response("ok"))
    assert "<undo>" in json.dumps(h.model.requests[-1].body["input"])
    # Nothing left to undo: said apart from bad requests (NothingToUndo).
    with pytest.raises(NothingToUndo, match=r"^Nothing to undo: .*no file changes to undo"):
        await h.manager.undo_turn(thread_id, None)
    with pytest.raises(NothingToUndo, match="already undone"):
        await h.manager.undo_turn(thread_id, turn_id)


async def test_a_file_the_user_edited_is_refused(harness: Harness) -> None:
    h, root = harness, harness.root
    before = seed(root)
    thread_id = await start(h)
    await changing_turn(h, thread_id)
    (root / "c.txt").write_bytes(b"the user's own text\n")

    result = await h.manager.undo_turn(thread_id, None)

    assert [
        (Path(r.path).name, "changed since the turn ended" in r.reason) for r in result.refused
    ] == [("c.txt", True)]
    assert (root / "c.txt").read_bytes() == b"the user's own text\n"
    assert (root / "a.txt").read_bytes() == before["a.txt"]
    assert (root / "e.txt").read_bytes() == before["e.txt"]
    assert not (root / "b.txt").exists()
    assert result.undone


async def test_repeated_undo_walks_back(harness: Harness) -> None:
    h, root = harness, harness.root
    (root / "f.txt").write_text("v1\n")
    thread_id = await start(h)

    def edit(old: str, new: str, call_id: str) -> object:
        patch = f"*** Begin Patch\n*** Update File: f.txt\n@@\n-{old}\n+{new}\n*** End Patch"
        return custom_tool_call_response("apply_patch", patch, call_id=call_id)

    first = await h.turn(thread_id, edit("v1", "v2", "p1"), text_response("1"))
    await h.turn(thread_id, text_response("no files changed"))
    second = await h.turn(thread_id, edit("v2", "v3", "p2"), text_response("2"))
    with pytest.raises(ThreadError, match="only the last turn that changed files") as info:
        await h.manager.undo_turn(thread_id, first)
    assert not isinstance(info.value, NothingToUndo)
    with pytest.raises(ThreadError, match="unknown turn id") as info:
        await h.manager.undo_turn(thread_id, "nope")
    assert not isinstance(info.value, NothingToUndo)
    no_files = h.manager.loaded[thread_id].turns[1].id
    with pytest.raises(NothingToUndo, match=f"turn {no_files} has no file changes"):
        await h.manager.undo_turn(thread_id, no_files)
    assert (await h.manager.undo_turn(thread_id, second)).undone
    assert (root / "f.txt").read_text() == "v2\n"
    assert (await h.manager.undo_turn(thread_id, None)).turn_id == first
    assert (root / "f.txt").read_text() == "v1\n"


async def test_undo_is_refused_while_a_turn_runs(harness: Harness) -> None:
    h, root = harness, harness.root
    seed(root)
    thread_id = await start(h)
    await changing_turn(h, thread_id)
    h.model.enqueue(hang_response(2))
    turn = await h.manager.start_turn(thread_id, [TextInput(text="hang")], TurnOverrides())
    with pytest.raises(ThreadBusy):
        await h.manager.undo_turn(thread_id, None)
    h.manager.interrupt(thread_id, turn.id)
    await h.wait_turn(turn.id)
    assert (await h.manager.undo_turn(thread_id, None)).undone


async def test_unrestorable_files_are_reported(harness: Harness) -> None:
    h, root = harness, harness.root
    (root / "blob.bin").write_bytes(b"\0\1\2")
    thread_id = await start(h)
    script = "printf '\\0\\3' > blob.bin; echo hi > new.txt"
    await h.turn(
        thread_id,
        tool_call_response("shell", {"command": ["bash", "-c", script]}, call_id="s1"),
        text_response("done"),
    )
    result = await h.manager.undo_turn(thread_id, None)
    assert [Path(r.path).name for r in result.refused] == ["blob.bin"]
    assert "not kept" in result.refused[0].reason
    assert [Path(p).name for p in result.deleted] == ["new.txt"]
    assert (root / "blob.bin").read_bytes() == b"\0\3"


async def test_a_thread_that_is_not_loaded_has_nothing_to_undo(harness: Harness) -> None:
    with pytest.raises(ThreadError, match="unknown thread id"):
        await harness.manager.undo_turn("00000000-0000-0000-0000-000000000000", None)


async def test_exec_command_changes_are_undone(harness: Harness) -> None:
    h, root = harness, harness.root
    (root / "log.txt").write_text("start\n")
    thread_id = await start(h)
    cmd = "echo made > made.txt; echo more >> log.txt"
    turn_id = await h.turn(
        thread_id,
        tool_call_response("exec_command", {"cmd": cmd, "login": False}, call_id="x1"),
        text_response("done"),
    )
    assert (root / "made.txt").exists()
    assert "+++ b/made.txt" in h.diffs(turn_id)[-1]
    result = await h.manager.undo_turn(thread_id, turn_id)
    assert [Path(p).name for p in result.deleted] == ["made.txt"]
    assert (root / "log.txt").read_text() == "start\n" and not (root / "made.txt").exists()
