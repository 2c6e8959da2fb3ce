"""Exporter headers: `${VAR}` from the environment, names lower-cased, values secret."""

from __future__ import annotations

from codex_lsp.core.redact import redact
from codex_lsp.core.telemetry.headers import expand_headers


def test_variables_are_expanded_and_their_values_become_secrets() -> None:
    env = {"OTLP_TOKEN": "tok-7f3a9c1e55d2", "TEAM": "platform"}
    headers, problems = expand_headers(
        {
            "X-OTLP-Api-Key": "${OTLP_TOKEN}",
            "Authorization": "Bearer ${OTLP_TOKEN}",
            "x-team": "team-${TEAM}",
            "x-literal": "cost $5 ${not a var}",
        },
        env,
    )
    assert problems == []
    assert headers == {
        "x-otlp-api-key": "tok-7f3a9c1e55d2",
        "authorization": "Bearer tok-7f3a9c1e55d2",
        "x-team": "team-platform",
        "x-literal": "cost $5 ${not a var}",
    }
    assert redact("sent tok-7f3a9c1e55d2 to the collector") == "sent [REDACTED] to the collector"


def test_a_header_naming_an_unset_variable_is_left_out() -> None:
    headers, problems = expand_headers({"x-key": "${MISSING_TOKEN}", "x-ok": "1"}, {})
    assert headers == {"x-ok": "1"}
    assert problems == [
        "otel header 'x-key' is not sent: environment variable MISSING_TOKEN is not set"
    ]


def test_credential_header_values_written_in_the_file_are_secrets_too() -> None:
    expand_headers({"x-api-key": "literal-key-8c1d77e0"}, {})
    assert "literal-key-8c1d77e0" not in redact("header literal-key-8c1d77e0")
