"""A minimal asyncio JSON-RPC (LSP base protocol) client over a subprocess's stdio.

Kept deliberately small so that client overhead is negligible and easy to reason about:
one task reads the server's stdout, splits it on ``Content-Length`` framing, parses each
message with :func:`json.loads` and stamps it with :func:`time.monotonic_ns` the moment its
body has been read. Nothing else runs on the client's event loop while a benchmark waits.

Server-to-client requests (``window/showMessageRequest``, ``workspace/configuration``,
``window/workDoneProgress/create``, ...) are answered at once with ``null`` (or ``[]`` for
``workspace/configuration``) so the server never blocks on the benchmark.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Message", "RpcClient", "RpcError", "ServerGone"]

DEFAULT_TIMEOUT_S = 15.0
# Big results (a 1,000-turn thread) are several MB; StreamReader buffers them as needed.
_STREAM_LIMIT = 64 * 1024 * 1024


class RpcError(Exception):
    """The server answered a request with a JSON-RPC error."""

    def __init__(self, method: str, error: Mapping[str, Any]) -> None:
        super().__init__(f"{method}: {error.get('code')} {error.get('message')}")
        self.method = method
        self.error = dict(error)


class ServerGone(Exception):
    """The server's stdout closed (it exited or crashed)."""


@dataclass
class Message:
    """One message received from the server, with its receipt time."""

    received_ns: int
    body: dict[str, Any]

    @property
    def method(self) -> str | None:
        """The method of a notification or request (None for a response)."""
        method = self.body.get("method")
        return method if isinstance(method, str) else None

    @property
    def params(self) -> Any:
        """The params of a notification or request."""
        return self.body.get("params")


@dataclass
class _Pending:
    method: str
    future: asyncio.Future[Message]
    sent_ns: int = 0


@dataclass
class _Waiter:
    method: str
    predicate: Callable[[Any], bool]
    future: asyncio.Future[Message]
    start: int = 0


