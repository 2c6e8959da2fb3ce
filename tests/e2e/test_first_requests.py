"""The first thread reads, answered before pygls is loaded (`codex_lsp.server.first_requests`).

A client's opening burst (initialize, initialized, a document, the thread list, a bad
cursor, a new thread, a read) through the real server process: the reads are answered by
the session built before pygls (the server says so at debug level), with the same results
and errors as later; every held message is then handled in order by pygls.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from codex_lsp.mock_model import MockModelServer
from tests.e2e.raw_server import INITIALIZE, RawServer
from tests.e2e.threads_helpers import ClientFactory, run_turn


async def test_an_opening_burst_is_answered_in_full(
    make_client: ClientFactory, mock_model: MockModelServer, codex_home: Path, workspace: Path
) -> None:
    # Two threads on disk, made by an earlier server.
    earlier = await make_client()
    ids = []
    for text in ("first question", "second question"):
        thread = (await earlier.start_thread())["thread"]["id"]
        await run_turn(earlier, mock_model, thread, text, "an answer")
        ids.append(thread)
    await earlier.stop()

    server = await RawServer.start(codex_home, workspace, "--log-level", "DEBUG")
    try:
        document = workspace / "notes.txt"
        document.write_text("on disk\n")
        burst: list[dict[str, Any]] = [
            INITIALIZE,
            {"jsonrpc": "2.0", "method": "initialized", "params": {}},
            {
                "jsonrpc": "2.0",
                "method": "textDocument/didOpen",
                "params": {
                    "textDocument": {
                        "uri": document.as_uri(),
                        "languageId": "plaintext",
                        "version": 1,
                        "text": "in the buffer\n",
                    }
                },
            },
            {"jsonrpc": "2.0", "id": 2, "method": "codex/thread/list", "params": {"limit": 10}},
            {
                "jsonrpc": "2.0",
                "id": 3,
                "method": "codex/thread/list",
                "params": {"cursor": "not-a-cursor"},
            },
            {"jsonrpc": "2.0", "id": 4, "method": "codex/thread/start", "params": {}},
            {
                "jsonrpc": "2.0",
                "id": 5,
                "method": "codex/thread/read",
                "params": {"threadId": ids[0], "includeTurns": True},
            },
        ]
        for message in burst:
            await server.send(message)
        order: list[int] = []
        replies: dict[int, dict[str, Any]] = {}
        while len(replies) < 5:
            message = await server.read()
            if "method" not in message:
                order.append(message["id"])
                replies[message["id"]] = message
        assert order[0] == 1
        listed = [t["id"] for t in replies[2]["result"]["data"]]
        assert sorted(listed) == sorted(ids)
        error = replies[3]["error"]
        assert error["code"] == -32602 and "cursor" in error["message"]
        assert error["data"]["errors"][0]["loc"] == ["cursor"]
        assert "thread" in replies[4]["result"]
        turns = replies[5]["result"]["thread"]["turns"]
        assert len(turns) == 1
        # Everything held was handled by pygls: a clean shutdown and exit.
        await server.send(
            {"jsonrpc": "2.0", "id": 6, "method": "shutdown", "params": None},
        )
        await server.reply_to(6)
        await server.send({"jsonrpc": "2.0", "method": "exit"})
        assert await server.wait_exit(15) == 0
    finally:
        await server.stop()
    stderr = await server.stderr()
    assert "answered codex/thread/list before pygls was loaded" in stderr
    assert "answered codex/thread/read before pygls was loaded" in stderr
    assert "codex/thread/start before pygls" not in stderr
    assert "Traceback" not in stderr, stderr


def test_the_first_requests_need_no_pygls(codex_home: Path) -> None:
    # In a fresh interpreter: the session and the early thread reads import no pygls,
    # lsprotocol, aiohttp or MCP SDK.
    script = textwrap.dedent(
        f"""
        import asyncio, json, sys
        from pathlib import Path
        from codex_lsp.server.first_requests import FirstRequests
        from codex_lsp.server.transport import FrameWriter

        async def main():
            sent = []
            first = FirstRequests(Path({str(codex_home)!r}))
            writer = FrameWriter(sent.append, lambda: None)
            body = json.dumps({{"jsonrpc": "2.0", "id": 1, "method": "codex/thread/list",
                               "params": {{}}}}).encode()
            assert await first.answer(body, writer)
            start = json.dumps({{"jsonrpc": "2.0", "id": 2, "method": "codex/thread/start",
                                "params": {{}}}}).encode()
            assert not await first.answer(start, writer)
            await first.session.manager.shutdown()
            print(b"".join(sent).decode())

        asyncio.run(main())
        heavy = sorted({{m.split(".")[0] for m in sys.modules}}
                       & {{"pygls", "lsprotocol", "aiohttp", "mcp", "openai"}})
        print("HEAVY", heavy)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert '"result": {"data": []' in done.stdout, done.stdout
    assert "HEAVY []" in done.stdout, done.stdout
