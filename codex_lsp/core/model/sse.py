"""Server-sent events: the model's streamed answer, decoded into plain JSON objects.

Per the SSE spec (https://html.spec.whatwg.org/multipage/server-sent-events.html): lines end
with LF, CRLF or CR; `data:` fields of one event are joined with LF; a blank line ends an
event; lines starting with `:` are comments. The event name is not needed: both wires carry
the kind in the JSON (`type` / `object`). `[DONE]` ends the stream (Chat Completions).

Like the OpenAI SDK did: an event whose JSON object has a truthy `error` key raises
`StreamError` (with the error's message), and data that is not JSON raises `ValueError`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

_DEFAULT_ERROR = "An error occurred during streaming"


class StreamError(Exception):
    """An event of the stream was an error object (`{"error": {...}}`)."""


class SSEDecoder:
    """Incremental decoder: `feed` bytes as they arrive, get the data of each complete
    event (bytes, `data:` lines joined with LF)."""

    def __init__(self) -> None:
        self._buffer = b""
        self._data: list[bytes] = []
        self._event = False

    def feed(self, chunk: bytes) -> list[bytes]:
        buffer = self._buffer + chunk if self._buffer else chunk
        held = b""
        if b"\r" in buffer:
            if buffer.endswith(b"\r"):
                # Its LF may be in the next chunk: decide then.
                buffer, held = buffer[:-1], b"\r"
            buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = buffer.split(b"\n")
        self._buffer = lines.pop() + held
        events: list[bytes] = []
        for line in lines:
            if not line:
                if self._data or self._event:
                    events.append(b"\n".join(self._data))
                    self._data = []
                    self._event = False
            elif line[0] == 58:  # ":" comment
                continue
            else:
                field, _, value = line.partition(b":")
                if value[:1] == b" ":
                    value = value[1:]
                if field == b"data":
                    self._data.append(value)
                elif field == b"event":
                    self._event = True
        return events


def parse_event(data: bytes) -> Any:
    """The JSON object of one event; `StreamError` for an error object."""
    event = json.loads(data)
    if isinstance(event, dict) and event.get("error"):
        error = event["error"]
        message = error.get("message") if isinstance(error, dict) else None
        raise StreamError(message if isinstance(message, str) and message else _DEFAULT_ERROR)
    return event


async def json_events(read: Callable[[], Awaitable[bytes]]) -> AsyncIterator[Any]:
    """The JSON objects of the stream whose bytes `read` returns (b"" at its end), up to
    `[DONE]` or the end of the body."""
    decoder = SSEDecoder()
    while chunk := await read():
        for data in decoder.feed(chunk):
            if data.startswith(b"[DONE]"):
                return
            yield parse_event(data)
