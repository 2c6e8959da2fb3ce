"""`view_image`: show the model a local image file (added to its history as an
`input_image` data URL after the tool's output)."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from .base import (
    ToolCall,
    ToolCaps,
    ToolContext,
    ToolError,
    ToolResult,
    function_tool,
    parse_arguments,
)
from .fs_common import describe_os_error, resolve_path

MAX_IMAGE_BYTES = 20 * 1024 * 1024
SUPPORTED = "PNG, JPEG, GIF or WebP"

_DESCRIPTION = (
    "Attaches a local image file (PNG, JPEG, GIF or WebP, up to 20 MiB) so you can look "
    "at it, e.g. a screenshot or a diagram in the repository."
)


class ViewImageArgs(BaseModel):
    """The model's arguments."""

    model_config = ConfigDict(extra="ignore")

    path: str


def image_mime(head: bytes) -> str | None:
    """The MIME type of an image from its first bytes (None: not a supported image)."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def image_data_url(data: bytes, mime: str) -> str:
    """`data:<mime>;base64,...`."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


class ViewImageTool:
    """The `view_image` tool. Stateless."""

    name = "view_image"
    parallel_safe = True

    def spec(self, caps: ToolCaps) -> dict[str, Any] | None:
        return function_tool(
            self.name,
            _DESCRIPTION,
            {
                "path": {
                    "type": "string",
                    "description": "Path of the image file: absolute, or relative to "
                    "the working directory.",
                }
            },
            ["path"],
        )

    async def run(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        args = parse_arguments(call, ViewImageArgs)
        path = resolve_path(ctx.cwd, args.path)
        data, mime = await asyncio.to_thread(_load, path)
        message = {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_image", "image_url": image_data_url(data, mime)}],
        }
        return ToolResult(f"attached image {path}", extra_history=[message])


def _load(path: Path) -> tuple[bytes, str]:
    try:
        if path.is_dir():
            raise ToolError(f"{path} is a directory, not an image file")
        size = path.stat().st_size
        if size > MAX_IMAGE_BYTES:
            raise ToolError(
                f"{path} is too large to attach ({size / (1024 * 1024):.1f} MiB; "
                f"the limit is {MAX_IMAGE_BYTES // (1024 * 1024)} MiB)"
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise ToolError(f"image not found: {path}") from None
    except OSError as exc:
        raise ToolError(f"cannot read {path}: {describe_os_error(exc)}") from None
    if len(data) > MAX_IMAGE_BYTES:  # grew since stat
        raise ToolError(f"{path} is too large to attach (the limit is 20 MiB)")
    mime = image_mime(data[:16])
    if mime is None:
        raise ToolError(f"{path} is not a supported image ({SUPPORTED} only)")
    return data, mime
