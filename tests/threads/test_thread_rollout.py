"""Tests of the rollout JSONL writer and reader on real files."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from codex_lsp.core.threads.history import build_history
from codex_lsp.core.threads.paths import thread_id_from_file_name
from codex_lsp.core.threads.rollout import (
    RolloutCorrupt,
    RolloutRecord,
    RolloutWriter,
    SessionMeta,
    read_rollout,
    rollout_file_name,
)

from .helpers import meta, write_turn


def test_file_name_and_location(tmp_path: Path) -> None:
    m = meta("abc-123", created_at=1_700_000_000)  # 2023-11-14T22:13:20Z
    assert rollout_file_name(m) == "rollout-2023-11-14T22-13-20-abc-123.jsonl"
    assert thread_id_from_file_name(rollout_file_name(m)) == "abc-123"
    with RolloutWriter.create(tmp_path / "sessions", m) as writer:
        expected = tmp_path / "sessions/2023/11/14/rollout-2023-11-14T22-13-20-abc-123.jsonl"
        assert writer.path == expected
    assert expected.read_text().endswith("\n")


def test_round_trip(tmp_path: Path) -> None:
    m = meta()
    with RolloutWriter.create(tmp_path, m) as writer:
        write_turn(writer, "turn-1", "hi \u2028 there", "hello")
        record = writer.append("thread_name", {"name": "greeting"})
    assert isinstance(record, RolloutRecord)
    assert record.ts > 0

    contents = read_rollout(writer.path)
    assert contents.meta == m
    assert contents.warnings == []
    assert [r.type for r in contents.records] == [
        "turn_context",
        "turn_started",
        "item_completed",
        "response_item",
        "item_completed",
        "response_item",
        "turn_completed",
        "thread_name",
    ]
    assert contents.records[2].payload["item"]["content"][0]["text"] == "hi \u2028 there"
    first = json.loads(writer.path.read_text().split("\n")[0])
    assert first["type"] == "session_meta"
    assert first["payload"]["modelProvider"] == "openai"


def test_create_refuses_existing_file(tmp_path: Path) -> None:
    RolloutWriter.create(tmp_path, meta()).close()
    with pytest.raises(FileExistsError):
        RolloutWriter.create(tmp_path, meta())


def test_create_with_copied_records(tmp_path: Path) -> None:
    records = [RolloutRecord(5, "turn_started", {"turnId": "a"}), RolloutRecord(6, "x", {})]
    with RolloutWriter.create(tmp_path, meta("fork"), records=records) as writer:
        pass
    assert read_rollout(writer.path).records == records


def test_truncated_last_line_then_append(tmp_path: Path) -> None:
    with RolloutWriter.create(tmp_path, meta()) as writer:
        write_turn(writer, "turn-1", "hi", "hello")
    line = RolloutRecord(1, "item_completed", {"turnId": "turn-2", "item": {}}).to_line()
    with writer.path.open("ab") as f:
        f.write(line[: len(line) // 2])  # crash mid-write: half a line, no newline

    contents = read_rollout(writer.path)
    assert len(contents.records) == 7
    assert len(contents.warnings) == 1
    assert ":9:" in contents.warnings[0]
    assert "truncated" in contents.warnings[0]

    with RolloutWriter.open_append(writer.path) as resumed:
        resumed.append("turn_started", {"turnId": "turn-2"})
    contents = read_rollout(writer.path)
    assert [r.type for r in contents.records][-2:] == ["turn_completed", "turn_started"]
    assert len(contents.warnings) == 1
    assert "not a valid record" in contents.warnings[0]


def test_open_append_clean_file_adds_no_blank_line(tmp_path: Path) -> None:
    with RolloutWriter.create(tmp_path, meta()) as writer:
        pass
    with RolloutWriter.open_append(writer.path) as resumed:
        resumed.append("turn_started", {"turnId": "t"})
    assert "\n\n" not in writer.path.read_text()
    assert read_rollout(writer.path).warnings == []


def test_open_append_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        RolloutWriter.open_append(tmp_path / "nope.jsonl")


def test_corrupt_middle_lines_skipped(tmp_path: Path) -> None:
    with RolloutWriter.create(tmp_path, meta()) as writer:
        write_turn(writer, "turn-1", "hi", "hello")
    lines = writer.path.read_bytes().split(b"\n")
    lines.insert(3, b'{"ts": 1, "type": "broken"')
    lines.insert(4, b"\xff\xfe not utf-8")
    lines.insert(5, b'["not", "a", "record"]')
    writer.path.write_bytes(b"\n".join(lines))

    contents = read_rollout(writer.path)
    assert len(contents.records) == 7
    assert len(contents.warnings) == 3
    assert [w.rsplit(":", 2)[-2] for w in contents.warnings] == ["4", "5", "6"]
    assert "UTF-8" in contents.warnings[1]
    assert len(build_history(contents).turns) == 1


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"garbage\n",
        b'{"ts":1,"type":"turn_started","payload":{"turnId":"a"}}\n',
        b'{"ts":1,"type":"session_meta","payload":{"id":"x"}}\n',
        b'{"ts":1,"type":"session_meta","payload":{"id":"x","cwd":"/","createdAt":1,',
    ],
)
def test_missing_meta_is_corrupt(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "rollout-2023-11-14T22-13-20-x.jsonl"
    path.write_bytes(content)
    with pytest.raises(RolloutCorrupt) as info:
        read_rollout(path)
    assert info.value.path == path
    assert info.value.reason


def test_session_meta_payload_round_trip() -> None:
    m = SessionMeta("a", 1, "/", "ollama", None, "b", source="exec")
    assert SessionMeta.from_payload(m.to_payload()) == m


def test_read_speed_of_a_thousand_turns(tmp_path: Path) -> None:
    with RolloutWriter.create(tmp_path, meta()) as writer:
        for n in range(1000):
            write_turn(writer, f"turn-{n}", f"question {n} " * 20, f"answer {n} " * 40)
            writer.append(
                "token_usage",
                {
                    "turnId": f"turn-{n}",
                    "tokenUsage": {
                        "total": {"totalTokens": n},
                        "last": {"totalTokens": 1},
                        "modelContextWindow": 1000,
                    },
                },
            )
    start = time.perf_counter()
    contents = read_rollout(writer.path)
    history = build_history(contents)
    elapsed = time.perf_counter() - start
    print(f"\nread + rebuild of {len(contents.records) + 1} lines: {elapsed * 1000:.1f} ms")
    assert len(history.turns) == 1000
    assert len(history.model_items) == 2000
    assert history.token_usage is not None
    assert history.token_usage.total.total_tokens == 999
