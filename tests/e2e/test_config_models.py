"""Configuration, models, rate limits and token use through the real server over stdio."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pygls.exceptions import JsonRpcException

from codex_lsp.mock_model import MockModelServer, MockUsage, text_response
from tests.conftest import ClientFactory
from tests.lsp_client import TIMEOUT, CodexClient, mock_config

READ = "codex/config/read"
WRITE = "codex/config/value/write"
BATCH = "codex/config/batchWrite"
MODELS = "codex/model/list"
LIMITS_READ = "codex/account/rateLimits/read"
LIMITS_UPDATED = "codex/account/rateLimits/updated"
USAGE = "codex/thread/tokenUsage/updated"

COMMENTED = """\
# My Codex settings -- keep this header
model = "gpt-5.1-codex"  # the model I like
approval_policy = "on-request"

# The mock provider used by the tests
[model_providers.mock]
name = "mock"  # display name
base_url = "{url}"
env_key = "MOCK_API_KEY"
wire_api = "responses"
request_max_retries = 3
stream_max_retries = 3

# Profiles
[profiles.fast]
model_reasoning_effort = "low"  # quick answers
"""


def version_of(path: Path) -> str:
    """The version the server reports for a file: the hash of its bytes."""
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


async def wait_until(check: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    """Poll `check` until it holds, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.02)


async def rpc_error(client: CodexClient, method: str, params: Any) -> JsonRpcException:
    """The JSON-RPC error a request must fail with."""
    with pytest.raises(JsonRpcException) as err:
        await client.request(method, params)
    return err.value


def loc_of(error: JsonRpcException) -> list[Any]:
    """The `loc` of the first error in a -32602 error's data."""
    data = error.data
    assert isinstance(data, dict), error
    return list(data["errors"][0]["loc"])


@pytest.fixture
def commented_home(codex_home: Path, mock_model: MockModelServer) -> Path:
    """CODEX_HOME whose config.toml is full of comments (and points at the mock)."""
    (codex_home / "config.toml").write_text(COMMENTED.format(url=mock_model.url))
    return codex_home


# -- config/read ------------------------------------------------------------------------------


async def test_read_shows_values_and_origins_of_every_layer(
    make_client: ClientFactory, commented_home: Path
) -> None:
    client = await make_client(
        init_options={"codex": {"profile": "fast", "approvalPolicy": "never"}}
    )
    result = await client.request(READ, {"cwd": str(commented_home)})
    config, origins = result["config"], result["origins"]
    path = str(commented_home / "config.toml")

    assert config["model"] == "gpt-5.1-codex"
    assert origins["model"] == {"layer": "file", "file": path}
    assert config["model_providers"]["mock"]["base_url"].startswith("http://127.0.0.1:")
    assert origins["model_providers.mock.base_url"] == {"layer": "file", "file": path}
    # From the profile the editor selected.
    assert config["model_reasoning_effort"] == "low"
    assert origins["model_reasoning_effort"] == {"layer": "profile", "file": path}
    # The editor's own settings win over the file.
    assert config["approval_policy"] == "never"
    assert origins["approval_policy"] == {"layer": "editor", "file": None}
    assert origins["profile"] == {"layer": "editor", "file": None}
    # Built-in defaults fill the rest.
    assert config["sandbox_mode"] == "workspace-write"
    assert origins["sandbox_mode"] == {"layer": "default", "file": None}
    assert config["model_context_window"] == 272_000
    assert origins["model_providers.openai.base_url"]["layer"] == "default"
    # A provider's unset fields are shown with their defaults.
    assert config["model_providers"]["mock"]["stream_idle_timeout_ms"] == 300_000
    assert origins["model_providers.mock.stream_idle_timeout_ms"]["layer"] == "default"

    # What config/read says is what a new thread gets.
    started = await client.start_thread()
    assert started["approvalPolicy"] == "never"
    assert started["reasoningEffort"] == "low"


# -- writes -----------------------------------------------------------------------------------


