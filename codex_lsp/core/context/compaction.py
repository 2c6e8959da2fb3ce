"""Compaction: a long thread's model history replaced by a summary.

The summary is asked of the model (a delegated request, `core/agents/delegate.py`) with
the conversation so far followed by the summarization instruction and no tools. The new
history is the initial context (developer instructions, AGENTS.md, the latest environment
context), the most recent user messages (chosen newest first up to about
`USER_MESSAGES_TOKENS`, kept in their order), and the summary. Older assistant messages,
tool calls and their outputs are gone from what the model is sent; the turns the user saw
stay as they are. The replacement is recorded (`compacted`) so a resumed or forked thread
sends the compacted history.

It runs as its own turn (`CompactionRunner`, manual) or inside a turn, before a model
request, once the context reaches the thread's `auto_compact_limit` (`compact_if_full`).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from ...protocol.account import TokenUsage, TokenUsageBreakdown
from ...protocol.items import ContextCompactionItem
from ...protocol.thread import Turn
from .. import events as ev
from ..agents.delegate import HIDE_ALL, DelegateSpec, run_delegate
from ..instructions import AGENTS_OPEN, ENV_OPEN, user_text_message
from ..model.client import ModelClient
from ..threads.loaded import LoadedThread
from ..threads.rollout import COMPACTED
from ..turns.lifecycle import TurnFailed, TurnLifecycle
from ..turns.stream_state import new_id
from ..workspace.view import WorkspaceView

USER_MESSAGES_TOKENS = 20_000
SUMMARY_OPEN, SUMMARY_CLOSE = "<conversation_summary>", "</conversation_summary>"

SUMMARIZATION_PROMPT = """\
The conversation above is about to be replaced by a summary, because it no longer fits \
in your context. Write that summary now: it is all you will remember of the work so far, \
besides the user's own recent messages, which are kept.

Write for yourself, to continue the work without asking the user again:
- The user's goal and every requirement, constraint and preference they stated.
- What has been done: files created or changed (paths) and why, commands run and what \
they showed, decisions taken and the reasons for them.
- The current state: what works, what fails (exact error messages), what is left to do, \
in order; what you were doing right now.
- Facts you found that are expensive to find again (APIs, paths, versions, configuration).

Be specific and complete but dense; no pleasantries. Do not call tools. Answer with the \
summary only.
"""

FULL_AFTER_COMPACTION = (
    "The conversation does not fit in the model's context window even after it was "
    "compacted. Start a new thread (or fork an earlier turn) to go on."
)


def approx_tokens(value: Any) -> int:
    """A rough token count of JSON-able content (4 characters a token)."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return (len(text) + 3) // 4


def message_text(item: dict[str, Any]) -> str:
    """The text of a message item (its text parts joined)."""
    content = item.get("content")
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))


def _kind(item: dict[str, Any]) -> str:
    """`developer`, `agents`, `environment`, `summary`, `user` or `other`."""
    if item.get("type", "message") != "message":
        return "other"
    role = item.get("role")
    if role in ("developer", "system"):
        return "developer"
    if role != "user":
        return "other"
    text = message_text(item).lstrip()
    if text.startswith(ENV_OPEN):
        return "environment"
    if text.startswith(AGENTS_OPEN):
        return "agents"
    if text.startswith(SUMMARY_OPEN):
        return "summary"
    return "user"


def compacted_history(items: list[dict[str, Any]], summary: str) -> list[dict[str, Any]]:
    """The history that replaces `items` (see the module docstring)."""
    context: list[dict[str, Any]] = []
    environment: dict[str, Any] | None = None
    for item in items:
        kind = _kind(item)
        if kind in ("developer", "agents") and not any(_kind(c) == kind for c in context):
            context.append(item)
        elif kind == "environment":
            environment = item
    if environment is not None:
        context.append(environment)
    kept: list[dict[str, Any]] = []
    budget = USER_MESSAGES_TOKENS
    for item in reversed([i for i in items if _kind(i) == "user"]):
        cost = approx_tokens(message_text(item))
        if cost > budget:
            break
        budget -= cost
        kept.append(item)
    kept.reverse()
    note = user_text_message(f"{SUMMARY_OPEN}\n{summary.strip()}\n{SUMMARY_CLOSE}")
    return [*context, *kept, note]


async def compact(
    frame: TurnLifecycle, client: ModelClient, workspace: WorkspaceView | None
) -> int:
    """Compact the thread's history inside the turn `frame` runs; a `contextCompaction`
    item shows it. Returns the new history's approximate size in tokens. Raises (like any
    turn step) when the summary request fails or is interrupted."""
    thread, turn = frame.thread, frame.turn
    item = ContextCompactionItem(id=new_id("compact"))
    frame._item_started(item)
    spec = DelegateSpec(
        task=SUMMARIZATION_PROMPT, history=list(thread.model_items), hidden_items=HIDE_ALL
    )
    try:
        result = await run_delegate(thread, turn, spec, client, frame.emit, workspace)
        if result.status == "interrupted":
            raise asyncio.CancelledError
        if result.status == "failed":
            error = result.error
            message = error.message if error is not None else "the summary request failed"
            info = error.codex_error_info if error is not None else None
            raise TurnFailed(f"Compacting the conversation failed: {message}", info)
        summary = (result.last_message or "").strip()
        if not summary:
            raise TurnFailed("Compacting the conversation failed: the model wrote no summary.")
        history = compacted_history(thread.model_items, summary)
        frame._record(COMPACTED, {"turnId": turn.id, "history": history})
        thread.model_items[:] = history
    finally:
        frame._item_completed(item)
    frame.emit(ev.ThreadCompacted(thread.id, turn.id))
    tokens = approx_tokens(history)
    previous = thread.token_usage
    last = TokenUsageBreakdown(total_tokens=tokens, input_tokens=tokens)
    frame._set_usage(
        TokenUsage(
            total=previous.total if previous is not None else last,
            last=last,
            model_context_window=thread.settings.model_context_window,
        )
    )
    return tokens


def over_limit(thread: LoadedThread) -> int | None:
    """The thread's compaction limit when its context has reached it, else None."""
    limit = thread.settings.auto_compact_limit
    usage = thread.token_usage
    if limit is None or usage is None or usage.last.total_tokens < limit:
        return None
    return limit


async def compact_if_full(
    frame: TurnLifecycle, client: ModelClient, workspace: WorkspaceView | None
) -> None:
    """Before a model request: compact when the context reached the limit; a history
    still over the limit afterwards fails the turn (`contextWindowExceeded`), no loop."""
    limit = over_limit(frame.thread)
    if limit is None:
        return
    if await compact(frame, client, workspace) >= limit:
        raise TurnFailed(FULL_AFTER_COMPACTION, "contextWindowExceeded")


class CompactionRunner(TurnLifecycle):
    """A turn that only compacts the thread's history (`codex/thread/compact/start`)."""

    def __init__(
        self,
        thread: LoadedThread,
        turn: Turn,
        client: ModelClient,
        emit: ev.EventSink,
        workspace: WorkspaceView | None = None,
    ) -> None:
        super().__init__(thread, turn, emit)
        self.client = client
        self.workspace = workspace

    async def _body(self) -> None:
        self._record("turn_started", {"turnId": self.turn.id})
        await compact(self, self.client, self.workspace)
