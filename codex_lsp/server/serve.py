"""Serving one editor over stdio or TCP: the read loop, `exit`, signals, a bounded stop.

Reads run on the event loop (no thread-pool hop per header line and body, as pygls' stdio
reader does); writes to a pipe are non-blocking (asyncio's pipe transport buffers what the
editor has not read yet). The session ends on `exit`, end of input, SIGTERM or SIGINT,
or a broken stream; each way runs the same stop: running turns are interrupted, their
commands killed, rollouts closed, background tasks cancelled, within `STOP_TIMEOUT_S`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..lazy import importing, record_modules_at_initialize
from ..logs import ClientLogHandler
from .early import early_answer
from .transport import (
    MAX_HEADER_LINE,
    NOT_JSON,
    FrameWriter,
    FramingError,
    dispatch,
    read_frame,
)

if TYPE_CHECKING:
    from .app import CodexLanguageServer
    from .first_requests import FirstRequests

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 3.0
# A stream we cannot read is a dead client: stop fast, the process exits right after.
FRAMING_STOP_TIMEOUT_S = 0.8
DRAIN_TIMEOUT_S = 2.0


class _Session:
    """One connection's lifetime: what serves it (built as messages arrive, see `early` and
    `first_requests`), why it ended and how the process should exit."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.first: FirstRequests | None = None
        self.server: CodexLanguageServer | None = None
        # The `initialize` answered early, for pygls once it is loaded.
        self._initialize: dict[str, Any] | None = None
        self._answer: dict[str, Any] | None = None
        self.stopped = asyncio.Event()
        self.reason = ""
        self.exit_code = 0

    def stop(self, reason: str, exit_code: int = 0) -> None:
        if not self.stopped.is_set():
            self.reason = reason
            self.exit_code = exit_code
            self.stopped.set()

    def answer_early(self, body: bytes, writer: FrameWriter) -> bool:
        """Answer the connection's first message if it is an `initialize` (from the capability
        snapshot), then build the session for the first requests; False when the message
        is left to pygls."""
        try:
            message = json.loads(body)
        except NOT_JSON:
            return False
        answer = early_answer(message)
        if answer is None:
            return False
        writer.send(answer)
        record_modules_at_initialize()
        assert isinstance(message, dict)
        self._initialize, self._answer = message, answer
        with importing():  # no garbage collection while the session's modules load
            from .first_requests import FirstRequests

            self.first = FirstRequests(self.home)
        return True

    def start_server(self, writer: FrameWriter) -> CodexLanguageServer:
        """Load pygls and build the server (on the session made for the first requests, if
        any), give it the connection's writer and the `initialize` answered early."""
        with importing():
            from .app import create_server

            server = create_server(self.home, self.first.session if self.first else None)
        server.protocol.set_writer(writer)
        self.server = server
        if self._initialize is not None and self._answer is not None:
            pygls_answer = server.replay_initialize(self._initialize)
            if pygls_answer.get("result") != self._answer["result"]:
                log.error(
                    "the initialize answer sent (capabilities.json) differs from pygls': sent "
                    "%s, pygls %s; regenerate it with `codex-lsp schema`",
                    json.dumps(self._answer["result"]),
                    json.dumps(pygls_answer.get("result")),
                )
        return server

    async def stop_serving(self, timeout: float) -> None:
        """Stop what serves the connection (turns, commands, rollouts, index), bounded."""
        if self.server is not None:
            session = self.server.session
            stop = self.server.stop_session()
        elif self.first is not None:
            session = self.first.session
            stop = session.manager.shutdown()
        else:
            return
        try:
            await asyncio.wait_for(stop, timeout)
        except TimeoutError:
            log.warning("the session did not stop within %.1f s; exiting anyway", timeout)
        # The last telemetry events go out (bounded; nothing to do when telemetry is off).
        await session.telemetry.aclose()