async def test_write_keeps_comments_and_new_threads_use_it(
    make_client: ClientFactory, commented_home: Path
) -> None:
    client = await make_client()
    path = commented_home / "config.toml"
    before = path.read_text()
    result = await client.request(
        WRITE, {"keyPath": "model", "value": "gpt-5.1-codex-mini", "mergeStrategy": "replace"}
    )
    assert result == {"status": "ok", "version": version_of(path), "filePath": str(path)}
    # Only the value changed: every comment, blank line and key order is as it was.
    assert path.read_text() == before.replace(
        'model = "gpt-5.1-codex"  #', 'model = "gpt-5.1-codex-mini"  #'
    )

    read = await client.request(READ, {})
    assert read["config"]["model"] == "gpt-5.1-codex-mini"
    started = await client.start_thread()
    assert started["model"] == "gpt-5.1-codex-mini"


async def test_batch_write_upsert_and_null_removes(
    make_client: ClientFactory, commented_home: Path
) -> None:
    client = await make_client()
    path = commented_home / "config.toml"
    result = await client.request(
        BATCH,
        {
            "edits": [
                {"keyPath": "approval_policy", "value": None, "mergeStrategy": "replace"},
                {
                    "keyPath": "model_providers.mock",
                    "value": {"http_headers": {"X-Team": "core"}, "stream_max_retries": 7},
                    "mergeStrategy": "upsert",
                },
                {
                    "keyPath": "sandbox_workspace_write.network_access",
                    "value": True,
                    "mergeStrategy": "replace",
                },
                {"keyPath": "profiles.fast.model", "value": "gpt-5.1", "mergeStrategy": "replace"},
            ],
            "expectedVersion": version_of(path),
        },
    )
    assert result["status"] == "ok"
    assert result["version"] == version_of(path)
    text = path.read_text()
    assert "approval_policy" not in text
    assert 'name = "mock"  # display name' in text  # upsert kept the rest of the table
    assert "stream_max_retries = 7" in text
    assert 'model_reasoning_effort = "low"  # quick answers' in text
    assert "# The mock provider used by the tests" in text

    read = await client.request(READ, {})
    config, origins = read["config"], read["origins"]
    assert config["approval_policy"] == "on-request"
    assert origins["approval_policy"]["layer"] == "default"
    assert config["model_providers"]["mock"]["http_headers"] == {"X-Team": "core"}
    assert config["model_providers"]["mock"]["base_url"].startswith("http://127.0.0.1:")
    assert config["sandbox_workspace_write"]["network_access"] is True
    assert config["profiles"]["fast"]["model"] == "gpt-5.1"

    # An empty batch changes nothing and tells the current version.
    same = await client.request(BATCH, {"edits": []})
    assert same["version"] == result["version"]
    assert path.read_text() == text


async def test_stale_expected_version_is_refused(
    make_client: ClientFactory, commented_home: Path
) -> None:
    path = commented_home / "config.toml"
    first = await make_client()
    second = await make_client()
    version = version_of(path)

    # Two editors write from the same version at the same time: exactly one wins.
    results = await asyncio.gather(
        first.request(
            WRITE,
            {"keyPath": "model", "value": "gpt-5.1", "expectedVersion": version},
        ),
        second.request(
            WRITE,
            {"keyPath": "model", "value": "gpt-5.1-codex-max", "expectedVersion": version},
        ),
        return_exceptions=True,
    )
    errors = [r for r in results if isinstance(r, JsonRpcException)]
    oks = [r for r in results if isinstance(r, dict)]
    assert len(errors) == 1 and len(oks) == 1, results
    error = errors[0]
    assert error.code == -32602
    assert loc_of(error) == ["expectedVersion"]
    assert "changed" in error.message
    assert oks[0]["version"] == version_of(path)

    # A write based on the old version is refused; the file keeps the winner's value.
    winner = path.read_text()
    error = await rpc_error(
        first, WRITE, {"keyPath": "approval_policy", "value": "never", "expectedVersion": version}
    )
    assert loc_of(error) == ["expectedVersion"]
    assert path.read_text() == winner
    # With the current version it goes through.
    ok = await first.request(
        WRITE,
        {"keyPath": "approval_policy", "value": "never", "expectedVersion": oks[0]["version"]},
    )
    assert ok["version"] == version_of(path)


