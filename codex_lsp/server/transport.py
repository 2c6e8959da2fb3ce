"""The LSP base protocol under pygls: strict framing, JSON-RPC checks, framed writes.

pygls' own reader loop skips header lines it cannot parse (a wrong header leaves the server
alive but deaf), reads whatever `Content-Length` says (a huge one is a `MemoryError`),
answers nothing for a body that is not JSON, and logs the raw message of a request with a
wrong `jsonrpc` field. Here, as PROTOCOL.md says:

- a well-framed body that is not JSON gets `-32700`, one that is not a JSON-RPC 2.0 object
  `-32600` (both with `id: null`), and serving goes on;
- a header block that cannot be parsed, or a `Content-Length` over 64 MiB, is a
  `FramingError`: the caller logs why and exits;
- a request whose params pygls cannot structure gets its error (`-32602`) instead of
  silence.

Valid messages go to pygls through its public `structure_message` and `handle_message`.
Writes go through `FrameWriter`, which is also the writer pygls is given.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pygls.protocol import JsonRPCProtocol

log = logging.getLogger(__name__)

MAX_CONTENT_LENGTH = 64 * 1024 * 1024
# A header line longer than this is not a header (the stream reader's buffer limit).
MAX_HEADER_LINE = 64 * 1024
PARSE_ERROR = -32700
# What `json.loads` raises for a body that is not JSON (not UTF-8, bad syntax, too deep).
NOT_JSON = (UnicodeDecodeError, ValueError, RecursionError)
INVALID_REQUEST = -32600


class FramingError(Exception):
    """The byte stream is not LSP base protocol: nothing after it can be trusted."""


class Reader(Protocol):
    """What the framing needs of a byte stream (`asyncio.StreamReader` has it)."""

    async def readline(self) -> bytes: ...

    async def readexactly(self, n: int) -> bytes: ...


async def read_frame(reader: Reader) -> bytes | None:
    """The next message body, or None when the stream ends between messages.

    Header lines end in CRLF (a bare LF is accepted); each is `Name: value`. Only
    `Content-Length` is required; other headers (`Content-Type`) are ignored.
    """
    content_length: int | None = None
    number = 0
    while True:
        try:
            line = await reader.readline()
        except ValueError:  # asyncio's limit overrun
            raise FramingError(f"header line over {MAX_HEADER_LINE} bytes") from None
        if not line:
            if number == 0:
                return None
            raise FramingError("the stream ended inside a header block")
        if not line.endswith(b"\n"):
            raise FramingError("the stream ended inside a header line")
        number += 1
        text = line.rstrip(b"\r\n")
        if not text:
            if number == 1:
                continue  # a stray blank line between messages
            break
        # No header content in the reasons: after a desync it may be a body with secrets.
        name, sep, value = text.partition(b":")
        if not sep or not name.strip() or name != name.strip():
            raise FramingError(f"header line {number} is not `Name: value` ({len(text)} bytes)")
        if name.lower() == b"content-length":
            digits = value.strip()
            if not digits.isdigit():
                raise FramingError("Content-Length is not a non-negative integer")
            content_length = int(digits)
            if content_length > MAX_CONTENT_LENGTH:
                raise FramingError(
                    f"Content-Length {content_length} is over the limit of "
                    f"{MAX_CONTENT_LENGTH} bytes (64 MiB)"
                )
    if content_length is None:
        raise FramingError("a header block without Content-Length")
    try:
        return await reader.readexactly(content_length)
    except asyncio.IncompleteReadError as exc:
        raise FramingError(
            f"the stream ended inside a body ({len(exc.partial)} of {content_length} bytes)"
        ) from None


def invalid_request(obj: object) -> str | None:
    """Why `obj` is not a JSON-RPC 2.0 request, notification or response (None if it is)."""
    if isinstance(obj, list):
        return "batches are not supported by LSP"
    if not isinstance(obj, dict):
        return "a message must be a JSON object"
    if obj.get("jsonrpc") != "2.0":
        return 'the "jsonrpc" member must be "2.0"'
    if "id" in obj and (isinstance(obj["id"], bool) or not isinstance(obj["id"], int | str | None)):
        return 'the "id" member must be a number or a string'
    if "method" in obj:
        if not isinstance(obj["method"], str):
            return 'the "method" member must be a string'
        if obj.get("params") is not None and not isinstance(obj["params"], dict | list):
            return 'the "params" member must be an object or an array'
        if "id" in obj and obj["id"] is None:
            return 'a request\'s "id" must not be null'
        return None
    if "id" not in obj:
        return 'a message needs a "method" (request, notification) or an "id" (response)'
    if ("result" in obj) == ("error" in obj):
        return 'a response needs exactly one of "result" and "error"'
    return None


def error_response(msg_id: int | str | None, code: int, message: str) -> dict[str, Any]:
    """A JSON-RPC error response."""
    return {"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}}


class FrameWriter:
    """Framed writes to the client. pygls writes through it too (`set_writer`), so every
    message, ours and pygls', goes out whole and in order on the event loop's thread."""

    def __init__(self, write: Callable[[bytes], None], close: Callable[[], None]) -> None:
        self._write = write
        self._close = close
        self.closed = False

    def write(self, data: bytes) -> None:
        """Write bytes already framed (pygls frames its own messages)."""
        if not self.closed:
            self._write(data)

    def send(self, message: dict[str, Any]) -> None:
        """Frame and write one JSON-RPC message."""
        body = json.dumps(message, ensure_ascii=False).encode("utf-8")
        self.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    def close(self) -> None:
        """Stop writing (idempotent)."""
        if not self.closed:
            self.closed = True
            self._close()


def dispatch(body: bytes, protocol: JsonRPCProtocol, writer: FrameWriter) -> str | None:
    """Hand one body to pygls; answer what pygls would drop. Returns the method name of a
    request or notification (None for a response or an answered error). `exit` is not
    handed on: the caller ends the session."""
    try:
        obj = json.loads(body)
    except NOT_JSON as exc:
        writer.send(error_response(None, PARSE_ERROR, f"Parse error: {_reason(exc)}"))
        return None
    problem = invalid_request(obj)
    if problem is not None:
        writer.send(error_response(None, INVALID_REQUEST, f"Invalid Request: {problem}"))
        return None
    assert isinstance(obj, dict)
    method: str | None = obj.get("method")
    if method == "exit":
        return method  # the caller stops serving; pygls' own `exit` would sys.exit() mid-loop
    from pygls.exceptions import JsonRpcException  # loaded with pygls, after `initialize`

    try:
        message = protocol.structure_message(obj)
    except JsonRpcException as exc:
        if method is not None and "id" in obj:
            writer.send(error_response(obj["id"], exc.code, f"{method}: {exc.message}"))
        else:
            log.warning("dropped a %s message pygls could not read", method or "response")
        return None
    try:
        protocol.handle_message(message)
    except (asyncio.InvalidStateError, concurrent.futures.InvalidStateError):
        if method is not None:
            raise
        # pygls sets the result of the request's future even when the server already
        # cancelled that request (an approval the turn no longer waits for): nothing to do.
        log.debug("a response to request %r, which was already cancelled", obj.get("id"))
    return method


def _reason(exc: Exception) -> str:
    """The parser's reason, without the input it quotes."""
    if isinstance(exc, UnicodeDecodeError):
        return f"the body is not UTF-8 (byte {exc.start})"
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return "not JSON"
