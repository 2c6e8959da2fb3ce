"""Tests of the SQLite thread index: listing, filters, pagination, and rebuilding it."""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from codex_lsp.core.threads.index import (
    InvalidCursor,
    ListQuery,
    ThreadIndex,
    ThreadSummary,
    encode_cursor,
    summarize_rollout,
)
from codex_lsp.core.threads.rollout import RolloutWriter

from .helpers import make_thread, meta, user_item

BASE = 1_700_000_000


def _all(index: ThreadIndex, q: ListQuery) -> list[ThreadSummary]:
    """Every row the query matches, page by page."""
    rows: list[ThreadSummary] = []
    while True:
        page, cursor = index.list(q)
        rows += page
        if cursor is None:
            return rows
        q = ListQuery(**{**q.__dict__, "cursor": cursor})


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A CODEX_HOME with 120 threads: providers, cwds and previews vary."""
    sessions = tmp_path / "sessions"
    for n in range(120):
        make_thread(
            sessions,
            f"thread-{n:03d}",
            created_at=BASE + n * 3600,
            provider="ollama" if n % 3 == 0 else "openai",
            cwd=f"/repo/{n % 4}",
            text=f"Fix Bug number {n}" if n % 10 == 0 else f"question {n}",
        )
    return tmp_path


@pytest.fixture
def index(home: Path) -> Iterator[ThreadIndex]:
    """The index of `home`, built from scratch."""
    idx = ThreadIndex(home)
    yield idx
    idx.close()


def test_summarize_rollout(tmp_path: Path) -> None:
    with RolloutWriter.create(tmp_path, meta("x", forked_from_id="p")) as w:
        w.append("turn_started", {"turnId": "t"})
        w.append(
            "item_completed",
            {"turnId": "t", "item": {"type": "userMessage", "id": "i", "content": []}},
        )
        w.append("item_completed", {"turnId": "t", "item": user_item("u", 'the "type":"x"')})
        w.append("thread_name", {"name": "first"})
        w.append("item_completed", {"turnId": "t", "item": user_item("u2", "later")})
        w.append("thread_name", {"name": "second"})
        last = w.append("turn_completed", {"turnId": "t", "status": "completed", "error": None})
    with w.path.open("ab") as f:
        f.write(b'{"ts":99999999999999,"type":"thread_na')  # torn last line is ignored
    s = summarize_rollout(w.path, archived=False)
    assert s.id == "x"
    assert s.preview == 'the "type":"x"'
    assert s.name == "second"
    assert s.updated_at == last.ts // 1000
    assert s.forked_from_id == "p"
    assert s.model_provider == "openai"
    assert not s.archived


def test_summarize_non_compact_rollout(tmp_path: Path) -> None:
    path = tmp_path / "rollout-2023-11-14T22-13-20-y.jsonl"
    path.write_text(
        '{"ts": 1700000000000, "type": "session_meta", "payload": {"id": "y", "createdAt": '
        '1700000000, "cwd": "/", "modelProvider": "openai"}}\n'
        '{"ts": 1700000500000, "type": "item_completed", "payload": {"turnId": "t", "item": '
        '{"type": "userMessage", "id": "u", "content": [{"type": "text", "text": "hey"}]}}}\n'
        '{"ts": 1700000600000, "type": "thread_name", "payload": {"name": "n"}}\n'
    )
    s = summarize_rollout(path, archived=True)
    assert (s.preview, s.name, s.updated_at, s.archived) == ("hey", "n", 1_700_000_600, True)


def test_pagination(index: ThreadIndex) -> None:
    pages = []
    q = ListQuery(limit=50)
    while True:
        page, cursor = index.list(q)
        pages.append(page)
        if cursor is None:
            break
        q = ListQuery(limit=50, cursor=cursor)
    assert [len(p) for p in pages] == [50, 50, 20]
    ids = [s.id for p in pages for s in p]
    assert ids == [f"thread-{n:03d}" for n in range(119, -1, -1)]


def test_exact_multiple_of_limit_ends_with_none(index: ThreadIndex) -> None:
    page, cursor = index.list(ListQuery(limit=60))
    page2, cursor2 = index.list(ListQuery(limit=60, cursor=cursor))
    assert len(page) == len(page2) == 60
    assert cursor2 is None


def test_sort_by_updated_at(index: ThreadIndex) -> None:
    future = int(time.time()) + 10**6
    index.touch("thread-005", future)
    index.touch("thread-007", future)  # same value: ties broken by id, descending
    rows = _all(index, ListQuery(limit=7, sort_key="updated_at"))
    assert [s.id for s in rows[:3]] == ["thread-007", "thread-005", "thread-119"]
    assert len({s.id for s in rows}) == 120
    by_created = index.list(ListQuery(limit=1))[0]
    assert by_created[0].id == "thread-119"


def test_filters(index: ThreadIndex) -> None:
    ollama = _all(index, ListQuery(limit=7, model_providers=["ollama"]))
    assert len(ollama) == 40
    assert all(s.model_provider == "ollama" for s in ollama)
    both = _all(index, ListQuery(model_providers=["ollama", "openai"]))
    assert len(both) == 120
    assert len(_all(index, ListQuery(model_providers=[]))) == 120

    in_repo = _all(index, ListQuery(cwd="/repo/1"))
    assert len(in_repo) == 30
    assert all(s.cwd == "/repo/1" for s in in_repo)
    assert _all(index, ListQuery(cwd="/repo")) == []

    found = _all(index, ListQuery(search_term="fIX bUG", limit=5))
    assert sorted(s.id for s in found) == [f"thread-{n:03d}" for n in range(0, 120, 10)]
    index.set_name("thread-001", "Ünïcode Fix bug name")
    assert "thread-001" in {s.id for s in _all(index, ListQuery(search_term="ÜNÏCODE"))}
    combined = _all(index, ListQuery(search_term="bug", cwd="/repo/0", model_providers=["ollama"]))
    assert sorted(s.id for s in combined) == ["thread-000", "thread-060"]


def test_move_to_archive_and_back(home: Path, index: ThreadIndex) -> None:
    live = index.get("thread-042")
    assert live is not None
    target = home / "archived_sessions" / Path(live.path).name
    target.parent.mkdir()
    shutil.move(live.path, target)
    index.move("thread-042", str(target), archived=True)

    archived, cursor = index.list(ListQuery(archived=True))
    assert [s.id for s in archived] == ["thread-042"]
    assert archived[0].archived
    assert cursor is None
    assert "thread-042" not in {s.id for s in _all(index, ListQuery(limit=100))}
    index.sync()  # nothing changes: the index already knows the new place
    assert index.get("thread-042") == archived[0]

    shutil.move(target, live.path)
    index.move("thread-042", live.path, archived=False)
    assert index.list(ListQuery(archived=True)) == ([], None)
    restored = index.get("thread-042")
    assert restored is not None
    assert not restored.archived


def test_invalid_cursor(index: ThreadIndex) -> None:
    _, cursor = index.list(ListQuery(limit=10))
    assert cursor is not None
    with pytest.raises(InvalidCursor):
        index.list(ListQuery(cursor=cursor, sort_key="updated_at"))
    for bad in ["", "!!!", "bm90IGpzb24", encode_cursor(1, "x", "created_at")[:-3], "WzEsMl0"]:
        with pytest.raises(InvalidCursor):
            index.list(ListQuery(cursor=bad))


def test_touch_and_name(index: ThreadIndex, home: Path) -> None:
    index.touch("thread-003", BASE + 999, preview="ignored: there is one")
    row = index.get("thread-003")
    assert row is not None
    assert (row.updated_at, row.preview) == (BASE + 999, "question 3")

    path = make_thread(home / "sessions", "fresh", created_at=BASE, turns=0)
    index.upsert(summarize_rollout(path, archived=False))
    index.touch("fresh", BASE + 5, preview="first words")
    index.set_name("fresh", "named")
    row = index.get("fresh")
    assert row is not None
    assert (row.preview, row.name, row.updated_at) == ("first words", "named", BASE + 5)
    index.set_name("fresh", None)
    assert index.get("fresh") == ThreadSummary(**{**row.__dict__, "name": None})
    assert index.get("missing") is None


def test_corrupt_index_is_rebuilt(home: Path, index: ThreadIndex) -> None:
    before = _all(index, ListQuery(limit=1000))
    index.close()
    db = home / "threads.sqlite"
    db.write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    rebuilt = ThreadIndex(home)
    try:
        assert _all(rebuilt, ListQuery(limit=1000)) == before
    finally:
        rebuilt.close()


def test_deleted_index_is_rebuilt(home: Path, index: ThreadIndex) -> None:
    before = _all(index, ListQuery(limit=1000))
    index.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{home / 'threads.sqlite'}{suffix}").unlink(missing_ok=True)
    rebuilt = ThreadIndex(home)
    try:
        assert _all(rebuilt, ListQuery(limit=1000)) == before
        assert rebuilt.rebuild() == 120
    finally:
        rebuilt.close()


def test_sync_adds_and_drops(home: Path, index: ThreadIndex) -> None:
    added = make_thread(home / "sessions", "behind-its-back", created_at=BASE + 10**7)
    victim = index.get("thread-010")
    assert victim is not None
    os.unlink(victim.path)
    (home / "sessions" / "README.txt").write_text("not a rollout")
    (home / "sessions" / "rollout-2023-11-14T22-13-20-corrupt.jsonl").write_text("junk\n")

    index.sync()
    assert index.get("thread-010") is None
    new = index.get("behind-its-back")
    assert new is not None
    assert new.path == str(added)
    assert index.list(ListQuery(limit=1))[0][0].id == "behind-its-back"
    assert len(_all(index, ListQuery(limit=500))) == 120


def test_sync_sees_a_rollout_changed_elsewhere(home: Path, index: ThreadIndex) -> None:
    row = index.get("thread-020")
    assert row is not None
    with RolloutWriter.open_append(Path(row.path)) as w:
        w.append("thread_name", {"name": "renamed elsewhere"})
    st = os.stat(row.path)
    os.utime(row.path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    index.sync()
    updated = index.get("thread-020")
    assert updated is not None
    assert updated.name == "renamed elsewhere"


def test_schema_version_change_rebuilds(home: Path, index: ThreadIndex) -> None:
    index._conn.execute("PRAGMA user_version = 999")
    index._conn.execute("DELETE FROM threads")
    index.close()
    reopened = ThreadIndex(home)
    try:
        assert len(_all(reopened, ListQuery(limit=500))) == 120
    finally:
        reopened.close()


def test_damage_found_while_open_is_repaired(home: Path, index: ThreadIndex) -> None:
    other = sqlite3.connect(home / "threads.sqlite")
    other.execute("DROP TABLE threads")
    other.commit()
    other.close()
    assert len(_all(index, ListQuery(limit=500))) == 120
