"""Rollout writes that fail for real (folder, pipe, size limit in place of the file), and
the journal of streaming deltas a crash leaves behind. Every fault here also hits root."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from codex_lsp.core.threads.history import build_history
from codex_lsp.core.threads.rollout import (
    RolloutWriteError,
    RolloutWriter,
    journal_path,
    read_rollout,
)

from .helpers import meta, write_turn


def _lines(path: Path) -> list[dict[str, Any]]:
    data = path.read_bytes()
    assert data.endswith(b"\n")
    return [json.loads(line) for line in data.decode().splitlines()]


def test_failed_writes_are_kept_and_written_in_order_once_possible(tmp_path: Path) -> None:
    writer = RolloutWriter.create(tmp_path, meta())
    writer.append("thread_name", {"name": "one"})
    path = writer.path
    kept = tmp_path / "kept.jsonl"
    before = path.read_bytes()
    writer.release()
    path.rename(kept)
    path.mkdir()  # a folder where the rollout was
    with pytest.raises(RolloutWriteError) as info:
        writer.append("thread_name", {"name": "two"})
    assert "Is a directory" in str(info.value) and str(path) in str(info.value)
    with pytest.raises(RolloutWriteError):
        writer.append("thread_name", {"name": "three"})
    assert writer.pending == 2 and writer.failure is not None

    path.rmdir()
    kept.rename(path)
    assert path.read_bytes() == before  # nothing already written was touched
    writer.append("thread_name", {"name": "four"})
    assert writer.pending == 0 and writer.failure is None
    names = [r["payload"]["name"] for r in _lines(path) if r["type"] == "thread_name"]
    assert names == ["one", "two", "three", "four"]
    writer.close()


def test_a_file_removed_or_replaced_while_open_is_not_written_through_the_old_handle(
    tmp_path: Path,
) -> None:
    writer = RolloutWriter.create(tmp_path, meta())
    path = writer.path
    writer.append("thread_name", {"name": "one"})
    saved = path.read_bytes()
    path.unlink()
    with pytest.raises(RolloutWriteError, match="No such file"):
        writer.append("thread_name", {"name": "lost?"})
    assert not path.exists()  # never recreated without its history

    # Someone puts the file back (a new inode): writing goes on there, nothing is lost.
    path.write_bytes(saved)
    writer.append("thread_name", {"name": "two"})
    names = [r["payload"]["name"] for r in _lines(path) if r["type"] == "thread_name"]
    assert names == ["one", "lost?", "two"]

    # Replaced by another file while open: the path is reopened, the old inode left alone.
    replacement = tmp_path / "copy.jsonl"
    shutil.copyfile(path, replacement)
    os.replace(replacement, path)
    writer.append("thread_name", {"name": "three"})
    assert [r["payload"].get("name") for r in _lines(path)][-1] == "three"
    writer.close()


def test_a_pipe_in_place_of_the_rollout_fails_at_once(tmp_path: Path) -> None:
    writer = RolloutWriter.create(tmp_path, meta())
    path = writer.path
    writer.release()
    path.unlink()
    os.mkfifo(path)
    with pytest.raises(RolloutWriteError):  # no reader: ENXIO, never a blocked server
        writer.append("thread_name", {"name": "x"})
    reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        with pytest.raises(RolloutWriteError, match="not a regular file"):
            writer.append("thread_name", {"name": "x"})
        assert os.read(reader, 100) == b""
    finally:
        os.close(reader)
    writer.close()


_FILL_UNDER_LIMIT = textwrap.dedent(
    """
    import json, resource, sys
    from pathlib import Path
    from codex_lsp.core.threads.rollout import RolloutWriteError, RolloutWriter
    path = Path(sys.argv[1])
    writer = RolloutWriter.open_append(path)
    limit = path.stat().st_size + 700
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    written = failed = 0
    for n in range(20):
        try:
            writer.append("thread_name", {"name": f"n{n}-" + "x" * 100})
            written += 1
        except RolloutWriteError as exc:
            failed += 1
            reason = exc.reason
    resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY,) * 2)
    writer.append("thread_name", {"name": "after"})
    print(json.dumps({"written": written, "failed": failed, "reason": reason}))
    """
)


def test_file_size_limit_cuts_no_line_and_loses_no_record(tmp_path: Path) -> None:
    """EFBIG from RLIMIT_FSIZE (the real error, in a child process): a line that does
    not fit is cut off again, and every record lands once the limit is lifted."""
    with RolloutWriter.create(tmp_path, meta()) as writer:
        write_turn(writer, "turn-1", "hi", "hello")
    result = subprocess.run(
        [sys.executable, "-c", _FILL_UNDER_LIMIT, str(writer.path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    report = json.loads(result.stdout)
    assert report["written"] >= 1 and report["failed"] >= 1, report
    assert "File too large" in report["reason"] and "EFBIG" in report["reason"]
    records = _lines(writer.path)  # every line is whole JSON
    names = [r["payload"]["name"] for r in records if r["type"] == "thread_name"]
    assert names == [f"n{n}-" + "x" * 100 for n in range(20)] + ["after"]
    assert read_rollout(writer.path).warnings == []


def test_torn_last_line_is_isolated_on_reopen(tmp_path: Path) -> None:
    with RolloutWriter.create(tmp_path, meta()) as writer:
        write_turn(writer, "turn-1", "hi", "hello")
    with writer.path.open("ab") as f:
        f.write(b'{"ts":1,"type":"item_compl')
    with RolloutWriter.open_append(writer.path) as again:
        again.append("thread_name", {"name": "n"})
    contents = read_rollout(writer.path)
    assert contents.records[-1].payload == {"name": "n"}
    assert len(contents.warnings) == 1


def test_journal_keeps_streaming_text_and_is_emptied_when_items_complete(
    tmp_path: Path,
) -> None:
    writer = RolloutWriter.create(tmp_path, meta())
    write_turn(writer, "turn-1", "hi", "hello")
    writer.append("turn_started", {"turnId": "turn-2"})
    journal = journal_path(writer.path)
    writer.append_delta("turn-2", "rs_1", "summary", 0, "Thinking ")
    writer.append_delta("turn-2", "rs_1", "summary", 1, "more")
    writer.append_delta("turn-2", "msg_1", "text", 0, "Hel")
    writer.append("item_completed", {"turnId": "turn-2", "item": _reasoning("rs_1")})
    writer.item_done("rs_1")
    assert journal.stat().st_size > 0  # msg_1 is still streaming
    writer.append_delta("turn-2", "msg_1", "text", 0, "lo \u2028 wor")
    assert journal.stat().st_mode & 0o777 == 0o600

    # The server dies here: the reader folds what the journal holds.
    history = build_history(read_rollout(writer.path))
    turn = history.turns[-1]
    assert turn.status == "interrupted"
    assert [i.type for i in turn.items] == ["reasoning", "agentMessage"]
    assert turn.items[-1].model_dump()["text"] == "Hello \u2028 wor"
    assert history.model_items[-1] == {
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": "Hello \u2028 wor"}],
    }
    assert [kind for kind, _payload in history.unsettled] == ["item_completed", "response_item"]

    writer.append("item_completed", {"turnId": "turn-2", "item": _message("msg_1", "Hello")})
    writer.item_done("msg_1")
    assert journal.stat().st_size == 0
    writer.release()
    assert not journal.exists()
    history = build_history(read_rollout(writer.path))
    assert history.unsettled == []
    assert history.turns[-1].items[-1].model_dump()["text"] == "Hello"


def test_a_journal_left_by_a_failed_write_is_kept_until_it_is_recorded(
    tmp_path: Path,
) -> None:
    writer = RolloutWriter.create(tmp_path, meta())
    writer.append("turn_started", {"turnId": "turn-1"})
    writer.append_delta("turn-1", "msg_1", "text", 0, "partial")
    writer.release()  # the item never completed (its record failed): the journal stays
    assert journal_path(writer.path).exists()
    history = build_history(read_rollout(writer.path))
    assert history.turns[0].items[0].model_dump()["text"] == "partial"
    writer.close()


def test_deltas_of_a_later_turn_do_not_mix_with_an_earlier_partial_item(
    tmp_path: Path,
) -> None:
    """A fork or an unsettled journal can leave deltas mid-rollout: they fold in place."""
    writer = RolloutWriter.create(tmp_path, meta())
    writer.append("turn_started", {"turnId": "turn-1"})
    writer.append_delta("turn-1", "msg_1", "text", 0, "cut short")
    writer.release()
    records = read_rollout(writer.path).records
    journal_path(writer.path).unlink()
    with RolloutWriter.create(tmp_path / "copy", meta(), records=records) as copy:
        write_turn(copy, "turn-2", "next", "answer")
    history = build_history(read_rollout(copy.path))
    assert [t.id for t in history.turns] == ["turn-1", "turn-2"]
    assert history.turns[0].items[0].model_dump()["text"] == "cut short"
    texts = [i["content"][0]["text"] for i in history.model_items if i.get("role") == "assistant"]
    assert texts == ["cut short", "answer"]
    writer.close()


def _reasoning(item_id: str) -> dict[str, object]:
    return {"type": "reasoning", "id": item_id, "summary": ["Thinking ", "more"], "content": []}


def _message(item_id: str, text: str) -> dict[str, object]:
    return {"type": "agentMessage", "id": item_id, "text": text}
