"""The effective settings of a thread: defaults < config.toml < profile < editor < thread."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, cast, get_args

from pydantic import ValidationError

from ...protocol.enums import AskForApproval, ReasoningEffort, ReasoningSummary, SandboxMode
from ...protocol.initialize import EditorSettings
from ...protocol.sandbox import (
    DangerFullAccessSandbox,
    ReadOnlySandbox,
    SandboxPolicy,
    WorkspaceWriteSandbox,
)
from ..model.presets import AUTO_COMPACT_SHARE, known_context_window
from .model import (
    VERBOSITIES,
    WEB_SEARCH_MODES,
    CodexConfig,
    ProviderConfig,
    ShellEnvironmentPolicy,
)

DEFAULT_MODEL = "gpt-5.1-codex"
DEFAULT_PROVIDER = "openai"
DEFAULT_APPROVAL: AskForApproval = "on-request"
DEFAULT_SANDBOX: SandboxMode = "workspace-write"

BUILTIN_PROVIDERS: dict[str, ProviderConfig] = {
    "openai": ProviderConfig(
        name="OpenAI",
        base_url="https://api.openai.com/v1",
        # No env_key: the login (`codex-lsp login`) wins, OPENAI_API_KEY is the fallback.
        wire_api="responses",
        requires_openai_auth=True,
    ),
    "ollama": ProviderConfig(name="Ollama", base_url="http://localhost:11434/v1", wire_api="chat"),
}


class SettingsError(ValueError):
    """A setting names something that does not exist; `field` is the offending wire field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ThreadSettings:
    """Everything a turn needs to know about how to run."""

    model: str
    model_provider: str
    provider: ProviderConfig
    cwd: str
    approval_policy: AskForApproval
    sandbox: SandboxPolicy
    reasoning_effort: ReasoningEffort | None
    reasoning_summary: ReasoningSummary | None
    base_instructions: str | None = None
    developer_instructions: str | None = None
    model_context_window: int | None = None
    shell_environment_policy: ShellEnvironmentPolicy = field(default_factory=ShellEnvironmentPolicy)
    # The reviewer's model (`review_model`); None: the thread's model.
    review_model: str | None = None
    # `model_auto_compact_token_limit` as configured (see `auto_compact_limit`).
    configured_auto_compact_limit: int | None = None
    # `model_verbosity`: sent as `text.verbosity` (Responses wire); None: not sent.
    model_verbosity: str | None = None
    # `[tools] web_search`: the Responses API's `web_search` tool is offered.
    web_search: bool = False
    # `experimental_sandbox_command_assessment`: command approvals carry the model's risk
    # assessment.
    command_assessment: bool = False

    @property
    def auto_compact_limit(self) -> int | None:
        """The context size (tokens) at which the history is compacted: as configured,
        else 90% of the model's context window; None when neither is known."""
        if self.configured_auto_compact_limit is not None:
            return self.configured_auto_compact_limit
        window = self.model_context_window
        return int(window * AUTO_COMPACT_SHARE) if window else None

    def with_changes(self, **changes: Any) -> ThreadSettings:
        """A copy with some fields replaced."""
        return replace(self, **changes)

    def command_env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment of the commands run in this thread: the shell environment
        policy applied to `base` (default: the server's environment), without the
        provider's credentials."""
        # The sandbox package (spawn, pty) loads with the first command, not at start-up.
        from ..sandbox.environment import command_environment, provider_secret_names

        return command_environment(
            self.shell_environment_policy,
            os.environ if base is None else base,
            provider_secret_names(self.provider),
        )


@dataclass(frozen=True)
class ThreadRequest:
    """What a client asked for when starting, resuming or forking a thread."""

    model: str | None = None
    model_provider: str | None = None
    cwd: str | None = None
    approval_policy: AskForApproval | None = None
    sandbox: SandboxMode | None = None
    base_instructions: str | None = None
    developer_instructions: str | None = None
    config: dict[str, Any] | None = None


def providers(config: CodexConfig) -> dict[str, ProviderConfig]:
    """Built-in providers overlaid with the configured ones."""
    return {**BUILTIN_PROVIDERS, **config.model_providers}


def context_window_for(model: str, configured: int | None) -> int | None:
    """The configured window, else the known window of the model (preset or family)."""
    if configured:
        return configured
    return known_context_window(model)


def sandbox_policy(mode: SandboxMode, config: CodexConfig, editor: EditorSettings) -> SandboxPolicy:
    """Turn a sandbox mode into the policy with its writable roots and network access."""
    ws = config.sandbox_workspace_write
    network = editor.network_access if editor.network_access is not None else ws.network_access
    if mode == "read-only":
        return ReadOnlySandbox(network_access=network)
    if mode == "danger-full-access":
        return DangerFullAccessSandbox()
    roots = list(ws.writable_roots) + list(editor.writable_roots or [])
    return WorkspaceWriteSandbox(writable_roots=roots, network_access=network)


def _pick(name: str, allowed: tuple[str, ...], *values: object) -> Any:
    for value in values:
        if value is None:
            continue
        if value not in allowed:
            raise SettingsError(name, f"{name}: {value!r} is not one of {', '.join(allowed)}")
        return value
    return None


ENV_POLICY_KEY = "shell_environment_policy"


def shell_environment_policy(
    config: CodexConfig, overrides: Mapping[str, Any]
) -> ShellEnvironmentPolicy:
    """The file's `[shell_environment_policy]` with a thread's `config` overrides on top
    (the whole table, or dotted keys such as `shell_environment_policy.inherit`)."""
    table: dict[str, Any] = {}
    whole = overrides.get(ENV_POLICY_KEY)
    if isinstance(whole, Mapping):
        table.update(whole)
    elif whole is not None:
        raise SettingsError("config", f"{ENV_POLICY_KEY}: {whole!r} is not a table")
    prefix = ENV_POLICY_KEY + "."
    for key, value in overrides.items():
        if key.startswith(prefix):
            # `shell_environment_policy.set.NAME`: one entry of the `set` table.
            sub, _, name = key[len(prefix) :].partition(".")
            if name:
                entries = table.get(sub)
                table[sub] = {**(entries if isinstance(entries, Mapping) else {}), name: value}
            else:
                table[sub] = value
    if not table:
        return config.shell_environment_policy
    base = config.shell_environment_policy.model_dump(exclude_unset=True)
    merged = {**base, **table}
    # Tables merge key by key, as in `codex/config/read`'s layered view.
    if isinstance(base.get("set"), Mapping) and isinstance(table.get("set"), Mapping):
        merged["set"] = {**base["set"], **table["set"]}
    try:
        return ShellEnvironmentPolicy.model_validate(merged)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join((ENV_POLICY_KEY, *(str(p) for p in err['loc'])))}: {err['msg']}"
            for err in exc.errors()
        )
        raise SettingsError("config", problems) from None


