"""`[mcp_servers]` read one server at a time; environments and headers."""

from __future__ import annotations

import pytest

from codex_lsp.core.approvals.policy import mcp_call_verdict
from codex_lsp.core.mcp.config import (
    MissingVariable,
    ServerTable,
    http_headers,
    parse_servers,
    stdio_environment,
)


def test_each_server_is_read_on_its_own() -> None:
    servers = parse_servers(
        {
            "fs": {"command": "npx", "args": ["-y", "fs"], "startup_timeout_sec": 2.5},
            "web": {"url": "https://example.invalid/mcp", "tool_timeout_sec": 5},
            "legacy": {"command": "x", "startup_timeout_ms": 1500},
            "both": {"command": "x", "url": "http://127.0.0.1:1/mcp"},
            "neither": {"args": []},
            "bad url": {"url": "ftp://x"},
            "ftp": {"url": "ftp://x"},
            "typo": {"command": "x", "enabled": "maybe"},
            "table": "not a table",
            "off": {"command": "x", "enabled": False, "disabled_tools": ["rm"]},
        }
    )
    by_name = {s.name: s for s in servers}
    assert [s.name for s in servers][:3] == ["fs", "web", "legacy"]
    fs, web, legacy = by_name["fs"], by_name["web"], by_name["legacy"]
    assert (fs.transport, fs.startup_timeout_s, fs.tool_timeout_s) == ("stdio", 2.5, 60.0)
    assert (web.transport, web.startup_timeout_s, web.tool_timeout_s) == ("http", 10.0, 5.0)
    assert legacy.startup_timeout_s == 1.5
    assert "not both" in (by_name["both"].problem or "")
    assert "give `command`" in (by_name["neither"].problem or "")
    assert "invalid server name" in (by_name["bad url"].problem or "")
    assert "not an http://" in (by_name["ftp"].problem or "")
    assert "enabled" in (by_name["typo"].problem or "")
    assert by_name["table"].problem == "not a table"
    assert all(by_name[n].table is None for n in ("both", "neither", "ftp", "typo"))
    off = by_name["off"]
    assert not off.enabled and off.problem is None
    assert off.offers("ls") and not off.offers("rm")


def test_enabled_tools_then_disabled_tools() -> None:
    [server] = parse_servers(
        {"s": {"command": "x", "enabled_tools": ["a", "b"], "disabled_tools": ["b"]}}
    )
    assert [t for t in ("a", "b", "c") if server.offers(t)] == ["a"]


def test_stdio_environment_is_minimal() -> None:
    base = {
        "PATH": "/bin",
        "HOME": "/home/u",
        "OPENAI_API_KEY": "sk-secret",
        "GITHUB_TOKEN": "ghp",
        "LANG": "C.UTF-8",
        "EXTRA": "yes",
    }
    table = ServerTable(command="x", env={"MY_VAR": "1", "PATH": "/opt/bin"}, env_vars=["EXTRA"])
    assert stdio_environment(table, base) == {
        "PATH": "/opt/bin",
        "HOME": "/home/u",
        "LANG": "C.UTF-8",
        "EXTRA": "yes",
        "MY_VAR": "1",
    }


def test_http_headers_and_bearer_token() -> None:
    table = ServerTable(
        url="http://127.0.0.1:1/mcp",
        http_headers={"X-Static": "1"},
        env_http_headers={"X-Org": "ORG_ID", "X-Missing": "NOPE"},
        bearer_token_env_var="TOKEN_VAR",
    )
    headers = http_headers(table, {"ORG_ID": "org-7", "TOKEN_VAR": "t0ken-abc"})
    assert headers == {"X-Static": "1", "X-Org": "org-7", "Authorization": "Bearer t0ken-abc"}
    with pytest.raises(MissingVariable, match="TOKEN_VAR"):
        http_headers(table, {})


@pytest.mark.parametrize(
    ("policy", "read_only", "remembered", "verdict"),
    [
        ("untrusted", True, False, "ask"),
        ("untrusted", False, True, "run"),
        ("on-request", True, False, "run"),
        ("on-request", False, False, "ask"),
        ("on-failure", False, False, "ask"),
        ("never", False, False, "run"),
        ("on-request", False, True, "run"),
    ],
)
def test_mcp_call_verdict(policy: str, read_only: bool, remembered: bool, verdict: str) -> None:
    assert (
        mcp_call_verdict(policy, read_only=read_only, approved_for_session=remembered)  # type: ignore[arg-type]
        == verdict
    )