@dataclass
class RpcClient:
    """Drives one server process; use :meth:`spawn` to start it."""

    proc: asyncio.subprocess.Process
    notifications: list[Message] = field(default_factory=list)
    stderr_tail: list[bytes] = field(default_factory=list)
    _pending: dict[int, _Pending] = field(default_factory=dict)
    _waiters: list[_Waiter] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _reader: asyncio.Task[None] | None = None
    _stderr_reader: asyncio.Task[None] | None = None
    _closed: bool = False
    on_notification: Callable[[Message], None] | None = None
    # Newline-delimited JSON without the "jsonrpc" member (the Codex app-server's framing)
    # instead of LSP's Content-Length frames.
    jsonl: bool = False

    # -- lifecycle ---------------------------------------------------------------------

    @classmethod
    async def spawn(
        cls,
        argv: Sequence[str],
        env: Mapping[str, str],
        *,
        jsonl: bool = False,
        cwd: str | None = None,
    ) -> RpcClient:
        """Start ``argv`` with pipes for stdin/stdout/stderr and begin reading."""
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=dict(env),
            cwd=cwd,
            limit=_STREAM_LIMIT,
        )
        client = cls(proc, jsonl=jsonl)
        client._reader = asyncio.create_task(client._read_loop(), name="rpc-reader")
        client._stderr_reader = asyncio.create_task(client._drain_stderr(), name="rpc-stderr")
        return client

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.proc.pid

    async def close(self, timeout: float = 3.0) -> None:
        """``shutdown`` + ``exit`` politely, then SIGKILL the process by PID if still alive."""
        if self._closed:
            return
        self._closed = True
        try:
            if self.proc.returncode is None and self.jsonl:  # the app-server ends at EOF
                if self.proc.stdin is not None:
                    self.proc.stdin.close()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.proc.wait(), timeout)
            if self.proc.returncode is None:
                with contextlib.suppress(Exception):
                    await self.request("shutdown", None, timeout=timeout)
                with contextlib.suppress(Exception):
                    self.notify("exit", None)
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.proc.wait(), timeout)
        finally:
            self.kill()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.proc.wait(), timeout)
            for task in (self._reader, self._stderr_reader):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(BaseException):
                        await task

    def kill(self) -> None:
        """SIGKILL the server by PID (no-op if it already exited)."""
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)

    # -- reading -----------------------------------------------------------------------

    async def _drain_stderr(self) -> None:
        stream = self.proc.stderr
        assert stream is not None
        while True:
            line = await stream.readline()
            if not line:
                return
            self.stderr_tail.append(line)
            if len(self.stderr_tail) > 200:
                del self.stderr_tail[:100]

    async def _read_loop(self) -> None:
        stream = self.proc.stdout
        assert stream is not None
        try:
            while self.jsonl:
                line = await stream.readline()
                if not line:
                    raise ServerGone("server closed stdout")
                received = time.monotonic_ns()
                if line.strip():
                    self._dispatch(Message(received, json.loads(line)))
            while True:
                length = -1
                while True:
                    line = await stream.readline()
                    if not line:
                        raise ServerGone("server closed stdout")
                    if line in (b"\r\n", b"\n"):
                        break
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                if length < 0:
                    continue
                data = await stream.readexactly(length)
                received = time.monotonic_ns()
                self._dispatch(Message(received, json.loads(data)))
        except (ServerGone, asyncio.IncompleteReadError, ConnectionError) as exc:
            self._fail_all(ServerGone(f"server output ended: {exc}"))
        except asyncio.CancelledError:
            self._fail_all(ServerGone("client closed"))
            raise

    def _fail_all(self, exc: Exception) -> None:
        for pending in self._pending.values():
            if not pending.future.done():
                pending.future.set_exception(exc)
        self._pending.clear()
        for waiter in self._waiters:
            if not waiter.future.done():
                waiter.future.set_exception(exc)
        self._waiters.clear()

    def _dispatch(self, msg: Message) -> None:
        body = msg.body
        method = body.get("method")
        if method is None:  # a response
            pending = self._pending.pop(body.get("id"), None)  # type: ignore[arg-type]
            if pending is not None and not pending.future.done():
                pending.future.set_result(msg)
            return
        if "id" in body:  # a server -> client request: never leave the server waiting
            result: Any = (
                [None] * _config_items(body) if method == "workspace/configuration" else None
            )
            self._write({"jsonrpc": "2.0", "id": body["id"], "result": result})
            return
        self.notifications.append(msg)
        if self.on_notification is not None:
            self.on_notification(msg)
        if self._waiters:
            for waiter in list(self._waiters):
                if (
                    waiter.method == method
                    and not waiter.future.done()
                    and waiter.predicate(msg.params)
                ):
                    waiter.future.set_result(msg)
                    self._waiters.remove(waiter)

    # -- writing -----------------------------------------------------------------------

    def _write(self, obj: Mapping[str, Any]) -> int:
        stdin = self.proc.stdin
        assert stdin is not None
        if self.jsonl:
            obj = {k: v for k, v in obj.items() if k != "jsonrpc"}
            stdin.write(json.dumps(obj, separators=(",", ":")).encode() + b"\n")
            return time.monotonic_ns()
        data = json.dumps(obj, separators=(",", ":")).encode()
        stdin.write(b"Content-Length: %d\r\n\r\n%b" % (len(data), data))
        return time.monotonic_ns()

    def notify(self, method: str, params: Any) -> int:
        """Send a notification; returns the monotonic_ns at which it was handed to the pipe."""
        return self._write({"jsonrpc": "2.0", "method": method, "params": params})

    def send_request(self, method: str, params: Any) -> tuple[asyncio.Future[Message], int]:
        """Send a request; the future of its response and the send time (monotonic_ns)."""
        ident = next(self._ids)
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        pending = _Pending(method, future)
        self._pending[ident] = pending
        pending.sent_ns = self._write(
            {"jsonrpc": "2.0", "id": ident, "method": method, "params": params}
        )
        return future, pending.sent_ns

    async def request_timed(
        self, method: str, params: Any, timeout: float = DEFAULT_TIMEOUT_S
    ) -> tuple[Any, int]:
        """Send a request; ``(result, round-trip ns)`` (send to receipt of the response)."""
        future, sent = self.send_request(method, params)
        stdin = self.proc.stdin
        assert stdin is not None
        await stdin.drain()
        msg = await asyncio.wait_for(future, timeout)
        if "error" in msg.body:
            raise RpcError(method, msg.body["error"])
        return msg.body.get("result"), msg.received_ns - sent

    async def request(self, method: str, params: Any, timeout: float = DEFAULT_TIMEOUT_S) -> Any:
        """Send a request and return its result (RpcError on a JSON-RPC error)."""
        result, _ = await self.request_timed(method, params, timeout)
        return result

    # -- waiting for notifications -----------------------------------------------------

    def wait_for(
        self,
        method: str,
        predicate: Callable[[Any], bool] = lambda _p: True,
        *,
        since: int = 0,
    ) -> asyncio.Future[Message]:
        """A future of the first notification ``method`` matching ``predicate``.

        Notifications already received from index ``since`` on are considered first, so a
        caller can register the wait after sending the request that triggers it.
        """
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        for msg in self.notifications[since:]:
            if msg.method == method and predicate(msg.params):
                future.set_result(msg)
                return future
        self._waiters.append(_Waiter(method, predicate, future))
        return future

    async def wait(
        self,
        method: str,
        predicate: Callable[[Any], bool] = lambda _p: True,
        *,
        since: int = 0,
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> Message:
        """Wait (with a timeout) for a notification; see :meth:`wait_for`."""
        future = self.wait_for(method, predicate, since=since)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            seen = [m.method for m in self.notifications[-10:]]
            raise TimeoutError(f"no {method} within {timeout}s; last seen: {seen}") from None

    # -- LSP helpers -------------------------------------------------------------------

    async def initialize(
        self,
        root: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        on_response: Callable[[], None] | None = None,
    ) -> tuple[Any, int]:
        """``initialize`` (codex caps: no approvals, deltas) then ``initialized``;
        `on_response` runs between the two (e.g. to read the server's CPU time then).

        Returns the InitializeResult and the monotonic_ns at which it arrived.
        """
        params: dict[str, Any] = {
            "processId": os.getpid(),
            "capabilities": {"experimental": {"codex": {"approvals": False, "deltas": True}}},
            "rootUri": root,
            "workspaceFolders": [{"uri": root, "name": "ws"}] if root else None,
        }
        future, _sent = self.send_request("initialize", params)
        msg = await asyncio.wait_for(future, timeout)
        if "error" in msg.body:
            raise RpcError("initialize", msg.body["error"])
        if on_response is not None:
            on_response()
        self.notify("initialized", {})
        return msg.body.get("result"), msg.received_ns


def _config_items(body: Mapping[str, Any]) -> int:
    params = body.get("params")
    items = params.get("items") if isinstance(params, dict) else None
    return len(items) if isinstance(items, list) else 1
