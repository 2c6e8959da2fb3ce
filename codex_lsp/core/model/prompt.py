"""What one model request carries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Prompt:
    """A model request: instructions, the whole conversation (stateless), tools, settings."""

    model: str
    instructions: str
    input: list[dict[str, Any]]
    tools: list[dict[str, Any]] = field(default_factory=list)
    reasoning_effort: str | None = None
    reasoning_summary: str | None = None
    output_schema: dict[str, Any] | None = None
    parallel_tool_calls: bool = True
    cache_key: str | None = None
    # `text.verbosity` (Responses wire; GPT-5 family); None: not sent.
    verbosity: str | None = None
    # Offer the Responses API's hosted `web_search` tool (not available on the Chat wire).
    web_search: bool = False

    def wants_reasoning(self) -> bool:
        """Reasoning models get a `reasoning` block (and encrypted reasoning back)."""
        if self.reasoning_effort or self.reasoning_summary:
            return True
        return self.model.startswith(("gpt-5", "o1", "o3", "o4", "codex"))
