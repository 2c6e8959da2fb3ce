"""Real OTLP receivers on 127.0.0.1 for the telemetry tests, and collectors that are down.

- `HttpCollector`: OTLP/HTTP, `POST /v1/logs` with an `ExportLogsServiceRequest` in
  protobuf (`application/x-protobuf`) or OTLP/JSON (`application/json`), decoded with
  `opentelemetry-proto`; the headers of every request are kept.
- `GrpcCollector`: OTLP/gRPC, `LogsService.Export` on a grpcio server; the metadata of
  every call is kept.
- `refusing_endpoint()`: a bound port that never accepts (connections are refused);
  `SilentCollector`: accepts connections and never answers.

`Record` is one decoded log record with its resource; `records_of(exports)` flattens
what a collector received.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import socket
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import grpc  # type: ignore[import-untyped]
from aiohttp import web
from google.protobuf import json_format  # type: ignore[import-untyped]
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

TIMEOUT = 15.0


def any_value(value: AnyValue) -> Any:
    """An OTLP `AnyValue` as a plain Python value."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [any_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: any_value(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, kind)


@dataclass
class Record:
    """One log record as the collector got it."""

    attributes: dict[str, Any]
    resource: dict[str, Any]
    body: Any
    event_name: str
    severity_text: str
    time_unix_nano: int

    @property
    def name(self) -> str:
        """The `event.name` attribute."""
        return str(self.attributes.get("event.name"))


@dataclass
class Export:
    """One export request: its headers (or gRPC metadata) and its content."""

    headers: dict[str, str]
    request: logs_service_pb2.ExportLogsServiceRequest
    content_type: str = ""


def records_of(exports: list[Export]) -> list[Record]:
    """Every log record of `exports`, in order received."""
    out: list[Record] = []
    for export in exports:
        for resource_logs in export.request.resource_logs:
            resource = {a.key: any_value(a.value) for a in resource_logs.resource.attributes}
            for scope_logs in resource_logs.scope_logs:
                for rec in scope_logs.log_records:
                    out.append(
                        Record(
                            attributes={a.key: any_value(a.value) for a in rec.attributes},
                            resource=resource,
                            body=any_value(rec.body),
                            event_name=rec.event_name,
                            severity_text=rec.severity_text,
                            time_unix_nano=rec.time_unix_nano,
                        )
                    )
    return out


@dataclass
class _Received:
    exports: list[Export] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, export: Export) -> None:
        self.exports.append(export)
        self.changed.set()

    @property
    def records(self) -> list[Record]:
        return records_of(self.exports)

    async def wait_for(
        self, predicate: Callable[[list[Record]], bool], timeout: float = TIMEOUT
    ) -> list[Record]:
        """The records once `predicate(records)` holds (TimeoutError after `timeout`)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            records = self.records
            if predicate(records):
                return records
            remaining = deadline - loop.time()
            if remaining <= 0:
                names = sorted({r.name for r in records})
                raise TimeoutError(f"collector: condition not met in {timeout}s; got {names}")
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), remaining)


def _decompress(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    return body


class HttpCollector(_Received):
    """OTLP/HTTP logs receiver on a free loopback port."""

    def __init__(self) -> None:
        super().__init__()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def endpoint(self) -> str:
        """The full URL exporters are given (`/v1/logs` included)."""
        return f"http://127.0.0.1:{self.port}/v1/logs"

    async def _logs(self, request: web.Request) -> web.Response:
        body = _decompress(await request.read(), request.headers.get("content-encoding", ""))
        content_type = request.headers.get("content-type", "")
        message = logs_service_pb2.ExportLogsServiceRequest()
        if content_type.startswith("application/json"):
            json_format.Parse(body, message)
            reply = web.Response(body=b"{}", content_type="application/json")
        else:
            message.ParseFromString(body)
            answer = logs_service_pb2.ExportLogsServiceResponse().SerializeToString()
            reply = web.Response(body=answer, content_type="application/x-protobuf")
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.add(Export(headers, message, content_type))
        return reply

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/logs", self._logs)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


class _LogsService(logs_service_pb2_grpc.LogsServiceServicer):
    def __init__(self, received: _Received) -> None:
        self._received = received

    async def Export(
        self, request: logs_service_pb2.ExportLogsServiceRequest, context: Any
    ) -> logs_service_pb2.ExportLogsServiceResponse:
        metadata = {k.lower(): v for k, v in context.invocation_metadata()}
        self._received.add(Export(metadata, request, "application/grpc"))
        return logs_service_pb2.ExportLogsServiceResponse()


class GrpcCollector(_Received):
    """OTLP/gRPC logs receiver (grpcio, plaintext) on a free loopback port."""

    def __init__(self) -> None:
        super().__init__()
        self._server: Any = None
        self.port = 0

    @property
    def endpoint(self) -> str:
        """`http://` tells the exporter to use a plaintext channel."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = grpc.aio.server()
        logs_service_pb2_grpc.add_LogsServiceServicer_to_server(_LogsService(self), self._server)
        self.port = self._server.add_insecure_port("127.0.0.1:0")
        await self._server.start()

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.stop(grace=None)


@contextlib.asynccontextmanager
async def running(collector: HttpCollector | GrpcCollector) -> AsyncIterator[Any]:
    """A started collector, stopped afterwards."""
    await collector.start()
    try:
        yield collector
    finally:
        await collector.stop()


@contextlib.contextmanager
def refusing_endpoint() -> Iterator[int]:
    """A port bound on 127.0.0.1 that never listens: every connection is refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]
    finally:
        sock.close()


class SilentCollector:
    """Accepts connections on 127.0.0.1 and never reads or answers."""

    def __init__(self) -> None:
        self._server: asyncio.Server | None = None
        self._held: list[asyncio.StreamWriter] = []
        self.port = 0
        self.connections = 0

    async def _hold(self, _reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._held.append(writer)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._hold, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        for writer in self._held:
            writer.close()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)