def web_search_enabled(config: CodexConfig, overrides: Mapping[str, Any]) -> bool:
    """Whether the `web_search` tool is offered: `[tools] web_search` (a boolean, or Codex
    0.169's table: on), else the top-level `web_search` mode (on unless "disabled"); a
    thread's `config` overrides win (`tools.web_search`, a `tools` table, `web_search`)."""
    tools = overrides.get("tools")
    value = overrides.get("tools.web_search")
    if value is None and isinstance(tools, Mapping):
        value = tools.get("web_search")
    if value is None and config.tools is not None:
        value = config.tools.web_search
    if isinstance(value, Mapping):
        return True
    if value is not None and not isinstance(value, bool):
        raise SettingsError("config", f"tools.web_search: {value!r} is not a boolean or a table")
    if value is not None:
        return value
    mode = overrides.get("web_search", config.web_search)
    if mode is not None and mode not in WEB_SEARCH_MODES:
        raise SettingsError(
            "config", f"web_search: {mode!r} is not one of {', '.join(WEB_SEARCH_MODES)}"
        )
    return mode is not None and mode != "disabled"


def resolve(
    config: CodexConfig,
    editor: EditorSettings,
    request: ThreadRequest,
    default_cwd: str,
) -> ThreadSettings:
    """Layer the settings; raise `SettingsError` naming the bad field."""
    overrides = request.config or {}
    profile_name = overrides.get("profile") or editor.profile or config.profile
    profile = config.profiles.get(profile_name) if profile_name else None
    if profile_name and profile is None:
        raise SettingsError("profile", f"profile {profile_name!r} is not defined in config.toml")

    def layered(key: str, editor_value: object, request_value: object) -> Any:
        return next(
            (
                v
                for v in (
                    request_value,
                    overrides.get(key),
                    editor_value,
                    getattr(profile, key, None) if profile else None,
                    getattr(config, key, None),
                )
                if v is not None
            ),
            None,
        )

    model = layered("model", editor.model, request.model) or DEFAULT_MODEL
    provider_id = (
        layered("model_provider", editor.model_provider, request.model_provider) or DEFAULT_PROVIDER
    )
    known = providers(config)
    if provider_id not in known:
        raise SettingsError(
            "modelProvider",
            f"unknown model provider {provider_id!r}; known: {', '.join(sorted(known))}",
        )
    approval = _pick(
        "approvalPolicy",
        get_args(AskForApproval),
        layered("approval_policy", editor.approval_policy, request.approval_policy),
    )
    sandbox_mode = _pick(
        "sandbox",
        get_args(SandboxMode),
        layered("sandbox_mode", editor.sandbox_mode, request.sandbox),
    )
    effort = _pick(
        "reasoningEffort",
        get_args(ReasoningEffort),
        layered("model_reasoning_effort", editor.reasoning_effort, None),
    )
    summary = _pick(
        "reasoningSummary",
        get_args(ReasoningSummary),
        layered("model_reasoning_summary", editor.reasoning_summary, None),
    )
    window = layered("model_context_window", None, None)
    if window is not None and (not isinstance(window, int) or isinstance(window, bool)):
        raise SettingsError("config", f"model_context_window: {window!r} is not an integer")
    auto_compact = layered("model_auto_compact_token_limit", None, None)
    if auto_compact is not None and (
        not isinstance(auto_compact, int) or isinstance(auto_compact, bool) or auto_compact < 1
    ):
        raise SettingsError(
            "config", f"model_auto_compact_token_limit: {auto_compact!r} is not a positive integer"
        )
    review_model = layered("review_model", None, None)
    if review_model is not None and not isinstance(review_model, str):
        raise SettingsError("config", f"review_model: {review_model!r} is not a string")
    verbosity = layered("model_verbosity", None, None)
    if verbosity is not None and verbosity not in VERBOSITIES:
        raise SettingsError(
            "config", f"model_verbosity: {verbosity!r} is not one of {', '.join(VERBOSITIES)}"
        )
    web_search = web_search_enabled(config, overrides)
    cwd = os.path.abspath(os.path.expanduser(request.cwd or default_cwd))
    return ThreadSettings(
        model=model,
        model_provider=provider_id,
        provider=known[provider_id],
        cwd=cwd,
        approval_policy=cast(AskForApproval, approval or DEFAULT_APPROVAL),
        sandbox=sandbox_policy(cast(SandboxMode, sandbox_mode or DEFAULT_SANDBOX), config, editor),
        reasoning_effort=effort,
        reasoning_summary=summary,
        base_instructions=request.base_instructions,
        developer_instructions=request.developer_instructions,
        model_context_window=context_window_for(model, window),
        shell_environment_policy=shell_environment_policy(config, overrides),
        review_model=review_model or None,
        configured_auto_compact_limit=auto_compact,
        model_verbosity=verbosity,
        web_search=web_search,
        command_assessment=config.experimental_sandbox_command_assessment,
    )
