"""thread/fork: history up to a turn, the model sees only that, the source stays as it was."""

from __future__ import annotations

from pathlib import Path

from codex_lsp.mock_model import MockModelServer
from tests.e2e.threads_helpers import (
    ClientFactory,
    completed_items,
    conversation,
    env_count,
    expect_error,
    list_all,
    run_turn,
)


async def test_fork_at_a_turn_and_whole(
    make_client: ClientFactory, mock_model: MockModelServer
) -> None:
    client = await make_client()
    source = (await client.start_thread())["thread"]
    source_id = source["id"]
    turns = [
        await run_turn(client, mock_model, source_id, f"question {n}", f"answer {n}")
        for n in (1, 2, 3)
    ]
    source_bytes = Path(source["path"]).read_bytes()

    forked = await client.request(
        "codex/thread/fork", {"threadId": source_id, "lastTurnId": turns[1]["id"]}
    )
    fork = forked["thread"]
    assert fork["id"] != source_id
    assert fork["forkedFromId"] == source_id
    assert fork["preview"] == "question 1"
    assert [t["id"] for t in fork["turns"]] == [t["id"] for t in turns[:2]]
    for mine, theirs in zip(fork["turns"], turns[:2], strict=True):
        assert mine["items"] == completed_items(client, theirs["id"])
    assert fork["path"] != source["path"]
    await client.wait_for("codex/thread/started", lambda p: p["thread"]["id"] == fork["id"])

    await run_turn(client, mock_model, fork["id"], "question 4 on the fork", "fork answer")
    body = mock_model.requests[-1].body
    assert conversation(body) == [
        ("user", "question 1"),
        ("assistant", "answer 1"),
        ("user", "question 2"),
        ("assistant", "answer 2"),
        ("user", "question 4 on the fork"),
    ]
    assert env_count(body) == 1

    # The source is unchanged: same file, same three turns, and its next turn has its history.
    assert Path(source["path"]).read_bytes() == source_bytes
    read = await client.request("codex/thread/read", {"threadId": source_id, "includeTurns": True})
    assert [t["id"] for t in read["thread"]["turns"]] == [t["id"] for t in turns]
    assert read["thread"]["forkedFromId"] is None
    await run_turn(client, mock_model, source_id, "question 5", "answer 5")
    assert [m for _r, m in conversation(mock_model.requests[-1].body)] == [
        "question 1",
        "answer 1",
        "question 2",
        "answer 2",
        "question 3",
        "answer 3",
        "question 5",
    ]

    # Without lastTurnId everything is copied (the source's fourth turn included).
    whole = (await client.request("codex/thread/fork", {"threadId": source_id}))["thread"]
    assert whole["forkedFromId"] == source_id
    assert len(whole["turns"]) == 4
    assert [t["id"] for t in whole["turns"][:3]] == [t["id"] for t in turns]

    listed = {t["id"]: t for t in await list_all(client)}
    assert listed[fork["id"]]["forkedFromId"] == source_id
    assert listed[whole["id"]]["forkedFromId"] == source_id

    exc = await expect_error(
        client,
        "codex/thread/fork",
        {"threadId": source_id, "lastTurnId": "no-such-turn"},
        "lastTurnId",
    )
    assert "no-such-turn" in exc.message
    await client.stop()

    # The fork and its lineage survive a restart.
    again = await make_client()
    rows = {t["id"]: t for t in await list_all(again)}
    assert rows[fork["id"]]["forkedFromId"] == source_id
    resumed = await again.request("codex/thread/resume", {"threadId": fork["id"]})
    assert len(resumed["thread"]["turns"]) == 3
    assert resumed["thread"]["forkedFromId"] == source_id
