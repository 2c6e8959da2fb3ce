"""TurnRunner: one turn of a thread, looping model -> tool calls -> model until done.

Deltas are forwarded as they arrive, each journaled beside the rollout first (a crash
keeps the text the user saw). Completed items are written to the rollout at once (a crash
loses nothing completed); what the model will see next time (its history) is committed
when a response completes, or, on interrupt, with the text streamed so far.

Every turn ends with `turn/completed`: a rollout that cannot be written (disk full, the
file removed or replaced) stops the turn `failed`, its items completed for the client;
the thread stays usable and writes resume once the file can be written again.
"""

from __future__ import annotations

import asyncio
import logging
import random
from pathlib import Path
from typing import Any

from ...protocol.account import TokenUsage, TokenUsageBreakdown
from ...protocol.items import ThreadItem, UserMessageItem, WebSearchItem
from ...protocol.notifications import ErrorInfo
from ...protocol.thread import Turn
from ...protocol.user_input import TextInput, UserInput
from .. import events as ev
from ..instructions import (
    agents_message,
    base_instructions,
    developer_message,
    environment_context,
    user_text_message,
)
from ..model import stream_events as se
from ..model.client import ModelClient
from ..model.errors import ModelError
from ..model.prompt import Prompt
from ..sandbox.plan import plan_for
from ..threads.history import PREVIEW_CHARS
from ..threads.loaded import LoadedThread
from ..threads.rollout import ATTEMPT_DISCARDED
from ..tools.base import ToolCall, ToolContext, ToolRouter
from ..tools.registry import local_shell_payload
from ..workspace.snapshots import ThreadSnapshots, TurnSnapshots
from ..workspace.view import WorkspaceView
from .lifecycle import TurnLifecycle
from .stream_state import ResponseState, StreamingItem, new_id, web_search_query

log = logging.getLogger(__name__)

# Settings whose change the model is told about with a fresh environment context.
_ENV_KEYS = ("cwd", "approvalPolicy", "sandbox", "model")
# History items that are tool calls (each needs its output in the history after it).
_CALL_TYPES = frozenset({"function_call", "custom_tool_call", "local_shell_call"})


def backoff_seconds(attempt: int, retry_after: float | None) -> float:
    """Exponential backoff with jitter; the server's `retry-after` wins when given."""
    if retry_after is not None:
        return min(retry_after, 60.0)
    base: float = min(0.2 * (2 ** (attempt - 1)), 10.0)
    return base * random.uniform(0.9, 1.1)


