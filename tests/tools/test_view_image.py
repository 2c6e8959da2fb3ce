"""view_image: the data URL added to the model's history, type sniffing and errors."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from codex_lsp.core.events import CoreEvent
from codex_lsp.core.tools.base import ToolCall, ToolCaps, ToolContext, ToolError, ToolResult
from codex_lsp.core.tools.view_image import ViewImageTool, image_mime

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 32
GIF = b"GIF89a" + b"\x02" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x03" * 32


def make_ctx(cwd: Path) -> ToolContext:
    events: list[CoreEvent] = []
    return ToolContext("t", "u", str(cwd), events.append, lambda i: None, lambda i: None)


async def view(cwd: Path, path: str) -> ToolResult:
    call = ToolCall("c1", "view_image", "function_call", json.dumps({"path": path}))
    return await ViewImageTool().run(call, make_ctx(cwd))


async def view_error(cwd: Path, path: str) -> str:
    with pytest.raises(ToolError) as info:
        await view(cwd, path)
    return str(info.value)


async def test_png_is_attached_as_a_data_url(tmp_path: Path) -> None:
    (tmp_path / "shot.png").write_bytes(PNG)
    result = await view(tmp_path, "shot.png")
    assert result.output == f"attached image {tmp_path / 'shot.png'}"
    expected_url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert result.extra_history == [
        {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_image", "image_url": expected_url}],
        }
    ]


@pytest.mark.parametrize(
    ("name", "data", "mime"),
    [("a.jpg", JPEG, "image/jpeg"), ("b.gif", GIF, "image/gif"), ("c.webp", WEBP, "image/webp")],
)
async def test_other_formats(tmp_path: Path, name: str, data: bytes, mime: str) -> None:
    (tmp_path / name).write_bytes(data)
    result = await view(tmp_path, str(tmp_path / name))
    url = result.extra_history[0]["content"][0]["image_url"]
    assert url.startswith(f"data:{mime};base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == data


async def test_type_comes_from_content_not_extension(tmp_path: Path) -> None:
    (tmp_path / "really-a-png.jpg").write_bytes(PNG)
    result = await view(tmp_path, "really-a-png.jpg")
    assert result.extra_history[0]["content"][0]["image_url"].startswith("data:image/png;")
    (tmp_path / "fake.png").write_text("not an image")
    message = await view_error(tmp_path, "fake.png")
    assert (
        message == f"{tmp_path / 'fake.png'} is not a supported image (PNG, JPEG, GIF or WebP only)"
    )


async def test_errors(tmp_path: Path) -> None:
    assert await view_error(tmp_path, "missing.png") == (
        f"image not found: {tmp_path / 'missing.png'}"
    )
    assert "is a directory" in await view_error(tmp_path, ".")
    big = tmp_path / "huge.png"
    with big.open("wb") as fh:
        fh.write(PNG)
        fh.truncate(20 * 1024 * 1024 + 1)
    message = await view_error(tmp_path, "huge.png")
    assert "too large to attach (20.0 MiB; the limit is 20 MiB)" in message


def test_image_mime() -> None:
    assert image_mime(PNG[:16]) == "image/png"
    assert image_mime(JPEG[:16]) == "image/jpeg"
    assert image_mime(GIF[:16]) == "image/gif"
    assert image_mime(WEBP[:16]) == "image/webp"
    assert image_mime(b"RIFF\x00\x00\x00\x00WAVE") is None
    assert image_mime(b"") is None


def test_spec_shape() -> None:
    spec = ViewImageTool().spec(ToolCaps())
    assert spec is not None
    assert spec["name"] == "view_image"
    assert spec["parameters"]["required"] == ["path"]
    assert ViewImageTool.parallel_safe is True
