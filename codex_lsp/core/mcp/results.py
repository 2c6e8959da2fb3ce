"""An MCP tool's result, for the client's item and for the model.

The item keeps the MCP content blocks and the structured content as the server sent them.
The model reads the structured content as JSON when there is some (as Codex sends it),
else the text of the blocks; images are given to it as images, in a user message right
after the call's output (the output names them), which both wire APIs carry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ...protocol.mcp import McpToolCallResult

IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


@dataclass
class ModelResult:
    """What the model is told, whether the call succeeded, images to show it."""

    output: str
    success: bool
    extra_history: list[dict[str, Any]] = field(default_factory=list)


def wire_result(result: dict[str, Any]) -> McpToolCallResult:
    """The item's `result`."""
    content = [block for block in result.get("content") or [] if isinstance(block, dict)]
    return McpToolCallResult(content=content, structured_content=result.get("structuredContent"))


def model_result(result: dict[str, Any]) -> ModelResult:
    """The call's output for the model (module doc)."""
    success = not result.get("isError")
    images: list[dict[str, Any]] = []
    texts: list[str] = []
    for block in result.get("content") or []:
        if not isinstance(block, dict):
            continue
        text, image = _block(block)
        if text:
            texts.append(text)
        if image is not None:
            images.append(image)
    structured = result.get("structuredContent")
    if structured is not None and success:
        output = json.dumps(structured, ensure_ascii=False)
        output += "".join(f"\n{t}" for t in texts if t.startswith("[image"))
    else:
        output = "\n".join(texts) if texts else ("(no output)" if success else "(error)")
    extra: list[dict[str, Any]] = []
    if images:
        extra.append({"type": "message", "role": "user", "content": images})
    return ModelResult(output, success, extra)


def _block(block: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    """One content block: its text for the model, and an image to show it."""
    kind = block.get("type")
    if kind == "text":
        return str(block.get("text") or ""), None
    mime = str(block.get("mimeType") or "")
    if kind == "image":
        data = block.get("data")
        if mime in IMAGE_TYPES and isinstance(data, str) and data:
            image = {"type": "input_image", "image_url": f"data:{mime};base64,{data}"}
            return f"[image ({mime}) attached after this output]", image
        return f"[image ({mime or 'unknown type'}) not shown: unsupported]", None
    if kind == "audio":
        return f"[audio ({mime or 'unknown type'}) not shown]", None
    if kind == "resource":
        resource = block.get("resource") or {}
        uri = resource.get("uri", "")
        if isinstance(resource.get("text"), str):
            return f"[resource {uri}]\n{resource['text']}", None
        return f"[resource {uri} ({resource.get('mimeType') or 'binary'}) not shown]", None
    if kind == "resource_link":
        name = block.get("name") or ""
        return f"[resource link {block.get('uri', '')}{f' ({name})' if name else ''}]", None
    return f"[{kind} content not shown]", None
