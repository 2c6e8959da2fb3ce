"""The layered config view: values and origins per layer, in agreement with `resolve`."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from codex_lsp.core.config.loader import load_config
from codex_lsp.core.config.origins import Origin, build_layers, nest_dotted
from codex_lsp.core.config.settings import ThreadRequest, resolve
from codex_lsp.protocol.initialize import EditorSettings

CONFIG = """\
model = "gpt-5.1-codex"
model_provider = "local"
approval_policy = "on-request"
profile = "fast"

[sandbox_workspace_write]
writable_roots = ["/data"]

[model_providers.local]
name = "Local"
base_url = "http://127.0.0.1:1/v1"
wire_api = "chat"

[profiles.fast]
model = "gpt-5.1-codex-mini"
model_reasoning_effort = "low"

[profiles.deep]
model_reasoning_effort = "high"
sandbox_mode = "read-only"
"""


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A CODEX_HOME holding CONFIG."""
    (tmp_path / "config.toml").write_text(CONFIG)
    return tmp_path


def test_each_layer_and_its_origin(home: Path) -> None:
    loaded = load_config(home)
    file = str(loaded.path)
    editor = EditorSettings(approval_policy="never", writable_roots=["/editor"])
    request = ThreadRequest(
        sandbox="danger-full-access",
        config={"model_reasoning_summary": "concise", "model_providers.local.name": "T"},
    )
    view = build_layers(loaded.config, file, editor, request)
    values, origins = view.effective, view.origins
    assert values["model"] == "gpt-5.1-codex-mini"
    assert origins["model"] == Origin("profile", file)
    assert values["model_reasoning_effort"] == "low"
    assert origins["model_reasoning_effort"] == Origin("profile", file)
    assert values["model_provider"] == "local"
    assert origins["model_provider"] == Origin("file", file)
    assert values["approval_policy"] == "never"
    assert origins["approval_policy"] == Origin("editor")
    assert values["sandbox_mode"] == "danger-full-access"
    assert origins["sandbox_mode"] == Origin("thread")
    assert values["model_reasoning_summary"] == "concise"
    assert origins["model_reasoning_summary"] == Origin("thread")
    assert values["model_providers"]["local"]["name"] == "T"
    assert origins["model_providers.local.name"] == Origin("thread")
    assert origins["model_providers.local.base_url"] == Origin("file", file)
    # Editor roots are added to the file's, as the sandbox does.
    assert values["sandbox_workspace_write"]["writable_roots"] == ["/data", "/editor"]
    assert origins["sandbox_workspace_write.writable_roots"] == Origin("editor")
    assert values["model_context_window"] == 272_000
    assert origins["model_context_window"] == Origin("default")
    assert origins["model_providers.openai.base_url"] == Origin("default")
    assert origins["profiles.fast.model"] == Origin("file", file)


def test_a_provider_in_the_file_replaces_the_builtin_one(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[model_providers.openai]\nbase_url = "http://p/v1"\n')
    loaded = load_config(tmp_path)
    view = build_layers(loaded.config, str(loaded.path), EditorSettings())
    openai = view.effective["model_providers"]["openai"]
    assert openai["base_url"] == "http://p/v1"
    assert openai["env_key"] is None  # not merged with the built-in provider
    assert "model_providers.openai.env_key" not in view.origins


def test_nest_dotted() -> None:
    assert nest_dotted({"a.b": 1, "a": {"c": 2}, "x": 3}) == {"a": {"b": 1, "c": 2}, "x": 3}


EDITORS = [
    EditorSettings(),
    EditorSettings(profile="deep"),
    EditorSettings(model="gpt-5.1", approval_policy="untrusted", reasoning_effort="medium"),
    EditorSettings(sandbox_mode="read-only", network_access=True),
]
REQUESTS = [
    ThreadRequest(),
    ThreadRequest(model="gpt-4.1", approval_policy="never"),
    ThreadRequest(config={"profile": "deep", "model_reasoning_effort": "minimal"}),
    ThreadRequest(sandbox="workspace-write", config={"model_context_window": 5000}),
]


@pytest.mark.parametrize(("editor", "request_"), list(itertools.product(EDITORS, REQUESTS)))
def test_view_agrees_with_thread_settings(
    home: Path, editor: EditorSettings, request_: ThreadRequest
) -> None:
    loaded = load_config(home)
    values: dict[str, Any] = build_layers(loaded.config, None, editor, request_).effective
    settings = resolve(loaded.config, editor, request_, str(home))
    assert values["model"] == settings.model
    assert values["model_provider"] == settings.model_provider
    assert values["approval_policy"] == settings.approval_policy
    assert values["model_reasoning_effort"] == settings.reasoning_effort
    assert values["model_context_window"] == settings.model_context_window
    mode = {"readOnly": "read-only", "workspaceWrite": "workspace-write"}
    assert values["sandbox_mode"] == mode.get(settings.sandbox.type, "danger-full-access")
    if settings.sandbox.type != "dangerFullAccess":
        network = values["sandbox_workspace_write"]["network_access"]
        assert network == settings.sandbox.network_access
