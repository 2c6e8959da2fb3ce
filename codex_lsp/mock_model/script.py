"""Script models for the mock model server.

A :class:`MockResponse` describes what the mock answers to ONE model request (either wire).
All models are pydantic v2 and JSON-serializable, so scripts can be written as JSON files or
POSTed to the control API (``POST /_mock/enqueue``).
"""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

__all__ = [
    "ContextLengthExceededFault",
    "CustomToolCallItem",
    "CutAfterEventsFault",
    "FunctionCallItem",
    "HttpErrorFault",
    "MessageItem",
    "MockFault",
    "MockItem",
    "MockResponse",
    "MockUsage",
    "ReasoningItem",
    "ResolvedUsage",
    "WebSearchCallItem",
    "estimate_tokens",
    "load_script",
    "new_call_id",
    "parse_script",
    "split_chunks",
    "split_fixed",
]

_WORDS_PER_CHUNK = 3
_CHARS_PER_CHUNK = 12
_WORD_RE = re.compile(r"\s*\S+")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MessageItem(_Model):
    """An assistant message, streamed as ``output_text`` deltas (chat: ``delta.content``).

    ``chunks`` (if given) are the exact deltas and must concatenate to ``text``; otherwise the
    text is split deterministically into deltas of a few words (see :func:`split_chunks`).
    ``timestamp_deltas`` (benchmark mode, see ``timestamped_deltas``) replaces text/chunks with
    that many deltas of the form ``<t=MONOTONIC_NS>`` stamped right before each write.
    """

    type: Literal["message"] = "message"
    text: str = ""
    chunks: list[str] | None = None
    timestamp_deltas: int | None = Field(default=None, ge=0)
    id: str | None = None

    def deltas(self) -> list[str]:
        """The deltas to stream for this message (not used in ``timestamp_deltas`` mode)."""
        return list(self.chunks) if self.chunks is not None else split_chunks(self.text)

    def final_text(self) -> str:
        """The complete text (the concatenation of the deltas)."""
        return "".join(self.chunks) if self.chunks is not None else self.text


class ReasoningItem(_Model):
    """A reasoning item: summary parts plus optional raw reasoning content.

    On the Responses wire the summary parts are streamed as ``reasoning_summary_*`` events and
    the raw content as ``reasoning_text`` events. On the chat wire the raw content (or, if
    there is none, the summary parts) is streamed as ``delta.reasoning``.
    """

    type: Literal["reasoning"] = "reasoning"
    summary: list[str] = Field(default_factory=list)
    content: list[str] = Field(default_factory=list)
    encrypted_content: str | None = None
    id: str | None = None


class FunctionCallItem(_Model):
    """A function tool call; ``arguments`` is a JSON string streamed as argument deltas."""

    type: Literal["function_call"] = "function_call"
    name: str
    arguments: str = "{}"
    call_id: str = Field(default_factory=lambda: new_call_id())
    id: str | None = None


class CustomToolCallItem(_Model):
    """A custom (freeform) tool call; ``input`` is streamed as input deltas."""

    type: Literal["custom_tool_call"] = "custom_tool_call"
    name: str
    input: str = ""
    call_id: str = Field(default_factory=lambda: new_call_id())
    id: str | None = None


class WebSearchCallItem(_Model):
    """A search made with the hosted ``web_search`` tool (Responses wire only; the chat wire
    has no such item and skips it). ``action`` overrides the default
    ``{"type": "search", "query": query}``."""

    type: Literal["web_search_call"] = "web_search_call"
    query: str = ""
    action: dict[str, Any] | None = None
    id: str | None = None

    def done_action(self) -> dict[str, Any]:
        """The ``action`` of the done item."""
        return self.action if self.action is not None else {"type": "search", "query": self.query}


MockItem = Annotated[
    MessageItem | ReasoningItem | FunctionCallItem | CustomToolCallItem | WebSearchCallItem,
    Field(discriminator="type"),
]


class HttpErrorFault(_Model):
    """Answer with this HTTP status and JSON body instead of a stream.

    ``body=None`` means an OpenAI-style ``{"error": {...}}`` body chosen from the status.
    """

    type: Literal["http_error"] = "http_error"
    status: int = Field(ge=400, le=599)
    body: dict[str, Any] | None = None
    headers: dict[str, str] = Field(default_factory=dict)


class ContextLengthExceededFault(_Model):
    """Responses: 200 stream ``response.created`` + ``response.failed``; chat: HTTP 400."""

    type: Literal["context_length_exceeded"] = "context_length_exceeded"


class CutAfterEventsFault(_Model):
    """Send that many SSE events, then abruptly close the connection (no completion)."""

    type: Literal["cut_after_events"] = "cut_after_events"
    events: int = Field(ge=0)


MockFault = Annotated[
    HttpErrorFault | ContextLengthExceededFault | CutAfterEventsFault,
    Field(discriminator="type"),
]


