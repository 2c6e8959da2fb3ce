"""Wire-neutral events a model stream produces (both the Responses and the Chat wire)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...protocol.account import RateLimitSnapshot


@dataclass(frozen=True, slots=True)
class OutputItemAdded:
    """The model began an output item (`message`, `reasoning`, `function_call`, ...)."""

    item_type: str
    item_id: str


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of an assistant message."""

    item_id: str
    delta: str


@dataclass(frozen=True, slots=True)
class SummaryPartAdded:
    """A new reasoning summary part."""

    item_id: str
    summary_index: int


@dataclass(frozen=True, slots=True)
class SummaryDelta:
    """A piece of a reasoning summary part."""

    item_id: str
    summary_index: int
    delta: str


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """A piece of raw reasoning text."""

    item_id: str
    content_index: int
    delta: str


@dataclass(frozen=True, slots=True)
class OutputItemDone:
    """A finished output item, in Responses API input format (ready for the history);
    `raw` is the item as the model returned it (Responses output shape) when that differs
    (None: `item` is also the raw item)."""

    item_id: str
    item: dict[str, Any]
    raw: dict[str, Any] | None = None

    @property
    def output_item(self) -> dict[str, Any]:
        """The item as the model returned it."""
        return self.raw if self.raw is not None else self.item


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one response."""

    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    reasoning_output_tokens: int = 0
    total_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Completed:
    """The response finished."""

    response_id: str | None
    usage: Usage | None


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Rate-limit numbers read from the response headers."""

    snapshot: RateLimitSnapshot


ModelEvent = (
    OutputItemAdded
    | TextDelta
    | SummaryPartAdded
    | SummaryDelta
    | ReasoningDelta
    | OutputItemDone
    | Completed
    | RateLimits
)
