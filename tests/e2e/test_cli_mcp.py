"""`codex-lsp exec` offers the configured MCP servers' tools: the real CLI process, the
mock model and the demo stdio MCP server (its own process)."""

from __future__ import annotations

import json
from pathlib import Path

from codex_lsp.mock_model import MockModelServer, text_response, tool_call_response
from tests.e2e.test_cli import _env, _run
from tests.lsp_client import mock_config
from tests.mcp.helpers import calls, stdio_table


async def test_exec_calls_an_mcp_tool(
    codex_home: Path, workspace: Path, mock_model: MockModelServer, tmp_path: Path
) -> None:
    log = tmp_path / "calls.jsonl"
    broken = '[mcp_servers.broken]\ncommand = "/nonexistent/mcp-server"\n'
    tables = stdio_table("demo", log) + broken
    (codex_home / "config.toml").write_text(
        'approval_policy = "never"\n' + mock_config(mock_model.url, extra="\n" + tables)
    )
    mock_model.enqueue(
        tool_call_response("mcp__demo__echo", {"text": "from exec"}, call_id="c1"),
        text_response("The tool answered."),
    )
    result = await _run("exec", "use the demo tool", env=_env(codex_home), cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert "The tool answered." in result.stdout
    assert "MCP server broken failed to start" in result.stderr
    first = mock_model.requests[0].body
    names = {t.get("name") for t in first["tools"]}
    assert "mcp__demo__echo" in names and not any(str(n).startswith("mcp__broken__") for n in names)
    (call,) = calls(log)
    assert json.dumps(call).count("from exec") == 1
    outputs = [i for i in mock_model.requests[1].body["input"] if i.get("call_id") == "c1"]
    assert outputs and "from exec" in json.dumps(outputs[-1])
