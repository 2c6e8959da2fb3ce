"""The shape of `config.toml` (Codex's key names, snake_case)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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


class ConfigProfile(BaseModel):
    """`[profiles.<name>]`: a named set of overrides."""

    model_config = ConfigDict(extra="allow")

    model: str | None = None
    model_provider: str | None = None
    model_reasoning_effort: str | None = None
    model_reasoning_summary: str | None = None
    approval_policy: str | None = None
    sandbox_mode: str | None = None


class CodexConfig(BaseModel):
    """The whole `config.toml`; unknown keys are kept (and warned about by the loader)."""

    model_config = ConfigDict(extra="allow")

    model: str | None = None
    model_provider: str | None = None
    model_reasoning_effort: str | None = None
    model_reasoning_summary: str | None = None
    approval_policy: str | None = None
    sandbox_mode: str | None = None
    sandbox_workspace_write: SandboxWorkspaceWrite = Field(default_factory=SandboxWorkspaceWrite)
    model_context_window: int | None = None
    model_auto_compact_token_limit: int | None = None
    review_model: str | None = None
    cli_auth_credentials_store: str | None = None
    mcp_oauth_credentials_store: str | None = None
    model_providers: dict[str, ProviderConfig] = Field(default_factory=dict)
    mcp_servers: dict[str, Any] = Field(default_factory=dict)
    otel: dict[str, Any] = Field(default_factory=dict)
    profile: str | None = None
    profiles: dict[str, ConfigProfile] = Field(default_factory=dict)
