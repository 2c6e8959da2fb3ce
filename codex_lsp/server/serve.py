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
from typing import TYPE_CHECKING

from ..lazy import record_modules_at_initialize
from ..logs import ClientLogHandler
from .early import early_answer
from .transport import MAX_HEADER_LINE, FrameWriter, FramingError, dispatch, read_frame

if TYPE_CHECKING:
    from .app import CodexLanguageServer

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 3.0
# A stream we cannot read is a dead client: stop fast, the process exits right after.
FRAMING_STOP_TIMEOUT_S = 0.8
DRAIN_TIMEOUT_S = 2.0


class _Session:
    """One connection's lifetime: the server (built when the first message is read, see
    `early`), why the connection ended and how the process should exit."""

    def __init__(self, build: Callable[[], CodexLanguageServer]) -> None:
        self.build = build
        self.server: CodexLanguageServer | None = None
        self.stopped = asyncio.Event()
        self.reason = ""
        self.exit_code = 0

    def stop(self, reason: str, exit_code: int = 0) -> None:
        if not self.stopped.is_set():
            self.reason = reason
            self.exit_code = exit_code
            self.stopped.set()

    def start_server(self, writer: FrameWriter) -> CodexLanguageServer:
        """Build the server (pygls, the session) and give it the connection's writer."""
        if self.server is None:
            self.server = self.build()
            self.server.protocol.set_writer(writer)
        return self.server

    def first_message(self, body: bytes, writer: FrameWriter) -> bool:
        """Start the server on the connection's first message; True when that message was an
        `initialize` answered here from the capability snapshot (and handed to pygls after),
        False when it is still to be dispatched."""
        try:
            message = json.loads(body)
        except (UnicodeDecodeError, ValueError, RecursionError):
            message = None
        answer = early_answer(message)
        if answer is None:
            self.start_server(writer)
            return False
        writer.send(answer)
        record_modules_at_initialize()
        server = self.start_server(writer)
        assert isinstance(message, dict)
        pygls_answer = server.replay_initialize(message)
        if pygls_answer.get("result") != answer["result"]:
            log.error(
                "the initialize answer sent (capabilities.json) differs from pygls': sent "
                "%s, pygls %s; regenerate it with `codex-lsp schema`",
                json.dumps(answer["result"]),
                json.dumps(pygls_answer.get("result")),
            )
        return True


async def _read_loop(reader: asyncio.StreamReader, writer: FrameWriter, s: _Session) -> None:
    while not s.stopped.is_set():
        try:
            body = await read_frame(reader)
        except FramingError as exc:
            log.error("cannot read the client's stream: %s; exiting", exc)
            s.stop("framing error", exit_code=1)
            return
        except OSError as exc:  # a reset connection (TCP), a broken pipe
            log.warning("the client's stream failed: %s", exc)
            s.stop("end of input")
            return
        if body is None:
            s.stop("end of input")
            return
        server = s.server
        if server is None:
            if s.first_message(body, writer):
                continue
            server = s.start_server(writer)
        try:
            method = dispatch(body, server.protocol, writer)
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
    server = s.server
    if server is not None:
        try:
            await asyncio.wait_for(server.stop_session(), timeout)
        except TimeoutError:
            log.warning("the session did not stop within %.1f s; exiting anyway", timeout)
        # The last telemetry events go out (bounded; nothing to do when telemetry is off).
        await server.session.telemetry.aclose()
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


async def serve_stdio(build: Callable[[], CodexLanguageServer]) -> int:
    """Serve the editor on stdin/stdout until the session ends; the process's exit code.
    `build` makes the server once the first message is read (see `early`)."""
    s = _Session(build)
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


async def serve_tcp(build: Callable[[], CodexLanguageServer], host: str, port: int) -> int:
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
            code = await _serve(_Session(build), reader, writer)
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
