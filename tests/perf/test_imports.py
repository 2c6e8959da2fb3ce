"""What each command imports (issue 16): the terminal commands (`exec`, `login`, `--help`)
never load pygls or lsprotocol, and the server answers `initialize` having imported only
the modules listed in `codex_lsp.lazy.AT_INITIALIZE` (none of pygls, lsprotocol or pydantic:
it answers from its capability snapshot, `codex_lsp.server.early`).

Every command runs for real in a subprocess: `exec` runs a turn against the mock model
(its answer is checked, so the command cannot pass by failing early); the modules are those
in `sys.modules` when the command has finished (terminal) or at the moment the server wrote
its `initialize` response (`CODEX_LSP_MODULES_AT_INITIALIZE`, see `codex_lsp/lazy.py`).
No timing is asserted here: the numbers are in `benchmarks/bench_core.py`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from codex_lsp.lazy import DUMP_ENV, allowed_at_initialize, unexpected_at_initialize
from codex_lsp.mock_model import MockModelServer, text_response
from tests.lsp_client import CodexClient

SERVER_ONLY = ("pygls", "lsprotocol")

# Runs the command line in-process (as the `codex-lsp` script does), then writes the modules
# it loaded to the file named by argv[1]; the command's own arguments follow.
_RUN_CLI = """
import json, sys
out, argv = sys.argv[1], sys.argv[2:]
from codex_lsp.cli import main
try:
    code = main(argv)
except SystemExit as exc:
    code = exc.code
with open(out, "w") as f:
    json.dump(sorted(sys.modules), f)
sys.exit(code or 0)
"""


def _run_cli(
    tmp_path: Path, home: Path, *argv: str, stdin: str = ""
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    out = tmp_path / "modules.json"
    out.unlink(missing_ok=True)
    env = {**os.environ, "CODEX_HOME": str(home), "MOCK_API_KEY": "x"}
    done = subprocess.run(
        [sys.executable, "-c", _RUN_CLI, str(out), *argv],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    modules: list[str] = json.loads(out.read_text())
    return done, modules


def _server_modules(modules: list[str]) -> list[str]:
    return [m for m in modules if m.split(".")[0] in SERVER_ONLY]


async def test_exec_runs_a_turn_without_pygls(
    tmp_path: Path, codex_home: Path, mock_model: MockModelServer
) -> None:
    mock_model.enqueue(text_response("Answer from the mock."))
    # The mock serves on this test's event loop: run the command in a worker thread.
    import asyncio

    done, modules = await asyncio.to_thread(_run_cli, tmp_path, codex_home, "exec", "hello")
    assert done.returncode == 0, done.stderr
    assert "Answer from the mock." in done.stdout
    assert len(mock_model.requests) == 1
    assert "codex_lsp.cli.exec_run" in modules
    assert _server_modules(modules) == []
    # The model client streams over aiohttp: the OpenAI SDK is not imported for a turn.
    assert "aiohttp" in modules and "codex_lsp.core.model.sse" in modules
    assert [m for m in modules if m.split(".")[0] == "openai"] == []


@pytest.mark.parametrize(
    ("argv", "expect"),
    [
        (("--help",), "usage: codex-lsp"),
        (("exec", "--help"), "usage: codex-lsp exec"),
        (("login", "--help"), "usage: codex-lsp login"),
        (("login", "status"), "Not logged in"),
    ],
)
def test_terminal_commands_do_not_import_pygls(
    tmp_path: Path, argv: tuple[str, ...], expect: str
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    done, modules = _run_cli(tmp_path, home, *argv)
    assert expect in done.stdout + done.stderr
    assert "codex_lsp.cli" in modules
    assert _server_modules(modules) == []


def test_login_stores_a_key_without_pygls(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text('cli_auth_credentials_store = "file"\n')
    done, modules = _run_cli(tmp_path, home, "login", stdin="sk-test-0123456789abcdef\n")
    assert done.returncode == 0, done.stderr
    assert (home / "auth.json").exists()
    assert "codex_lsp.cli.auth" in modules
    assert _server_modules(modules) == []


async def test_modules_at_initialize_stay_within_the_list(
    tmp_path: Path, codex_home: Path, workspace: Path
) -> None:
    dump = tmp_path / "at-initialize.json"
    client = CodexClient(codex_home, workspace, env={DUMP_ENV: str(dump)})
    try:
        await client.start()
        # The list is written right after the answer, before the next message is read.
        result = await client.request("codex/thread/list", {"limit": 1})
        assert result["data"] == []
        assert dump.exists()
    finally:
        await client.stop()
    modules: list[str] = json.loads(dump.read_text())
    assert "codex_lsp.server.early" in modules  # the dump is the server's, at initialize
    # Answered from the capability snapshot: pygls, lsprotocol, pydantic and the session
    # load after the answer.
    for later in ("pygls", "lsprotocol", "pydantic", "codex_lsp.server.app"):
        assert not [m for m in modules if m == later or m.startswith(later + ".")], later
    unexpected = unexpected_at_initialize(modules)
    assert unexpected == [], (
        f"{len(unexpected)} modules imported before `initialize` was answered are not in "
        "codex_lsp.lazy.AT_INITIALIZE; load them after the answer or on first use "
        f"(codex_lsp/lazy.py), or list them there if answering initialize needs them: "
        f"{unexpected}"
    )


def test_the_list_is_not_empty_and_has_no_heavy_libraries() -> None:
    allowed = allowed_at_initialize()
    assert "codex_lsp.server.early" in allowed
    for heavy in ("openai", "aiohttp", "httpx", "httpx2", "mcp", "tomlkit", "pygls", "pydantic"):
        assert heavy not in allowed


_WARM_UP = """
import asyncio, json, sys
from codex_lsp import lazy

