"""User input (text, images, mentions, documents) turned into Responses API content."""

from __future__ import annotations

import base64
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from ...protocol.user_input import (
    DocumentInput,
    ImageInput,
    LocalImageInput,
    MentionInput,
    Range,
    TextInput,
    UserInput,
)

MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_DOCUMENT_CHARS = 200_000


class InputError(ValueError):
    """User input that cannot be sent (missing file, too large); `index` names the entry."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index


def uri_to_path(uri: str) -> Path:
    """A `file://` URI (or a plain path) as a local path."""
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        return Path(unquote(parsed.path if parsed.scheme else uri))
    raise ValueError(f"unsupported URI scheme {parsed.scheme!r}: {uri}")


def _slice(text: str, rng: Range | None) -> str:
    if rng is None:
        return text
    lines = text.splitlines(keepends=True)
    start, end = rng.start, rng.end
    if start.line >= len(lines):
        return ""
    if start.line == end.line:
        return lines[start.line][start.character : end.character]
    parts = [lines[start.line][start.character :]]
    parts += lines[start.line + 1 : end.line]
    if end.line < len(lines):
        parts.append(lines[end.line][: end.character])
    return "".join(parts)


def _image_data_url(path: Path) -> str:
    data = path.read_bytes()
    if len(data) > MAX_IMAGE_BYTES:
        raise ValueError(f"image {path} is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MiB")
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if not mime.startswith("image/"):
        raise ValueError(f"{path} is not an image ({mime})")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _document_text(doc: DocumentInput, read_document: Any) -> str:
    text = read_document(doc.uri) if read_document is not None else None
    if text is None:
        text = uri_to_path(doc.uri).read_text(encoding="utf-8", errors="replace")
    body = _slice(text, doc.range)[:MAX_DOCUMENT_CHARS]
    where = uri_to_path(doc.uri)
    if doc.range is not None:
        span = f"lines {doc.range.start.line + 1}-{doc.range.end.line + 1} of {where}"
    else:
        span = str(where)
    return f'<document path="{where}" span="{span}">\n{body}\n</document>'


def to_model_content(inputs: list[UserInput], read_document: Any = None) -> list[dict[str, Any]]:
    """Responses `input_text` / `input_image` parts for the user's input.

    `read_document(uri) -> str | None` returns an editor buffer's text when it is open.
    """
    parts: list[dict[str, Any]] = []
    for index, entry in enumerate(inputs):
        try:
            if isinstance(entry, TextInput):
                parts.append({"type": "input_text", "text": entry.text})
            elif isinstance(entry, ImageInput):
                parts.append({"type": "input_image", "image_url": entry.url, "detail": "auto"})
            elif isinstance(entry, LocalImageInput):
                url = _image_data_url(Path(entry.path).expanduser())
                parts.append({"type": "input_image", "image_url": url, "detail": "auto"})
            elif isinstance(entry, MentionInput):
                parts.append({"type": "input_text", "text": f"@{entry.name} ({entry.path})"})
            elif isinstance(entry, DocumentInput):
                parts.append({"type": "input_text", "text": _document_text(entry, read_document)})
        except (OSError, ValueError) as exc:
            raise InputError(index, str(exc)) from exc
    return parts
