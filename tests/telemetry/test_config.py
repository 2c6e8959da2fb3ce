"""`[otel]` as Codex writes it: parsed, validated with messages naming the key (telemetry
then stays off, the rest of the file still applies), unknown keys kept and warned about."""

from __future__ import annotations

from pathlib import Path

import pytest

from codex_lsp.core.config.loader import parse_config_text
from codex_lsp.core.config.model import otel_config
from codex_lsp.core.telemetry import create_sink

PATH = Path("/home/u/.codex/config.toml")


def _warnings(text: str) -> list[str]:
    return parse_config_text(PATH, 'model = "gpt-5.1-codex"\n' + text).warnings


def test_the_seeds_forms_parse() -> None:
    loaded = parse_config_text(
        PATH,
        "[otel]\n"
        'environment = "staging"\n'
        "log_user_prompt = true\n"
        'exporter = { otlp-http = { endpoint = "https://otel.example.com/v1/logs", '
        'protocol = "json", headers = { "x-otlp-api-key" = "${OTLP_TOKEN}" } } }\n',
    )
    assert loaded.warnings == []
    otel = otel_config(loaded.config)
    assert otel is not None and otel.environment == "staging" and otel.log_user_prompt
    http = otel.exporter.otlp_http
    assert http is not None and http.protocol == "json"
    assert http.headers == {"x-otlp-api-key": "${OTLP_TOKEN}"}
    grpc = otel_config(
        parse_config_text(
            PATH,
            "[otel.exporter.otlp-grpc]\n"
            'endpoint = "https://otel.example.com:4317"\n'
            'headers = { "x-otlp-meta" = "abc123" }\n',
        ).config
    )
    assert grpc is not None and grpc.exporter.otlp_grpc is not None
    assert grpc.environment == "dev" and not grpc.log_user_prompt  # the defaults
    assert grpc.exporter.otlp_http is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[otel]\nexporter = "otlp-http"\n',
            "line 3: otel.exporter: 'otlp-http' is not an exporter",
        ),
        (
            '[otel]\nexporter = { otlp-htp = { endpoint = "http://x" } }\n',
            "line 3: otel.exporter: unknown exporter 'otlp-htp'",
        ),
        (
            "[otel]\nexporter = { otlp-grpc = { headers = {} } }\n",
            "line 3: otel.exporter.otlp-grpc.endpoint: Field required",
        ),
        (
            '[otel.exporter.otlp-http]\nendpoint = "localhost:4318"\n',
            "line 3: otel.exporter.otlp-http.endpoint: 'localhost:4318' is not an http:// or "
            "https:// URL",
        ),
        (
            '[otel.exporter.otlp-http]\nendpoint = "http://c/v1/logs"\nprotocol = "xml"\n',
            "line 4: otel.exporter.otlp-http.protocol: Input should be 'binary' or 'json'",
        ),
        (
            '[otel]\nexporter = { otlp-http = { endpoint = "http://a" }, '
            'otlp-grpc = { endpoint = "http://b" } }\n',
            "otel.exporter: give one exporter, not both",
        ),
        (
            '[otel]\nlog_user_prompt = "yes"\n',
            "line 3: otel.log_user_prompt: Input should be a valid boolean",
        ),
        ('[otel]\nenvironment = ""\n', "line 3: otel.environment: String should have at least"),
        (
            '[otel.exporter.otlp-http]\nendpoint = "http://c/v1/logs"\nheaders = { a = 1 }\n',
            "otel.exporter.otlp-http.headers.a: Input should be a valid string",
        ),
    ],
)
def test_errors_name_the_key_and_leave_telemetry_off(text: str, expected: str) -> None:
    loaded = parse_config_text(PATH, 'model = "gpt-5.1-codex"\n' + text)
    (warning,) = loaded.warnings
    assert expected in warning and warning.endswith("; telemetry is off"), warning
    assert loaded.usable and loaded.config.model == "gpt-5.1-codex"  # the rest applies
    assert otel_config(loaded.config) is None
    assert not create_sink(loaded.config).enabled


def test_unknown_keys_are_kept_and_warned_about() -> None:
    warnings = _warnings(
        "[otel]\n"
        'trace_exporter = "none"\n'
        '[otel.exporter.otlp-http]\nendpoint = "http://c/v1/logs"\ntls = { ca-certificate = "x" }\n'
    )
    assert warnings == [
        f"{PATH}: line 3: unknown key `otel.trace_exporter` (kept, ignored)",
        f"{PATH}: line 6: unknown key `otel.exporter.otlp-http.tls` (kept, ignored)",
    ]


def test_none_and_no_table_are_off() -> None:
    for text in ("", '[otel]\nexporter = "none"\n', '[otel]\nenvironment = "prod"\n'):
        loaded = parse_config_text(PATH, text)
        assert loaded.warnings == []
        assert not create_sink(loaded.config).enabled


def test_a_config_write_that_breaks_otel_is_refused_naming_the_key(tmp_path: Path) -> None:
    from codex_lsp.core.config.service import ConfigService
    from codex_lsp.core.config.writer import ConfigEdit, ConfigWriteError

    service = ConfigService(tmp_path)
    service.write([ConfigEdit("otel.exporter.otlp-grpc.endpoint", "http://127.0.0.1:4317")], None)
    assert otel_config(service.loaded.config) is not None
    with pytest.raises(ConfigWriteError, match=r"otel\.exporter\.otlp-grpc\.endpoint"):
        service.write([ConfigEdit("otel.exporter.otlp-grpc.endpoint", "127.0.0.1:4317")], None)
    assert "http://127.0.0.1:4317" in (tmp_path / "config.toml").read_text()
