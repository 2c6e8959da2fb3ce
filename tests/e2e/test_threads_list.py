"""thread/list at scale: paging, sort keys, filters, archive/unarchive, index loss."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from codex_lsp.mock_model import MockModelServer
from tests.e2e.threads_helpers import ClientFactory, list_all, run_turn
from tests.lsp_client import CodexClient, mock_config

TOTAL = 120


def _mock2(url: str) -> str:
    return (
        "[model_providers.mock2]\n"
        'name = "mock2"\n'
        f'base_url = "{url}"\n'
        'env_key = "MOCK_API_KEY"\n'
        'wire_api = "responses"\n'
    )


def _ordered(rows: list[dict[str, Any]], key: str) -> bool:
    keys = [(r[key], r["id"]) for r in rows]
    return keys == sorted(keys, reverse=True)


async def _start_many(client: CodexClient, n: int, **params: Any) -> list[str]:
    results = await asyncio.gather(*(client.start_thread(**params) for _ in range(n)))
    return [r["thread"]["id"] for r in results]


async def test_list_120_threads_paging_filters_archive(
    make_client: ClientFactory, mock_model: MockModelServer, codex_home: Path, tmp_path: Path
) -> None:
    (codex_home / "config.toml").write_text(
        mock_config(mock_model.url, extra=_mock2(mock_model.url))
    )
    dirs = [tmp_path / "a", tmp_path / "b"]
    for d in dirs:
        d.mkdir()
    client = await make_client()

    # The oldest thread gets a turn last, so it is last by created_at, first by updated_at.
    oldest = (await client.start_thread(cwd=str(dirs[0])))["thread"]["id"]
    await asyncio.sleep(1.1)
    ids = [oldest]
    ids += await _start_many(client, 9, cwd=str(dirs[0]))
    ids += await _start_many(client, 20, modelProvider="mock2", cwd=str(dirs[1]))
    ids += await _start_many(client, TOTAL - len(ids))
    assert len(set(ids)) == TOTAL
    zebra = ids[50]
    await run_turn(client, mock_model, zebra, "Tell me about the Zebra crossing", "Stripes.")
    await asyncio.sleep(1.1)
    await run_turn(client, mock_model, oldest, "an old question", "an answer")

    # Paging: 50 + 50 + 20, no duplicates, the last cursor null.
    pages = []
    cursor = None
    while True:
        page = await client.request("codex/thread/list", {"limit": 50, "cursor": cursor})
        pages.append(page["data"])
        cursor = page["nextCursor"]
        if cursor is None:
            break
        assert len(pages) < 4
    assert [len(p) for p in pages] == [50, 50, 20]
    listed = [t for p in pages for t in p]
    assert len({t["id"] for t in listed}) == TOTAL
    assert {t["id"] for t in listed} == set(ids)
    assert all(t["turns"] == [] for t in listed)
    assert _ordered(listed, "createdAt")
    assert listed[-1]["id"] == oldest

    by_updated = await list_all(client, limit=50, sortKey="updated_at")
    assert len(by_updated) == TOTAL
    assert _ordered(by_updated, "updatedAt")
    assert by_updated[0]["id"] == oldest
    assert by_updated[0]["updatedAt"] > by_updated[0]["createdAt"]
    by_created = await list_all(client, limit=50, sortKey="created_at")
    assert [t["id"] for t in by_created] == [t["id"] for t in listed]

    # Filters.
    mock2 = await list_all(client, limit=7, modelProviders=["mock2"])
    assert {t["id"] for t in mock2} == set(ids[10:30])
    assert all(t["modelProvider"] == "mock2" for t in mock2)
    both = await list_all(client, modelProviders=["mock", "mock2"])
    assert len(both) == TOTAL
    in_a = await list_all(client, cwd=str(dirs[0]))
    assert {t["id"] for t in in_a} == set(ids[:10])
    in_b = await list_all(client, cwd=str(dirs[1]), modelProviders=["mock2"])
    assert {t["id"] for t in in_b} == set(ids[10:30])
    found = await list_all(client, searchTerm="zebra")
    assert [t["id"] for t in found] == [zebra]
    assert found[0]["preview"] == "Tell me about the Zebra crossing"
    assert await list_all(client, searchTerm="no such words") == []

    # Archive: gone from the default list, listed as archived, the file moved.
    victim = ids[60]
    before = (await client.request("codex/thread/read", {"threadId": victim}))["thread"]
    assert await client.request("codex/thread/archive", {"threadId": victim}) == {}
    await client.wait_for("codex/thread/archived", lambda p: p["threadId"] == victim)
    assert victim not in {t["id"] for t in await list_all(client, limit=50)}
    archived = await list_all(client, archived=True)
    assert [t["id"] for t in archived] == [victim]
    archived_path = Path(archived[0]["path"])
    assert archived_path.parent == codex_home / "archived_sessions"
    assert archived_path.is_file()
    assert not Path(before["path"]).exists()

    # Unarchive: `{thread}`, back in the list, the file back under sessions/YYYY/MM/DD/.
    back = await client.request("codex/thread/unarchive", {"threadId": victim})
    assert back["thread"]["id"] == victim
    await client.wait_for("codex/thread/unarchived", lambda p: p["threadId"] == victim)
    assert back["thread"]["path"] == before["path"]
    assert Path(before["path"]).is_file()
    rel = Path(before["path"]).relative_to(codex_home / "sessions")
    assert len(rel.parts) == 4 and all(p.isdigit() for p in rel.parts[:3])
    assert not archived_path.exists()
    assert victim in {t["id"] for t in await list_all(client, limit=50)}
    assert await list_all(client, archived=True) == []
    # The unarchived thread still works.
    await run_turn(client, mock_model, victim, "back again", "welcome back")


async def test_list_survives_missing_or_corrupt_index(
    make_client: ClientFactory, mock_model: MockModelServer, codex_home: Path
) -> None:
    client = await make_client()
    ids = await _start_many(client, 5)
    named = ids[0]
    await run_turn(client, mock_model, named, "first words", "ok")
    await client.request("codex/thread/name/set", {"threadId": named, "name": "Kept name"})
    await client.request("codex/thread/archive", {"threadId": ids[1]})
    await client.stop()

    index = codex_home / "threads.sqlite"
    for damage in ("delete", "garbage"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{index}{suffix}").unlink(missing_ok=True)
        if damage == "garbage":
            index.write_bytes(b"this is not a database\x00" * 200)
        client = await make_client()
        listed = await list_all(client)
        assert {t["id"] for t in listed} == set(ids) - {ids[1]}, damage
        row = next(t for t in listed if t["id"] == named)
        assert row["preview"] == "first words"
        assert row["name"] == "Kept name"
        archived = await list_all(client, archived=True)
        assert [t["id"] for t in archived] == [ids[1]]
        await client.stop()
