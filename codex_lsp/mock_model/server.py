"""The aiohttp application and :class:`MockModelServer`.

Routes (any base-path prefix is accepted for the model endpoints, plus query parameters):

- ``POST .../responses`` -- Responses API (SSE when ``"stream": true``, else JSON);
- ``POST .../chat/completions`` -- Chat Completions API (SSE or JSON likewise);
- ``GET .../models`` and ``GET .../models/{id}`` -- the configured model list;
- control API: ``POST /_mock/enqueue`` (a MockResponse or a list), ``GET /_mock/requests``,
  ``POST /_mock/reset``, ``POST /_mock/default`` (a MockResponse or null), ``GET /_mock/health``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from types import TracebackType
from typing import Any, Self

from aiohttp import web
from pydantic import ValidationError

from codex_lsp.mock_model.builders import text_response
from codex_lsp.mock_model.handlers import RecordedRequest, Wire, answer, error_json, parse_body
from codex_lsp.mock_model.script import MockResponse, parse_script

__all__ = ["NO_SCRIPT_TEXT", "MockModelServer"]

NO_SCRIPT_TEXT = "mock model: no scripted response queued"
_MODELS_CREATED = 1_700_000_000
_SHUTDOWN_TIMEOUT_S = 1.0


class MockModelServer:
    """A scriptable mock of the OpenAI model API on a loopback port.

    Use it as an async context manager (``async with MockModelServer() as server``), with
    ``start()``/``stop()``, or from synchronous code with ``start_in_thread()``/``stop_thread()``.
    Each model request pops one queued :class:`MockResponse` (FIFO); with an empty queue the
    ``default`` script is used, else a message saying no response was queued.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        default: MockResponse | None = None,
        models: list[str] | None = None,
        require_api_key: str | None = None,
    ) -> None:
        self.host = host
        self._requested_port = port
        self.default = default
        self.models: list[str] = list(models) if models else ["mock-model"]
        self.require_api_key = require_api_key
        self.requests: list[RecordedRequest] = []
        self._queue: deque[MockResponse] = deque()
        self._lock = threading.Lock()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # -- addresses ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port (only valid once started)."""
        if self._port is None:
            raise RuntimeError("MockModelServer is not started")
        return self._port

    @property
    def url(self) -> str:
        """The SDK ``base_url``, e.g. ``http://127.0.0.1:PORT/v1``."""
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}/v1"

    # -- script queue ------------------------------------------------------------------------

    def enqueue(self, *responses: MockResponse) -> None:
        """Queue responses (FIFO); each model request pops one."""
        with self._lock:
            self._queue.extend(responses)

    @property
    def queued(self) -> int:
        """How many scripted responses are still queued."""
        with self._lock:
            return len(self._queue)

    def reset(self) -> None:
        """Drop queued responses and recorded requests (``default`` is kept)."""
        with self._lock:
            self._queue.clear()
            self.requests.clear()

    def _next_script(self) -> MockResponse:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        return self.default if self.default is not None else text_response(NO_SCRIPT_TEXT)

    # -- waiting -----------------------------------------------------------------------------

    async def wait_for_requests(
        self,
        n: int,
        timeout: float = 10.0,
    ) -> list[RecordedRequest]:
        """Wait until at least ``n`` model requests were recorded; return them all."""
        deadline = time.monotonic() + timeout
        while len(self.requests) < n:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"expected {n} model requests, got {len(self.requests)}")
            await asyncio.sleep(0.005)
        with self._lock:
            return list(self.requests)

    async def wait_for_disconnect(
        self,
        index: int = -1,
        timeout: float = 10.0,
    ) -> RecordedRequest:
        """Wait until recorded request ``index`` saw its client go away mid-answer."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                record = self.requests[index] if self.requests else None
            if record is not None and record.client_disconnected:
                return record
            if time.monotonic() >= deadline:
                raise TimeoutError(f"request {index} did not see a client disconnect")
            await asyncio.sleep(0.005)

    def wait_for_requests_sync(self, n: int, timeout: float = 10.0) -> list[RecordedRequest]:
        """Blocking variant of :meth:`wait_for_requests` for thread-mode callers."""
        deadline = time.monotonic() + timeout
        while len(self.requests) < n:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"expected {n} model requests, got {len(self.requests)}")
            time.sleep(0.005)
        with self._lock:
            return list(self.requests)

    # -- the app -----------------------------------------------------------------------------

    def build_app(self) -> web.Application:
        """The aiohttp application (control routes first, then the catch-all model routes)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/_mock/enqueue", self._control_enqueue)
        app.router.add_get("/_mock/requests", self._control_requests)
        app.router.add_post("/_mock/reset", self._control_reset)
        app.router.add_post("/_mock/default", self._control_default)
        app.router.add_get("/_mock/health", self._control_health)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        return app

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path.rstrip("/")
        if request.method == "POST" and path.endswith("/responses"):
            return await self._model_request(request, "responses")
        if request.method == "POST" and path.endswith("/chat/completions"):
            return await self._model_request(request, "chat")
        if request.method == "GET" and "/models" in path:
            return self._models(request, path)
        return error_json(
            404,
            {
                "error": {
                    "message": f"mock model: no route for {request.method} {request.path}",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "unknown_url",
                }
            },
        )

    def _authorized(self, request: web.Request) -> bool:
        if self.require_api_key is None:
            return True
        return request.headers.get("Authorization") == f"Bearer {self.require_api_key}"

    async def _model_request(self, request: web.Request, wire: Wire) -> web.StreamResponse:
        record = RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=parse_body(await request.read()),
            wire=wire,
            received_at=time.monotonic(),
        )
        with self._lock:
            self.requests.append(record)
        if not self._authorized(request):
            record.status = 401
            return error_json(401)
        return await answer(request, record, self._next_script(), wire, lambda: self._stopping)

    def _models(self, request: web.Request, path: str) -> web.StreamResponse:
        if not self._authorized(request):
            return error_json(401)
        entries = [
            {"id": m, "object": "model", "created": _MODELS_CREATED, "owned_by": "mock"}
            for m in self.models
        ]
        if path.endswith("/models"):
            return web.json_response({"object": "list", "data": entries})
        model_id = path.rsplit("/models/", 1)[-1]
        for entry in entries:
            if entry["id"] == model_id:
                return web.json_response(entry)
        return error_json(404)

    # -- control API -------------------------------------------------------------------------

    async def _control_enqueue(self, request: web.Request) -> web.StreamResponse:
        try:
            scripts = parse_script(parse_body(await request.read()))
        except ValidationError as exc:
            return error_json(400, _invalid(str(exc)))
        self.enqueue(*scripts)
        return web.json_response({"enqueued": len(scripts), "queued": self.queued})

    async def _control_requests(self, request: web.Request) -> web.StreamResponse:
        with self._lock:
            data = [r.model_dump(mode="json") for r in self.requests]
        return web.json_response(data)

    async def _control_reset(self, request: web.Request) -> web.StreamResponse:
        self.reset()
        return web.json_response({"ok": True})

    async def _control_default(self, request: web.Request) -> web.StreamResponse:
        data = parse_body(await request.read())
        try:
            self.default = None if data is None else MockResponse.model_validate(data)
        except ValidationError as exc:
            return error_json(400, _invalid(str(exc)))
        return web.json_response({"ok": True})

    async def _control_health(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {"status": "ok", "url": self.url, "queued": self.queued, "requests": len(self.requests)}
        )

    # -- lifecycle (async) -------------------------------------------------------------------

    async def start(self) -> None:
        """Bind and start serving (a free loopback port when ``port=0``)."""
        if self._runner is not None:
            raise RuntimeError("MockModelServer is already started")
        self._stopping = False
        runner = web.AppRunner(
            self.build_app(),
            access_log=None,
            handle_signals=False,
            shutdown_timeout=_SHUTDOWN_TIMEOUT_S,
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._requested_port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        address: Any = runner.addresses[0]
        self._port = int(address[1])

    async def stop(self) -> None:
        """Stop serving; in-flight streams are ended promptly."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self._stopping = True
        await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- lifecycle (background thread) -------------------------------------------------------

    def start_in_thread(self, timeout: float = 10.0) -> Self:
        """Run the server on its own event loop in a daemon thread; returns ``self``."""
        if self._thread is not None:
            raise RuntimeError("MockModelServer is already running in a thread")
        ready = threading.Event()
        errors: list[BaseException] = []
        loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start())
            except BaseException as exc:
                errors.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                with contextlib.suppress(Exception):
                    loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        thread = threading.Thread(target=run, name="mock-model-server", daemon=True)
        self._loop, self._thread = loop, thread
        thread.start()
        if not ready.wait(timeout):
            raise TimeoutError("mock model server did not start in time")
        if errors:
            self._loop = self._thread = None
            raise errors[0]
        return self

    def stop_thread(self, timeout: float = 10.0) -> None:
        """Stop a server started with :meth:`start_in_thread` and join its thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self.stop(), loop).result(timeout)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout)
            self._loop = self._thread = None


def _invalid(message: str) -> dict[str, Any]:
    return {
        "error": {
            "message": f"mock model: invalid script: {message}",
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
    }