class TurnRunner(TurnLifecycle):
    """Runs one turn of the model <-> tools loop; the owner cancels the task to interrupt it."""

    def __init__(
        self,
        thread: LoadedThread,
        turn: Turn,
        inputs: list[UserInput],
        content: list[dict[str, Any]],
        client: ModelClient,
        tools: ToolRouter,
        emit: ev.EventSink,
        output_schema: dict[str, Any] | None = None,
        workspace: WorkspaceView | None = None,
        show_input: bool = True,
    ) -> None:
        """`content` is `inputs` already converted for the model (see `to_model_content`).
        `show_input: False` keeps the user message out of the turn's items (a delegated
        agent's task, which its parent shows its own way)."""
        super().__init__(thread, turn, emit)
        self.workspace = workspace
        self.inputs = inputs
        self.content = content
        self.client = client
        self.tools = tools
        self.output_schema = output_schema
        self.show_input = show_input
        self._state: ResponseState | None = None
        self._pending_history: list[dict[str, Any]] = []
        # User input sent while the turn runs (`steer`), for its next model request.
        self._steered: list[list[dict[str, Any]]] = []
        self._open_tool_items: dict[str, ThreadItem] = {}
        self._snapshots: TurnSnapshots | None = None
        # Calls in the model's history whose outputs are not (yet): answered "aborted" if
        # the turn stops before they are.
        self._unanswered: list[ToolCall] = []

    # ---- lifecycle hooks -------------------------------------------------------------

    async def _body(self) -> None:
        self._begin()
        await self._loop()

    def _stopping(self) -> None:
        self._end_items()

    def _settled(self) -> None:
        self._finish_snapshots()

    def _end_items(self) -> None:
        """The turn stops: every item it started completes with what it has so far, and
        the model's history stays valid (no tool call without an output)."""
        self._closing = True
        self._pending_history = [
            i for i in self._pending_history if i.get("type") not in _CALL_TYPES
        ]
        self._close_open_items(keep_partial=True)
        self._close_tool_items()
        for call in self._unanswered:
            self._add_history(call.output_item("aborted"))
        self._unanswered = []

    def _finish_snapshots(self) -> None:
        """Settle what the turn changed (for its last diff and for undo); never raises."""
        if self._snapshots is None:
            return
        try:
            self._snapshots.finish()
        except Exception:
            log.exception("recording the file changes of turn %s failed", self.turn.id)

    # ---- turn start: context and user input ------------------------------------------

    def _context(self) -> dict[str, Any]:
        s = self.thread.settings
        return {
            "turnId": self.turn.id,
            "cwd": s.cwd,
            "model": s.model,
            "modelProvider": s.model_provider,
            "approvalPolicy": s.approval_policy,
            "sandbox": s.sandbox.wire(),
            "effort": s.reasoning_effort,
            "summary": s.reasoning_summary,
        }

    def _add_history(self, item: dict[str, Any]) -> None:
        self.thread.model_items.append(item)
        self._record("response_item", {"turnId": self.turn.id, "item": item})

    def _begin(self) -> None:
        t, s = self.thread, self.thread.settings
        context = self._context()
        previous = t.last_context
        # A thread made from a given history (`resume` with `history`, which leaves no turn
        # context yet) gets the initial context too; a delegated child (no rollout) not.
        first = not t.model_items or (t.last_context is None and t.writer is not None)
        if first:
            if s.developer_instructions:
                self._add_history(developer_message(s.developer_instructions))
            agents = agents_message(s.cwd)
            if agents is not None:
                self._add_history(agents)
        changed = previous is None or any(previous.get(k) != context[k] for k in _ENV_KEYS)
        self._record("turn_context", context)
        t.last_context = context
        self._record("turn_started", {"turnId": self.turn.id})
        if t.snapshots is None:
            t.snapshots = ThreadSnapshots()
        self._snapshots = t.snapshots.begin_turn(
            t.id, self.turn.id, Path(s.cwd), self.emit, self.workspace
        )
        if changed or not t.model_items:
            self._add_history(
                user_text_message(environment_context(s.cwd, s.approval_policy, s.sandbox))
            )
        if self.show_input:
            item = UserMessageItem(id=new_id("user"), content=self.inputs)
            self._item_started(item)
            self._item_completed(item)
        self._add_history({"type": "message", "role": "user", "content": self.content})
        if self.show_input and not t.preview:
            text = " ".join(i.text for i in self.inputs if isinstance(i, TextInput))
            t.preview = text[:PREVIEW_CHARS]

    # ---- items -----------------------------------------------------------------------

    def _journal(self, item_id: str, kind: str, index: int, delta: str) -> None:
        """Keep a delta on disk before the client sees it (see `RolloutWriter.append_delta`)."""
        writer = self.thread.writer
        if writer is not None:
            writer.append_delta(self.turn.id, item_id, kind, index, delta)

    def _tool_item_started(self, item: ThreadItem) -> None:
        self._open_tool_items[item.id] = item
        self._item_started(item)

    def _tool_item_completed(self, item: ThreadItem) -> None:
        self._open_tool_items.pop(item.id, None)
        self._item_completed(item)

    def _close_tool_items(self) -> None:
        """An interrupt while a tool waited (on approval, say): its item still completes."""
        for item in list(self._open_tool_items.values()):
            if getattr(item, "status", None) == "inProgress":
                item.status = "declined" if item.type == "fileChange" else "failed"  # type: ignore[union-attr]
            self._tool_item_completed(item)

    def _close_open_items(self, keep_partial: bool) -> None:
        """Complete every item still streaming with what arrived so far."""
        state = self._state
        if state is None:
            return
        while state.open:
            streaming = state.open.pop(next(iter(state.open)))
            state.done_ids.append(streaming.item_id)
            partial = streaming.partial_history_item() if keep_partial else None
            if partial is not None:
                self._pending_history.append(partial)
            self._item_completed(streaming.thread_item())
        while state.searches:
            search = state.searches.pop(next(iter(state.searches)))
            state.done_ids.append(search.id)
            self._item_completed(search)
        if keep_partial:
            self._commit_history()

    def _commit_history(self) -> None:
        for item in self._pending_history:
            self._add_history(item)
        self._pending_history = []

    # ---- the model <-> tools loop ----------------------------------------------------

    def _tool_context(self) -> ToolContext:
        s = self.thread.settings
        return ToolContext(
            thread_id=self.thread.id,
            turn_id=self.turn.id,
            cwd=s.cwd,
            emit=self.emit,
            item_started=self._tool_item_started,
            item_completed=self._tool_item_completed,
            sandbox=plan_for(s.sandbox, s.cwd),
            approvals=self.thread.gate,
            workspace=self.workspace,
            approval_policy=s.approval_policy,
            snapshots=self._snapshots,
            env=s.command_env(),
        )

    async def _loop(self) -> None:
        from ..context.compaction import compact_if_full

        while True:
            self._take_steered()
            await compact_if_full(self, self.client, self.workspace)
            calls = await self._sample()
            if not calls and not self._steered:
                return
            self._unanswered = calls
            outputs = await self.tools.run_calls(calls, self._tool_context())
            self._unanswered = []
            self._close_tool_items()  # an item a tool started and never completed (a bug)
            for output in outputs:
                self._add_history(output)

    def steer(self, inputs: list[UserInput], content: list[dict[str, Any]]) -> None:
        """More user input for this turn: shown now, sent with the next model request (one
        more request is made if the model has already answered)."""
        item = UserMessageItem(id=new_id("user"), content=inputs)
        self._item_started(item)
        self._item_completed(item)
        self._steered.append(content)

    def _take_steered(self) -> None:
        for content in self._steered:
            self._add_history({"type": "message", "role": "user", "content": content})
        self._steered = []

    def _prompt(self) -> Prompt:
        s = self.thread.settings
        return Prompt(
            model=s.model,
            instructions=s.base_instructions or base_instructions(),
            input=list(self.thread.model_items),
            tools=self.tools.specs(),
            reasoning_effort=s.reasoning_effort,
            reasoning_summary=s.reasoning_summary,
            output_schema=self.output_schema,
            cache_key=self.thread.id,
            verbosity=s.model_verbosity,
            web_search=s.web_search,
        )

    async def _sample(self) -> list[ToolCall]:
        """One model response, retried as the provider allows. Returns its tool calls."""
        provider = self.client.provider
        request_retries = stream_retries = 0
        while True:
            self._state = ResponseState()
            self._pending_history = []
            calls: list[ToolCall] = []
            try:
                attempt = request_retries + stream_retries + 1
                async for event in self.client.stream(self._prompt(), attempt):
                    self._on_event(event, calls)
                self._commit_history()
                return calls
            except ModelError as exc:
                if exc.rate_limits is not None:
                    self.emit(ev.RateLimitsUpdated(exc.rate_limits))
                if exc.info == "contextWindowExceeded":
                    self._report_full_window()
                if exc.retry == "request" and request_retries < provider.request_max_retries:
                    request_retries += 1
                    attempt, limit = request_retries, provider.request_max_retries
                elif exc.retry == "stream" and stream_retries < provider.stream_max_retries:
                    stream_retries += 1
                    attempt, limit = stream_retries, provider.stream_max_retries
                else:
                    raise
                self._discard_attempt()
                delay = backoff_seconds(attempt, exc.retry_after)
                message = f"{exc.message} (retrying {attempt}/{limit} in {delay:.1f}s)"
                info = ErrorInfo(message=message, codex_error_info=exc.info)
                self.emit(ev.TurnError(self.thread.id, self.turn.id, info, will_retry=True))
                await asyncio.sleep(delay)

    def _discard_attempt(self) -> None:
        """A failed attempt's items are superseded by the retry: end them, forget them."""
        state = self._state
        assert state is not None
        self._close_open_items(keep_partial=False)
        dropped = set(state.done_ids)
        if dropped:
            self.turn.items = [i for i in self.turn.items if i.id not in dropped]
            self._record(ATTEMPT_DISCARDED, {"turnId": self.turn.id, "itemIds": sorted(dropped)})
        self._pending_history = []

    def _on_event(self, event: se.ModelEvent, calls: list[ToolCall]) -> None:
        state = self._state
        assert state is not None
        t, turn_id = self.thread.id, self.turn.id
        if isinstance(event, se.TextDelta):
            item = state.open.get(event.item_id)
            if item is not None:
                self._journal(item.item_id, "text", 0, event.delta)
                item.text.append(event.delta)
                self.emit(ev.AgentMessageDelta(t, turn_id, item.item_id, event.delta))
        elif isinstance(event, se.SummaryDelta):
            item = state.open.get(event.item_id)
            if item is not None:
                self._journal(item.item_id, "summary", event.summary_index, event.delta)
                item.add_summary(event.summary_index, event.delta)
                self.emit(
                    ev.ReasoningSummaryTextDelta(
                        t, turn_id, item.item_id, event.delta, event.summary_index
                    )
                )
        elif isinstance(event, se.ReasoningDelta):
            item = state.open.get(event.item_id)
            if item is not None:
                self._journal(item.item_id, "reasoning", event.content_index, event.delta)
                item.add_content(event.content_index, event.delta)
                self.emit(
                    ev.ReasoningTextDelta(
                        t, turn_id, item.item_id, event.delta, event.content_index
                    )
                )
        elif isinstance(event, se.OutputItemAdded):
            if event.item_type in ("message", "reasoning"):
                prefix = "msg" if event.item_type == "message" else "rs"
                streaming = StreamingItem(event.item_type, new_id(prefix))
                state.open[event.item_id] = streaming
                self._item_started(streaming.thread_item())
            elif event.item_type == "web_search_call":
                search = WebSearchItem(id=new_id("ws"), query="")
                state.searches[event.item_id] = search
                self._item_started(search)
        elif isinstance(event, se.SummaryPartAdded):
            item = state.open.get(event.item_id)
            if item is not None:
                item.add_summary(event.summary_index)
                self.emit(
                    ev.ReasoningSummaryPartAdded(t, turn_id, item.item_id, event.summary_index)
                )
        elif isinstance(event, se.OutputItemDone):
            self._on_item_done(event, calls)
        elif isinstance(event, se.Completed):
            state.completed = True
            if event.usage is not None:
                self._update_usage(event.usage)
        elif isinstance(event, se.RateLimits):
            self.emit(ev.RateLimitsUpdated(event.snapshot))

    def _on_item_done(self, event: se.OutputItemDone, calls: list[ToolCall]) -> None:
        state = self._state
        assert state is not None
        raw = event.item
        kind = raw.get("type")
        if self.thread.raw_events:
            self.emit(ev.RawResponseItemCompleted(self.thread.id, self.turn.id, event.output_item))
        streaming = state.open.pop(event.item_id, None)
        if kind in ("message", "reasoning"):
            if streaming is None:
                # Done without a prior "added": still show it.
                streaming = StreamingItem(kind, new_id("msg" if kind == "message" else "rs"))
                self._item_started(streaming.thread_item())
            _fill_from_done(streaming, raw)
            state.done_ids.append(streaming.item_id)
            self._pending_history.append(raw)
            self._item_completed(streaming.thread_item())
        elif kind in ("function_call", "custom_tool_call"):
            payload = raw.get("arguments") if kind == "function_call" else raw.get("input")
            calls.append(
                ToolCall(
                    call_id=str(raw.get("call_id") or ""),
                    name=str(raw.get("name") or ""),
                    kind=kind,
                    payload=str(payload or ""),
                )
            )
            self._pending_history.append(raw)
        elif kind == "local_shell_call":
            action = raw.get("action") or {}
            calls.append(
                ToolCall(
                    call_id=str(raw.get("call_id") or raw.get("id") or ""),
                    name="local_shell",
                    kind="local_shell_call",
                    payload=local_shell_payload(action),
                )
            )
            self._pending_history.append(raw)
        elif kind == "web_search_call":
            search = state.searches.pop(event.item_id, None)
            if search is None:
                search = WebSearchItem(id=new_id("ws"), query="")
                self._item_started(search)
            state.done_ids.append(search.id)
            self._pending_history.append(raw)
            self._item_completed(
                WebSearchItem(id=search.id, query=web_search_query(event.output_item))
            )
        else:
            self._pending_history.append(raw)

    # ---- token usage -----------------------------------------------------------------

    def _update_usage(self, usage: se.Usage) -> None:
        last = TokenUsageBreakdown(
            total_tokens=usage.total_tokens or usage.input_tokens + usage.output_tokens,
            input_tokens=usage.input_tokens,
            cached_input_tokens=usage.cached_input_tokens,
            output_tokens=usage.output_tokens,
            reasoning_output_tokens=usage.reasoning_output_tokens,
        )
        previous = self.thread.token_usage
        total = last
        if previous is not None:
            p = previous.total
            total = TokenUsageBreakdown(
                total_tokens=p.total_tokens + last.total_tokens,
                input_tokens=p.input_tokens + last.input_tokens,
                cached_input_tokens=p.cached_input_tokens + last.cached_input_tokens,
                output_tokens=p.output_tokens + last.output_tokens,
                reasoning_output_tokens=p.reasoning_output_tokens + last.reasoning_output_tokens,
            )
        self._set_usage(
            TokenUsage(
                total=total,
                last=last,
                model_context_window=self.thread.settings.model_context_window,
            )
        )

    def _report_full_window(self) -> None:
        """Context window exceeded: show the window as full."""
        window = self.thread.settings.model_context_window
        previous = self.thread.token_usage
        if window is None:
            window = previous.last.input_tokens if previous is not None else 0
        full = TokenUsageBreakdown(total_tokens=window, input_tokens=window)
        total = previous.total if previous is not None else full
        self._set_usage(TokenUsage(total=total, last=full, model_context_window=window))


def _fill_from_done(streaming: StreamingItem, raw: dict[str, Any]) -> None:
    """Take the final text from the done item only where no deltas arrived, so the completed
    item always equals the concatenated deltas clients saw."""
    if streaming.kind == "message" and not streaming.text:
        text = "".join(str(p.get("text", "")) for p in raw.get("content") or [])
        if text:
            streaming.text.append(text)
    if streaming.kind == "reasoning" and not streaming.summary:
        for index, part in enumerate(raw.get("summary") or []):
            streaming.add_summary(index, str(part.get("text", "")))
    if streaming.kind == "reasoning" and not streaming.content:
        for index, part in enumerate(raw.get("content") or []):
            streaming.add_content(index, str(part.get("text", "")))
