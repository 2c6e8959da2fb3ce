"""Threads when the disk changes behind the server's back, and concurrent loads."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException

from codex_lsp.mock_model import MockModelServer, text_response
from tests.e2e.threads_helpers import ClientFactory, expect_error, list_all, run_turn

BIG = "x" * 2_000_000  # a rollout that takes a moment to read


async def test_concurrent_loads_of_one_thread_share_it(
    make_client: ClientFactory, mock_model: MockModelServer
) -> None:
    client = await make_client()
    thread_id = (await client.start_thread())["thread"]["id"]
    mock_model.enqueue(text_response(BIG, chunks=[BIG]))
    assert (await client.turn(thread_id, "big"))["status"] == "completed"
    await client.stop()

    # Two turn/starts on a thread that is not loaded: one runs, the other is told it's busy.
    client = await make_client()
    mock_model.enqueue(
        text_response("one", delay_ms_between_events=100),
        text_response("two", delay_ms_between_events=100),
    )
    params = {"threadId": thread_id, "input": [{"type": "text", "text": "go"}]}
    results = await asyncio.gather(
        *(client.request("codex/turn/start", params) for _ in range(2)), return_exceptions=True
    )
    started = [r for r in results if isinstance(r, dict)]
    errors = [r for r in results if isinstance(r, JsonRpcException)]
    assert len(started) == 1 and len(errors) == 1, results
    assert errors[0].code == -32602 and "already running" in errors[0].message
    turn_id = started[0]["turn"]["id"]
    await client.wait_for("codex/turn/completed", lambda p: p["turn"]["id"] == turn_id)
    loads = [p for p in client.of("codex/thread/started") if p["thread"]["id"] == thread_id]
    assert len(loads) == 1
    await client.stop()

    # Concurrent resumes load it once.
    client = await make_client()
    resumed = await asyncio.gather(
        *(client.request("codex/thread/resume", {"threadId": thread_id}) for _ in range(4))
    )
    assert {len(r["thread"]["turns"]) for r in resumed} == {2}
    loads = [p for p in client.of("codex/thread/started") if p["thread"]["id"] == thread_id]
    assert len(loads) == 1


async def test_rollouts_deleted_or_corrupted_behind_the_servers_back(
    make_client: ClientFactory, mock_model: MockModelServer, codex_home: Path
) -> None:
    client = await make_client()
    threads = [(await client.start_thread())["thread"] for _ in range(4)]
    for t in threads:
        await run_turn(client, mock_model, t["id"], f"about {t['id']}", "ok")
    await client.stop()

    client = await make_client()
    assert len(await list_all(client)) == 4  # the index is open and up to date
    gone, gone_too, corrupt, fine = threads
    Path(gone["path"]).unlink()
    Path(gone_too["path"]).unlink()
    Path(corrupt["path"]).write_text("this is not a rollout\n")

    for method, params in [
        ("codex/thread/archive", {"threadId": gone["id"]}),
        ("codex/thread/name/set", {"threadId": gone_too["id"], "name": "n"}),
        ("codex/thread/resume", {"threadId": gone["id"]}),
        ("codex/thread/read", {"threadId": gone_too["id"], "includeTurns": True}),
        ("codex/thread/fork", {"threadId": gone["id"]}),
        ("codex/thread/resume", {"threadId": corrupt["id"]}),
        ("codex/thread/read", {"threadId": corrupt["id"], "includeTurns": True}),
        ("codex/thread/fork", {"threadId": corrupt["id"]}),
    ]:
        exc = await expect_error(client, method, params, "threadId")
        assert params["threadId"] in exc.message, exc.message
    listed = {t["id"] for t in await list_all(client)}
    assert gone["id"] not in listed and gone_too["id"] not in listed
    assert fine["id"] in listed
    await run_turn(client, mock_model, fine["id"], "still here?", "yes")
    await client.stop()

    # After a restart an unreadable rollout is not listed, with the index or without it.
    for drop_index in (False, True):
        if drop_index:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{codex_home / 'threads.sqlite'}{suffix}").unlink(missing_ok=True)
        client = await make_client()
        assert {t["id"] for t in await list_all(client)} == {fine["id"]}, drop_index
        await client.stop()


async def test_list_cwd_filter_is_normalized(make_client: ClientFactory, workspace: Path) -> None:
    client = await make_client()
    sub = workspace / "sub"
    sub.mkdir()
    thread_id = (await client.start_thread(cwd=f"{workspace}/sub/"))["thread"]["id"]
    for cwd in (str(sub), f"{sub}/", f"{workspace}/./sub", f"{workspace}/sub/../sub"):
        assert [t["id"] for t in await list_all(client, cwd=cwd)] == [thread_id], cwd


async def test_rename_counts_as_an_update_before_and_after_restart(
    make_client: ClientFactory,
) -> None:
    client = await make_client()
    loaded_one = (await client.start_thread())["thread"]["id"]
    other = (await client.start_thread())["thread"]["id"]
    await asyncio.sleep(1.1)
    await client.request("codex/thread/name/set", {"threadId": loaded_one, "name": "renamed"})
    rows = await list_all(client, sortKey="updated_at")
    assert [t["id"] for t in rows] == [loaded_one, other]
    assert rows[0]["updatedAt"] > rows[1]["updatedAt"]
    await client.stop()

    client = await make_client()
    rows = await list_all(client, sortKey="updated_at")
    assert [t["id"] for t in rows] == [loaded_one, other]
    await asyncio.sleep(1.1)
    # Not loaded this time: the rename goes to the rollout and the index directly.
    await client.request("codex/thread/name/set", {"threadId": other, "name": "me too"})
    rows = await list_all(client, sortKey="updated_at")
    assert [t["id"] for t in rows] == [other, loaded_one]
    before = {t["id"]: t["updatedAt"] for t in rows}
    await client.stop()

    client = await make_client()
    rows = await list_all(client, sortKey="updated_at")
    assert {t["id"]: t["updatedAt"] for t in rows} == before


async def test_ephemeral_and_loaded_thread_edge_cases(
    make_client: ClientFactory, mock_model: MockModelServer
) -> None:
    client = await make_client()
    ephemeral = (await client.start_thread(ephemeral=True))["thread"]
    assert ephemeral["path"] is None
    await run_turn(client, mock_model, ephemeral["id"], "not kept", "ok")
    exc = await expect_error(
        client, "codex/thread/archive", {"threadId": ephemeral["id"]}, "threadId"
    )
    assert "ephemeral" in exc.message
    await expect_error(client, "codex/thread/fork", {"threadId": ephemeral["id"]}, "threadId")
    assert ephemeral["id"] not in {t["id"] for t in await list_all(client)}

    # Unarchiving a loaded thread that is not archived shows it as it is: loaded, idle.
    thread_id = (await client.start_thread())["thread"]["id"]
    back = await client.request("codex/thread/unarchive", {"threadId": thread_id})
    assert back["thread"]["status"] == {"type": "idle"}


async def test_cwd_must_be_an_existing_absolute_directory(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    client = await make_client()
    thread_id = (await client.start_thread())["thread"]["id"]
    await run_turn(client, mock_model, thread_id, "first", "ok")
    a_file = workspace / "notes.txt"
    a_file.write_text("not a folder\n")
    text = [{"type": "text", "text": "hi"}]
    for bad in ("relative/dir", ".", "~", str(workspace / "missing"), str(a_file)):
        for method, params in [
            ("codex/thread/start", {"cwd": bad}),
            ("codex/thread/resume", {"threadId": thread_id, "cwd": bad}),
            ("codex/thread/fork", {"threadId": thread_id, "cwd": bad}),
            ("codex/turn/start", {"threadId": thread_id, "input": text, "cwd": bad}),
            ("codex/thread/list", {"cwd": bad}),
            ("codex/config/read", {"cwd": bad}),
            (
                lsp.WORKSPACE_EXECUTE_COMMAND,
                lsp.ExecuteCommandParams(command="codex.newThread", arguments=[{"cwd": bad}]),
            ),
        ]:
            exc = await expect_error(client, method, params, "cwd")
            assert bad in exc.message or repr(bad) in exc.message, (method, exc.message)
    # Nothing was started, and the thread still runs where it was.
    assert len(await list_all(client)) == 1
    turn = await run_turn(client, mock_model, thread_id, "still fine", "yes")
    assert turn["status"] == "completed"
    assert mock_model.requests[-1].body["input"][-1]["content"][0]["text"] == "still fine"
