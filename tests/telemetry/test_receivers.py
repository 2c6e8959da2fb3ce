"""The test receivers, proven with the OpenTelemetry SDK's own OTLP exporters before any
test trusts them (TESTING.md): what the SDK sends is what they decode, headers included."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import (
    OTLPLogExporter as GrpcLogExporter,
)
from opentelemetry.exporter.otlp.proto.http._log_exporter import (
    OTLPLogExporter as HttpLogExporter,
)
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource

from tests.telemetry.collectors import GrpcCollector, HttpCollector, running


def _send_one(exporter: Any) -> None:
    """Emit one record through the SDK, synchronously exported."""
    provider = LoggerProvider(
        resource=Resource.create({"service.name": "proof", "env": "test"}),
        shutdown_on_exit=False,
    )
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    provider.get_logger("proof").emit(
        severity_number=SeverityNumber.INFO,
        body="hello",
        attributes={"event.name": "proof.event", "count": 3, "ok": True, "ratio": 0.5},
        event_name="proof.event",
    )
    provider.shutdown()


def _check(collector: HttpCollector | GrpcCollector) -> None:
    ((record,),) = [[r] for r in collector.records]
    assert record.name == "proof.event" and record.event_name == "proof.event"
    assert record.body == "hello" and record.severity_text == ""
    assert record.attributes == {"event.name": "proof.event", "count": 3, "ok": True, "ratio": 0.5}
    assert record.resource["service.name"] == "proof" and record.resource["env"] == "test"
    assert record.time_unix_nano == 0 or record.time_unix_nano > 1_600_000_000 * 10**9
    (export,) = collector.exports
    assert export.headers["x-proof"] == "header-value"


@pytest.mark.parametrize("kind", ["http", "grpc"])
async def test_collector_decodes_what_the_sdk_exporter_sends(kind: str) -> None:
    collector = HttpCollector() if kind == "http" else GrpcCollector()
    async with running(collector):
        sdk_exporter = HttpLogExporter if kind == "http" else GrpcLogExporter
        exporter = sdk_exporter(
            endpoint=collector.endpoint, headers={"x-proof": "header-value"}, timeout=10
        )
        await asyncio.wait_for(asyncio.to_thread(_send_one, exporter), 20)
        _check(collector)
        wanted = "application/x-protobuf" if kind == "http" else "application/grpc"
        assert collector.exports[0].content_type == wanted