async def test_invalid_values_are_refused_naming_the_key(
    make_client: ClientFactory, commented_home: Path
) -> None:
    client = await make_client()
    path = commented_home / "config.toml"
    before = path.read_text()
    cases: list[tuple[str, dict[str, Any], list[Any], str]] = [
        (
            WRITE,
            {"keyPath": "approval_policy", "value": "sometimes"},
            ["value"],
            "approval_policy",
        ),
        (
            WRITE,
            {"keyPath": "model_providers.mock.request_max_retries", "value": "many"},
            ["value"],
            "model_providers.mock.request_max_retries",
        ),
        (WRITE, {"keyPath": "model.name", "value": "x"}, ["keyPath"], "model.name"),
        (
            BATCH,
            {
                "edits": [
                    {"keyPath": "model", "value": "gpt-5.1"},
                    {"keyPath": "model_provider", "value": "nowhere"},
                ]
            },
            ["edits", 1, "value"],
            "model_provider",
        ),
    ]
    for method, params, loc, key in cases:
        error = await rpc_error(client, method, params)
        assert error.code == -32602, params
        assert loc_of(error) == loc, params
        assert key in error.message, (params, error.message)
    assert path.read_text() == before
    # Still serving.
    assert (await client.start_thread())["model"] == "gpt-5.1-codex"


async def test_broken_config_is_reported_and_server_keeps_serving(
    make_client: ClientFactory, codex_home: Path
) -> None:
    (codex_home / "config.toml").write_text('model = "gpt-5.1"\n\n[model_providers.mock\nx = 1\n')
    client = await make_client()
    await wait_until(lambda: bool(client.lc.messages))
    message = client.lc.messages[0].message
    assert str(codex_home / "config.toml") in message
    assert "line 3" in message and "column" in message
    assert "defaults" in message

    # Threads start on the built-in defaults; config/read works and shows them.
    started = await client.start_thread()
    assert started["model"] == "gpt-5.1-codex"
    assert started["modelProvider"] == "openai"
    read = await client.request(READ, {})
    assert read["origins"]["model"]["layer"] == "default"
    # Writing into a file that does not parse is refused with its position.
    error = await rpc_error(client, WRITE, {"keyPath": "model", "value": "gpt-5.1"})
    assert error.code == -32602
    assert "line 3" in error.message


async def test_unknown_keys_are_kept_and_warned_about(
    make_client: ClientFactory, codex_home: Path, mock_model: MockModelServer
) -> None:
    path = codex_home / "config.toml"
    path.write_text('fancy_feature = "on"\n' + mock_config(mock_model.url) + "turbo = true\n")
    client = await make_client()
    await wait_until(lambda: bool(client.lc.messages))
    await wait_until(lambda: len(client.lc.messages) >= 2)
    said = [m.message for m in client.lc.messages]
    assert any("`fancy_feature`" in m and "line 1" in m for m in said), said
    assert any("`model_providers.mock.turbo`" in m for m in said), said
    read = await client.request(READ, {})
    assert read["config"]["fancy_feature"] == "on"
    assert read["config"]["model_providers"]["mock"]["turbo"] is True
    assert read["origins"]["fancy_feature"]["layer"] == "file"
    await client.request(WRITE, {"keyPath": "model", "value": "gpt-5.1"})
    text = path.read_text()
    assert 'fancy_feature = "on"' in text and "turbo = true" in text


# -- models -----------------------------------------------------------------------------------


@pytest.fixture
def openai_home(tmp_path: Path) -> Path:
    """CODEX_HOME configured for the OpenAI provider (model/list needs no network then)."""
    home = tmp_path / "openai-home"
    home.mkdir()
    (home / "config.toml").write_text('model = "gpt-5.1-codex-mini"\nmodel_provider = "openai"\n')
    return home


