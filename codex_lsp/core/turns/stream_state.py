"""The items of one model response as they stream in, and how they become thread items."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from ...protocol.items import AgentMessageItem, ReasoningItem, WebSearchItem


def new_id(prefix: str) -> str:
    """A fresh item id."""
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


@dataclass
class StreamingItem:
    """A message or reasoning item being streamed."""

    kind: str  # "message" | "reasoning"
    item_id: str
    text: list[str] = field(default_factory=list)
    summary: list[list[str]] = field(default_factory=list)
    content: list[list[str]] = field(default_factory=list)

    def add_summary(self, index: int, delta: str = "") -> None:
        while len(self.summary) <= index:
            self.summary.append([])
        if delta:
            self.summary[index].append(delta)

    def add_content(self, index: int, delta: str) -> None:
        while len(self.content) <= index:
            self.content.append([])
        self.content[index].append(delta)

    def thread_item(self) -> AgentMessageItem | ReasoningItem:
        """The item as clients see it, built from the deltas streamed so far."""
        if self.kind == "message":
            return AgentMessageItem(id=self.item_id, text="".join(self.text))
        return ReasoningItem(
            id=self.item_id,
            summary=["".join(p) for p in self.summary],
            content=["".join(p) for p in self.content],
        )

    def partial_history_item(self) -> dict[str, Any] | None:
        """What the model keeps of an item cut short (interrupt): the message text so far."""
        if self.kind != "message" or not self.text:
            return None
        text = "".join(self.text)
        return {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": text}],
        }


def web_search_query(item: dict[str, Any]) -> str:
    """What a `web_search_call` output item searched for: `action.query` (or its
    `queries`); for the page actions, the page (and the pattern looked for)."""
    action = item.get("action")
    if not isinstance(action, dict):
        return ""
    query = action.get("query")
    if isinstance(query, str) and query:
        return query
    queries = action.get("queries")
    if isinstance(queries, list) and queries:
        return " | ".join(str(q) for q in queries)
    url = action.get("url")
    pattern = action.get("pattern")
    if isinstance(pattern, str) and pattern:
        return f"'{pattern}' in {url}" if isinstance(url, str) and url else pattern
    return url if isinstance(url, str) else ""


@dataclass
class ResponseState:
    """One attempt at one model response."""

    open: dict[str, StreamingItem] = field(default_factory=dict)
    # Web searches begun and not done yet, by the model's item id.
    searches: dict[str, WebSearchItem] = field(default_factory=dict)
    done_ids: list[str] = field(default_factory=list)
    completed: bool = False
