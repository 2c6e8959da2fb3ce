"""OTLP/HTTP with the JSON encoding (`protocol = "json"`), which the OpenTelemetry Python
exporters do not offer: the batch written as an OTLP/JSON `ExportLogsServiceRequest`
(lowerCamelCase names, enums as numbers, 64-bit integers as strings, ids in hex) and
POSTed with the standard library.

The JSON is built directly from the records: going through the protobuf message and
`json_format` costs three times as much, in the export thread, holding the interpreter
lock while the turn streams. Imported only when such an exporter is configured.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult

log = logging.getLogger(__name__)


def _value(value: Any) -> dict[str, Any]:
    """An OTLP/JSON `AnyValue`."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, Mapping):
        return {"kvlistValue": {"values": _attributes(value)}}
    if isinstance(value, Sequence) and not isinstance(value, bytes):
        return {"arrayValue": {"values": [_value(v) for v in value]}}
    if value is None:
        return {}
    return {"stringValue": str(value)}


def _attributes(attributes: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    return [{"key": str(k), "value": _value(v)} for k, v in (attributes or {}).items()]


def _record(readable: ReadableLogRecord) -> dict[str, Any]:
    record = readable.log_record
    out: dict[str, Any] = {
        "timeUnixNano": str(record.timestamp or 0),
        "observedTimeUnixNano": str(record.observed_timestamp or 0),
        "attributes": _attributes(record.attributes),
    }
    if record.severity_number is not None:
        out["severityNumber"] = record.severity_number.value
    if record.severity_text:
        out["severityText"] = record.severity_text
    if record.body is not None:
        out["body"] = _value(record.body)
    if record.event_name:
        out["eventName"] = record.event_name
    if record.trace_id:
        out["traceId"] = f"{record.trace_id:032x}"
        out["spanId"] = f"{record.span_id:016x}"
        out["flags"] = int(record.trace_flags or 0)
    if readable.dropped_attributes:
        out["droppedAttributesCount"] = readable.dropped_attributes
    return out


def to_otlp_json(batch: Sequence[ReadableLogRecord]) -> bytes:
    """An `ExportLogsServiceRequest` of `batch` in OTLP/JSON."""
    grouped: dict[Any, dict[Any, list[dict[str, Any]]]] = {}
    for readable in batch:
        scopes = grouped.setdefault(readable.resource, {})
        scopes.setdefault(readable.instrumentation_scope, []).append(_record(readable))
    resource_logs = []
    for resource, scopes in grouped.items():
        scope_logs = []
        for scope, records in scopes.items():
            entry: dict[str, Any] = {"logRecords": records}
            if scope is not None:
                entry["scope"] = {"name": scope.name, "version": scope.version or ""}
                if scope.schema_url:
                    entry["schemaUrl"] = scope.schema_url
            scope_logs.append(entry)
        item: dict[str, Any] = {
            "resource": {"attributes": _attributes(resource.attributes if resource else None)},
            "scopeLogs": scope_logs,
        }
        if resource is not None and resource.schema_url:
            item["schemaUrl"] = resource.schema_url
        resource_logs.append(item)
    return json.dumps({"resourceLogs": resource_logs}, separators=(",", ":")).encode("utf-8")


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
