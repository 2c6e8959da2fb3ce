"""`[mcp_servers.<name>]` of config.toml, read one server at a time.

A server whose table is wrong (no `command` nor `url`, both, a bad value) does not make
the config unusable: it shows as `failed` with the reason, the others start. Codex's keys:
stdio `command, args, env, env_vars, cwd`; streamable HTTP `url, bearer_token_env_var,
http_headers, env_http_headers`; both `enabled, startup_timeout_sec (or _ms),
tool_timeout_sec, enabled_tools, disabled_tools`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

DEFAULT_STARTUP_TIMEOUT_S = 10.0
DEFAULT_TOOL_TIMEOUT_S = 60.0
# Server names are part of tool names (`mcp__<server>__<tool>`).
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")
# What a stdio server's environment starts from (Codex's list); then `env_vars`, `env`.
BASE_ENV_VARS = (
    "HOME",
    "LOGNAME",
    "PATH",
    "SHELL",
    "USER",
    "__CF_USER_TEXT_ENCODING",
    "LANG",
    "LC_ALL",
    "TERM",
    "TMPDIR",
    "TZ",
)


class ServerTable(BaseModel):
    """One `[mcp_servers.<name>]` table."""

    model_config = ConfigDict(extra="allow")

    command: str | None = Field(default=None, min_length=1)
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    env_vars: list[str] = Field(default_factory=list)
    cwd: str | None = None
    url: str | None = Field(default=None, min_length=1)
    bearer_token_env_var: str | None = Field(default=None, min_length=1)
    http_headers: dict[str, str] = Field(default_factory=dict)
    env_http_headers: dict[str, str] = Field(default_factory=dict)
    enabled: bool = True
    startup_timeout_sec: float | None = Field(default=None, gt=0)
    startup_timeout_ms: int | None = Field(default=None, gt=0)
    tool_timeout_sec: float = Field(default=DEFAULT_TOOL_TIMEOUT_S, gt=0)
    enabled_tools: list[str] | None = None
    disabled_tools: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_transport(self) -> ServerTable:
        if self.command is None and self.url is None:
            raise ValueError("give `command` (a stdio server) or `url` (streamable HTTP)")
        if self.command is not None and self.url is not None:
            raise ValueError("give `command` or `url`, not both")
        if self.url is not None and not self.url.startswith(("http://", "https://")):
            raise ValueError(f"url {self.url!r} is not an http:// or https:// URL")
        return self


@dataclass(frozen=True)
class ServerConfig:
    """A configured MCP server: its table, or why the table cannot be used."""

    name: str
    raw: Any
    table: ServerTable | None
    problem: str | None = None

    @property
    def enabled(self) -> bool:
        """False when `enabled = false` (a broken table counts as enabled: it fails)."""
        return self.table is None or self.table.enabled

    @property
    def transport(self) -> Literal["stdio", "http"]:
        """How the server is reached."""
        return "http" if self.table is not None and self.table.url is not None else "stdio"

    @property
    def startup_timeout_s(self) -> float:
        """How long starting may take before the server counts as failed."""
        table = self.table
        if table is None:
            return DEFAULT_STARTUP_TIMEOUT_S
        if table.startup_timeout_sec is not None:
            return table.startup_timeout_sec
        if table.startup_timeout_ms is not None:
            return table.startup_timeout_ms / 1000
        return DEFAULT_STARTUP_TIMEOUT_S

    @property
    def tool_timeout_s(self) -> float:
        """How long one tool call may take."""
        return self.table.tool_timeout_sec if self.table is not None else DEFAULT_TOOL_TIMEOUT_S

    def offers(self, tool: str) -> bool:
        """Is `tool` offered to the model (`enabled_tools`, then `disabled_tools`)?"""
        table = self.table
        if table is None:
            return False
        if table.enabled_tools is not None and tool not in table.enabled_tools:
            return False
        return tool not in table.disabled_tools


def parse_servers(raw: Mapping[str, Any]) -> list[ServerConfig]:
    """Every server of `[mcp_servers]`, in the file's order."""
    servers: list[ServerConfig] = []
    for name, value in raw.items():
        if not NAME_PATTERN.match(name):
            problem = f"invalid server name {name!r}: use letters, digits, '_' and '-'"
            servers.append(ServerConfig(name, value, None, problem))
            continue
        if not isinstance(value, Mapping):
            servers.append(ServerConfig(name, value, None, "not a table"))
            continue
        try:
            table = ServerTable.model_validate(dict(value))
        except ValidationError as exc:
            servers.append(ServerConfig(name, value, None, _describe(exc)))
            continue
        servers.append(ServerConfig(name, value, table))
    return servers


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def stdio_environment(table: ServerTable, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """A stdio server's whole environment: the base variables present in `base` (the
    server's environment), the `env_vars` it names, then `env`. Nothing else is passed
    on (no API keys, no tokens)."""
    source = os.environ if base is None else base
    env = {name: source[name] for name in BASE_ENV_VARS if name in source}
    env.update({name: source[name] for name in table.env_vars if name in source})
    env.update(table.env)
    return env


class MissingVariable(Exception):
    """An environment variable the config names is not set."""


def http_headers(table: ServerTable, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The headers of every request to a streamable HTTP server: `http_headers`,
    `env_http_headers` (values read from the environment) and the bearer token."""
    source = os.environ if base is None else base
    headers = dict(table.http_headers)
    for header, variable in table.env_http_headers.items():
        value = source.get(variable)
        if value:
            headers[header] = value
    if table.bearer_token_env_var is not None:
        token = source.get(table.bearer_token_env_var)
        if not token:
            raise MissingVariable(
                f"environment variable {table.bearer_token_env_var} (bearer_token_env_var) "
                "is not set"
            )
        headers["Authorization"] = f"Bearer {token}"
    return headers