class _Frames:
    """The client's messages in order; a read still waiting is kept for the next call."""

    def __init__(self, reader: asyncio.StreamReader, s: _Session) -> None:
        self._reader = reader
        self._s = s
        self._pending: asyncio.Task[bytes | None] | None = None

    async def ready(self, timeout: float) -> bool:
        """Whether a message (or the end of the stream) arrives within `timeout`."""
        if self._pending is None:
            self._pending = asyncio.ensure_future(read_frame(self._reader))
        task = self._pending
        try:
            done, _ = await asyncio.wait({task}, timeout=timeout)
        except asyncio.CancelledError:
            task.cancel()
            raise
        return bool(done)

    async def next(self) -> bytes | None:
        """The next message body; None when the session stops (end of input, a stream that
        cannot be read). Only a read that `ready` started is a task; the others are
        awaited directly (no task per message once the server runs)."""
        pending, self._pending = self._pending, None
        try:
            body = await (pending if pending is not None else read_frame(self._reader))
        except FramingError as exc:
            log.error("cannot read the client's stream: %s; exiting", exc)
            self._s.stop("framing error", exit_code=1)
            return None
        except OSError as exc:  # a reset connection (TCP), a broken pipe
            log.warning("the client's stream failed: %s", exc)
            self._s.stop("end of input")
            return None
        if body is None:
            self._s.stop("end of input")
        return body


# Before pygls loads: how long to wait for one more message that could be answered early,
# and for how long at most to keep pygls waiting for them.
EARLY_IDLE_S = 0.01
EARLY_MAX_S = 0.25


async def _serve_first_requests(
    frames: _Frames, writer: FrameWriter, s: _Session
) -> list[bytes] | None:
    """Answer what `first_requests` can while the client's first messages come in; the
    messages held for pygls, in order (None when the session stopped)."""
    assert s.first is not None
    held: list[bytes] = []
    loop = asyncio.get_running_loop()
    until = loop.time() + EARLY_MAX_S
    while loop.time() < until and await frames.ready(EARLY_IDLE_S):
        body = await frames.next()
        if body is None:
            return None
        if not await s.first.answer(body, writer):
            held.append(body)
    return held


async def _read_loop(reader: asyncio.StreamReader, writer: FrameWriter, s: _Session) -> None:
    frames = _Frames(reader, s)
    body = await frames.next()
    if body is None:
        return
    held: list[bytes] | None = [body]
    if s.answer_early(body, writer):
        held = await _serve_first_requests(frames, writer, s)
        if held is None:
            return
    server = s.start_server(writer)
    while not s.stopped.is_set():
        next_body = held.pop(0) if held else await frames.next()
        if next_body is None:
            return
        try:
            method = dispatch(next_body, server.protocol, writer)
        except Exception:
            # pygls fails on some valid messages (e.g. an error response to a request it
            # already cancelled); one bad message must never stop the reading.
            log.exception("could not handle a message from the client")
            continue
        if method == "exit":
            s.stop("exit", exit_code=0 if server.shutdown_requested else 1)
            return
        if method == "initialize":
            # pygls answers `initialize` synchronously: the response is written by now.
            record_modules_at_initialize()


async def _serve(s: _Session, reader: asyncio.StreamReader, writer: FrameWriter) -> int:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows
            loop.add_signal_handler(signum, s.stop, signal.Signals(signum).name)
    log_handler = _client_log(writer)
    reading = asyncio.create_task(_read_loop(reader, writer, s), name="lsp-read")
    # Whatever ends the reading ends the session: never alive and deaf.
    reading.add_done_callback(lambda _: s.stop("the reader stopped", exit_code=1))
    try:
        await s.stopped.wait()
    finally:
        reading.cancel()
        try:
            await reading
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("reading the client's stream failed")
    log.info("stopping: %s", s.reason)
    loop.set_exception_handler(_quiet_cancellations)
    timeout = FRAMING_STOP_TIMEOUT_S if s.reason == "framing error" else STOP_TIMEOUT_S
    await s.stop_serving(timeout)
    logging.getLogger("codex_lsp").removeHandler(log_handler)
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signum)
    return s.exit_code


# `window/logMessage` types (LSP `MessageType`).
_MESSAGE_TYPES = {logging.ERROR: 1, logging.WARNING: 2, logging.INFO: 3}


