"""OpenTelemetry log events (`[otel]`): Codex's event catalog, exported over OTLP/HTTP or
OTLP/gRPC to the collector a team already runs. Off by default.

- `catalog.py`: the event names, the metadata every event carries, each event's
  attributes (documented in `docs/TELEMETRY.md`).
- `sink.py`: `TelemetrySink` (one per server or `exec` run; `create_sink(config)`) and
  `Conversation` (one thread's events, metadata bound, redaction and bounds applied).
- `context.py`: `current()` / `reporting(conversation)`: the conversation a running turn
  reports to; `reports_tool_call` and `note_*`: a tool call's decision and result.
- `model_stream.py`: the model client's `codex.api_request` and `codex.sse_event`.
- `otlp.py`, `otlp_json.py`, `headers.py`: the export pipeline on the OpenTelemetry SDK
  (loaded only when an exporter is configured), `${VAR}` in headers.

Who reports what: the thread manager (`conversation_starts`, `user_prompt`, and it runs
each turn under `reporting`), the model client (`api_request`, `sse_event`), the approval
gate (the user's decisions), the tool registry (`tool_decision`, `tool_result`). The
server and the command line only create the sink and close it (the last flush).
"""

from __future__ import annotations

from .context import current, reporting
from .sink import Conversation, TelemetrySink, create_sink

__all__ = ["Conversation", "TelemetrySink", "create_sink", "current", "reporting"]
