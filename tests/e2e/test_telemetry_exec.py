"""`codex-lsp exec` sends the same events as the server: a real run against the mock model
with a tool call, exported to a real OTLP/HTTP receiver when the run ends."""

from __future__ import annotations

import json
import os
from pathlib import Path

from codex_lsp.core.telemetry import catalog
from codex_lsp.mock_model import MockModelServer, text_response, tool_call_response
from tests.e2e.test_cli import _run
from tests.lsp_client import mock_config
from tests.telemetry.collectors import HttpCollector, running
from tests.telemetry.helpers import (
    API_KEY,
    OTLP_TOKEN,
    TOOL_SECRET,
    assert_no_secret,
    assert_well_formed,
    attributes,
    otel_toml,
    server_env,
)


async def test_exec_sends_the_catalog(
    codex_home: Path, workspace: Path, mock_model: MockModelServer
) -> None:
    async with running(HttpCollector()) as collector:
        extra = otel_toml("otlp-http", collector.endpoint)
        (codex_home / "config.toml").write_text(mock_config(mock_model.url, extra=extra))
        mock_model.enqueue(
            tool_call_response("shell", {"command": ["echo", TOOL_SECRET]}, call_id="call_echo"),
            text_response("Printed it."),
        )
        env = {
            **os.environ,
            "CODEX_HOME": str(codex_home),
            "TERM_PROGRAM": "TestTerm",
            "TERM_PROGRAM_VERSION": "2.1",
            **server_env(),  # the batch delay is long: only the flush at exit sends
        }
        result = await _run("exec", "--json", "print the token", env=env, cwd=workspace)
        assert result.returncode == 0, result.stderr
        # The run is over: everything was sent before the process exited.
        records = collector.records
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    started = next(x for x in lines if x["method"] == "codex/thread/started")
    thread_id = started["params"]["thread"]["id"]
    assert {r.name for r in records} == set(catalog.EVENTS)
    assert_well_formed(records, thread_id, "TestTerm/2.1")
    assert_no_secret(collector.exports, records, API_KEY, OTLP_TOKEN, TOOL_SECRET)
    assert all(e.headers["x-otlp-api-key"] == OTLP_TOKEN for e in collector.exports)
    (decision,) = attributes(records, catalog.TOOL_DECISION)
    assert (decision["call_id"], decision["decision"], decision["source"]) == (
        "call_echo",
        "approved",
        "config",
    )
    (result_event,) = attributes(records, catalog.TOOL_RESULT)
    assert result_event["success"] == "true" and "[REDACTED]" in result_event["output"]
    (prompt,) = attributes(records, catalog.USER_PROMPT)
    assert prompt["prompt"] == "[REDACTED]" and prompt["prompt_length"] == len("print the token")
    assert len(attributes(records, catalog.API_REQUEST)) == 2
