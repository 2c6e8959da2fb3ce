"""`exec_command` sessions stream their output to the client as
`codex/item/commandExecution/outputDelta` of their item, as it is produced (also what a
`write_stdin` follow-up brings out), under the 1 MiB per-item cap."""

from __future__ import annotations

from codex_lsp.mock_model import MockModelServer, text_response, tool_call_response
from tests.conftest import ClientFactory
from tests.e2e.test_output_cap import DELTA, UTF8
from tests.e2e.test_output_cap import _check_capped as check_capped
from tests.e2e.test_output_cap import _deltas as deltas_of


async def test_exec_command_streams_output_before_it_completes(
    make_client: ClientFactory, mock_model: MockModelServer
) -> None:
    client = await make_client()
    thread = (await client.start_thread(approvalPolicy="never"))["thread"]["id"]
    cmd = "printf 'one\\n'; sleep 0.3; printf 'two\\n'; printf '\\xc3\\xa9t\\xc3\\xa9\\n'"
    mock_model.enqueue(
        tool_call_response(
            "exec_command", {"cmd": cmd, "login": False, "yield_time_ms": 10_000}, call_id="e1"
        ),
        text_response("done"),
    )
    turn = await client.turn(thread, "run it")
    assert turn["status"] == "completed"
    [item] = [i for i in turn["items"] if i["type"] == "commandExecution"]
    assert item["exitCode"] == 0
    deltas = deltas_of(client, item["id"])
    # Streamed in pieces as produced (the sleep splits them), terminal CRLF as LF.
    assert len(deltas) >= 2
    assert "".join(deltas) == "one\ntwo\nété\n" == item["aggregatedOutput"]
    # Every delta comes before the item completes, with the item's turn.
    events = [
        (m, p)
        for m, p, _ in client.notifications
        if p.get("itemId") == item["id"] or p.get("item", {}).get("id") == item["id"]
    ]
    names = [m for m, _ in events]
    assert names[0] == "codex/item/started" and names[-1] == "codex/item/completed"
    assert set(names[1:-1]) == {DELTA}
    assert {p["turnId"] for m, p in events if m == DELTA} == {turn["id"]}


async def test_write_stdin_output_streams_to_the_session_item(
    make_client: ClientFactory, mock_model: MockModelServer
) -> None:
    client = await make_client()
    thread = (await client.start_thread(approvalPolicy="never"))["thread"]["id"]
    start = {"cmd": "echo ready; read line; echo got:$line", "login": False, "yield_time_ms": 500}
    mock_model.enqueue(
        tool_call_response("exec_command", start, call_id="e1"),
        tool_call_response(
            "write_stdin",
            {"session_id": 1, "chars": "hello\n", "yield_time_ms": 5_000},
            call_id="e2",
        ),
        text_response("done"),
    )
    turn = await client.turn(thread, "talk to it")
    assert turn["status"] == "completed"
    [item] = [i for i in turn["items"] if i["type"] == "commandExecution"]
    assert item["exitCode"] is None  # still running when exec_command returned
    streamed = "".join(deltas_of(client, item["id"]))
    assert streamed.startswith("ready\n")
    # What the follow-up brought out (the terminal's echo of the input, then the answer).
    assert "got:hello\n" in streamed
    assert streamed.index("ready") < streamed.index("got:hello")


async def test_exec_command_deltas_are_capped(
    make_client: ClientFactory, mock_model: MockModelServer
) -> None:
    client = await make_client()
    thread = (await client.start_thread(approvalPolicy="never"))["thread"]["id"]
    # 30 MB of two-byte characters (a cut could fall inside one), as for `shell`.
    mock_model.enqueue(
        tool_call_response(
            "exec_command", {"cmd": UTF8, "login": False, "yield_time_ms": 60_000}, call_id="e1"
        ),
        tool_call_response("exec_command", {"cmd": "echo small", "login": False}, call_id="e2"),
        text_response("done"),
    )
    turn = await client.turn(thread, "print", timeout=120)
    big, small = (i for i in turn["items"] if i["type"] == "commandExecution")
    check_capped(deltas_of(client, big["id"]), big)
    # The cap is per item: the next command streams in full.
    assert "".join(deltas_of(client, small["id"])) == "small\n"