async def list_all(client: CodexClient, **params: Any) -> list[dict[str, Any]]:
    """Every model, page by page."""
    models: list[dict[str, Any]] = []
    cursor = None
    for _ in range(50):
        page = await client.request(MODELS, {**params, "cursor": cursor})
        models += page["data"]
        cursor = page["nextCursor"]
        if cursor is None:
            return models
    raise AssertionError("pagination does not end")


async def test_model_list_presets_default_and_pages(
    make_client: ClientFactory, openai_home: Path
) -> None:
    client = await make_client(home=openai_home)
    result = await client.request(MODELS, {})
    models = result["data"]
    assert result["nextCursor"] is None
    ids = [m["id"] for m in models]
    assert {"gpt-5.1-codex", "gpt-5.1-codex-mini", "gpt-5.1"} <= set(ids)
    assert "gpt-5" not in ids  # hidden unless asked for
    assert [m["id"] for m in models if m["isDefault"]] == ["gpt-5.1-codex-mini"]
    codex = next(m for m in models if m["id"] == "gpt-5.1-codex")
    assert codex["displayName"] and codex["description"]
    assert codex["defaultReasoningEffort"] == "medium"
    efforts = [e["reasoningEffort"] for e in codex["supportedReasoningEfforts"]]
    assert efforts == ["low", "medium", "high"]
    assert all(e["description"] for e in codex["supportedReasoningEfforts"])

    with_hidden = await list_all(client, includeHidden=True)
    assert {"gpt-5", "gpt-5-codex"} <= {m["id"] for m in with_hidden}
    assert all(m["hidden"] for m in with_hidden if m["id"] == "gpt-5")

    first = await client.request(MODELS, {"limit": 2})
    assert len(first["data"]) == 2 and first["nextCursor"]
    paged = await list_all(client, limit=2)
    assert paged == models

    error = await rpc_error(client, MODELS, {"cursor": "not-a-cursor"})
    assert error.code == -32602
    assert loc_of(error) == ["cursor"]


async def test_model_list_of_a_custom_provider(make_client: ClientFactory, tmp_path: Path) -> None:
    server = MockModelServer(models=["llama3.2", "qwen2.5-coder:7b", "gpt-oss:20b"])
    await server.start()
    try:
        home = tmp_path / "ollama-home"
        home.mkdir()
        (home / "config.toml").write_text(
            mock_config(server.url, wire_api="chat").replace("gpt-5.1-codex", "gpt-oss:20b")
        )
        client = await make_client(home=home)
        models = await list_all(client, limit=2)
        assert [m["id"] for m in models] == ["llama3.2", "qwen2.5-coder:7b", "gpt-oss:20b"]
        assert [m["id"] for m in models if m["isDefault"]] == ["gpt-oss:20b"]
        assert all(m["model"] == m["id"] and m["displayName"] for m in models)
    finally:
        await server.stop()


