"""MCP over streamable HTTP, through the real server process and the mock model: a demo
MCP server (its own process, uvicorn on 127.0.0.1) that requires a bearer token, and one
protected by OAuth (the SDK's authorization-server pieces: metadata, dynamic registration,
authorize, token with PKCE and refresh). Logins go through `codex/mcpServer/oauth/login`
and a loopback callback; tokens are stored 0600 and refreshed when expired; no token
reaches a notification, a log, a rollout or the model.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import httpx2
import pytest
from pygls.exceptions import JsonRpcInternalError, JsonRpcInvalidParams

from codex_lsp.mock_model import MockModelServer, text_response, tool_call_response
from tests.e2e.test_mcp_stdio import mcp_items, outputs, started, tool_specs, write_config
from tests.lsp_client import TIMEOUT
from tests.mcp.helpers import (
    HTTP_SERVER,
    OAUTH_SERVER,
    LoggingClient,
    calls,
    everything_said,
    http_server,
    http_table,
    stdio_table,
)

TOKEN = "zq7-bearer-9d1e5c7a3b"


async def test_bearer_token_server(
    mock_model: MockModelServer, codex_home: Path, workspace: Path, tmp_path: Path
) -> None:
    log = tmp_path / "calls.jsonl"
    env = {"MCP_BEARER_TOKEN": TOKEN, "MCP_CALLS_LOG": str(log)}
    async with http_server(HTTP_SERVER, env) as server:
        tables = (
            http_table(
                "web",
                server.url,
                bearer_token_env_var="WEB_MCP_TOKEN",
                http_headers={"X-Client": "codex-tests"},
            )
            + http_table("wrong", server.url, bearer_token_env_var="WRONG_MCP_TOKEN")
            + http_table("unset", server.url, bearer_token_env_var="UNSET_MCP_TOKEN")
            + http_table("anonymous", server.url)
        )
        write_config(codex_home, mock_model, tables, approval_policy="never")
        client = await started(
            codex_home,
            workspace,
            tmp_path,
            env={"WEB_MCP_TOKEN": TOKEN, "WRONG_MCP_TOKEN": "zq7-not-the-token-77"},
        )
        try:
            await client.startup("web", "ready")
            wrong = await client.startup("wrong", "failed")
            assert "refused the bearer token (HTTP 401)" in wrong["error"]
            unset = await client.startup("unset", "failed")
            assert "UNSET_MCP_TOKEN" in unset["error"] and "not set" in unset["error"]
            anonymous = await client.startup("anonymous", "failed")
            statuses = await client.statuses()
            assert statuses["web"]["authStatus"] == "bearerToken"
            assert statuses["web"]["runtimeStatus"]["status"] == "ready"
            assert statuses["wrong"]["authStatus"] == "bearerToken"
            # 401 without OAuth metadata: nothing to log in with, but it needs a login.
            assert statuses["anonymous"]["authStatus"] == "notLoggedIn", anonymous

            mock_model.enqueue(
                tool_call_response("mcp__web__forecast", {"city": "Quito"}, call_id="c_fc"),
                tool_call_response("mcp__web__steps", {"count": 2}, call_id="c_st"),
                text_response("done"),
            )
            thread = (await client.start_thread())["thread"]
            turn = await client.turn(thread["id"], "weather over http")
            forecast, steps = mcp_items(turn)
            assert forecast["status"] == steps["status"] == "completed"
            assert json.loads(outputs(mock_model.requests[1].body)["c_fc"]) == {
                "city": "Quito",
                "celsius": 21.5,
            }
            progress = client.of("codex/item/mcpToolCall/progress")
            assert [p["message"] for p in progress] == ["step 1 of 2", "step 2 of 2"]
            assert [c["tool"] for c in calls(log)] == ["forecast", "steps"]
            assert "mcp__web__forecast" in tool_specs(mock_model.requests[0].body)
        finally:
            await client.stop()
        said = everything_said(client, codex_home, client.log_file)
        said += json.dumps([r.body for r in mock_model.requests])
        assert TOKEN not in said
        assert "zq7-not-the-token-77" not in said


def grants(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def browse(url: str) -> None:
    """What the user's browser does: open the authorization URL (the test server approves
    at once and redirects), then follow the redirect to codex-lsp's loopback callback."""
    async with httpx2.AsyncClient(timeout=TIMEOUT) as browser:
        approved = await browser.get(url)
        assert approved.status_code in (302, 303, 307), approved.text
        callback = approved.headers["location"]
        assert callback.startswith("http://127.0.0.1:")
        landed = await browser.get(callback)
        assert landed.status_code == 200 and "Logged in" in landed.text


