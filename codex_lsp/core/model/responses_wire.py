"""Stream one request over the Responses API (`wire_api = "responses"`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from .errors import ModelError
from .prompt import Prompt
from .stream_events import (
    Completed,
    ModelEvent,
    OutputItemAdded,
    OutputItemDone,
    ReasoningDelta,
    SummaryDelta,
    SummaryPartAdded,
    TextDelta,
    Usage,
)

# The Responses API's hosted search tool (`[tools] web_search`); the model's searches come
# back as `web_search_call` output items.
WEB_SEARCH_TOOL: dict[str, Any] = {"type": "web_search"}


def request_body(prompt: Prompt) -> dict[str, Any]:
    """Keyword arguments of `responses.create` for this prompt."""
    body: dict[str, Any] = {
        "model": prompt.model,
        "instructions": prompt.instructions,
        "input": prompt.input,
        "store": False,
        "stream": True,
    }
    tools = [*prompt.tools, WEB_SEARCH_TOOL] if prompt.web_search else prompt.tools
    if tools:
        body["tools"] = tools
        body["tool_choice"] = "auto"
        body["parallel_tool_calls"] = prompt.parallel_tool_calls
    if prompt.wants_reasoning():
        reasoning: dict[str, Any] = {}
        if prompt.reasoning_effort:
            reasoning["effort"] = prompt.reasoning_effort
        if prompt.reasoning_summary and prompt.reasoning_summary != "none":
            reasoning["summary"] = prompt.reasoning_summary
        body["reasoning"] = reasoning
        body["include"] = ["reasoning.encrypted_content"]
    text: dict[str, Any] = {}
    if prompt.output_schema is not None:
        text["format"] = {
            "type": "json_schema",
            "name": "codex_output_schema",
            "schema": prompt.output_schema,
            "strict": True,
        }
    if prompt.verbosity:
        text["verbosity"] = prompt.verbosity
    if text:
        body["text"] = text
    if prompt.cache_key:
        body["prompt_cache_key"] = prompt.cache_key
    return body


def history_item(item: dict[str, Any]) -> dict[str, Any]:
    """An output item reshaped as an input item for the next request (stateless history)."""
    kind = item.get("type")
    if kind == "message":
        content = [
            {"type": part.get("type", "output_text"), "text": part.get("text", "")}
            for part in item.get("content") or []
            if isinstance(part, dict)
        ]
        return {"type": "message", "role": item.get("role", "assistant"), "content": content}
    if kind == "reasoning":
        kept: dict[str, Any] = {
            k: item[k] for k in ("id", "summary", "encrypted_content") if k in item
        }
        kept["type"] = "reasoning"
        kept.setdefault("summary", [])
        return kept
    if kind == "function_call":
        return {
            "type": "function_call",
            "call_id": item.get("call_id"),
            "name": item.get("name"),
            "arguments": item.get("arguments", ""),
        }
    if kind == "custom_tool_call":
        return {
            "type": "custom_tool_call",
            "call_id": item.get("call_id"),
            "name": item.get("name"),
            "input": item.get("input", ""),
        }
    if kind == "web_search_call":
        # Replayed as Codex does: status and action, without the id (requests are not
        # stored, so the id would name nothing).
        return {k: item[k] for k in ("type", "status", "action") if k in item}
    return {k: v for k, v in item.items() if k != "status"}


def _usage(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    in_details = raw.get("input_tokens_details") or {}
    out_details = raw.get("output_tokens_details") or {}
    return Usage(
        input_tokens=raw.get("input_tokens") or 0,
        cached_input_tokens=in_details.get("cached_tokens") or 0,
        output_tokens=raw.get("output_tokens") or 0,
        reasoning_output_tokens=out_details.get("reasoning_tokens") or 0,
        total_tokens=raw.get("total_tokens") or 0,
    )


def _failure(error: Any, fallback: str) -> ModelError:
    error = error if isinstance(error, dict) else {}
    code = str(error.get("code") or "")
    message = str(error.get("message") or fallback)
    if code == "context_length_exceeded":
        return ModelError(message, "contextWindowExceeded")
    if code in ("insufficient_quota", "usage_limit_reached"):
        return ModelError(message, "usageLimitExceeded")
    if code in ("invalid_prompt", "invalid_request_error"):
        return ModelError(message, "badRequest")
    return ModelError(message, "responseStreamDisconnected", retry="stream")


async def translate(stream: AsyncIterator[Any]) -> AsyncIterator[ModelEvent]:
    """Map Responses stream events (JSON objects, parsed once) to model events.

    Events are read as plain dicts rather than the SDK's typed models: validating every
    event against the SDK's union of event types costs more than everything else the
    server does per delta.
    """
    async for event in stream:
        kind = event.get("type")
        if kind == "response.output_text.delta":
            yield TextDelta(event["item_id"], event["delta"])
        elif kind == "response.reasoning_summary_text.delta":
            yield SummaryDelta(event["item_id"], event.get("summary_index", 0), event["delta"])
        elif kind == "response.reasoning_text.delta":
            yield ReasoningDelta(event["item_id"], event.get("content_index", 0), event["delta"])
        elif kind == "response.output_item.added":
            item = event.get("item") or {}
            yield OutputItemAdded(str(item.get("type")), str(item.get("id") or ""))
        elif kind == "response.reasoning_summary_part.added":
            yield SummaryPartAdded(event["item_id"], event.get("summary_index", 0))
        elif kind == "response.output_item.done":
            item = event.get("item") or {}
            yield OutputItemDone(str(item.get("id") or ""), history_item(item), item)
        elif kind == "response.completed":
            response = event.get("response") or {}
            yield Completed(response.get("id"), _usage(response.get("usage")))
            return
        elif kind == "response.failed":
            response = event.get("response") or {}
            raise _failure(response.get("error"), "the model response failed")
        elif kind == "response.incomplete":
            details = (event.get("response") or {}).get("incomplete_details") or {}
            reason = details.get("reason") or "unknown reason"
            raise ModelError(f"the model response was incomplete: {reason}", "other")
        elif kind == "error":
            raise _failure(event, "the model stream reported an error")
    raise ModelError(
        "stream closed before response.completed", "responseStreamDisconnected", retry="stream"
    )
