"""The shape of `config.toml` (Codex's key names, snake_case)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from ...protocol.enums import AskForApproval, ReasoningEffort, ReasoningSummary, SandboxMode

WireApi = Literal["responses", "chat"]


class ProviderConfig(BaseModel):
    """`[model_providers.<id>]`: where and how to reach a model."""

    model_config = ConfigDict(extra="allow")

    name: str = ""
    base_url: str | None = None
    env_key: str | None = None
    env_key_instructions: str | None = None
    wire_api: WireApi = "responses"
    query_params: dict[str, str] = Field(default_factory=dict)
    http_headers: dict[str, str] = Field(default_factory=dict)
    env_http_headers: dict[str, str] = Field(default_factory=dict)
    request_max_retries: int = Field(default=4, ge=0, le=100)
    stream_max_retries: int = Field(default=5, ge=0, le=100)
    stream_idle_timeout_ms: int = Field(default=300_000, ge=1)
    requires_openai_auth: bool = False


class SandboxWorkspaceWrite(BaseModel):
    """`[sandbox_workspace_write]`."""

    model_config = ConfigDict(extra="allow")

    writable_roots: list[str] = Field(default_factory=list)
    network_access: bool = False


class ShellEnvironmentPolicy(BaseModel):
    """`[shell_environment_policy]`: which environment variables the commands the model
    runs get (Codex's keys and defaults; applied by `sandbox.environment`)."""

    model_config = ConfigDict(extra="allow")

    inherit: Literal["all", "core", "none"] = "all"
    ignore_default_excludes: bool = False
    exclude: list[str] = Field(default_factory=list)
    set: dict[str, str] = Field(default_factory=dict)
    include_only: list[str] = Field(default_factory=list)

    @field_validator("set")
    @classmethod
    def _valid_variables(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if not name or "=" in name or "\0" in name:
                raise ValueError(f"{name!r} is not a valid environment variable name")
            if "\0" in text:
                raise ValueError(f"the value of {name} contains a NUL character")
        return value


def _endpoint_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http:// or https:// URL")
    return value


class OtlpHttpExporter(BaseModel):
    """`[otel] exporter = {otlp-http = {...}}`: OTLP over HTTP; `endpoint` is the full URL
    (`/v1/logs` included)."""

    model_config = ConfigDict(extra="allow")

    endpoint: StrictStr
    protocol: Literal["binary", "json"] = "binary"
    headers: dict[str, StrictStr] = Field(default_factory=dict)

    _url = field_validator("endpoint")(_endpoint_url)


class OtlpGrpcExporter(BaseModel):
    """`[otel] exporter = {otlp-grpc = {...}}`: OTLP over gRPC (`http://` = plaintext)."""

    model_config = ConfigDict(extra="allow")

    endpoint: StrictStr
    headers: dict[str, StrictStr] = Field(default_factory=dict)

    _url = field_validator("endpoint")(_endpoint_url)


_EXPORTERS = ("otlp-http", "otlp-grpc")


class OtelExporter(BaseModel):
    """`"none"`, or a table with exactly one of `otlp-http`, `otlp-grpc`."""

    model_config = ConfigDict(populate_by_name=True)

    otlp_http: OtlpHttpExporter | None = Field(default=None, alias="otlp-http")
    otlp_grpc: OtlpGrpcExporter | None = Field(default=None, alias="otlp-grpc")

    @model_validator(mode="before")
    @classmethod
    def _one_kind(cls, value: Any) -> Any:
        choices = '"none", {otlp-http = {endpoint, protocol, headers}} or {otlp-grpc = {...}}'
        if value == "none":
            return {}
        if not isinstance(value, dict):
            raise ValueError(f"{value!r} is not an exporter; use {choices}")
        unknown = [key for key in value if key not in _EXPORTERS]
        if unknown:
            raise ValueError(f"unknown exporter {unknown[0]!r}; use {choices}")
        if len(value) > 1:
            raise ValueError("give one exporter, not both otlp-http and otlp-grpc")
        return value


class OtelConfig(BaseModel):
    """`[otel]`: OpenTelemetry log events (see `core/telemetry`); off unless `exporter`
    names a collector."""

    model_config = ConfigDict(extra="allow")

    environment: StrictStr = Field(default="dev", min_length=1)
    exporter: OtelExporter = Field(default_factory=OtelExporter)
    log_user_prompt: StrictBool = False


class ToolsConfig(BaseModel):
    """`[tools]`: optional tools offered to the model."""

    model_config = ConfigDict(extra="allow")

    # The Responses API's hosted `web_search` tool (not offered on the Chat wire): `true` /
    # `false`, or Codex 0.169's `[tools.web_search]` table (present: on).
    web_search: StrictBool | dict[str, Any] | None = None


class ConfigProfile(BaseModel):
    """`[profiles.<name>]`: a named set of overrides."""

    model_config = ConfigDict(extra="allow")

    model: str | None = None
    model_provider: str | None = None
    model_reasoning_effort: str | None = None
    model_reasoning_summary: str | None = None
    approval_policy: str | None = None
    sandbox_mode: str | None = None
    model_verbosity: str | None = None


class CodexConfig(BaseModel):
    """The whole `config.toml`; unknown keys are kept (and warned about by the loader)."""

    model_config = ConfigDict(extra="allow")

    model: str | None = None
    model_provider: str | None = None
    model_reasoning_effort: str | None = None
    model_reasoning_summary: str | None = None
    # `text.verbosity` of Responses API requests (GPT-5 family); None: not sent.
    model_verbosity: str | None = None
    approval_policy: str | None = None
    sandbox_mode: str | None = None
    tools: ToolsConfig | None = None
    # Codex 0.169's search mode: "disabled" | "cached" | "indexed" | "live" (not disabled:
    # the web_search tool is offered, unless `[tools] web_search` says otherwise).
    web_search: str | None = None
    sandbox_workspace_write: SandboxWorkspaceWrite = Field(default_factory=SandboxWorkspaceWrite)
    shell_environment_policy: ShellEnvironmentPolicy = Field(default_factory=ShellEnvironmentPolicy)
    model_context_window: int | None = None
    model_auto_compact_token_limit: int | None = None
    review_model: str | None = None
    # Before a command approval, ask the model for a risk assessment of the command.
    experimental_sandbox_command_assessment: StrictBool = False
    cli_auth_credentials_store: str | None = None
    mcp_oauth_credentials_store: str | None = None
    # Where MCP OAuth logins listen for the browser's redirect (127.0.0.1); None: a free port.
    mcp_oauth_callback_port: int | None = Field(default=None, ge=1, le=65535)
    model_providers: dict[str, ProviderConfig] = Field(default_factory=dict)
    mcp_servers: dict[str, Any] = Field(default_factory=dict)
    otel: dict[str, Any] = Field(default_factory=dict)
    profile: str | None = None
    profiles: dict[str, ConfigProfile] = Field(default_factory=dict)


CREDENTIAL_STORES = ("file", "keyring", "auto", "ephemeral")
VERBOSITIES = ("low", "medium", "high")
WEB_SEARCH_MODES = ("disabled", "cached", "indexed", "live")

# Keys whose value must be one of a fixed set (checked in the file and in every profile).
_CHOICES: dict[str, tuple[str, ...]] = {
    "approval_policy": get_args(AskForApproval),
    "sandbox_mode": get_args(SandboxMode),
    "model_reasoning_effort": get_args(ReasoningEffort),
    "model_reasoning_summary": get_args(ReasoningSummary),
    "model_verbosity": VERBOSITIES,
    "web_search": WEB_SEARCH_MODES,
}


def unknown_keys(config: CodexConfig) -> list[tuple[str, ...]]:
    """Key paths the config model does not know (they are kept, and warned about)."""
    found: list[tuple[str, ...]] = [(key,) for key in config.model_extra or {}]
    found += [
        ("sandbox_workspace_write", k) for k in config.sandbox_workspace_write.model_extra or {}
    ]
    found += [
        ("shell_environment_policy", k) for k in config.shell_environment_policy.model_extra or {}
    ]
    if config.tools is not None:
        found += [("tools", k) for k in config.tools.model_extra or {}]
    for pid, provider in config.model_providers.items():
        found += [("model_providers", pid, k) for k in provider.model_extra or {}]
    for name, profile in config.profiles.items():
        found += [("profiles", name, k) for k in profile.model_extra or {}]
    otel = otel_config(config)
    if otel is not None:
        found += [("otel", k) for k in otel.model_extra or {}]
        for kind, exporter in (
            ("otlp-http", otel.exporter.otlp_http),
            ("otlp-grpc", otel.exporter.otlp_grpc),
        ):
            if exporter is not None:
                found += [("otel", "exporter", kind, k) for k in exporter.model_extra or {}]
    return found


def otel_config(config: CodexConfig) -> OtelConfig | None:
    """The `[otel]` table, validated; None when it is invalid (see `otel_problems`)."""
    try:
        return OtelConfig.model_validate(config.otel)
    except ValidationError:
        return None


def otel_problems(config: CodexConfig) -> list[tuple[tuple[str, ...], str]]:
    """What is wrong in `[otel]`, as `(key path, message)` pairs: telemetry stays off."""
    try:
        OtelConfig.model_validate(config.otel)
    except ValidationError as exc:
        return [
            (
                ("otel", *(str(p) for p in err["loc"])),
                f"{err['msg'].removeprefix('Value error, ')}; telemetry is off",
            )
            for err in exc.errors()
        ]
    return []


def semantic_problems(
    config: CodexConfig, builtin_providers: Collection[str] = ()
) -> list[tuple[tuple[str, ...], str]]:
    """Values the schema accepts but the server cannot use: `(key path, message)` pairs."""
    problems: list[tuple[tuple[str, ...], str]] = []
    known = {*builtin_providers, *config.model_providers}
    providers_named = [((), config.model_provider)] + [
        (("profiles", name), p.model_provider) for name, p in config.profiles.items()
    ]
    for prefix, provider in providers_named:
        if provider is not None and provider not in known:
            problems.append(
                (
                    (*prefix, "model_provider"),
                    f"unknown model provider {provider!r}; known: {', '.join(sorted(known))}",
                )
            )

    def check_choices(prefix: tuple[str, ...], values: BaseModel) -> None:
        for key, allowed in _CHOICES.items():
            value = getattr(values, key, None)
            if value is not None and value not in allowed:
                problems.append(((*prefix, key), f"{value!r} is not one of {', '.join(allowed)}"))

    check_choices((), config)
    for name, profile in config.profiles.items():
        check_choices(("profiles", name), profile)
    for key in ("cli_auth_credentials_store", "mcp_oauth_credentials_store"):
        value = getattr(config, key)
        if value is not None and value not in CREDENTIAL_STORES:
            problems.append(((key,), f"{value!r} is not one of {', '.join(CREDENTIAL_STORES)}"))
    if config.profile is not None and config.profile not in config.profiles:
        problems.append((("profile",), f"profile {config.profile!r} is not defined"))
    problems += otel_problems(config)
    return problems