def _client_log(writer: FrameWriter) -> logging.Handler:
    """Forward the server's warnings and errors to the editor (`window/logMessage`), also
    those logged before the server is built."""

    def send(level: int, message: str) -> None:
        kind = _MESSAGE_TYPES.get(level, 1 if level > logging.ERROR else 4)
        writer.send(
            {
                "jsonrpc": "2.0",
                "method": "window/logMessage",
                "params": {"type": kind, "message": message},
            }
        )

    handler = ClientLogHandler(send)
    logging.getLogger("codex_lsp").addHandler(handler)
    return handler


def _quiet_cancellations(loop: asyncio.AbstractEventLoop, context: dict[str, object]) -> None:
    """While stopping, handlers still running are cancelled; pygls' done-callbacks then
    re-raise the cancellation, which is expected, not an error worth a traceback."""
    if isinstance(context.get("exception"), asyncio.CancelledError):
        return
    loop.default_exception_handler(context)


async def _stdin_reader() -> asyncio.StreamReader:
    """stdin as a stream on the event loop; a regular file (not a pipe) is read by a thread."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=MAX_HEADER_LINE)
    try:
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer)
    except ValueError:

        def pump() -> None:
            fd = sys.stdin.fileno()
            while chunk := os.read(fd, 65536):
                loop.call_soon_threadsafe(reader.feed_data, chunk)
            loop.call_soon_threadsafe(reader.feed_eof)

        threading.Thread(target=pump, name="stdin", daemon=True).start()
    return reader


class _PipeClosed(asyncio.Protocol):
    def __init__(self, on_lost: Callable[[], None]) -> None:
        self._on_lost = on_lost
        self.lost = asyncio.Event()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost.set()
        self._on_lost()


async def _stdout_writer(s: _Session) -> tuple[FrameWriter, Awaitable[None]]:
    """stdout as a non-blocking pipe transport (a blocking file where it is not a pipe),
    and an awaitable that drains what is still buffered."""
    loop = asyncio.get_running_loop()
    try:
        transport, pipe = await loop.connect_write_pipe(
            lambda: _PipeClosed(lambda: s.stop("the client's stream closed")), sys.stdout.buffer
        )
    except ValueError:
        out = sys.stdout.buffer

        def write(data: bytes) -> None:
            out.write(data)
            out.flush()

        async def nothing() -> None:
            return None

        return FrameWriter(write, lambda: None), nothing()

    async def drain() -> None:
        transport.close()  # flushes what is buffered, then reports connection_lost
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(pipe.lost.wait(), DRAIN_TIMEOUT_S)

    return FrameWriter(transport.write, lambda: None), drain()


async def serve_stdio(home: Path) -> int:
    """Serve the editor on stdin/stdout until the session ends; the process's exit code.
    The server is built as the first messages arrive (see `early`, `first_requests`)."""
    s = _Session(home)
    reader = await _stdin_reader()
    writer, drain = await _stdout_writer(s)
    try:
        return await _serve(s, reader, writer)
    finally:
        await drain
        writer.close()


def _settle(future: asyncio.Future[int], value: int) -> None:
    if not future.done():
        future.set_result(value)


async def serve_tcp(home: Path, host: str, port: int) -> int:
    """Serve the first editor that connects to host:port until its session ends."""
    done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    busy = False

    async def connection(reader: asyncio.StreamReader, stream: asyncio.StreamWriter) -> None:
        nonlocal busy
        if busy:  # one editor per server process, as over stdio
            stream.close()
            return
        busy = True
        writer = FrameWriter(stream.write, stream.close)
        try:
            code = await _serve(_Session(home), reader, writer)
        except BaseException:
            _settle(done, 1)
            raise
        finally:
            with contextlib.suppress(ConnectionError, TimeoutError):
                await asyncio.wait_for(stream.drain(), DRAIN_TIMEOUT_S)
            writer.close()
        _settle(done, code)

    listener = await asyncio.start_server(connection, host, port, limit=MAX_HEADER_LINE)
    log.info("serving on %s", ", ".join(str(sock.getsockname()) for sock in listener.sockets))
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):  # before a client connects
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, _settle, done, 0)
    async with listener:
        return await done
