"""The VS Code extension's own checks (client-vscode/), run from pytest.

- `npm run check:types`: the TypeScript protocol types are generated from `schemas/` and
  the committed file is up to date (the contract between the server and the extension).
- `npm run typecheck` and `npm run lint`.
- `npm test`: vitest unit tests of the view state, and integration tests where the
  extension's protocol client drives the real `codex-lsp` (this virtualenv's) against the
  mock model, both started as processes on 127.0.0.1.

`npm ci` runs first when `client-vscode/node_modules` is missing (the npm registry is
reachable on every machine of this project). Without node/npm the tests are skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLIENT = REPO / "client-vscode"
BIN = Path(sys.executable).parent
NPM = shutil.which("npm")
TIMEOUT = 600.0

pytestmark = [
    pytest.mark.skipif(NPM is None, reason="npm not found"),
    pytest.mark.skipif(not (CLIENT / "package.json").exists(), reason="no client-vscode/"),
]


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
    if not modules.exists():
        _run(["ci", "--no-audit", "--no-fund"])
    return modules


def test_generated_types_match_schemas(node_modules: Path) -> None:
    assert "up to date" in _run(["run", "check:types"])


def test_typecheck_and_lint(node_modules: Path) -> None:
    _run(["run", "typecheck"])
    _run(["run", "lint"])


def test_unit_and_integration(node_modules: Path) -> None:
    server = BIN / "codex-lsp"
    assert server.exists(), f"{server} missing: pip install -e . first"
    env = {
        "CODEX_LSP_SERVER": str(server),
        "CODEX_LSP_PYTHON": sys.executable,
        # The integration tests fail (instead of skipping) when they cannot find them.
        "CODEX_VSCODE_REQUIRE_SERVER": "1",
        "CI": "true",
    }
    output = _run(["test"], env=env)
    assert "integration" in output, output[-4000:]
