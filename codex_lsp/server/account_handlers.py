"""codex/account/* handlers: API-key login, logout, and the login state.

Store operations run in a worker thread (an OS keyring may be slow). Notifications go out
after the response. The key never appears in a log line, an error or a notification.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcInternalError
from pygls.lsp.server import LanguageServer

from ..core.auth import AuthError, AuthService, AuthStatus, InvalidApiKey
from ..core.config.settings import DEFAULT_PROVIDER, SettingsError, ThreadRequest, providers
from ..protocol.account import (
    AccountReadParams,
    AccountReadResult,
    AccountUpdatedNotification,
    ApiKeyAccount,
    LoginApiKeyParams,
    LoginApiKeyResult,
    LoginCompletedNotification,
)
from ..protocol.base import EmptyResult
from .requests import invalid_params, register
from .session import Session

log = logging.getLogger(__name__)

LOGIN_COMPLETED = "codex/account/login/completed"
ACCOUNT_UPDATED = "codex/account/updated"


def requires_openai_auth(session: Session) -> bool:
    """Does the default provider (config + editor settings) need an OpenAI login?"""
    try:
        return session.resolve(ThreadRequest()).provider.requires_openai_auth
    except SettingsError:
        # Some other setting is invalid; still answer for the configured provider.
        config = session.loaded_config.config
        provider = providers(config).get(config.model_provider or DEFAULT_PROVIDER)
        return bool(provider and provider.requires_openai_auth)


def _fresh_status(auth: AuthService) -> AuthStatus:
    """The login state, re-reading stores another process may have changed."""
    auth.refresh()
    return auth.status()


def _updated(status: AuthStatus) -> dict[str, Any]:
    return AccountUpdatedNotification(auth_mode="apiKey" if status.logged_in else None).wire()


def register_account_handlers(server: LanguageServer, session: Session) -> None:
    """Serve the codex/account/* methods."""
    auth = session.auth

    def after_response(*notifications: tuple[str, dict[str, Any]]) -> None:
        """Send `notifications` once the current request's response is written.

        pygls writes an async handler's response from the task's done callback, which the
        event loop schedules when the handler returns; a callback that schedules another
        callback therefore runs after it.
        """
        loop = asyncio.get_running_loop()

        def send() -> None:
            for method, params in notifications:
                server.protocol.notify(method, params)

        loop.call_soon(loop.call_soon, send)

    def completed(error: str | None) -> tuple[str, dict[str, Any]]:
        params = LoginCompletedNotification(login_id=None, success=error is None, error=error)
        return LOGIN_COMPLETED, params.wire()

    async def read(_p: AccountReadParams) -> AccountReadResult:
        status = await asyncio.to_thread(_fresh_status, auth)
        return AccountReadResult(
            account=ApiKeyAccount() if status.logged_in else None,
            requires_openai_auth=requires_openai_auth(session),
        )

    async def login(p: LoginApiKeyParams) -> LoginApiKeyResult:
        try:
            store = await asyncio.to_thread(auth.login_api_key, p.api_key)
        except InvalidApiKey as exc:
            after_response(completed(str(exc)))
            raise invalid_params(["apiKey"], str(exc)) from None
        except AuthError as exc:
            message = f"login failed: {exc}"
            log.warning("%s", message)
            after_response(completed(message))
            raise JsonRpcInternalError(message=message) from None
        where = auth.describe_store(store)
        status = await asyncio.to_thread(auth.status)
        after_response(completed(None), (ACCOUNT_UPDATED, _updated(status)))
        server.window_log_message(
            lsp.LogMessageParams(
                type=lsp.MessageType.Info,
                message=f"Logged in with an OpenAI API key, stored in {where} "
                f"(cli_auth_credentials_store = {status.mode}).",
            )
        )
        return LoginApiKeyResult()

    async def logout(_p: None) -> EmptyResult:
        try:
            await asyncio.to_thread(auth.logout)
        except AuthError as exc:
            message = f"logout incomplete: {exc}"
            log.warning("%s", message)
            status = await asyncio.to_thread(auth.status)
            after_response((ACCOUNT_UPDATED, _updated(status)))
            raise JsonRpcInternalError(message=message) from None
        status = await asyncio.to_thread(auth.status)
        after_response((ACCOUNT_UPDATED, _updated(status)))
        return EmptyResult()

    register(server, "codex/account/read", read)
    register(server, "codex/account/login/start", login)
    register(server, "codex/account/logout", logout)
