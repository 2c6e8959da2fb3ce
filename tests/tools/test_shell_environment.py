"""`[shell_environment_policy]` applied to an environment: each option, Codex's order,
and the provider's keys that never pass."""

from __future__ import annotations

from typing import Any

import pytest

from codex_lsp.core.config.model import ProviderConfig, ShellEnvironmentPolicy
from codex_lsp.core.sandbox.environment import (
    command_environment,
    environment_or_default,
    matches_any,
    provider_secret_names,
)

BASE = {
    "PATH": "/usr/bin",
    "HOME": "/home/u",
    "USER": "u",
    "TMPDIR": "/tmp/u",
    "LANG": "C.UTF-8",
    "FOO": "bar",
    "OPENAI_API_KEY": "sk-openai",
    "MOCK_API_KEY": "mock-key",
    "MY_SECRET_TOKEN": "tok",
    "github_token": "gh",
    "aws_secret_access_key": "aws",
    "MONKEY": "banana",  # *KEY* matches inside a word, as in Codex
}


def env(
    secrets: tuple[str, ...] = ("OPENAI_API_KEY", "MOCK_API_KEY"), **policy: Any
) -> dict[str, str]:
    return command_environment(ShellEnvironmentPolicy.model_validate(policy), BASE, secrets)


def test_default_inherits_all_but_names_with_key_secret_or_token() -> None:
    assert env() == {
        "PATH": "/usr/bin",
        "HOME": "/home/u",
        "USER": "u",
        "TMPDIR": "/tmp/u",
        "LANG": "C.UTF-8",
        "FOO": "bar",
    }


def test_default_excludes_are_case_insensitive() -> None:
    result = env(ignore_default_excludes=False)
    assert "github_token" not in result and "aws_secret_access_key" not in result


def test_ignore_default_excludes_keeps_them_but_never_the_provider_keys() -> None:
    result = env(ignore_default_excludes=True)
    assert result["MY_SECRET_TOKEN"] == "tok" and result["github_token"] == "gh"
    assert result["MONKEY"] == "banana"
    assert "OPENAI_API_KEY" not in result and "MOCK_API_KEY" not in result


def test_inherit_core_keeps_codex_core_variables_only() -> None:
    assert env(inherit="core") == {
        "PATH": "/usr/bin",
        "HOME": "/home/u",
        "USER": "u",
        "TMPDIR": "/tmp/u",
    }


def test_inherit_none_starts_empty() -> None:
    assert env(inherit="none") == {}
    assert env(inherit="none", set={"ONLY": "yes"}) == {"ONLY": "yes"}


def test_exclude_patterns_are_globs_on_the_whole_name() -> None:
    result = env(exclude=["F?O", "la*"])
    assert "FOO" not in result and "LANG" not in result
    assert "PATH" in result
    # Whole-name match: "PAT" alone does not exclude PATH; brackets are literal.
    assert "PATH" in env(exclude=["PAT", "[P]ATH"])


def test_set_comes_after_the_excludes() -> None:
    result = env(exclude=["FOO"], set={"FOO": "mine", "API_TOKEN": "explicit"})
    # An explicit `set` wins over the excludes, default ones included (as in Codex).
    assert result["FOO"] == "mine" and result["API_TOKEN"] == "explicit"


def test_provider_keys_are_removed_even_when_set_explicitly() -> None:
    result = env(set={"OPENAI_API_KEY": "x", "MOCK_API_KEY": "y", "COPY": "z"})
    assert "OPENAI_API_KEY" not in result and "MOCK_API_KEY" not in result
    assert result["COPY"] == "z"


def test_include_only_filters_last() -> None:
    result = env(include_only=["path", "NEW*"], set={"NEW_VAR": "1", "OTHER": "2"})
    assert result == {"PATH": "/usr/bin", "NEW_VAR": "1"}
    # include_only cannot bring back what the excludes dropped.
    assert env(include_only=["MY_SECRET_TOKEN"]) == {}


def test_the_base_environment_is_not_changed() -> None:
    before = dict(BASE)
    env(set={"PATH": "/x"}, exclude=["*"])
    assert before == BASE


def test_matches_any() -> None:
    assert matches_any("My_Api_Key", ["*KEY*"])
    assert matches_any("a.b", ["a?b"]) and not matches_any("ab", ["a?b"])
    assert not matches_any("anything", [])


def test_provider_secret_names() -> None:
    provider = ProviderConfig(env_key="MOCK_API_KEY", env_http_headers={"X-Org": "ORG_HEADER"})
    assert provider_secret_names(provider) == ["OPENAI_API_KEY", "MOCK_API_KEY", "ORG_HEADER"]
    assert provider_secret_names(None) == ["OPENAI_API_KEY"]


def test_the_default_secret_names_drop_openai_api_key() -> None:
    policy = ShellEnvironmentPolicy(ignore_default_excludes=True)
    assert "OPENAI_API_KEY" not in command_environment(policy, BASE)


def test_no_environment_given_means_the_default_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-x")
    monkeypatch.setenv("SOME_TOKEN", "t")
    monkeypatch.setenv("PLAIN_VAR", "p")
    fallback = environment_or_default(None)
    assert fallback["PLAIN_VAR"] == "p"
    assert "OPENAI_API_KEY" not in fallback and "SOME_TOKEN" not in fallback
    given = {"A": "1"}
    assert environment_or_default(given) == given and environment_or_default(given) is not given


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ({"inherit": "some"}, "inherit"),
        ({"exclude": "FOO"}, "exclude"),
        ({"set": {"A=B": "x"}}, "not a valid environment variable name"),
        ({"set": {"A": 1}}, "set.A"),
        ({"include_only": [3]}, "include_only"),
    ],
)
def test_invalid_policies_are_rejected(policy: dict[str, Any], message: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as info:
        ShellEnvironmentPolicy.model_validate(policy)
    text = "; ".join(
        f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in info.value.errors()
    )
    assert message in text