async def test_model_list_reports_an_unreachable_provider(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    server = MockModelServer()
    await server.start()
    url = server.url
    await server.stop()  # nothing listens there any more
    home = tmp_path / "gone-home"
    home.mkdir()
    (home / "config.toml").write_text(mock_config(url))
    client = await make_client(home=home)
    error = await rpc_error(client, MODELS, {})
    assert "mock" in error.message and url in error.message
    assert (await client.start_thread())["modelProvider"] == "mock"


# -- rate limits ------------------------------------------------------------------------------


def limit_headers(used: float, reset_at: int, secondary_used: float = 10.0) -> dict[str, str]:
    """The rate-limit headers the Codex backend sends."""
    return {
        "x-codex-primary-used-percent": str(used),
        "x-codex-primary-window-minutes": "300",
        "x-codex-primary-reset-at": str(reset_at),
        "x-codex-secondary-used-percent": str(secondary_used),
        "x-codex-secondary-window-minutes": "10080",
        "x-codex-secondary-reset-at": str(reset_at + 86_400),
        "x-codex-credits-has-credits": "true",
        "x-codex-credits-unlimited": "false",
        "x-codex-credits-balance": "12.50",
    }


async def test_rate_limits_notified_on_change_and_kept_across_restarts(
    make_client: ClientFactory, mock_model: MockModelServer, codex_home: Path
) -> None:
    reset = int(time.time()) + 3600
    client = await make_client()
    empty = await client.request(LIMITS_READ, None)
    assert empty == {"rateLimits": {"primary": None, "secondary": None, "credits": None}}
    thread = (await client.start_thread())["thread"]["id"]

    mock_model.enqueue(text_response("one", headers=limit_headers(42.5, reset)))
    await client.turn(thread, "first")
    update = await client.wait_for(LIMITS_UPDATED)
    expected = {
        "primary": {"usedPercent": 42.5, "windowDurationMins": 300, "resetsAt": reset},
        "secondary": {"usedPercent": 10.0, "windowDurationMins": 10080, "resetsAt": reset + 86_400},
        "credits": {"hasCredits": True, "unlimited": False, "balance": "12.50"},
    }
    assert update["rateLimits"] == expected

    # The same numbers again: no new notification.
    mock_model.enqueue(text_response("two", headers=limit_headers(42.5, reset)))
    await client.turn(thread, "second")
    assert len(client.of(LIMITS_UPDATED)) == 1

    # Changed numbers: one more.
    mock_model.enqueue(text_response("three", headers=limit_headers(50.0, reset)))
    await client.turn(thread, "third")
    await wait_until(lambda: len(client.of(LIMITS_UPDATED)) == 2)
    latest = client.of(LIMITS_UPDATED)[-1]["rateLimits"]
    assert latest["primary"]["usedPercent"] == 50.0
    assert (await client.request(LIMITS_READ, None))["rateLimits"] == latest
    await client.stop()

    # A new server process reads the same snapshot back, reset instants unchanged.
    again = await make_client()
    assert (await again.request(LIMITS_READ, None))["rateLimits"] == latest
    assert json.loads((codex_home / "rate_limits.json").read_text())["rateLimits"] == latest


async def test_relative_reset_times_become_absolute_once(
    make_client: ClientFactory, mock_model: MockModelServer
) -> None:
    def headers(after: int) -> dict[str, str]:
        return {
            "x-codex-primary-used-percent": "5",
            "x-codex-primary-window-minutes": "60",
            "x-codex-primary-reset-after-seconds": str(after),
        }

    client = await make_client()
    thread = (await client.start_thread())["thread"]["id"]
    before = time.time()
    mock_model.enqueue(text_response("one", headers=headers(1800)))
    await client.turn(thread, "first")
    first = (await client.wait_for(LIMITS_UPDATED))["rateLimits"]["primary"]
    assert before + 1800 - 1 <= first["resetsAt"] <= time.time() + 1800 + 1

    # Later the backend counts down to the same instant: not a change.
    await asyncio.sleep(1.1)
    mock_model.enqueue(text_response("two", headers=headers(1800 - round(time.time() - before))))
    await client.turn(thread, "second")
    assert len(client.of(LIMITS_UPDATED)) == 1
    await client.stop()

    # After a restart the stored instant is the same; it was never re-derived.
    again = await make_client()
    stored = (await again.request(LIMITS_READ, None))["rateLimits"]["primary"]
    assert stored["resetsAt"] == first["resetsAt"]


# -- token usage ------------------------------------------------------------------------------


async def test_resumed_thread_reports_its_stored_token_usage(
    make_client: ClientFactory, mock_model: MockModelServer
) -> None:
    first = await make_client()
    thread = (await first.start_thread())["thread"]["id"]
    usage = MockUsage(input_tokens=1200, cached_input_tokens=200, output_tokens=300)
    mock_model.enqueue(text_response("hello", usage=usage))
    await first.turn(thread, "hi")
    live = (await first.wait_for(USAGE, lambda p: p["threadId"] == thread))["tokenUsage"]
    assert live["last"]["inputTokens"] == 1200
    assert live["total"]["totalTokens"] == 1500
    await first.stop()

    second = await make_client()
    await second.request("codex/thread/resume", {"threadId": thread})
    resumed = await second.wait_for(USAGE, lambda p: p["threadId"] == thread)
    assert resumed["tokenUsage"] == live
