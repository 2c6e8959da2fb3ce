"""thread/read (loaded and not), thread/name/set, and the errors of the thread methods."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codex_lsp.mock_model import MockModelServer
from tests.e2e.threads_helpers import (
    ClientFactory,
    completed_items,
    expect_error,
    list_all,
    run_turn,
)
from tests.lsp_client import CodexClient, mock_config


async def _read(client: CodexClient, thread_id: str, **params: Any) -> dict[str, Any]:
    result = await client.request("codex/thread/read", {"threadId": thread_id, **params})
    thread: dict[str, Any] = result["thread"]
    return thread


async def test_read_and_rename_loaded_and_not_loaded(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    client = await make_client()
    thread_id = (await client.start_thread())["thread"]["id"]
    turn = await run_turn(client, mock_model, thread_id, "read me back", "read")

    bare = await _read(client, thread_id)
    assert bare["turns"] == []
    assert bare["status"] == {"type": "idle"}
    assert bare["preview"] == "read me back"
    assert bare["cwd"] == str(workspace)
    full = await _read(client, thread_id, includeTurns=True)
    assert [t["id"] for t in full["turns"]] == [turn["id"]]
    assert full["turns"][0]["items"] == completed_items(client, turn["id"])
    assert {k: v for k, v in full.items() if k != "turns"} == {
        k: v for k, v in bare.items() if k != "turns"
    }

    assert (
        await client.request("codex/thread/name/set", {"threadId": thread_id, "name": "My thread"})
        == {}
    )
    note = await client.wait_for("codex/thread/name/updated", lambda p: p["threadId"] == thread_id)
    assert note["name"] == "My thread"
    assert (await _read(client, thread_id))["name"] == "My thread"
    [row] = [t for t in await list_all(client) if t["id"] == thread_id]
    assert row["name"] == "My thread"
    assert [t["id"] for t in await list_all(client, searchTerm="my THREAD")] == [thread_id]
    await client.stop()

    client = await make_client()
    bare = await _read(client, thread_id)
    assert bare["status"] == {"type": "notLoaded"}
    assert bare["turns"] == []
    assert bare["name"] == "My thread"
    assert bare["preview"] == "read me back"
    full = await _read(client, thread_id, includeTurns=True)
    assert [t["id"] for t in full["turns"]] == [turn["id"]]
    assert full["turns"][0]["items"] == turn["items"]
    [row] = [t for t in await list_all(client) if t["id"] == thread_id]
    assert row["name"] == "My thread"

    # Renaming a thread that is not loaded works too, and survives another restart.
    await client.request("codex/thread/name/set", {"threadId": thread_id, "name": "Renamed"})
    await client.wait_for(
        "codex/thread/name/updated", lambda p: p["threadId"] == thread_id and p["name"] == "Renamed"
    )
    assert (await _read(client, thread_id))["name"] == "Renamed"
    await client.stop()
    client = await make_client()
    assert (await _read(client, thread_id))["name"] == "Renamed"
    [row] = [t for t in await list_all(client) if t["id"] == thread_id]
    assert row["name"] == "Renamed"


async def test_thread_errors_name_the_field_and_server_keeps_answering(
    make_client: ClientFactory, mock_model: MockModelServer, codex_home: Path
) -> None:
    extra = (
        "[model_providers.mock2]\n"
        f'name = "mock2"\nbase_url = "{mock_model.url}"\nenv_key = "MOCK_API_KEY"\n'
    )
    (codex_home / "config.toml").write_text(mock_config(mock_model.url, extra=extra))
    client = await make_client()
    thread_id = (await client.start_thread())["thread"]["id"]
    await run_turn(client, mock_model, thread_id, "hi", "hello")
    turn_id = (await _read(client, thread_id, includeTurns=True))["turns"][0]["id"]

    async def still_answers() -> None:
        page = await client.request("codex/thread/list", {})
        assert thread_id in {t["id"] for t in page["data"]}

    unknown = "00000000-0000-4000-8000-000000000000"
    bad_ids: list[tuple[str, dict[str, Any]]] = [
        ("codex/thread/resume", {"threadId": unknown}),
        ("codex/thread/read", {"threadId": unknown}),
        ("codex/thread/read", {"threadId": unknown, "includeTurns": True}),
        ("codex/thread/archive", {"threadId": unknown}),
        ("codex/thread/unarchive", {"threadId": unknown}),
        ("codex/thread/fork", {"threadId": unknown}),
        ("codex/thread/fork", {"threadId": unknown, "lastTurnId": turn_id}),
        ("codex/thread/name/set", {"threadId": unknown, "name": "x"}),
        ("codex/thread/resume", {"threadId": "../../config"}),
        ("codex/thread/read", {"threadId": ""}),
    ]
    for method, params in bad_ids:
        exc = await expect_error(client, method, params, "threadId")
        data: Any = exc.data
        assert data["errors"][0]["loc"] == ["threadId"], (method, data)
        assert repr(params["threadId"]) in exc.message or params["threadId"] in exc.message, (
            method,
            exc.message,
        )
        await still_answers()

    for method, params, field in [
        ("codex/thread/resume", {"threadId": 5}, "threadId"),
        ("codex/thread/read", {}, "threadId"),
        ("codex/thread/fork", {"lastTurnId": turn_id}, "threadId"),
        ("codex/thread/archive", {"threadId": None}, "threadId"),
        (
            "codex/thread/read",
            {"threadId": thread_id, "includeTurns": "yes please"},
            "includeTurns",
        ),
        ("codex/thread/name/set", {"threadId": thread_id}, "name"),
        ("codex/thread/list", {"limit": 0}, "limit"),
        ("codex/thread/list", {"limit": -3}, "limit"),
        ("codex/thread/list", {"limit": "ten"}, "limit"),
        ("codex/thread/list", {"sortKey": "bogus"}, "sortKey"),
        ("codex/thread/list", {"cursor": "not a cursor!"}, "cursor"),
        ("codex/thread/list", {"cursor": 12}, "cursor"),
        ("codex/thread/list", {"modelProviders": "mock"}, "modelProviders"),
        ("codex/thread/list", {"archived": "maybe"}, "archived"),
    ]:
        await expect_error(client, method, params, field)
        await still_answers()

    # A cursor made for one sort key is refused for the other.
    for _ in range(2):
        await client.start_thread()
    page = await client.request("codex/thread/list", {"limit": 1, "sortKey": "created_at"})
    assert page["nextCursor"] is not None
    await expect_error(
        client,
        "codex/thread/list",
        {"limit": 1, "sortKey": "updated_at", "cursor": page["nextCursor"]},
        "cursor",
    )

    # Resuming under another provider than the one recorded is refused (loaded or not).
    await client.stop()
    client = await make_client()
    exc = await expect_error(
        client,
        "codex/thread/resume",
        {"threadId": thread_id, "modelProvider": "mock2"},
        "modelProvider",
    )
    assert "mock2" in exc.message
    await still_answers()
    resumed = await client.request("codex/thread/resume", {"threadId": thread_id})
    assert resumed["modelProvider"] == "mock"
    await expect_error(
        client,
        "codex/thread/resume",
        {"threadId": thread_id, "modelProvider": "mock2"},
        "modelProvider",
    )
    await still_answers()
