"""The event catalog: the log events codex-lsp sends to an OpenTelemetry collector, the
metadata every event carries, and each event's own attributes (PROTOCOL.md, "Telemetry").

Names follow Codex's `[otel]` events so a collector set up for Codex reads these too.
`docs/TELEMETRY.md` describes each attribute; a test keeps the two in step.
"""

from __future__ import annotations

from typing import Literal

CONVERSATION_STARTS = "codex.conversation_starts"
API_REQUEST = "codex.api_request"
SSE_EVENT = "codex.sse_event"
USER_PROMPT = "codex.user_prompt"
TOOL_DECISION = "codex.tool_decision"
TOOL_RESULT = "codex.tool_result"

# Log record attributes of every event (`auth_mode` only when known).
METADATA: tuple[str, ...] = (
    "event.name",
    "event.timestamp",
    "conversation.id",
    "app.version",
    "auth_mode",
    "terminal.type",
    "model",
    "slug",
)

# Each event's own attributes; one whose value is unknown or does not apply is left out
# (OpenTelemetry attributes have no null).
ATTRIBUTES: dict[str, tuple[str, ...]] = {
    CONVERSATION_STARTS: (
        "provider_name",
        "reasoning_effort",
        "reasoning_summary",
        "context_window",
        "approval_policy",
        "sandbox_policy",
        "mcp_servers",
    ),
    API_REQUEST: ("attempt", "duration_ms", "http.response.status_code", "error.message"),
    SSE_EVENT: (
        "event.kind",
        "duration_ms",
        "error.message",
        "input_token_count",
        "output_token_count",
        "cached_token_count",
        "reasoning_token_count",
        "tool_token_count",
    ),
    USER_PROMPT: ("prompt_length", "prompt"),
    TOOL_DECISION: ("tool_name", "call_id", "decision", "source"),
    TOOL_RESULT: ("tool_name", "call_id", "arguments", "duration_ms", "success", "output"),
}

EVENTS: tuple[str, ...] = tuple(ATTRIBUTES)

# The resource every record is sent with (besides what the OpenTelemetry SDK adds).
SERVICE_NAME = "codex-lsp"
RESOURCE_KEYS: tuple[str, ...] = ("service.name", "service.version", "env")

Decision = Literal["approved", "approved_for_session", "denied", "abort"]
DecisionSource = Literal["config", "user"]

# What a `prompt` attribute holds unless `log_user_prompt = true`.
REDACTED_PROMPT = "[REDACTED]"

# Free text (tool arguments and output, error messages, prompts) is bounded to this many
# UTF-8 bytes per attribute (head and tail kept).
MAX_TEXT_BYTES = 16 * 1024
