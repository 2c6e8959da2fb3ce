"""The export pipeline: OpenTelemetry SDK logs, a batch processor, an OTLP exporter
(OTLP/HTTP protobuf or JSON, or OTLP/gRPC). Imported only when `[otel]` names one.

The SDK is loaded and the exporter built on a thread of its own when the first event comes
(a server that never starts a thread never loads it), so neither `initialize` nor a turn
waits for it; events sent meanwhile are kept (up to `MAX_EARLY`) and handed over once it is
ready. Events are queued in memory and exported by the SDK's
worker thread: a collector that is down or never answers costs a turn nothing, the queue
drops the oldest events when full. `shutdown` sends what is left, waiting at most the
time it is given, and at most `DOWN_FLUSH_S` when the last export failed (the SDK's own
exit hook is off: it would wait 30 s).
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from typing import TYPE_CHECKING, Any

from ... import __version__
from . import catalog as c
from .headers import expand_headers

if TYPE_CHECKING:
    from ..config.model import OtelConfig
    from .sink import AttributeValue

log = logging.getLogger(__name__)

# Events sent before the pipeline is ready are kept up to this many.
MAX_EARLY = 2048
# One export attempt gives up after this long (the collector never answers).
EXPORT_TIMEOUT_S = 5.0
# How often queued events are sent (the SDK's OTEL_BLRP_SCHEDULE_DELAY wins when set).
SCHEDULE_DELAY_MS = 1000
MAX_QUEUE_SIZE = 4096
MAX_BATCH_SIZE = 512
# The last flush waits at most this long for a collector that looks down: its last
# export failed, or the one running has taken longer than `SLOW_EXPORT_S`.
DOWN_FLUSH_S = 1.0
SLOW_EXPORT_S = 0.5


def describe(otel: OtelConfig) -> str:
    """Where events go, for the log."""
    if otel.exporter.otlp_http is not None:
        http = otel.exporter.otlp_http
        return f"OTLP/HTTP ({http.protocol}) to {http.endpoint}"
    assert otel.exporter.otlp_grpc is not None
    return f"OTLP/gRPC to {otel.exporter.otlp_grpc.endpoint}"


class _Watched:
    """An SDK exporter that notes whether its collector looks down."""

    def __init__(self, exporter: Any) -> None:
        self._exporter = exporter
        self._failing = False
        self._running_since: float | None = None

    @property
    def down(self) -> bool:
        """The last export failed, or the one running is taking long."""
        since = self._running_since
        return self._failing or (since is not None and time.monotonic() - since > SLOW_EXPORT_S)

    def export(self, batch: Any) -> Any:
        from opentelemetry.sdk._logs.export import LogRecordExportResult

        self._running_since = time.monotonic()
        try:
            result = self._exporter.export(batch)
        except Exception:
            self._failing = True
            raise
        finally:
            self._running_since = None
        self._failing = result != LogRecordExportResult.SUCCESS
        return result

    def force_flush(self, timeout_millis: int = 10_000) -> bool:
        return bool(self._exporter.force_flush(timeout_millis))

    def shutdown(self, timeout_millis: float = 30_000) -> None:
        try:
            self._exporter.shutdown(timeout_millis=timeout_millis)
        except TypeError:  # an exporter whose shutdown takes no timeout
            self._exporter.shutdown()


def _import_grpc_exporter() -> Any:
    """The OTLP/gRPC exporter class, with grpc's fork handlers off while it loads: every
    command the agent runs is a fork, which they would log about and slow down (the
    child execs at once). The variables are not left for those commands to inherit."""
    ours = {"GRPC_ENABLE_FORK_SUPPORT": "false", "GRPC_VERBOSITY": "ERROR"}
    added = [name for name in ours if name not in os.environ]
    for name in added:
        os.environ[name] = ours[name]
    try:
        from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
    finally:
        for name in added:
            os.environ.pop(name, None)
    return OTLPLogExporter


def _exporter(otel: OtelConfig) -> Any:
    """The SDK exporter `otel` names (its headers expanded)."""
    http, grpc = otel.exporter.otlp_http, otel.exporter.otlp_grpc
    configured = http.headers if http is not None else grpc.headers if grpc is not None else {}
    headers, problems = expand_headers(configured)
    for problem in problems:
        log.warning("telemetry: %s", problem)
    if http is not None and http.protocol == "json":
        from .otlp_json import OtlpJsonLogExporter

        return OtlpJsonLogExporter(http.endpoint, headers, EXPORT_TIMEOUT_S)
    if http is not None:
        from opentelemetry.exporter.otlp.proto.http._log_exporter import (
            OTLPLogExporter as HttpLogExporter,
        )

        return HttpLogExporter(endpoint=http.endpoint, headers=headers, timeout=EXPORT_TIMEOUT_S)
    assert grpc is not None
    exporter = _import_grpc_exporter()
    return exporter(endpoint=grpc.endpoint, headers=headers, timeout=EXPORT_TIMEOUT_S)


class OtlpPipeline:
    """Implements `sink.LogPipeline` with the OpenTelemetry SDK."""

    def __init__(self, otel: OtelConfig) -> None:
        self._otel = otel
        self._lock = threading.Lock()
        self._early: list[tuple[str, dict[str, AttributeValue], int]] = []
        self._dropped_early = 0
        self._logger: Any = None
        self._provider: Any = None
        self._info: Any = None  # SeverityNumber.INFO, once the SDK is loaded
        self._failed = False
        self._closed = False
        self._exporter: _Watched | None = None
        self._ready = threading.Thread(target=self._build, name="otel-setup", daemon=True)

    # ---- setting up ------------------------------------------------------------------

    def _build(self) -> None:
        try:
            from opentelemetry._logs import SeverityNumber
            from opentelemetry.sdk._logs import LoggerProvider
            from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
            from opentelemetry.sdk.resources import Resource

            resource = Resource.create(
                {
                    "service.name": c.SERVICE_NAME,
                    "service.version": __version__,
                    "env": self._otel.environment,
                }
            )
            provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
            delay = None if "OTEL_BLRP_SCHEDULE_DELAY" in os.environ else SCHEDULE_DELAY_MS
            exporter = _Watched(_exporter(self._otel))
            sdk_exporter: Any = exporter  # duck-typed as the SDK's LogRecordExporter
            provider.add_log_record_processor(
                BatchLogRecordProcessor(
                    sdk_exporter,
                    schedule_delay_millis=delay,
                    max_queue_size=MAX_QUEUE_SIZE,
                    max_export_batch_size=MAX_BATCH_SIZE,
                )
            )
            logger = provider.get_logger("codex-lsp", __version__)
        except Exception:
            log.exception("telemetry is off: the OpenTelemetry exporter could not be set up")
            with self._lock:
                self._failed = True
                self._early = []
            return
        # What the SDK import allocated lives as long as the process: out of the
        # collector's sight (as `lazy.importing` does for start-up imports), or every full
        # collection scans it again.
        gc.freeze()
        log.info("telemetry: events go %s", describe(self._otel))
        with self._lock:
            self._info = SeverityNumber.INFO
            self._provider = provider
            self._exporter = exporter
            self._logger = logger
            early, self._early = self._early, []
            if self._dropped_early:
                log.warning("telemetry: %d early events were dropped", self._dropped_early)
        for name, attributes, timestamp_ns in early:
            self._send(logger, name, attributes, timestamp_ns)

    # ---- events ----------------------------------------------------------------------

    def _send(
        self, logger: Any, name: str, attributes: dict[str, AttributeValue], timestamp_ns: int
    ) -> None:
        logger.emit(
            timestamp=timestamp_ns,
            observed_timestamp=timestamp_ns,
            severity_number=self._info,
            severity_text="INFO",
            body=name,
            attributes=attributes,
            event_name=name,
        )

    def emit(self, name: str, attributes: dict[str, AttributeValue], timestamp_ns: int) -> None:
        """Queue one event (kept for later while the SDK loads)."""
        logger = self._logger
        if logger is None:
            with self._lock:
                logger = self._logger
                if logger is None:
                    if self._failed or self._closed:
                        return
                    if not self._ready.is_alive() and self._ready.ident is None:
                        self._ready.start()
                    if len(self._early) < MAX_EARLY:
                        self._early.append((name, attributes, timestamp_ns))
                    else:
                        self._dropped_early += 1
                    return
        if not self._closed:
            self._send(logger, name, attributes, timestamp_ns)

    # ---- stopping --------------------------------------------------------------------

    def shutdown(self, timeout: float) -> bool:
        """Export what is queued, then stop; returns within about `timeout` seconds (an
        export still running then is left to the daemon thread), and at most
        `DOWN_FLUSH_S` after the collector looks down (before or while flushing)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            started = self._ready.ident is not None
            if not started:  # no event ever came: nothing loaded, nothing to send
                self._closed = True
                return True
        self._ready.join(timeout)
        with self._lock:
            provider = self._provider
            ready = provider is not None or self._failed
        if provider is None:
            self._closed = True
            return ready and not self._failed
        watched = self._exporter
        done = threading.Event()

        def stop() -> None:
            try:
                provider.shutdown()
            except Exception:
                log.exception("telemetry: stopping the exporter failed")
            finally:
                done.set()

        threading.Thread(target=stop, name="otel-shutdown", daemon=True).start()
        cut = False
        while not done.wait(min(0.05, max(0.0, deadline - time.monotonic()))):
            now = time.monotonic()
            if now >= deadline:
                break
            if not cut and watched is not None and watched.down:
                cut = True
                deadline = min(deadline, now + DOWN_FLUSH_S)
        self._closed = True
        return done.is_set()
