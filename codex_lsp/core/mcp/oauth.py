"""OAuth 2.1 for streamable HTTP MCP servers, on the SDK's `OAuthClientProvider`.

Login (`codex/mcpServer/oauth/login`): a loopback HTTP server on 127.0.0.1
(`mcp_oauth_callback_port`, else a free port) receives the redirect; the SDK discovers the
server's authorization server (protected resource metadata, RFC 9728; authorization server
metadata, RFC 8414), registers this client dynamically (RFC 7591), builds the
authorization URL with PKCE (S256) and a state, and exchanges the code the callback
brings for tokens. The flow is driven by connecting to the server once with a fresh,
empty credential record; the URL is handed to the editor as soon as the SDK asks for it
to be opened, and the rest goes on in the background. Only a login that produced tokens
replaces what was stored.

Connecting with stored tokens: the provider starts from the record, with the token's
expiry and the authorization server's metadata, so an expired access token is refreshed
(before the first request, and whenever it expires later) and the new tokens are stored.
A token that can be neither used nor refreshed makes the connection fail as "not logged
in"; nothing registers or opens a browser then.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx2
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthMetadata,
    OAuthToken,
)
from pydantic import AnyUrl, BaseModel, ValidationError

from ..redact import redact
from .config import ServerConfig
from .oauth_store import EXPIRY_MARGIN_S, OAuthCredentials, OAuthRecord

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)

CLIENT_NAME = "codex-lsp"
CALLBACK_PATH = "/callback"
DEFAULT_LOGIN_TIMEOUT_S = 300.0
# How long the login request waits for the authorization URL (discovery, registration).
URL_TIMEOUT_S = 30.0
MAX_REQUEST_HEAD = 16 * 1024


class LoginError(Exception):
    """The login could not start or did not finish; the message is safe to show."""


class RecordStorage:
    """The SDK's `TokenStorage` over one `OAuthRecord`; `persist` keeps each change."""

    def __init__(
        self,
        record: OAuthRecord,
        persist: Callable[[OAuthRecord], Awaitable[None]] | None = None,
        *,
        registrations: bool = True,
    ) -> None:
        self.record = record
        self._persist = persist
        # A connection never registers a client (only a login does): a registration
        # attempted there is kept out of the stored record.
        self._registrations = registrations

    async def get_tokens(self) -> OAuthToken | None:
        """The stored tokens."""
        return _valid(OAuthToken, self.record.tokens)

    async def set_tokens(self, tokens: OAuthToken) -> None:
        """New tokens (login or refresh)."""
        self.record.set_tokens(tokens.model_dump(mode="json", exclude_none=True))
        if self._persist is not None:
            await self._persist(self.record)

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        """The client registration."""
        return _valid(OAuthClientInformationFull, self.record.client_info)

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        """A new client registration (logins only)."""
        if not self._registrations:
            return
        self.record.client_info = client_info.model_dump(mode="json", exclude_none=True)
        self.record.register()


def _valid(model: type[M], data: dict[str, Any] | None) -> M | None:
    """`data` as a `model`, None when missing or not valid (a record from another version)."""
    if not data:
        return None
    try:
        return model.model_validate(data)
    except ValidationError:
        return None


async def _never_opens(_url: str) -> None:
    raise LoginError("not logged in: log in with codex/mcpServer/oauth/login")


async def _never_called_back() -> AuthorizationCodeResult:
    raise LoginError("not logged in: log in with codex/mcpServer/oauth/login")


def connection_auth(
    url: str, record: OAuthRecord, persist: Callable[[OAuthRecord], Awaitable[None]]
) -> OAuthClientProvider:
    """An `httpx2.Auth` that sends the stored access token and refreshes it when it
    expires (module doc)."""
    storage = RecordStorage(record, persist, registrations=False)
    provider = OAuthClientProvider(
        server_url=url,
        client_metadata=OAuthClientMetadata(
            client_name=CLIENT_NAME, redirect_uris=[AnyUrl("http://127.0.0.1/callback")]
        ),
        storage=storage,
        redirect_handler=_never_opens,
        callback_handler=_never_called_back,
    )
    context = provider.context
    if record.expires_at is not None:
        context.token_expiry_time = record.expires_at - EXPIRY_MARGIN_S
    if record.oauth_metadata is not None:
        try:
            context.oauth_metadata = OAuthMetadata.model_validate(record.oauth_metadata)
        except ValidationError:
            log.debug("stored authorization server metadata is invalid; ignoring it")
    return provider


# ---- login ---------------------------------------------------------------------------------


