"""No secrets in the commands the model (or the user) runs: the server's environment holds
an OpenAI key, the mock provider's `env_key` and a token; `env` run through `shell`,
`exec_command` and `codex/thread/shellCommand` shows none of them, and none reaches a
notification, a file under CODEX_HOME (rollout, logs, index) or a model request."""

from __future__ import annotations

import json
from pathlib import Path

from codex_lsp.mock_model import MockModelServer, text_response, tool_call_response
from tests.conftest import ClientFactory
from tests.e2e.tool_helpers import tool_outputs
from tests.lsp_client import CodexClient, mock_config

SECRETS = {
    "OPENAI_API_KEY": "sk-openai-secret-5f1c9a7e",
    "MOCK_API_KEY": "mock-provider-secret-8d2b4c6a",
    "MY_SECRET_TOKEN": "my-token-secret-3e7a9b1d",
}
VISIBLE = {"CODEX_TEST_VISIBLE": "visible-value-42"}


def _command_items(turn: dict[str, object]) -> list[dict[str, object]]:
    items = turn["items"]
    assert isinstance(items, list)
    return [i for i in items if i["type"] == "commandExecution"]


def _leaks(text: str, values: list[str]) -> list[str]:
    return [v for v in values if v in text]


def _files_with(home: Path, values: list[str]) -> list[str]:
    found = []
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path}: {v}" for v in values if v.encode() in data]
    return found


async def _user_shell(client: CodexClient, thread: str, command: str) -> dict[str, object]:
    await client.request("codex/thread/shellCommand", {"threadId": thread, "command": command})
    done = await client.wait_for(
        "codex/turn/completed",
        lambda p: any(i.get("source") == "userShell" for i in p["turn"]["items"]),
    )
    (item,) = _command_items(done["turn"])
    return item


async def test_no_secret_reaches_commands_or_anything_else(
    make_client: ClientFactory, mock_model: MockModelServer, codex_home: Path
) -> None:
    client = await make_client(env={**SECRETS, **VISIBLE})
    started = await client.start_thread(approvalPolicy="never")
    thread = started["thread"]["id"]
    mock_model.enqueue(
        tool_call_response("shell", {"command": ["env"]}, call_id="s1"),
        tool_call_response("exec_command", {"cmd": "env", "login": False}, call_id="e1"),
        text_response("done"),
    )
    turn = await client.turn(thread, "show the environment")
    assert turn["status"] == "completed"
    shell_item, exec_item = _command_items(turn)
    user_item = await _user_shell(client, thread, "env")
    mock_model.enqueue(text_response("ok"))
    await client.turn(thread, "next")

    secrets = list(SECRETS.values())
    for item in (shell_item, exec_item, user_item):
        output = str(item["aggregatedOutput"])
        # The commands did run and print the environment: the check cannot pass empty.
        assert "CODEX_TEST_VISIBLE=visible-value-42" in output, item
        assert "PATH=" in output
        assert _leaks(output, secrets) == [], item
        assert "OPENAI_API_KEY=" not in output and "MOCK_API_KEY=" not in output
    outputs = tool_outputs(mock_model.requests[-1].body)
    assert any("visible-value-42" in o for o in outputs)
    for request in mock_model.requests:
        assert _leaks(json.dumps(request.body), secrets) == []
    notifications = json.dumps([params for _m, params, _t in client.notifications])
    assert "visible-value-42" in notifications
    assert _leaks(notifications, secrets) == []
    rollout = Path(started["thread"]["path"])
    assert "visible-value-42" in rollout.read_text()
    await client.stop()
    assert _files_with(codex_home, secrets) == []


async def test_the_policy_is_configurable_but_provider_keys_never_pass(
    make_client: ClientFactory, mock_model: MockModelServer, codex_home: Path
) -> None:
    policy = (
        "[shell_environment_policy]\n"
        "ignore_default_excludes = true\n"
        'exclude = ["codex_test_*"]\n'
        'set = { OPENAI_API_KEY = "set-openai-1", MOCK_API_KEY = "set-mock-2", '
        'MY_SET_VAR = "set-value-7" }\n'
    )
    (codex_home / "config.toml").write_text(mock_config(mock_model.url, extra=policy))
    client = await make_client(env={**SECRETS, **VISIBLE})
    config = (await client.request("codex/config/read", {}))["config"]
    assert config["shell_environment_policy"]["ignore_default_excludes"] is True
    assert config["shell_environment_policy"]["set"]["MY_SET_VAR"] == "set-value-7"
    thread = (await client.start_thread(approvalPolicy="never"))["thread"]["id"]
    mock_model.enqueue(
        tool_call_response("shell", {"command": ["env"]}, call_id="s1"), text_response("done")
    )
    turn = await client.turn(thread, "env")
    (item,) = _command_items(turn)
    output = str(item["aggregatedOutput"])
    # What the user chose passes: the token (no default excludes) and their own variable.
    assert "MY_SECRET_TOKEN=my-token-secret-3e7a9b1d" in output
    assert "MY_SET_VAR=set-value-7" in output
    assert "CODEX_TEST_VISIBLE" not in output  # excluded by the user's pattern
    # The provider's key and OPENAI_API_KEY never do, not even when `set` names them.
    assert "OPENAI_API_KEY=" not in output and "MOCK_API_KEY=" not in output
    assert _leaks(output, [SECRETS["OPENAI_API_KEY"], SECRETS["MOCK_API_KEY"]]) == []


async def test_inherit_core_and_include_only(
    make_client: ClientFactory, mock_model: MockModelServer, codex_home: Path
) -> None:
    policy = '[shell_environment_policy]\ninherit = "core"\ninclude_only = ["PATH", "HOME"]\n'
    (codex_home / "config.toml").write_text(mock_config(mock_model.url, extra=policy))
    client = await make_client(env={**SECRETS, **VISIBLE})
    thread = (await client.start_thread(approvalPolicy="never"))["thread"]["id"]
    await _user_shell(client, thread, "env")  # the user's command gets the same policy
    mock_model.enqueue(
        tool_call_response("shell", {"command": ["env"]}, call_id="s1"), text_response("done")
    )
    turn = await client.turn(thread, "env")
    (item,) = _command_items(turn)
    names = {
        line.split("=", 1)[0] for line in str(item["aggregatedOutput"]).splitlines() if "=" in line
    }
    # The sandbox adds its own markers; nothing else beyond PATH and HOME.
    assert {"PATH", "HOME"} <= names
    assert names - {"PATH", "HOME"} <= {"CODEX_SANDBOX", "CODEX_SANDBOX_NETWORK_DISABLED"}
    user_turn = next(
        p["turn"]
        for p in client.of("codex/turn/completed")
        if any(i.get("source") == "userShell" for i in p["turn"]["items"])
    )
    (user_item,) = _command_items(user_turn)
    user_names = {
        line.split("=", 1)[0]
        for line in str(user_item["aggregatedOutput"]).splitlines()
        if "=" in line
    }
    # bash itself may export PWD, SHLVL and `_`; nothing of the server's environment.
    assert "CODEX_TEST_VISIBLE" not in user_names and "MY_SECRET_TOKEN" not in user_names
    assert {"PATH", "HOME"} <= user_names
