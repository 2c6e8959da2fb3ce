"""Start-up does not pay for telemetry: without an exporter in `[otel]`, neither the
server nor `exec` loads the OpenTelemetry SDK, its exporters, grpc or protobuf (`--help`
neither). (The OpenTelemetry *API* is not counted: the `mcp` SDK uses it.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HEAVY = ("opentelemetry", "grpc", "google")

_LOADED = f"import sys; print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}))"


def _python(code: str, home: Path) -> str:
    env = {"CODEX_HOME": str(home), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=env,
    )
    return done.stdout.strip().splitlines()[-1]


def test_help_loads_no_telemetry_library() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "codex_lsp", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line]
    assert imported, done.stderr[-500:]
    assert not [m for m in imported if m.startswith(HEAVY)]


def test_a_server_and_exec_without_an_exporter_load_none(tmp_path: Path) -> None:
    for config in ("", '[otel]\nenvironment = "prod"\nexporter = "none"\n'):
        (tmp_path / "config.toml").write_text(config)
        server = (
            "from pathlib import Path; from codex_lsp.server.app import create_server; "
            f"s = create_server(Path({str(tmp_path)!r})); "
            "assert not s.session.telemetry.enabled; "
        )
        assert _python(server + _LOADED, tmp_path) == "[]"
        cli = (
            "import codex_lsp.cli.exec_run, codex_lsp.cli.session; "
            "from pathlib import Path; "
            "from codex_lsp.core.config.loader import load_config; "
            "from codex_lsp.core.telemetry import create_sink; "
            f"config = load_config(Path({str(tmp_path)!r})).config; "
            "assert not create_sink(config).enabled; "
        )
        assert _python(cli + _LOADED, tmp_path) == "[]"


def test_an_exporter_loads_the_sdk_with_the_first_event(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        '[otel.exporter.otlp-grpc]\nendpoint = "http://127.0.0.1:9"\n'
    )
    start = (
        "import sys, threading; from pathlib import Path; "
        "from codex_lsp.server.app import create_server; "
        "from codex_lsp.core.config.settings import ThreadRequest; "
        f"s = create_server(Path({str(tmp_path)!r})); "
        "assert s.session.telemetry.enabled; "
    )
    assert _python(start + _LOADED, tmp_path) == "[]"  # enabled, nothing loaded yet
    first_event = (
        "s.session.telemetry.conversation_starts('t', s.session.resolve(ThreadRequest())); "
        "setup = [t for t in threading.enumerate() if t.name == 'otel-setup']; "
        "setup[0].join(30); "
        "s.session.telemetry.shutdown(1.0); "
    )
    assert _python(start + first_event + _LOADED, tmp_path) == str(sorted(HEAVY))