async def main():
    before = [m for m in lazy.WARM_UP if m in sys.modules]
    lazy.warm_up()
    for _ in range(len(lazy.WARM_UP) + 2):
        await asyncio.sleep(0)  # one module per loop iteration
    after = [m for m in lazy.WARM_UP if m in sys.modules]
    print(json.dumps({"before": before, "after": after}))

asyncio.run(main())
"""


@pytest.mark.parametrize("enabled", [True, False])
def test_warm_up_imports_its_modules_on_the_loop(enabled: bool) -> None:
    env = {**os.environ}
    if not enabled:
        env["CODEX_LSP_WARM_UP"] = "0"
    done = subprocess.run(
        [sys.executable, "-c", _WARM_UP],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    seen = json.loads(done.stdout)
    assert seen["before"] == []  # importing codex_lsp.lazy loads none of them
    from codex_lsp.lazy import WARM_UP

    assert seen["after"] == (list(WARM_UP) if enabled else [])


_IMPORTING = """
import gc, json, sys
from codex_lsp.lazy import importing

seen = {"enabled_before": gc.isenabled()}
frozen = gc.get_freeze_count()
with importing():
    seen["enabled_inside"] = gc.isenabled()
    import colorsys  # not loaded yet: the block imports something
seen["frozen_after_import"] = gc.get_freeze_count() > frozen
seen["enabled_after"] = gc.isenabled()
frozen = gc.get_freeze_count()
with importing():
    import colorsys  # noqa: F811 (loaded: nothing new)
seen["frozen_again"] = gc.get_freeze_count() > frozen
gc.disable()
with importing():
    pass
seen["stays_disabled"] = not gc.isenabled()
print(json.dumps(seen))
"""


def test_importing_pauses_the_collector_and_freezes_only_new_imports() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _IMPORTING], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(done.stdout) == {
        "enabled_before": True,
        "enabled_inside": False,
        "frozen_after_import": True,
        "enabled_after": True,
        "frozen_again": False,
        "stays_disabled": True,
    }
