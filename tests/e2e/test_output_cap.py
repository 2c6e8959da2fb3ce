"""What one command streams to the client is capped at 1 MiB per item: a command printing
30 MB (through `shell` and as the user's own command) sends at most 1 MiB of
`outputDelta`, then exactly one truncation notice, and the item completes as usual with
its bounded `aggregatedOutput`."""

from __future__ import annotations

import re
from typing import Any

import pytest

from codex_lsp.mock_model import MockModelServer, text_response, tool_call_response
from tests.conftest import ClientFactory
from tests.e2e.tool_helpers import tool_outputs
from tests.lsp_client import CodexClient

MIB = 1024 * 1024
DELTA = "codex/item/commandExecution/outputDelta"
NOTICE = re.compile(r"\[\.\.\. output truncated: further output not streamed; (\d+) bytes so far")
# 30 MB of output: ASCII, or 2-byte characters (so a cut could fall inside one).
ASCII = "python3 -c \"import sys; [sys.stdout.write('x' * 1000 + '\\n') for _ in range(30000)]\""
UTF8 = "python3 -c \"import sys; [sys.stdout.write('é' * 500 + '\\n') for _ in range(30000)]\""


def _deltas(client: CodexClient, item_id: str) -> list[str]:
    return [p["delta"] for p in client.of(DELTA) if p["itemId"] == item_id]


def _check_capped(deltas: list[str], item: dict[str, Any]) -> None:
    streamed = "".join(deltas)
    notices = NOTICE.findall(streamed)
    assert len(notices) == 1, f"{len(notices)} truncation notices"
    assert NOTICE.search(deltas[-1]), "the notice is the last delta"
    assert int(notices[0]) > MIB
    output_bytes = sum(len(d.encode()) for d in deltas[:-1])
    assert MIB - 4 < output_bytes <= MIB
    assert "\ufffd" not in streamed  # no character was split
    assert item["status"] == "completed" and item["exitCode"] == 0
    aggregated = str(item["aggregatedOutput"])
    # The item's own copy stays bounded (head and tail, middle elided).
    assert len(aggregated.encode()) <= MIB and "bytes elided" in aggregated


@pytest.mark.parametrize("script", [ASCII, UTF8], ids=["ascii", "utf8"])
async def test_model_command_output_is_capped_per_item(
    make_client: ClientFactory, mock_model: MockModelServer, script: str
) -> None:
    client = await make_client()
    thread = (await client.start_thread(approvalPolicy="never"))["thread"]["id"]
    mock_model.enqueue(
        tool_call_response(
            "shell", {"command": ["bash", "-c", script], "timeout_ms": 120_000}, call_id="c1"
        ),
        tool_call_response("shell", {"command": ["bash", "-c", "echo small"]}, call_id="c2"),
        text_response("done"),
    )
    turn = await client.turn(thread, "print", timeout=120)
    assert turn["status"] == "completed"
    big, small = (i for i in turn["items"] if i["type"] == "commandExecution")
    _check_capped(_deltas(client, big["id"]), big)
    # The cap is per item: the next command streams normally.
    assert _deltas(client, small["id"]) == ["small\n"]
    # The model's copy is bounded by the tool-result cap.
    output = tool_outputs(mock_model.requests[-1].body)[0]
    assert len(output.encode()) <= 64 * 1024


async def test_user_shell_command_output_is_capped(make_client: ClientFactory) -> None:
    client = await make_client()
    thread = (await client.start_thread())["thread"]["id"]
    await client.request(
        "codex/thread/shellCommand", {"threadId": thread, "command": ASCII, "timeoutMs": 120_000}
    )
    done = await client.wait_for("codex/turn/completed", timeout=120)
    (item,) = done["turn"]["items"]
    assert item["source"] == "userShell"
    _check_capped(_deltas(client, item["id"]), item)
