"""The environment of the commands the model runs: Codex's `[shell_environment_policy]`.

`command_environment(policy, base, secret_names)` is a pure function. The steps, in
Codex's order (codex-rs `exec_env.rs`):

1. `inherit`: `all` starts from `base`, `core` from its `HOME`, `LOGNAME`, `PATH`,
   `SHELL`, `USER`, `USERNAME`, `TMPDIR`, `TEMP` and `TMP`, `none` from nothing;
2. unless `ignore_default_excludes`, names matching `*KEY*`, `*SECRET*` or `*TOKEN*`
   are dropped;
3. names matching a pattern of `exclude` are dropped;
4. `set` adds (or replaces) variables;
5. when `include_only` is not empty, only names matching one of its patterns are kept.

Patterns are whole-name globs (`*` any run of characters, `?` one character, everything
else literal), matched case-insensitively, as Codex's `WildMatchPattern`.

Then, whatever the policy says (even a `set` naming them), `secret_names` are removed:
the model provider's `env_key` and `OPENAI_API_KEY`, so the model's own key never
reaches a command's output, the rollout, the client or the next model request.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Mapping

from ..config.model import ProviderConfig, ShellEnvironmentPolicy

# What `inherit = "core"` keeps (Codex's list).
CORE_VARS = frozenset(
    {"HOME", "LOGNAME", "PATH", "SHELL", "USER", "USERNAME", "TMPDIR", "TEMP", "TMP"}
)
DEFAULT_EXCLUDES = ("*KEY*", "*SECRET*", "*TOKEN*")
# Never passed on, whatever the policy or the provider.
ALWAYS_REMOVED = ("OPENAI_API_KEY",)


@functools.lru_cache(maxsize=256)
def _glob(pattern: str) -> re.Pattern[str]:
    regex = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
    )
    return re.compile(regex, re.IGNORECASE | re.DOTALL)


def matches_any(name: str, patterns: Iterable[str]) -> bool:
    """Does `name` match one of the glob `patterns` (whole name, any case)?"""
    return any(_glob(pattern).fullmatch(name) for pattern in patterns)


def provider_secret_names(provider: ProviderConfig | None) -> list[str]:
    """The variables holding the provider's credentials: its `env_key` and the variables
    its `env_http_headers` read, plus `OPENAI_API_KEY`."""
    names = list(ALWAYS_REMOVED)
    if provider is not None:
        if provider.env_key:
            names.append(provider.env_key)
        names.extend(provider.env_http_headers.values())
    return names


def command_environment(
    policy: ShellEnvironmentPolicy,
    base: Mapping[str, str],
    secret_names: Iterable[str] = ALWAYS_REMOVED,
) -> dict[str, str]:
    """The whole environment of a command: `policy` applied to `base` (the server's
    environment), then `secret_names` removed."""
    if policy.inherit == "all":
        env = dict(base)
    elif policy.inherit == "core":
        env = {name: value for name, value in base.items() if name in CORE_VARS}
    else:
        env = {}
    if not policy.ignore_default_excludes:
        env = {k: v for k, v in env.items() if not matches_any(k, DEFAULT_EXCLUDES)}
    if policy.exclude:
        env = {k: v for k, v in env.items() if not matches_any(k, policy.exclude)}
    env.update(policy.set)
    if policy.include_only:
        env = {k: v for k, v in env.items() if matches_any(k, policy.include_only)}
    for name in secret_names:
        env.pop(name, None)
    return env


def environment_or_default(env: Mapping[str, str] | None) -> dict[str, str]:
    """A command's environment: `env` when given, else the server's environment under the
    default policy (never the whole environment by accident)."""
    if env is not None:
        return dict(env)
    return command_environment(ShellEnvironmentPolicy(), os.environ)