class CallbackServer:
    """The loopback HTTP server the authorization server redirects the browser to."""

    def __init__(self) -> None:
        self.result: asyncio.Future[AuthorizationCodeResult] = (
            asyncio.get_running_loop().create_future()
        )
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self, port: int | None) -> None:
        """Listen on 127.0.0.1 (`port`, or a free one)."""
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", port or 0)
        self.port = self._server.sockets[0].getsockname()[1]

    @property
    def redirect_uri(self) -> str:
        """Where the browser comes back to."""
        return f"http://127.0.0.1:{self.port}{CALLBACK_PATH}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            writer.close()
            return
        line = head[:MAX_REQUEST_HEAD].split(b"\r\n", 1)[0].decode("latin-1")
        parts = line.split(" ")
        target = urlsplit(parts[1]) if len(parts) >= 2 else urlsplit("/")
        if parts[0] != "GET" or target.path != CALLBACK_PATH:
            await _respond(writer, 404, "Not found.")
            return
        query = {k: v[0] for k, v in parse_qs(target.query).items() if v}
        if "error" in query:
            why = query.get("error_description") or query["error"]
            await _respond(writer, 400, f"Login failed: {why}. You can close this window.")
            if not self.result.done():
                self.result.set_exception(LoginError(f"the authorization server said: {why}"))
            return
        code = query.get("code")
        if not code:
            await _respond(writer, 400, "No authorization code in this request.")
            return
        await _respond(writer, 200, "Logged in. You can close this window.")
        if not self.result.done():
            result = AuthorizationCodeResult(
                code=code, state=query.get("state"), iss=query.get("iss")
            )
            self.result.set_result(result)

    async def close(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        if not self.result.done():
            self.result.cancel()


async def _respond(writer: asyncio.StreamWriter, status: int, text: str) -> None:
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}[status]
    body = (
        "<!doctype html><html><head><meta charset='utf-8'><title>codex-lsp</title></head>"
        f"<body><p>{html.escape(text)}</p></body></html>"
    ).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    try:
        writer.write(head + body)
        await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


@dataclass
class Login:
    """A login in progress: the URL to open, and the task that finishes it."""

    authorization_url: str
    done: asyncio.Task[None]


async def begin_login(
    config: ServerConfig,
    credentials: OAuthCredentials,
    *,
    headers: dict[str, str],
    scopes: list[str] | None,
    timeout_s: float | None,
    callback_port: int | None,
    finished: Callable[[str | None], None],
    spawn: Callable[..., asyncio.Task[Any]],
) -> Login:
    """Start a login; returns once the authorization URL is known. `finished(error)`
    is called when it ends (`None`: the tokens are stored)."""
    table = config.table
    assert table is not None and table.url is not None
    url = table.url
    callback = CallbackServer()
    try:
        await callback.start(callback_port)
    except OSError as exc:
        where = f"127.0.0.1:{callback_port or 0}"
        raise LoginError(f"cannot listen on {where}: {exc.strerror}") from None
    opened: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    record = OAuthRecord()
    limit = timeout_s or DEFAULT_LOGIN_TIMEOUT_S

    async def redirect(authorization_url: str) -> None:
        if not opened.done():
            opened.set_result(authorization_url)

    async def come_back() -> AuthorizationCodeResult:
        return await asyncio.shield(callback.result)

    provider = OAuthClientProvider(
        server_url=url,
        client_metadata=OAuthClientMetadata(
            client_name=CLIENT_NAME,
            redirect_uris=[AnyUrl(callback.redirect_uri)],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
            scope=" ".join(scopes) if scopes else None,
        ),
        storage=RecordStorage(record),
        redirect_handler=redirect,
        callback_handler=come_back,
    )

    async def drive() -> None:
        error: str | None = None
        try:
            async with asyncio.timeout(limit):
                await _connect_once(url, headers, provider)
            if not record.logged_in:
                raise LoginError("the server accepted the connection without a login")
            metadata = provider.context.oauth_metadata
            if metadata is not None:
                record.oauth_metadata = metadata.model_dump(mode="json", exclude_none=True)
            await asyncio.to_thread(credentials.save, config.name, url, record)
        except TimeoutError:
            error = f"the login did not complete within {limit:g} s"
        except Exception as exc:
            error = _login_error(exc)
        finally:
            await callback.close()
        if opened.done() and not opened.cancelled() and opened.exception() is None:
            finished(error)  # the editor has the URL: it hears how the login ended
        elif not opened.done():
            opened.set_exception(LoginError(error or "the login ended before it started"))

    task = spawn(drive(), name=f"mcp oauth login {config.name}")
    try:
        authorization_url = await asyncio.wait_for(asyncio.shield(opened), URL_TIMEOUT_S)
    except TimeoutError:
        task.cancel()
        raise LoginError(
            f"the server did not start an OAuth login within {URL_TIMEOUT_S:g} s"
        ) from None
    except LoginError:
        raise
    return Login(authorization_url, task)


async def _connect_once(url: str, headers: dict[str, str], auth: httpx2.Auth) -> None:
    """Connect to the server once (what sets the SDK's OAuth flow off), then hang up."""
    timeout = httpx2.Timeout(30.0, read=300.0)
    async with httpx2.AsyncClient(headers=headers, auth=auth, timeout=timeout) as http:
        client = Client(streamable_http_client(url, http_client=http), cache=None)
        async with client:
            pass


def _login_error(exc: BaseException) -> str:
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    if isinstance(exc, LoginError):
        return str(exc)
    text = str(exc).strip() or type(exc).__name__
    return redact(f"OAuth login failed: {text}")
