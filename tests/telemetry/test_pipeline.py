"""The OTLP pipeline on its own: events sent before the SDK finished loading arrive, the
resource is the contract's, the last flush is bounded (and short for a collector that is
down), nothing is sent after it, and a pipeline that cannot be built drops quietly."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from codex_lsp.core.config.model import OtelConfig
from codex_lsp.core.telemetry import otlp
from codex_lsp.core.telemetry.otlp import OtlpPipeline
from tests.telemetry.collectors import HttpCollector, SilentCollector, refusing_endpoint, running


def _pipeline(endpoint: str, protocol: str = "binary", environment: str = "ci") -> OtlpPipeline:
    return OtlpPipeline(
        OtelConfig.model_validate(
            {
                "environment": environment,
                "exporter": {"otlp-http": {"endpoint": endpoint, "protocol": protocol}},
            }
        )
    )


async def _shutdown(pipeline: OtlpPipeline, timeout: float) -> tuple[bool, float]:
    started = time.monotonic()
    done = await asyncio.wait_for(asyncio.to_thread(pipeline.shutdown, timeout), timeout + 10)
    return done, time.monotonic() - started


@pytest.mark.parametrize("protocol", ["binary", "json"])
async def test_early_events_arrive_with_the_resource(protocol: str) -> None:
    async with running(HttpCollector()) as collector:
        pipeline = _pipeline(collector.endpoint, protocol)
        for n in range(3):  # at once: the SDK is still loading on its thread
            pipeline.emit("codex.test", {"event.name": "codex.test", "n": n}, time.time_ns())
        done, _ = await _shutdown(pipeline, 5)
        assert done
        records = await collector.wait_for(lambda rs: len(rs) == 3)
        pipeline.emit("codex.test", {"event.name": "codex.test", "n": 99}, time.time_ns())
    assert [r.attributes["n"] for r in records] == [0, 1, 2]
    assert {r.event_name for r in records} == {"codex.test"}
    resource = records[0].resource
    assert (resource["service.name"], resource["env"]) == ("codex-lsp", "ci")
    assert len(collector.exports) == 1  # one batch; the event after shutdown is dropped


async def test_the_last_flush_is_bounded_when_the_collector_never_answers() -> None:
    silent = SilentCollector()
    await silent.start()
    try:
        pipeline = _pipeline(f"http://127.0.0.1:{silent.port}/v1/logs")
        pipeline.emit("codex.test", {"n": 1}, time.time_ns())
        done, took = await _shutdown(pipeline, 2.0)
    finally:
        await silent.stop()
    print(f"\nflush to a collector that never answers: {took:.2f} s (bound 2 s)")
    assert not done and took < 2.0 + 2.0  # generous: the exporter's 5 s fails it
    assert silent.connections >= 1


async def test_a_collector_already_known_down_gets_a_short_flush(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_BLRP_SCHEDULE_DELAY", "20")
    with refusing_endpoint() as port:
        pipeline = _pipeline(f"http://127.0.0.1:{port}/v1/logs")
        pipeline.emit("codex.test", {"n": 1}, time.time_ns())
        # The first export fails and retries: the collector looks down soon.
        deadline = time.monotonic() + 10
        while not (pipeline._exporter is not None and pipeline._exporter.down):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        _done, took = await _shutdown(pipeline, 5.0)
    print(f"\nflush to a collector that refuses: {took:.2f} s (bound {otlp.DOWN_FLUSH_S} s)")
    assert took < otlp.DOWN_FLUSH_S + 2.0  # generous: a 5 s wait fails it


async def test_a_pipeline_that_cannot_be_built_drops_events(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(_otel: Any) -> Any:
        raise RuntimeError("no exporter today")

    monkeypatch.setattr(otlp, "_exporter", broken)
    pipeline = _pipeline("http://127.0.0.1:9/v1/logs")
    pipeline.emit("codex.test", {"n": 1}, time.time_ns())  # starts the (failing) setup
    done, took = await _shutdown(pipeline, 5.0)
    assert not done and took < 5.0
    pipeline.emit("codex.test", {"n": 2}, time.time_ns())  # dropped, no error
    assert pipeline._early == []


async def test_a_pipeline_without_events_loads_nothing_and_stops_at_once() -> None:
    pipeline = _pipeline("http://127.0.0.1:9/v1/logs")
    done, took = await _shutdown(pipeline, 5.0)
    assert done and took < 3.0  # no waiting at all; generous for a busy machine
    assert pipeline._ready.ident is None


def test_the_json_encoding_is_what_protobuf_reads() -> None:
    """The hand-built OTLP/JSON equals the SDK's protobuf request, field for field."""
    from google.protobuf import json_format  # type: ignore[import-untyped]
    from opentelemetry._logs import SeverityNumber
    from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
    from opentelemetry.sdk.resources import Resource

    from codex_lsp.core.telemetry.otlp_json import to_otlp_json

    memory = InMemoryLogRecordExporter()
    provider = LoggerProvider(resource=Resource.create({"env": "ci"}), shutdown_on_exit=False)
    provider.add_log_record_processor(SimpleLogRecordProcessor(memory))
    logger = provider.get_logger("codex-lsp", "1.2.3")
    for n in range(3):
        logger.emit(
            timestamp=1_700_000_000_123_456_789 + n,
            observed_timestamp=1_700_000_000_123_456_789,
            severity_number=SeverityNumber.INFO,
            severity_text="INFO",
            body="codex.test",
            attributes={"s": "text", "i": 2**40 + n, "b": False, "f": 0.25, "l": ["a", "b"]},
            event_name="codex.test",
        )
    batch = memory.get_finished_logs()
    parsed = json_format.Parse(to_otlp_json(batch), ExportLogsServiceRequest())
    assert parsed == encode_logs(batch)
    provider.shutdown()
