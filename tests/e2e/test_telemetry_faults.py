"""Telemetry that cannot reach its collector costs a turn nothing, and stopping waits for it
only so long; SIGTERM still delivers the last events.

A collector that is down comes in two kinds (TESTING.md): a port that refuses every
connection, and one that accepts and never answers. The turn times are printed (the
benchmark measures them properly); the only bound asserted is a generous one that a
turn waiting on the exporter (5 s per attempt) could not meet.
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from codex_lsp.core.telemetry import catalog
from codex_lsp.mock_model import MockModelServer, text_response, tool_call_response
from tests.conftest import ClientFactory
from tests.lsp_client import CodexClient, mock_config
from tests.telemetry.collectors import (
    HttpCollector,
    SilentCollector,
    refusing_endpoint,
    running,
)
from tests.telemetry.helpers import named, otel_toml, server_env

TURNS = 3
# A turn may take this much longer with a dead collector (the contract says 500 ms; this
# bound only catches a turn that waits on the exporter).
SLACK_S = 2.0
# stop (3 s) + the last flush (5 s) + process start/exit slack.
EXIT_BOUND_S = 12.0


async def _turn_times(client: CodexClient, mock_model: MockModelServer) -> list[float]:
    thread_id = (await client.start_thread())["thread"]["id"]
    times = []
    for n in range(TURNS):
        mock_model.enqueue(
            tool_call_response("shell", {"command": ["echo", f"run {n}"]}, call_id=f"c{n}"),
            text_response(f"turn {n} done " * 20),
        )
        started = time.monotonic()
        turn = await client.turn(thread_id, f"turn {n}")
        times.append(time.monotonic() - started)
        assert turn["status"] == "completed", turn
    return times


@asynccontextmanager
async def _down(kind: str) -> AsyncIterator[int]:
    """The port of a collector that is down in the way `kind` says."""
    if kind == "refused":
        with refusing_endpoint() as port:
            yield port
        return
    silent = SilentCollector()
    await silent.start()
    try:
        yield silent.port
    finally:
        await silent.stop()


async def test_a_collector_that_is_down_slows_no_turn(
    make_client: ClientFactory, mock_model: MockModelServer, codex_home: Path, tmp_path: Path
) -> None:
    baseline_client = await make_client(env=server_env())
    baseline = statistics.median(await _turn_times(baseline_client, mock_model))
    print(f"\ntelemetry off: median turn {baseline * 1000:.0f} ms")
    for exporter in ("otlp-http", "otlp-grpc"):
        for fault in ("refused", "silent"):
            async with _down(fault) as port:
                endpoint = f"http://127.0.0.1:{port}" + (
                    "/v1/logs" if exporter == "otlp-http" else ""
                )
                home = tmp_path / f"home-{exporter}-{fault}"
                home.mkdir()
                extra = otel_toml(exporter, endpoint)
                (home / "config.toml").write_text(mock_config(mock_model.url, extra=extra))
                # Exports are tried every 50 ms, so they fail while the turns run.
                client = await make_client(home=home, env=server_env(OTEL_BLRP_SCHEDULE_DELAY="50"))
                down = statistics.median(await _turn_times(client, mock_model))
                started = time.monotonic()
                await client.stop()
                exit_s = time.monotonic() - started
            print(
                f"{exporter} collector {fault}: median turn {down * 1000:.0f} ms "
                f"({(down - baseline) * 1000:+.0f} ms), stop + last flush {exit_s:.1f} s"
            )
            assert down <= baseline + SLACK_S, (exporter, fault, down, baseline)
            assert exit_s <= EXIT_BOUND_S, (exporter, fault, exit_s)


@pytest.mark.parametrize("exporter", ["otlp-http", "otlp-grpc"])
async def test_sigterm_flushes_the_last_events(
    make_client: ClientFactory, mock_model: MockModelServer, codex_home: Path, exporter: str
) -> None:
    from tests.telemetry.collectors import GrpcCollector

    collector = HttpCollector() if exporter == "otlp-http" else GrpcCollector()
    async with running(collector):
        extra = otel_toml(exporter, collector.endpoint)
        (codex_home / "config.toml").write_text(mock_config(mock_model.url, extra=extra))
        client = await make_client(env=server_env())  # batch delay: 10 minutes
        thread_id = (await client.start_thread())["thread"]["id"]
        mock_model.enqueue(text_response("before the signal"))
        assert (await client.turn(thread_id, "hello"))["status"] == "completed"
        assert not collector.exports
        server = client.lc._server
        assert server is not None
        os.kill(server.pid, signal.SIGTERM)
        await asyncio.wait_for(server.wait(), EXIT_BOUND_S)
        records = await collector.wait_for(lambda rs: bool(named(rs, catalog.SSE_EVENT)))
    names = {r.name for r in records}
    assert {catalog.CONVERSATION_STARTS, catalog.USER_PROMPT, catalog.API_REQUEST} <= names
    assert all(r.attributes["conversation.id"] == thread_id for r in records)