async def test_oauth_login_stores_refreshes_and_hides_tokens(
    mock_model: MockModelServer, codex_home: Path, workspace: Path, tmp_path: Path
) -> None:
    log, grants_log = tmp_path / "calls.jsonl", tmp_path / "grants.jsonl"
    # Access tokens live 10 s: less than the margin, so each new connection refreshes.
    env = {"MCP_CALLS_LOG": str(log), "MCP_GRANTS_LOG": str(grants_log), "MCP_ACCESS_TTL": "10"}
    async with http_server(OAUTH_SERVER, env) as server:
        tables = http_table("docs", server.url)
        write_config(
            codex_home,
            mock_model,
            tables,
            approval_policy="never",
            mcp_oauth_credentials_store="file",
        )
        client = await started(codex_home, workspace, tmp_path)
        try:
            failed = await client.startup("docs", "failed")
            assert "OAuth login" in failed["error"]
            assert (await client.statuses())["docs"]["authStatus"] == "notLoggedIn"
            with pytest.raises(JsonRpcInvalidParams, match="nope"):
                await client.request("codex/mcpServer/oauth/login", {"name": "nope"})

            result = await client.request(
                "codex/mcpServer/oauth/login", {"name": "docs", "timeoutSecs": 60}
            )
            url = result["authorizationUrl"]
            assert url.startswith(f"{server.base}/authorize?")
            assert "code_challenge_method=S256" in url and "code_challenge=" in url
            assert "redirect_uri=http%3A%2F%2F127.0.0.1%3A" in url
            await browse(url)
            done = await client.wait_for("codex/mcpServer/oauthLogin/completed")
            assert done == {"name": "docs", "success": True, "error": None}
            # The server restarts with the stored tokens (refreshed at once: they expire
            # within the margin) and its tools are offered.
            await client.startup("docs", "ready")
            status = (await client.statuses())["docs"]
            assert status["authStatus"] == "oAuth"
            assert "echo" in status["tools"]
            assert [g["grant"] for g in grants(grants_log)] == ["code", "refresh"]

            store = codex_home / "mcp-credentials.json"
            assert stat.S_IMODE(store.stat().st_mode) == 0o600
            stored = json.loads(store.read_text())
            [record] = stored.values()
            assert record["tokens"]["access_token"] == grants(grants_log)[-1]["access_token"]

            mock_model.enqueue(
                tool_call_response("mcp__docs__echo", {"text": "authorized"}, call_id="c_1"),
                text_response("done"),
            )
            thread = (await client.start_thread())["thread"]
            turn = await client.turn(thread["id"], "call the protected tool")
            assert mcp_items(turn)[0]["status"] == "completed"
            assert outputs(mock_model.requests[-1].body)["c_1"] == "echo: authorized"
        finally:
            await client.stop()

        # A new codex-lsp process: the stored tokens are used, refreshed, and stored again.
        again = LoggingClient(codex_home, workspace, tmp_path / "server2.log")
        await again.start()
        try:
            await again.startup("docs", "ready")
            assert [g["grant"] for g in grants(grants_log)] == ["code", "refresh", "refresh"]
            record = next(iter(json.loads(store.read_text()).values()))
            assert record["tokens"]["access_token"] == grants(grants_log)[-1]["access_token"]
        finally:
            await again.stop()

        said = "\n".join(
            [
                everything_said(client, codex_home, client.log_file),
                everything_said(again, codex_home, again.log_file),
                json.dumps([r.body for r in mock_model.requests]),
            ]
        )
        for grant in grants(grants_log):
            assert grant["access_token"] not in said
            assert grant["refresh_token"] not in said


async def test_login_refused_for_servers_without_oauth(
    mock_model: MockModelServer, codex_home: Path, workspace: Path, tmp_path: Path
) -> None:
    log = tmp_path / "calls.jsonl"
    async with http_server(HTTP_SERVER, {"MCP_CALLS_LOG": str(log)}) as server:
        tables = http_table("open", server.url) + http_table(
            "tokened", server.url, bearer_token_env_var="SOME_TOKEN"
        )
        tables += stdio_table("local", log)
        write_config(codex_home, mock_model, tables)
        client = await started(codex_home, workspace, tmp_path, env={"SOME_TOKEN": "x" * 12})
        try:
            await client.startup("open", "ready")
            await client.startup("local", "ready")
            statuses = await client.statuses()
            assert statuses["open"]["authStatus"] == "unsupported"
            assert statuses["local"]["authStatus"] == "unsupported"
            for name, why in (("local", "not a streamable HTTP"), ("tokened", "bearer token")):
                with pytest.raises(JsonRpcInvalidParams, match=why):
                    await client.request("codex/mcpServer/oauth/login", {"name": name})
            # The open server has no authorization server to log in with.
            with pytest.raises(JsonRpcInternalError, match="without a login"):
                await client.request("codex/mcpServer/oauth/login", {"name": "open"})
        finally:
            await client.stop()
