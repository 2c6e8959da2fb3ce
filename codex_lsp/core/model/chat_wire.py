"""Stream one request over Chat Completions (`wire_api = "chat"`: Ollama, vLLM, LM Studio).

The conversation is kept in Responses API form; this module converts it to chat messages
and turns chat chunks back into the same model events. Reasoning a model returned (e.g.
gpt-oss) is sent back on the assistant message, or the model loses track of its tool calls.
"""

from __future__ import annotations

import uuid
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
    TextDelta,
    Usage,
)


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for part in content or []:
        if isinstance(part, dict) and isinstance(part.get("text"), str):
            parts.append(part["text"])
    return "".join(parts)


def _user_content(content: Any) -> Any:
    if isinstance(content, str):
        return content
    out: list[dict[str, Any]] = []
    for part in content or []:
        if not isinstance(part, dict):
            continue
        if part.get("type") == "input_image":
            out.append({"type": "image_url", "image_url": {"url": part.get("image_url", "")}})
        elif "text" in part:
            out.append({"type": "text", "text": part["text"]})
    if all(p["type"] == "text" for p in out):
        return "".join(p["text"] for p in out)
    return out


def chat_messages(prompt: Prompt) -> list[dict[str, Any]]:
    """The Responses-form conversation as chat messages."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": prompt.instructions}]
    pending_reasoning = ""
    assistant: dict[str, Any] | None = None

    def flush() -> None:
        nonlocal assistant
        if assistant is not None:
            messages.append(assistant)
            assistant = None

    def open_assistant() -> dict[str, Any]:
        nonlocal assistant, pending_reasoning
        if assistant is None:
            assistant = {"role": "assistant", "content": None}
            if pending_reasoning:
                assistant["reasoning"] = pending_reasoning
                pending_reasoning = ""
        return assistant

    for item in prompt.input:
        kind = item.get("type", "message")
        if kind == "reasoning":
            flush()
            pending_reasoning += "".join(
                _text_of([c]) for c in item.get("content") or [] if isinstance(c, dict)
            )
        elif kind == "message" and item.get("role") == "assistant":
            msg = open_assistant()
            msg["content"] = (msg["content"] or "") + _text_of(item.get("content"))
        elif kind == "message":
            flush()
            role = "system" if item.get("role") in ("developer", "system") else "user"
            content = _user_content(item.get("content"))
            messages.append({"role": role, "content": content})
        elif kind in ("function_call", "custom_tool_call"):
            msg = open_assistant()
            arguments = item.get("arguments", item.get("input", ""))
            msg.setdefault("tool_calls", []).append(
                {
                    "id": item.get("call_id"),
                    "type": "function",
                    "function": {"name": item.get("name"), "arguments": arguments},
                }
            )
        elif kind in ("function_call_output", "custom_tool_call_output"):
            flush()
            output = item.get("output", "")
            messages.append(
                {"role": "tool", "tool_call_id": item.get("call_id"), "content": _text_of(output)}
            )
    flush()
    return messages


def chat_tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Responses function tools as chat tools (freeform tools are not offered on this wire)."""
    out = []
    for tool in tools:
        if tool.get("type") != "function":
            continue
        fn = {k: tool[k] for k in ("name", "description", "parameters", "strict") if k in tool}
        out.append({"type": "function", "function": fn})
    return out


def request_body(prompt: Prompt) -> dict[str, Any]:
    """Keyword arguments of `chat.completions.create` for this prompt."""
    body: dict[str, Any] = {
        "model": prompt.model,
        "messages": chat_messages(prompt),
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    tools = chat_tools(prompt.tools)
    if tools:
        body["tools"] = tools
        body["tool_choice"] = "auto"
    if prompt.reasoning_effort:
        body["reasoning_effort"] = prompt.reasoning_effort
    if prompt.output_schema is not None:
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "codex_output_schema", "schema": prompt.output_schema},
        }
    return body


def _reasoning_of(delta: dict[str, Any]) -> str | None:
    for name in ("reasoning", "reasoning_content"):
        value = delta.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def _usage(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    details = raw.get("prompt_tokens_details") or {}
    out_details = raw.get("completion_tokens_details") or {}
    return Usage(
        input_tokens=raw.get("prompt_tokens") or 0,
        cached_input_tokens=details.get("cached_tokens") or 0,
        output_tokens=raw.get("completion_tokens") or 0,
        reasoning_output_tokens=out_details.get("reasoning_tokens") or 0,
        total_tokens=raw.get("total_tokens") or 0,
    )


async def translate(stream: AsyncIterator[Any]) -> AsyncIterator[ModelEvent]:
    """Map chat chunks (JSON objects) to model events: reasoning, message, tool calls."""
    suffix = uuid.uuid4().hex[:12]
    reasoning_id, message_id = f"rs_{suffix}", f"msg_{suffix}"
    reasoning: list[str] = []
    text: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    finished = False
    usage: Usage | None = None
    async for chunk in stream:
        if chunk.get("usage"):
            usage = _usage(chunk["usage"])
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            thought = _reasoning_of(delta)
            if thought:
                if not reasoning:
                    yield OutputItemAdded("reasoning", reasoning_id)
                reasoning.append(thought)
                yield ReasoningDelta(reasoning_id, 0, thought)
            content = delta.get("content")
            if content:
                if not text:
                    yield OutputItemAdded("message", message_id)
                text.append(content)
                yield TextDelta(message_id, content)
            for call in delta.get("tool_calls") or []:
                slot = calls.setdefault(
                    call.get("index", 0), {"id": "", "name": "", "arguments": ""}
                )
                if call.get("id"):
                    slot["id"] = call["id"]
                function = call.get("function") or {}
                slot["name"] += function.get("name") or ""
                slot["arguments"] += function.get("arguments") or ""
            if choice.get("finish_reason") is not None:
                finished = True
    if not finished:
        raise ModelError(
            "stream closed before the model finished", "responseStreamDisconnected", retry="stream"
        )
    if reasoning:
        yield OutputItemDone(
            reasoning_id,
            {
                "type": "reasoning",
                "summary": [],
                "content": [{"type": "reasoning_text", "text": "".join(reasoning)}],
            },
        )
    if text:
        item = {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "".join(text)}],
        }
        yield OutputItemDone(message_id, item)
    for index in sorted(calls):
        slot = calls[index]
        call_id = slot["id"] or f"call_{suffix}_{index}"
        yield OutputItemAdded("function_call", call_id)
        yield OutputItemDone(
            call_id,
            {
                "type": "function_call",
                "call_id": call_id,
                "name": slot["name"],
                "arguments": slot["arguments"],
            },
        )
    yield Completed(None, usage)
