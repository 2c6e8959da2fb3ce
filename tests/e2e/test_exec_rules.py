"""Remembered command rules end to end (issue 17, item 2): the real server, the mock
model, real commands in a real sandbox. An approval proposes a prefix; the answer
`acceptWithExecpolicyAmendment` runs the command and stores the rule under $CODEX_HOME;
later commands with that prefix in that folder run without asking (still sandboxed), also
after a restart; other commands still ask; `codex/config/read` shows the rules and
`codex/config/value/write` replaces them. The plain client's action does the same."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcInvalidParams

from codex_lsp.core.approvals.rules import Rule, RuleStore
from codex_lsp.core.sandbox.backend import detect_backend
from codex_lsp.core.sandbox.plan import plan_for
from codex_lsp.mock_model import MockModelServer, MockResponse, text_response, tool_call_response
from codex_lsp.protocol.sandbox import WorkspaceWriteSandbox
from tests.conftest import ClientFactory
from tests.e2e.terminal_helpers import QUESTION, AnswerEachQuestion, run_on_terminal
from tests.lsp_client import CodexClient, mock_config, plain

APPROVAL = "codex/item/commandExecution/requestApproval"
RULES = "approvals.rules"


def _sandbox_gap(tmp: str) -> str | None:
    policy = WorkspaceWriteSandbox(writable_roots=[], network_access=False)
    return detect_backend().enforcement_gap(plan_for(policy, tmp))


# A rule only spares the approval policy's own question; where no sandbox can be enforced
# every command is asked about anyway (and a rule never lifts the sandbox).
pytestmark = pytest.mark.skipif(
    _sandbox_gap("/tmp") is not None, reason="no sandbox backend enforces workspace-write here"
)


def shell(script: str, call_id: str = "call_1") -> MockResponse:
    return tool_call_response("shell", {"command": ["bash", "-c", script]}, call_id=call_id)


def remember(prefix: list[str]) -> dict[str, Any]:
    return {"acceptWithExecpolicyAmendment": {"execpolicy_amendment": prefix}}


class User:
    """Answers approvals from a list (then declines) and records what was asked."""

    def __init__(self) -> None:
        self.answers: list[Any] = []
        self.asked: list[Any] = []

    def install(self, client: CodexClient) -> None:
        @client.lc.feature(APPROVAL)  # type: ignore[untyped-decorator]
        def approval(params: Any) -> dict[str, Any]:
            self.asked.append(plain(params))
            return {"decision": self.answers.pop(0) if self.answers else "decline"}

        @client.lc.feature(lsp.WINDOW_SHOW_MESSAGE_REQUEST)  # type: ignore[untyped-decorator]
        def show(params: lsp.ShowMessageRequestParams) -> lsp.MessageActionItem | None:
            self.asked.append(params)
            title = self.answers.pop(0) if self.answers else None
            return lsp.MessageActionItem(title=title) if title is not None else None


def commands(turn: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for i in turn["items"] if i["type"] == "commandExecution"]


async def _new_thread(client: CodexClient) -> str:
    thread: str = (await client.start_thread(approvalPolicy="untrusted"))["thread"]["id"]
    return thread


async def test_an_amendment_is_remembered_and_applied_after_a_restart(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path, codex_home: Path
) -> None:
    (workspace / ".git").mkdir()  # read-only inside the sandbox
    user = User()
    client = await make_client(codex_caps={"approvals": True}, before_start=user.install)
    thread = await _new_thread(client)

    # The approval proposes the prefix; answering with it runs the command.
    user.answers.append(remember(["mkdir"]))
    mock_model.enqueue(shell("mkdir -p made/one"), text_response("ok"))
    turn = await client.turn(thread, "make one")
    assert [c["status"] for c in commands(turn)] == ["completed"]
    assert (workspace / "made" / "one").is_dir()
    ((asked),) = user.asked
    assert asked["proposedExecpolicyAmendment"] == ["mkdir"]

    # Stored under $CODEX_HOME, owner-only, and shown by config/read.
    rules_file = codex_home / "rules" / "remembered_commands.json"
    assert stat.S_IMODE(os.stat(rules_file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(rules_file.parent).st_mode) == 0o700
    read = await client.request("codex/config/read", {})
    assert read["config"]["approvals"]["rules"] == [{"cwd": str(workspace), "prefix": ["mkdir"]}]
    assert read["origins"][RULES] == {"layer": "file", "file": str(rules_file)}

    # The same prefix runs without asking, inside the sandbox (.git stays read-only); a
    # different command still asks.
    mock_model.enqueue(
        shell("mkdir -p made/two", "c1"),
        shell("mkdir .git/blocked", "c2"),
        shell("touch other.txt", "c3"),
        text_response("ok"),
    )
    turn = await client.turn(thread, "more")
    assert [c["status"] for c in commands(turn)] == ["completed", "failed", "declined"]
    assert (workspace / "made" / "two").is_dir()
    assert not (workspace / ".git" / "blocked").exists()
    assert not (workspace / "other.txt").exists()
    assert [a["command"] for a in user.asked[1:]] == ["touch other.txt"]
    assert user.asked[1]["proposedExecpolicyAmendment"] == ["touch"]
    await client.stop()

    # After a restart, in a new thread on the same folder: still allowed.
    again_user = User()
    again = await make_client(codex_caps={"approvals": True}, before_start=again_user.install)
    thread = await _new_thread(again)
    mock_model.enqueue(shell("mkdir -p made/three"), text_response("ok"))
    turn = await again.turn(thread, "three")
    assert [c["status"] for c in commands(turn)] == ["completed"]
    assert (workspace / "made" / "three").is_dir() and again_user.asked == []

    # Writing the key path replaces the rules: with none, the command asks again.
    written = await again.request(
        "codex/config/value/write", {"keyPath": RULES, "value": [], "mergeStrategy": "replace"}
    )
    assert written["status"] == "ok" and written["filePath"] == str(rules_file)
    read = await again.request("codex/config/read", {})
    assert read["config"]["approvals"]["rules"] == []
    mock_model.enqueue(shell("mkdir -p made/four"), text_response("ok"))
    turn = await again.turn(thread, "four")
    assert [c["status"] for c in commands(turn)] == ["declined"]
    assert [a["command"] for a in again_user.asked] == ["mkdir -p made/four"]

    # ... and written back, it applies at once.
    rule = {"cwd": str(workspace), "prefix": ["mkdir", "-p"]}
    await again.request(
        "codex/config/value/write", {"keyPath": RULES, "value": [rule], "mergeStrategy": "replace"}
    )
    mock_model.enqueue(shell("mkdir -p made/five"), text_response("ok"))
    turn = await again.turn(thread, "five")
    assert [c["status"] for c in commands(turn)] == ["completed"]
    assert len(again_user.asked) == 1


async def test_rules_are_per_folder_and_unsafe_amendments_are_not_stored(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path, tmp_path: Path
) -> None:
    user = User()
    client = await make_client(codex_caps={"approvals": True}, before_start=user.install)
    thread = await _new_thread(client)
    # An answer remembering something unsafe, or not a prefix of the command: it runs once.
    user.answers += [remember(["bash"]), remember(["npm", "test"])]
    mock_model.enqueue(shell("mkdir -p a", "c1"), shell("mkdir -p b", "c2"), text_response("ok"))
    turn = await client.turn(thread, "two")
    assert [c["status"] for c in commands(turn)] == ["completed", "completed"]
    read = await client.request("codex/config/read", {})
    assert read["config"]["approvals"]["rules"] == []

    # A rule for one folder does not apply in another.
    other = tmp_path / "other"
    other.mkdir()
    rule = {"cwd": str(other), "prefix": ["mkdir"]}
    await client.request(
        "codex/config/value/write", {"keyPath": RULES, "value": [rule], "mergeStrategy": "replace"}
    )
    mock_model.enqueue(shell("mkdir -p c"), text_response("ok"))
    turn = await client.turn(thread, "c")
    assert [c["status"] for c in commands(turn)] == ["declined"]
    assert len(user.asked) == 3

    # Malformed rules are refused with -32602 naming the value.
    with pytest.raises(JsonRpcInvalidParams, match="value"):
        await client.request(
            "codex/config/value/write",
            {"keyPath": RULES, "value": [{"cwd": "relative", "prefix": []}]},
        )
    # batchWrite: `upsert` adds; a stale expectedVersion and a mix with config.toml keys
    # are refused.
    added = {"cwd": str(workspace), "prefix": ["make", "test"]}
    written = await client.request(
        "codex/config/batchWrite",
        {"edits": [{"keyPath": RULES, "value": [added], "mergeStrategy": "upsert"}]},
    )
    read = await client.request("codex/config/read", {})
    assert read["config"]["approvals"]["rules"] == [rule, added]
    again = await client.request(
        "codex/config/value/write",
        {"keyPath": RULES, "value": [added], "expectedVersion": written["version"]},
    )
    assert again["version"] != written["version"]
    with pytest.raises(JsonRpcInvalidParams, match="expectedVersion"):
        await client.request(
            "codex/config/value/write",
            {"keyPath": RULES, "value": [], "expectedVersion": written["version"]},
        )
    with pytest.raises(JsonRpcInvalidParams, match=r"edits\.1\.keyPath"):
        await client.request(
            "codex/config/batchWrite",
            {"edits": [{"keyPath": RULES, "value": []}, {"keyPath": "model", "value": "x"}]},
        )
    await client.request(
        "codex/config/value/write",
        {"keyPath": RULES, "value": None, "expectedVersion": again["version"]},
    )
    read = await client.request("codex/config/read", {})
    assert read["config"]["approvals"]["rules"] == []


async def test_the_plain_clients_always_allow_action(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    user = User()
    client = await make_client(codex_caps={"approvals": False}, before_start=user.install)
    thread = await _new_thread(client)
    user.answers.append('Run and always allow "mkdir"')
    mock_model.enqueue(shell("mkdir -p x/one", "c1"), shell("mkdir -p x/two", "c2"))
    mock_model.enqueue(text_response("ok"))
    turn = await client.turn(thread, "two dirs")
    assert [c["status"] for c in commands(turn)] == ["completed", "completed"]
    assert (workspace / "x" / "one").is_dir() and (workspace / "x" / "two").is_dir()
    ((asked),) = user.asked
    assert [a.title for a in asked.actions] == [
        "Run",
        "Run and don't ask again",
        "Decline",
        "Stop turn",
        'Run and always allow "mkdir"',
    ]
    read = await client.request("codex/config/read", {})
    assert read["config"]["approvals"]["rules"] == [{"cwd": str(workspace), "prefix": ["mkdir"]}]


async def test_exec_asks_on_the_terminal_with_the_risk_and_remembers(
    mock_model: MockModelServer, workspace: Path, codex_home: Path
) -> None:
    """`codex-lsp exec` on a terminal: the prompt shows the risk and offers the rule; `p`
    runs the command and remembers it; the next `exec` (no terminal: nothing could be
    asked) runs a command with that prefix."""
    (codex_home / "config.toml").write_text(
        'approval_policy = "untrusted"\n'
        "experimental_sandbox_command_assessment = true\n" + mock_config(mock_model.url)
    )
    assessment = {
        "description": "Creates a folder",
        "risk_level": "low",
        "risk_categories": ["filesystem"],
    }
    mock_model.enqueue(
        shell("mkdir -p made/tty"), text_response(json.dumps(assessment)), text_response("done")
    )
    env = {**os.environ, "CODEX_HOME": str(codex_home), "MOCK_API_KEY": "sk-test-key"}
    answer = AnswerEachQuestion(b"p\n", limit=1)
    code, text = await run_on_terminal(["exec", "make it"], env, workspace, answer)
    assert code == 0, text
    assert text.count(QUESTION.decode()) == 1, text
    assert "risk: low \u2014 Creates a folder (filesystem)" in text
    assert '[p] run it, and always allow "mkdir" in this folder' in text
    assert (workspace / "made" / "tty").is_dir()
    assert RuleStore(codex_home).load() == [Rule(str(workspace), ("mkdir",))]

    # Without a terminal anything asked would be declined: the rule lets it run, and no
    # assessment is made (nothing is asked).
    before = len(mock_model.requests)
    mock_model.enqueue(shell("mkdir -p made/again"), text_response("done"))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "codex_lsp", "exec", "again",
        env=env, cwd=workspace, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    assert "declined" not in err.decode()
    assert (workspace / "made" / "again").is_dir()
    assert len(mock_model.requests) == before + 2
