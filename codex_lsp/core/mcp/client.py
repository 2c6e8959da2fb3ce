"""The MCP SDK side of a connection: connect, list, call (imported only when MCP is used).

A connection lives in one task (`serve`): the SDK's `Client` is an async context (task
groups, a subprocess or an HTTP session) that must be entered and left by the same task.
One cancel scope spans its whole life: its deadline is the startup timeout until the
server is ready, then none; cancelling it (a reload, shutdown) closes the client, which
for a stdio server closes its stdin, waits, then kills it.

stdio servers are started through `stdio_child.py` and the command launcher (Linux), so
they die with codex-lsp however it ends, as the commands the model runs do; their stderr
is read into the log (redacted), its last lines added to a startup error. HTTP servers get
their configured headers and bearer token, or the stored OAuth tokens (`oauth.py`).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import math
import os
import shutil
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import httpx2
import mcp_types as types
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from pydantic import ValidationError

from ... import __version__
from ..redact import redact, register_secret, secret_header_values
from ..sandbox.spawn import LAUNCHER_PATH, LAUNCHER_PYTHON, USE_LAUNCHER
from ..tasks import spawn
from .config import MissingVariable, ServerTable, http_headers, stdio_environment
from .connection import McpCallError, McpConnection, ProgressCallback, ToolInfo, describe_error
from .oauth import connection_auth
from .oauth_store import OAuthRecord

STDIO_CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stdio_child.py")
MAX_PAGES = 100
STDERR_TAIL_LINES = 5
HTTP_TIMEOUT = httpx2.Timeout(30.0, read=300.0)
stderr_log = logging.getLogger("codex_lsp.mcp.stderr")


class StartError(Exception):
    """The server cannot be started as configured; the message says why."""


async def serve(conn: McpConnection) -> None:
    """Run `conn` until it is stopped (module doc)."""
    table = conn.config.table
    assert table is not None
    timeout = conn.config.startup_timeout_s
    stderr = StderrLog(conn.name)
    unauthorized = Unauthorized()
    with anyio.CancelScope() as scope:
        conn.cancel = scope.cancel
        scope.deadline = anyio.current_time() + timeout
        try:
            async with contextlib.AsyncExitStack() as stack:
                client = await _connect(conn, table, stack, stderr, unauthorized)
                tools, resources, templates = await _discover(client)
                scope.deadline = math.inf
                conn.ready(client, tools, resources, templates)
                await anyio.sleep_forever()
        except Exception as exc:
            conn.failed(_startup_error(conn, exc, stderr, unauthorized))
    conn.cancel = None
    if scope.cancelled_caught and not conn.stopping and conn.state == "starting":
        conn.failed(_with_stderr(f"did not start within {timeout:g} s", stderr))


async def _connect(
    conn: McpConnection,
    table: ServerTable,
    stack: contextlib.AsyncExitStack,
    stderr: StderrLog,
    unauthorized: Unauthorized,
) -> Client:
    if table.url is None:
        params = stdio_parameters(table)
        errlog = stderr.open()
        try:
            client = Client(stdio_client(params, errlog=errlog), cache=None, client_info=_INFO)
            return await stack.enter_async_context(client)
        finally:
            errlog.close()  # the server has its copy
    http = await _http_client(conn, table, unauthorized)
    await stack.enter_async_context(http)
    transport = streamable_http_client(table.url, http_client=http)
    client = Client(transport, cache=None, client_info=_INFO)
    return await stack.enter_async_context(client)


_INFO = types.Implementation(name="codex-lsp", version=__version__)


def stdio_parameters(table: ServerTable) -> StdioServerParameters:
    """How the SDK starts the server: its command through the launcher (Linux) with the
    environment of `config.stdio_environment`."""
    assert table.command is not None
    env = stdio_environment(table)
    cwd = os.path.expanduser(table.cwd) if table.cwd else None
    if cwd is not None and not os.path.isdir(cwd):
        raise StartError(f"cwd {cwd} is not a directory")
    command = table.command
    if os.sep in command:
        program = os.path.join(cwd or os.getcwd(), os.path.expanduser(command))
        if not (os.path.isfile(program) and os.access(program, os.X_OK)):
            raise StartError(f"{command}: not an executable file")
    else:
        found = shutil.which(command, path=env.get("PATH"))
        if found is None:
            raise StartError(f"command not found: {command}")
        program = found
    if USE_LAUNCHER and hasattr(os, "pidfd_open"):
        args = [
            "-I",
            "-S",
            "-B",
            STDIO_CHILD,
            LAUNCHER_PATH,
            str(os.getpid()),
            program,
            *table.args,
        ]
        return StdioServerParameters(command=LAUNCHER_PYTHON, args=args, env=env, cwd=cwd)
    return StdioServerParameters(command=program, args=list(table.args), env=env, cwd=cwd)


class Unauthorized:
    """Notes whether the HTTP server answered 401 (and asked for OAuth)."""

    def __init__(self) -> None:
        self.seen = False

    async def __call__(self, response: httpx2.Response) -> None:
        if response.status_code == 401:
            self.seen = True


async def _http_client(
    conn: McpConnection, table: ServerTable, unauthorized: Unauthorized
) -> httpx2.AsyncClient:
    assert table.url is not None
    try:
        headers = http_headers(table)
    except MissingVariable as exc:
        raise StartError(str(exc)) from None
    for value in secret_header_values(headers):
        register_secret(value)
        register_secret(value.partition(" ")[2])
    auth: httpx2.Auth | None = None
    if conn.auth_status != "bearerToken":
        record = await asyncio.to_thread(conn.credentials.load, conn.name, table.url)
        if record is not None and record.logged_in:
            conn.auth_status = "oAuth"
            auth = connection_auth(table.url, record, _persister(conn, table.url))
    return httpx2.AsyncClient(
        headers=headers,
        auth=auth,
        timeout=HTTP_TIMEOUT,
        event_hooks={"response": [unauthorized]},
    )


def _persister(conn: McpConnection, url: str) -> Any:
    async def persist(record: OAuthRecord) -> None:
        await asyncio.to_thread(conn.credentials.save, conn.name, url, record)

    return persist


async def _discover(
    client: Client,
) -> tuple[list[ToolInfo], list[dict[str, Any]], list[dict[str, Any]]]:
    tools = [tool_info(t) for t in await _all_pages(client.list_tools, "tools")]
    resources: list[dict[str, Any]] = []
    templates: list[dict[str, Any]] = []
    if client.server_capabilities.resources is not None:
        # Resources are shown, not needed: a server that fails to list them still works.
        with contextlib.suppress(MCPError, ValidationError):
            resources = [_json(r) for r in await _all_pages(client.list_resources, "resources")]
        with contextlib.suppress(MCPError, ValidationError):
            listed = await _all_pages(client.list_resource_templates, "resource_templates")
            templates = [_json(t) for t in listed]
    return tools, resources, templates


async def _all_pages(fetch: Callable[..., Awaitable[Any]], field: str) -> list[Any]:
    """Every item of a paginated MCP list (`tools/list`, ...), at most `MAX_PAGES` pages."""
    items: list[Any] = []
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        page = await fetch(cursor=cursor)
        items.extend(getattr(page, field))
        cursor = page.next_cursor
        if not cursor:
            break
    return items


def _json(model: Any) -> dict[str, Any]:
    data: dict[str, Any] = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    return data


def tool_info(tool: types.Tool) -> ToolInfo:
    """What the model and the status list need of an MCP tool."""
    annotations = tool.annotations
    return ToolInfo(
        name=tool.name,
        description=tool.description or tool.title or "",
        input_schema=dict(tool.input_schema),
        read_only=bool(annotations is not None and annotations.read_only_hint),
        wire=_json(tool),
    )


def _startup_error(
    conn: McpConnection, exc: BaseException, stderr: StderrLog, unauthorized: Unauthorized
) -> str:
    if isinstance(exc, StartError):
        return str(exc)
    table = conn.config.table
    if table is not None and table.url is not None and unauthorized.seen:
        if conn.auth_status == "bearerToken":
            return "the server refused the bearer token (HTTP 401)"
        conn.auth_status = "notLoggedIn"
        return "the server requires an OAuth login (codex/mcpServer/oauth/login)"
    return _with_stderr(describe_error(exc), stderr)


def _with_stderr(message: str, stderr: StderrLog) -> str:
    tail = stderr.tail()
    return f"{message}; stderr: {tail}" if tail else message


async def call_tool(
    conn: McpConnection,
    client: Client,
    tool: str,
    arguments: dict[str, Any],
    on_progress: ProgressCallback,
) -> dict[str, Any]:
    """One `tools/call` with a progress token and `tool_timeout_sec` (see
    `McpConnection.call_tool`)."""
    timeout = conn.config.tool_timeout_s
    try:
        result = await client.call_tool(
            tool, arguments, read_timeout_seconds=timeout, progress_callback=on_progress
        )
    except MCPError as exc:
        if exc.code == types.REQUEST_TIMEOUT:
            raise McpCallError(f"timed out after {timeout:g} s (tool_timeout_sec)") from None
        if exc.code == types.CONNECTION_CLOSED:
            conn.failed(f"connection closed: {exc.message}")
            raise McpCallError(f"the connection to {conn.name!r} closed") from None
        raise McpCallError(redact(f"the server refused the call: {exc.message}")) from None
    except (anyio.ClosedResourceError, anyio.BrokenResourceError, httpx2.TransportError) as exc:
        conn.failed(describe_error(exc))
        raise McpCallError(redact(f"the connection to {conn.name!r} broke: {exc}")) from None
    except ValidationError as exc:
        raise McpCallError(f"the server's answer is not a valid tool result: {exc}") from None
    return _json(result)


class StderrLog:
    """A stdio server's stderr: each line logged (redacted), the last few kept."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        self._task: asyncio.Task[None] | None = None

    def open(self) -> Any:
        """The write end to give the server (close it once the server started)."""
        read_fd, write_fd = os.pipe()
        self._task = spawn(self._read(read_fd), name=f"mcp {self.name} stderr")
        return os.fdopen(write_fd, "w", encoding="utf-8", errors="replace")

    async def _read(self, fd: int) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=1 << 20)
        with os.fdopen(fd, "rb", buffering=0) as pipe:
            transport, _ = await loop.connect_read_pipe(
                lambda: asyncio.StreamReaderProtocol(reader), pipe
            )
            try:
                while True:
                    try:
                        raw = await reader.readline()
                    except ValueError:  # a line longer than the limit
                        raw = await reader.read(1 << 20)
                    if not raw:
                        return
                    line = redact(raw.decode("utf-8", errors="replace").rstrip())
                    if line:
                        self._tail.append(line)
                        stderr_log.info("MCP server %s: %s", self.name, line)
            finally:
                transport.close()

    def tail(self) -> str:
        """The last lines the server wrote to stderr, joined."""
        return " | ".join(self._tail)
