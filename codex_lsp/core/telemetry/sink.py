"""The telemetry sink: where the turn loop, the model client, the approval gate and the
tools report, and the one place that turns those reports into catalog events.

`TelemetrySink` belongs to a server (or an `exec` run); it is disabled unless `[otel]`
names an exporter, and then holds the export pipeline (`otlp.OtlpPipeline`, built on the
OpenTelemetry SDK, imported only then). `Conversation` is one thread's view of it: the
shared metadata bound once, one method per event of the catalog. Every string that may
carry user or tool text is bounded and redacted (`core.redact`) before it leaves.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from ... import __version__
from ...protocol.user_input import TextInput, UserInput
from ..redact import redact
from . import catalog as c

if TYPE_CHECKING:
    from ..config.model import CodexConfig
    from ..config.settings import ThreadSettings

log = logging.getLogger(__name__)

# An attribute value as OpenTelemetry takes it.
AttributeValue = str | int | float | bool

# How long closing the sink waits for the last events to reach the collector.
FLUSH_TIMEOUT_S = 5.0

_SANDBOX_NAMES = {
    "readOnly": "read-only",
    "workspaceWrite": "workspace-write",
    "dangerFullAccess": "danger-full-access",
}


class LogPipeline(Protocol):
    """Takes events out of the process (the OTLP pipeline; a list in unit tests)."""

    def emit(self, name: str, attributes: dict[str, AttributeValue], timestamp_ns: int) -> None:
        """Queue one event; never blocks on the network."""
        ...

    def shutdown(self, timeout: float) -> bool:
        """Send what is queued and stop, waiting at most `timeout` seconds; True when all
        was sent in time."""
        ...


def rfc3339(timestamp_ns: int) -> str:
    """`event.timestamp`: UTC, milliseconds, `Z` (as Codex writes it)."""
    moment = datetime.fromtimestamp(timestamp_ns / 1e9, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _text(value: str) -> str:
    """Free text as it may leave the process: bounded, then redacted."""
    # Not at import: the sandbox package (spawn, pty) would load with every server start.
    from ..sandbox.bounds import bounded_text

    return redact(bounded_text(value, c.MAX_TEXT_BYTES))


def prompt_text(inputs: Sequence[UserInput]) -> str:
    """What the user typed: the text inputs, concatenated (Codex's `user_prompt`)."""
    return "".join(i.text for i in inputs if isinstance(i, TextInput))


class Conversation:
    """One thread's events, with its metadata bound."""

    __slots__ = ("_emit", "_metadata", "log_user_prompt")

    def __init__(
        self,
        emit: Callable[[str, dict[str, AttributeValue], int], None],
        metadata: Mapping[str, AttributeValue],
        log_user_prompt: bool = False,
    ) -> None:
        self._emit = emit
        self._metadata = dict(metadata)
        self.log_user_prompt = log_user_prompt

    def event(
        self, name: str, attributes: Mapping[str, Any], timestamp_ns: int | None = None
    ) -> None:
        """Send one event: the metadata, then `attributes` without the `None` values."""
        now = time.time_ns() if timestamp_ns is None else timestamp_ns
        record: dict[str, AttributeValue] = {
            "event.name": name,
            "event.timestamp": rfc3339(now),
            **self._metadata,
        }
        for key, value in attributes.items():
            if value is not None:
                record[key] = value
        try:
            self._emit(name, record, now)
        except Exception:  # telemetry never fails a turn
            log.exception("telemetry: could not queue %s", name)

    # ---- the catalog -----------------------------------------------------------------

    def conversation_starts(self, settings: ThreadSettings, mcp_servers: Sequence[str]) -> None:
        """A thread was started or resumed."""
        self.event(
            c.CONVERSATION_STARTS,
            {
                "provider_name": settings.provider.name or settings.model_provider,
                "reasoning_effort": settings.reasoning_effort,
                "reasoning_summary": settings.reasoning_summary,
                "context_window": settings.model_context_window,
                "approval_policy": settings.approval_policy,
                "sandbox_policy": _SANDBOX_NAMES.get(settings.sandbox.type, settings.sandbox.type),
                "mcp_servers": ", ".join(mcp_servers),
            },
        )

    def api_request(
        self, attempt: int, duration_ms: int, status: int | None, error: str | None
    ) -> None:
        """One HTTP request to the model, answered (`status`) or failed (`error`)."""
        self.event(
            c.API_REQUEST,
            {
                "attempt": attempt,
                "duration_ms": duration_ms,
                "http.response.status_code": status,
                "error.message": _text(error) if error else None,
            },
        )

    def sse_event(
        self,
        kind: str | None,
        duration_ms: int,
        error: str | None = None,
        usage: Mapping[str, int | None] | None = None,
    ) -> None:
        """One event of the model's stream (`kind`: its type), or a stream that broke
        (`kind` None, `error` set). `usage`: the token counts of `response.completed`."""
        attributes: dict[str, Any] = {
            "event.kind": kind,
            "duration_ms": duration_ms,
            "error.message": _text(error) if error else None,
        }
        if usage:
            attributes.update(usage)
        self.event(c.SSE_EVENT, attributes)

    def user_prompt(self, text: str) -> None:
        """The user's input for a turn (`[REDACTED]` unless `log_user_prompt`)."""
        prompt = _text(text) if self.log_user_prompt else c.REDACTED_PROMPT
        self.event(c.USER_PROMPT, {"prompt_length": len(text), "prompt": prompt})

    def tool_decision(
        self,
        tool_name: str,
        call_id: str,
        decision: c.Decision,
        source: c.DecisionSource,
        timestamp_ns: int | None = None,
    ) -> None:
        """Whether a tool call ran, and who decided."""
        self.event(
            c.TOOL_DECISION,
            {"tool_name": tool_name, "call_id": call_id, "decision": decision, "source": source},
            timestamp_ns,
        )

    def tool_result(
        self,
        tool_name: str,
        call_id: str,
        arguments: str,
        duration_ms: int,
        success: bool,
        output: str,
    ) -> None:
        """A tool call's outcome: what the model gets back."""
        self.event(
            c.TOOL_RESULT,
            {
                "tool_name": tool_name,
                "call_id": call_id,
                "arguments": _text(arguments),
                "duration_ms": duration_ms,
                "success": "true" if success else "false",
                "output": _text(output),
            },
        )


def terminal_from_environment() -> str:
    """`terminal.type` for the command line: the terminal program (and version) the
    environment names, else `$TERM`."""
    program = os.environ.get("TERM_PROGRAM")
    if program:
        version = os.environ.get("TERM_PROGRAM_VERSION")
        return f"{program}/{version}" if version else program
    return os.environ.get("TERM") or "unknown"


def configured_mcp_servers(config: CodexConfig) -> list[str]:
    """The names of the enabled `[mcp_servers.<name>]`, sorted."""
    names = []
    for name, server in config.mcp_servers.items():
        enabled = (
            server.get("enabled", True)
            if isinstance(server, dict)
            else getattr(server, "enabled", True)
        )
        if enabled is not False:
            names.append(name)
    return sorted(names)


class TelemetrySink:
    """A server's telemetry (disabled without a pipeline: every method is then a no-op)."""

    def __init__(
        self,
        pipeline: LogPipeline | None = None,
        *,
        log_user_prompt: bool = False,
        terminal_type: Callable[[], str | None] = lambda: None,
        mcp_servers: Callable[[], Sequence[str]] = list,
    ) -> None:
        self._pipeline = pipeline
        self.log_user_prompt = log_user_prompt
        self._terminal_type = terminal_type
        self._mcp_servers = mcp_servers

    @property
    def enabled(self) -> bool:
        """Whether events leave the process."""
        return self._pipeline is not None

    def conversation(self, thread_id: str, settings: ThreadSettings) -> Conversation | None:
        """The events of one thread with its current settings (None when disabled)."""
        pipeline = self._pipeline
        if pipeline is None:
            return None
        provider = settings.provider
        metadata: dict[str, AttributeValue] = {
            "conversation.id": thread_id,
            "app.version": __version__,
            "terminal.type": self._terminal_type() or "unknown",
            "model": settings.model,
            "slug": settings.model,
        }
        if provider.env_key or provider.requires_openai_auth:
            metadata["auth_mode"] = "apiKey"
        return Conversation(pipeline.emit, metadata, self.log_user_prompt)

    def conversation_starts(self, thread_id: str, settings: ThreadSettings) -> None:
        """`codex.conversation_starts` for a thread started or resumed."""
        conversation = self.conversation(thread_id, settings)
        if conversation is not None:
            conversation.conversation_starts(settings, self._mcp_servers())

    def user_prompt(
        self, thread_id: str, settings: ThreadSettings, inputs: Sequence[UserInput]
    ) -> None:
        """`codex.user_prompt` for input the user gave a thread (a turn, or a steer)."""
        conversation = self.conversation(thread_id, settings)
        if conversation is not None:
            conversation.user_prompt(prompt_text(inputs))

    def shutdown(self, timeout: float = FLUSH_TIMEOUT_S) -> bool:
        """Send the last events and stop (blocks at most `timeout` seconds). Later events
        are dropped. True when everything was sent."""
        pipeline, self._pipeline = self._pipeline, None
        if pipeline is None:
            return True
        try:
            sent = pipeline.shutdown(timeout)
        except Exception:
            log.exception("telemetry: the last events could not be sent")
            return False
        if not sent:
            log.warning(
                "telemetry: the collector did not take the last events within %.0f s", timeout
            )
        return sent

    async def aclose(self, timeout: float = FLUSH_TIMEOUT_S) -> bool:
        """`shutdown` off the event loop."""
        if self._pipeline is None:
            return True
        return await asyncio.to_thread(self.shutdown, timeout)


def create_sink(
    config: CodexConfig,
    *,
    terminal_type: Callable[[], str | None] = lambda: None,
    mcp_servers: Callable[[], Sequence[str]] | None = None,
) -> TelemetrySink:
    """The sink `config`'s `[otel]` asks for: disabled (and nothing of OpenTelemetry
    loaded) unless an exporter is configured and valid (the config loader reports what is
    wrong with it)."""
    from ..config.model import otel_config

    otel = otel_config(config)
    exporter = otel.exporter if otel is not None else None
    if (
        otel is None
        or exporter is None
        or (exporter.otlp_http is None and exporter.otlp_grpc is None)
    ):
        return TelemetrySink()
    from .otlp import OtlpPipeline

    return TelemetrySink(
        OtlpPipeline(otel),
        log_user_prompt=otel.log_user_prompt,
        terminal_type=terminal_type,
        mcp_servers=mcp_servers or (lambda: configured_mcp_servers(config)),
    )
