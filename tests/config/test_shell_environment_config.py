"""`[shell_environment_policy]` in config.toml: parsed, validated with located errors,
layered with per-thread overrides, shown by the layered view, and turned into a thread's
command environment without the provider's key."""

from __future__ import annotations

from pathlib import Path

import pytest

from codex_lsp.core.config.loader import parse_config_text
from codex_lsp.core.config.origins import Origin, build_layers
from codex_lsp.core.config.settings import SettingsError, ThreadRequest, resolve
from codex_lsp.protocol.initialize import EditorSettings

CONFIG = """\
model_provider = "mock"

[model_providers.mock]
name = "mock"
base_url = "http://127.0.0.1:1/v1"
env_key = "MOCK_API_KEY"

[shell_environment_policy]
inherit = "core"
exclude = ["HOME"]
set = { PROJECT_MODE = "ci", MOCK_API_KEY = "copied" }
include_only = ["PATH", "PROJECT_*", "MOCK_*"]
"""

SERVER_ENV = {
    "PATH": "/usr/bin",
    "HOME": "/home/u",
    "FOO": "bar",
    "MOCK_API_KEY": "mock-secret",
    "OPENAI_API_KEY": "sk-secret",
}


def test_the_table_is_parsed_and_applied(tmp_path: Path) -> None:
    loaded = parse_config_text(tmp_path / "config.toml", CONFIG)
    assert loaded.usable and loaded.warnings == []
    policy = loaded.config.shell_environment_policy
    assert policy.inherit == "core" and policy.exclude == ["HOME"]
    assert policy.set == {"PROJECT_MODE": "ci", "MOCK_API_KEY": "copied"}
    settings = resolve(loaded.config, EditorSettings(), ThreadRequest(), str(tmp_path))
    # core keeps PATH and HOME, exclude drops HOME, set adds two, include_only keeps
    # PATH, PROJECT_MODE and MOCK_API_KEY; the provider's key is then removed anyway.
    assert settings.command_env(SERVER_ENV) == {"PATH": "/usr/bin", "PROJECT_MODE": "ci"}


def test_defaults_without_the_table(tmp_path: Path) -> None:
    loaded = parse_config_text(tmp_path / "config.toml", 'model = "m"\n')
    settings = resolve(loaded.config, EditorSettings(), ThreadRequest(), str(tmp_path))
    assert settings.command_env(SERVER_ENV) == {
        "PATH": "/usr/bin",
        "HOME": "/home/u",
        "FOO": "bar",
    }


def test_invalid_values_are_located_errors(tmp_path: Path) -> None:
    text = 'model = "m"\n[shell_environment_policy]\ninherit = "everything"\n'
    loaded = parse_config_text(tmp_path / "config.toml", text)
    assert not loaded.usable
    (problem,) = loaded.problems
    assert problem.line == 3
    assert "shell_environment_policy.inherit" in problem.message
    assert "'all', 'core' or 'none'" in problem.message


def test_unknown_keys_in_the_table_are_warned_about(tmp_path: Path) -> None:
    text = "[shell_environment_policy]\nexperimental_use_profile = true\n"
    loaded = parse_config_text(tmp_path / "config.toml", text)
    assert loaded.usable
    assert any(
        "shell_environment_policy.experimental_use_profile" in w and "line 2" in w
        for w in loaded.warnings
    )


def test_thread_overrides_layer_on_the_file(tmp_path: Path) -> None:
    loaded = parse_config_text(tmp_path / "config.toml", CONFIG)
    request = ThreadRequest(
        config={
            "shell_environment_policy.inherit": "all",
            "shell_environment_policy.include_only": [],
            "shell_environment_policy.set.EXTRA": "1",
        }
    )
    settings = resolve(loaded.config, EditorSettings(), request, str(tmp_path))
    policy = settings.shell_environment_policy
    assert policy.inherit == "all" and policy.include_only == []
    assert policy.exclude == ["HOME"]
    assert policy.set == {"PROJECT_MODE": "ci", "MOCK_API_KEY": "copied", "EXTRA": "1"}
    assert settings.command_env(SERVER_ENV) == {
        "PATH": "/usr/bin",
        "FOO": "bar",
        "PROJECT_MODE": "ci",
        "EXTRA": "1",
    }
    whole = ThreadRequest(config={"shell_environment_policy": {"inherit": "none"}})
    settings = resolve(loaded.config, EditorSettings(), whole, str(tmp_path))
    assert settings.shell_environment_policy.inherit == "none"


@pytest.mark.parametrize(
    "overrides",
    [
        {"shell_environment_policy.inherit": "some"},
        {"shell_environment_policy": "none"},
        {"shell_environment_policy": {"exclude": "HOME"}},
    ],
)
def test_invalid_thread_overrides_name_the_config(
    tmp_path: Path, overrides: dict[str, object]
) -> None:
    loaded = parse_config_text(tmp_path / "config.toml", CONFIG)
    with pytest.raises(SettingsError) as info:
        resolve(loaded.config, EditorSettings(), ThreadRequest(config=overrides), str(tmp_path))
    assert info.value.field == "config"
    assert "shell_environment_policy" in str(info.value)


def test_the_layered_view_shows_the_policy(tmp_path: Path) -> None:
    loaded = parse_config_text(tmp_path / "config.toml", CONFIG)
    view = build_layers(loaded.config, "config.toml", EditorSettings())
    policy = view.effective["shell_environment_policy"]
    assert policy["inherit"] == "core" and policy["ignore_default_excludes"] is False
    assert policy["set"] == {"PROJECT_MODE": "ci", "MOCK_API_KEY": "copied"}
    assert view.origins["shell_environment_policy.inherit"] == Origin("file", "config.toml")
    assert view.origins["shell_environment_policy.ignore_default_excludes"] == Origin("default")
    empty = parse_config_text(tmp_path / "config.toml", "")
    defaults = build_layers(empty.config, "config.toml", EditorSettings()).effective
    assert defaults["shell_environment_policy"] == {
        "inherit": "all",
        "ignore_default_excludes": False,
        "exclude": [],
        "set": {},
        "include_only": [],
    }