class MockUsage(_Model):
    """Token usage to report; any field left as ``None`` is computed (see ``resolve``)."""

    input_tokens: int | None = None
    cached_input_tokens: int | None = None
    output_tokens: int | None = None
    reasoning_output_tokens: int | None = None
    total_tokens: int | None = None

    def resolve(
        self, *, input_estimate: int, output_estimate: int, reasoning_estimate: int
    ) -> ResolvedUsage:
        """Fill unset fields: output includes reasoning; total = input + output."""
        reasoning = (
            self.reasoning_output_tokens
            if self.reasoning_output_tokens is not None
            else reasoning_estimate
        )
        output = (
            self.output_tokens if self.output_tokens is not None else output_estimate + reasoning
        )
        inp = self.input_tokens if self.input_tokens is not None else input_estimate
        cached = self.cached_input_tokens if self.cached_input_tokens is not None else 0
        total = self.total_tokens if self.total_tokens is not None else inp + output
        return ResolvedUsage(
            input_tokens=inp,
            cached_input_tokens=cached,
            output_tokens=output,
            reasoning_output_tokens=reasoning,
            total_tokens=total,
        )


class ResolvedUsage(_Model):
    """Fully-resolved token usage (every field set)."""

    input_tokens: int
    cached_input_tokens: int
    output_tokens: int
    reasoning_output_tokens: int
    total_tokens: int

    def responses_json(self) -> dict[str, Any]:
        """Usage as the Responses API reports it."""
        return {
            "input_tokens": self.input_tokens,
            "input_tokens_details": {
                "cached_tokens": self.cached_input_tokens,
                "cache_write_tokens": 0,
            },
            "output_tokens": self.output_tokens,
            "output_tokens_details": {"reasoning_tokens": self.reasoning_output_tokens},
            "total_tokens": self.total_tokens,
        }

    def chat_json(self) -> dict[str, Any]:
        """Usage as the Chat Completions API reports it."""
        return {
            "prompt_tokens": self.input_tokens,
            "completion_tokens": self.output_tokens,
            "total_tokens": self.total_tokens,
            "prompt_tokens_details": {"cached_tokens": self.cached_input_tokens},
            "completion_tokens_details": {"reasoning_tokens": self.reasoning_output_tokens},
        }


class MockResponse(_Model):
    """What the mock answers to one model request.

    - ``items``: output items in order.
    - ``usage``: reported usage; unset fields are estimated (~4 characters per token, input
      from the request body).
    - ``delay_ms_between_events``: sleep between SSE events.
    - ``hang_after_events``: after N events stop sending but keep the connection open until
      the client goes away (if the stream has N events or fewer it completes normally).
    - ``fault``: an HTTP error, a context-length failure, or a transport cut.
    - ``headers``: extra response headers (e.g. ``x-codex-primary-used-percent``).
    - ``model``: the model name reported back (default: the request's ``model``).
    """

    items: list[MockItem] = Field(default_factory=list)
    usage: MockUsage | None = None
    delay_ms_between_events: float = Field(default=0.0, ge=0)
    hang_after_events: int | None = Field(default=None, ge=0)
    fault: MockFault | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    model: str | None = None


_SCRIPT_ADAPTER: TypeAdapter[list[MockResponse] | MockResponse] = TypeAdapter(
    list[MockResponse] | MockResponse
)


def parse_script(data: Any) -> list[MockResponse]:
    """Validate a JSON value (one MockResponse or a list of them) into a list."""
    parsed = _SCRIPT_ADAPTER.validate_python(data)
    return parsed if isinstance(parsed, list) else [parsed]


def load_script(path: str | Path) -> list[MockResponse]:
    """Load a JSON script file holding one MockResponse or a list of them."""
    return parse_script(json.loads(Path(path).read_text(encoding="utf-8")))


def split_chunks(text: str, words_per_chunk: int = _WORDS_PER_CHUNK) -> list[str]:
    """Split ``text`` deterministically into deltas of a few words each.

    Whitespace is kept attached to the following word, so ``"".join(result) == text``.
    """
    if not text:
        return []
    pieces = _WORD_RE.findall(text)
    consumed = sum(len(p) for p in pieces)
    if consumed < len(text):  # trailing whitespace
        if pieces:
            pieces[-1] += text[consumed:]
        else:
            pieces = [text]
    return [
        "".join(pieces[i : i + words_per_chunk]) for i in range(0, len(pieces), words_per_chunk)
    ]


def new_call_id() -> str:
    """A fresh ``call_...`` id."""
    return f"call_{secrets.token_hex(8)}"


def split_fixed(text: str, size: int = _CHARS_PER_CHUNK) -> list[str]:
    """Split ``text`` (e.g. JSON tool arguments) into deltas of ``size`` characters."""
    return [text[i : i + size] for i in range(0, len(text), size)]


def estimate_tokens(text: str) -> int:
    """A rough token estimate (~4 characters per token)."""
    return (len(text) + 3) // 4
