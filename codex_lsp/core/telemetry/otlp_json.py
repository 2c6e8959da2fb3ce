"""OTLP/HTTP with the JSON encoding (`protocol = "json"`), which the OpenTelemetry Python
exporters do not offer: the SDK's protobuf request, written as OTLP/JSON (lowerCamelCase
names, enums as numbers, ids in hex) and POSTed with the standard library.

Imported only when such an exporter is configured (it loads the OpenTelemetry SDK).
"""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

from google.protobuf import json_format  # type: ignore[import-untyped]
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult

log = logging.getLogger(__name__)


def _hex_ids(value: Any) -> None:
    """OTLP/JSON writes trace and span ids in hex, not protobuf JSON's base64."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("traceId", "spanId") and isinstance(item, str):
                value[key] = base64.b64decode(item).hex()
            else:
                _hex_ids(item)
    elif isinstance(value, list):
        for item in value:
            _hex_ids(item)


def to_otlp_json(batch: Sequence[ReadableLogRecord]) -> bytes:
    """An `ExportLogsServiceRequest` of `batch` in OTLP/JSON."""
    message = json_format.MessageToDict(encode_logs(batch), use_integers_for_enums=True)
    _hex_ids(message)
    return json.dumps(message, separators=(",", ":")).encode("utf-8")


class OtlpJsonLogExporter(LogRecordExporter):
    """POSTs each batch to `endpoint` once (no retry: a failed batch is dropped)."""

    def __init__(self, endpoint: str, headers: Mapping[str, str], timeout: float) -> None:
        self._endpoint = endpoint
        self._headers = {**headers, "content-type": "application/json"}
        self._timeout = timeout
        self._shutdown = False
        # Said once when sending starts failing, and once when it works again.
        self._failing = False

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        if self._shutdown:
            return LogRecordExportResult.FAILURE
        request = urllib.request.Request(
            self._endpoint, data=to_otlp_json(batch), headers=self._headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            return self._failed(f"the collector answered HTTP {exc.code}")
        except (OSError, ValueError) as exc:
            return self._failed(f"cannot reach the collector: {exc}")
        if self._failing:
            self._failing = False
            log.info("telemetry: events reach %s again", self._endpoint)
        return LogRecordExportResult.SUCCESS

    def _failed(self, why: str) -> LogRecordExportResult:
        if not self._failing:
            self._failing = True
            log.warning("telemetry: events are dropped: %s (%s)", why, self._endpoint)
        return LogRecordExportResult.FAILURE

    def force_flush(self, timeout_millis: int = 10_000) -> bool:
        return True

    def shutdown(self) -> None:
        self._shutdown = True
