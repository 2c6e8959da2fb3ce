"""Shared pieces of the telemetry tests: `[otel]` config text, an editor with a name, the
secrets that must never reach a collector, and checks over decoded records."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from lsprotocol import types as lsp

from codex_lsp.core.telemetry import catalog
from tests.lsp_client import CodexClient
from tests.telemetry.collectors import Export, Record

# The model provider's key (MOCK_API_KEY) and the collector token (${OTLP_TOKEN}).
API_KEY = "sk-test-telemetry-KEY-0123456789abcdef"
OTLP_TOKEN = "otlp-token-5f2c9a7e41b3d8"
# A credential-shaped string the model makes a tool print: redacted from every event.
TOOL_SECRET = "sk-proj-TOOLSECRET0123456789abcdef"
EDITOR = "Neovim"


def otel_toml(
    exporter: str,
    endpoint: str,
    *,
    protocol: str = "binary",
    log_user_prompt: bool = False,
    environment: str = "staging",
) -> str:
    """An `[otel]` table (to append to the mock config) sending to `endpoint` with a
    `${OTLP_TOKEN}` header and a plain one."""
    headers = '{ "x-otlp-api-key" = "${OTLP_TOKEN}", "X-Team" = "codex-lsp-tests" }'
    if exporter == "otlp-http":
        table = f'{{ endpoint = "{endpoint}", protocol = "{protocol}", headers = {headers} }}'
    else:
        table = f'{{ endpoint = "{endpoint}", headers = {headers} }}'
    return (
        "[otel]\n"
        f'environment = "{environment}"\n'
        f"exporter = {{ {exporter} = {table} }}\n"
        f"log_user_prompt = {'true' if log_user_prompt else 'false'}\n"
    )


def server_env(**extra: str) -> dict[str, str]:
    """The server's extra environment: the keys, and a batch delay long enough that only
    the flush at shutdown delivers the events (so the tests prove that flush)."""
    return {
        "MOCK_API_KEY": API_KEY,
        "OTLP_TOKEN": OTLP_TOKEN,
        "OTEL_BLRP_SCHEDULE_DELAY": "600000",
        **extra,
    }


def named_editor(name: str = EDITOR, version: str = "0.11.4") -> Callable[[CodexClient], None]:
    """A `before_start` hook: the client's `initialize` carries `clientInfo`."""

    def install(client: CodexClient) -> None:
        original = client.lc.initialize_session

        async def initialize(params: lsp.InitializeParams) -> lsp.InitializeResult:
            params.client_info = lsp.ClientInfo(name=name, version=version)
            return await original(params)

        client.lc.initialize_session = initialize  # type: ignore[method-assign]

    return install


def both(*hooks: Callable[[CodexClient], None]) -> Callable[[CodexClient], None]:
    """Several `before_start` hooks as one."""

    def install(client: CodexClient) -> None:
        for hook in hooks:
            hook(client)

    return install


def named(records: Iterable[Record], name: str) -> list[Record]:
    """The records of one event."""
    return [r for r in records if r.name == name]


def assert_well_formed(records: list[Record], thread_id: str, terminal: str) -> None:
    """Every record carries the metadata and resource of the contract, and only the
    attributes its event declares."""
    assert records
    for record in records:
        attrs = record.attributes
        assert record.event_name == record.name == record.body, attrs
        assert record.severity_text == "INFO"
        for key in catalog.METADATA:
            assert key in attrs, (record.name, key)
        assert attrs["conversation.id"] == thread_id
        assert attrs["terminal.type"] == terminal
        assert attrs["auth_mode"] == "apiKey"
        assert attrs["model"] == attrs["slug"] == "gpt-5.1-codex"
        assert str(attrs["event.timestamp"]).endswith("Z")
        allowed = {*catalog.METADATA, *catalog.ATTRIBUTES[record.name]}
        assert set(attrs) <= allowed, (record.name, set(attrs) - allowed)
        assert record.resource["service.name"] == "codex-lsp"
        assert record.resource["env"] == "staging"
        assert record.resource["service.version"]


def assert_no_secret(exports: list[Export], records: list[Record], *secrets: str) -> None:
    """No secret in any record (attributes, body, resource); the collector token only in
    the request headers."""
    text = json.dumps(
        [[r.attributes, r.body, r.resource] for r in records], default=str, ensure_ascii=False
    )
    for secret in secrets:
        assert secret not in text, secret
    for export in exports:
        assert API_KEY not in json.dumps(export.headers)


def attributes(records: list[Record], name: str) -> list[dict[str, Any]]:
    """The attributes of every record of one event."""
    return [r.attributes for r in named(records, name)]
