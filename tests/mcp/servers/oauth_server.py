"""An OAuth-protected streamable HTTP MCP server for the tests, on 127.0.0.1.

The SDK's own authorization-server pieces (`MCPServer(auth_server_provider=..., auth=...)`)
serve the protected resource metadata, the authorization server metadata, dynamic client
registration, `/authorize` (approved at once: it redirects to the client's callback with a
code), `/token` (authorization code with PKCE, refresh token) and check every MCP request's
bearer token. Tokens live in memory; access tokens last `$MCP_ACCESS_TTL` seconds (default
3600). Every grant is appended to `$MCP_GRANTS_LOG` (JSON lines: grant type and the tokens
issued) so a test knows the secrets to look for and which grants happened. Prints
`PORT <n>` once listening.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import sys
import time
from pathlib import Path

from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    OAuthAuthorizationServerProvider,
    RefreshToken,
    construct_redirect_uri,
)
from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions
from mcp.server.mcpserver import MCPServer
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
from pydantic import AnyHttpUrl

# Run as a script: the checkout's root makes `tests` importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from tests.mcp.servers.demo_tools import add_demo_tools
from tests.mcp.servers.http_server import listening_socket, serve

SCOPE = "mcp"


class MemoryProvider(
    OAuthAuthorizationServerProvider[AuthorizationCode, RefreshToken, AccessToken]
):
    """An in-memory authorization server that approves every request."""

    def __init__(self, ttl: int, grants_log: str | None) -> None:
        self.ttl = ttl
        self.grants_log = grants_log
        self.clients: dict[str, OAuthClientInformationFull] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.access: dict[str, AccessToken] = {}
        self.refresh: dict[str, RefreshToken] = {}

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        return self.clients.get(client_id)

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        assert client_info.client_id is not None
        self.clients[client_info.client_id] = client_info

    async def authorize(
        self, client: OAuthClientInformationFull, params: AuthorizationParams
    ) -> str:
        assert client.client_id is not None
        code = secrets.token_urlsafe(24)
        self.codes[code] = AuthorizationCode(
            code=code,
            scopes=params.scopes or [SCOPE],
            expires_at=time.time() + 300,
            client_id=client.client_id,
            code_challenge=params.code_challenge,
            redirect_uri=params.redirect_uri,
            redirect_uri_provided_explicitly=params.redirect_uri_provided_explicitly,
            resource=params.resource,
        )
        return construct_redirect_uri(str(params.redirect_uri), code=code, state=params.state)

    async def load_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: str
    ) -> AuthorizationCode | None:
        return self.codes.get(authorization_code)

    async def exchange_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: AuthorizationCode
    ) -> OAuthToken:
        del self.codes[authorization_code.code]
        return self._issue(authorization_code.client_id, authorization_code.scopes, "code")

    async def load_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: str
    ) -> RefreshToken | None:
        return self.refresh.get(refresh_token)

    async def exchange_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: RefreshToken, scopes: list[str]
    ) -> OAuthToken:
        del self.refresh[refresh_token.token]
        return self._issue(refresh_token.client_id, scopes or refresh_token.scopes, "refresh")

    async def load_access_token(self, token: str) -> AccessToken | None:
        found = self.access.get(token)
        if found is None or (found.expires_at is not None and found.expires_at < time.time()):
            return None
        return found

    async def revoke_token(self, token: AccessToken | RefreshToken) -> None:
        self.access.pop(token.token, None)
        self.refresh.pop(token.token, None)

    def _issue(self, client_id: str, scopes: list[str], grant: str) -> OAuthToken:
        access = "at-" + secrets.token_urlsafe(24)
        refresh = "rt-" + secrets.token_urlsafe(24)
        self.access[access] = AccessToken(
            token=access, client_id=client_id, scopes=scopes, expires_at=int(time.time()) + self.ttl
        )
        self.refresh[refresh] = RefreshToken(token=refresh, client_id=client_id, scopes=scopes)
        if self.grants_log:
            with open(self.grants_log, "a", encoding="utf-8") as handle:
                entry = {"grant": grant, "access_token": access, "refresh_token": refresh}
                handle.write(json.dumps(entry) + "\n")
        return OAuthToken(
            access_token=access,
            token_type="Bearer",
            expires_in=self.ttl,
            refresh_token=refresh,
            scope=" ".join(scopes),
        )


def main() -> None:
    sock = listening_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    provider = MemoryProvider(
        int(os.environ.get("MCP_ACCESS_TTL", "3600")), os.environ.get("MCP_GRANTS_LOG")
    )
    server = MCPServer(
        "demo-oauth",
        auth_server_provider=provider,
        auth=AuthSettings(
            issuer_url=AnyHttpUrl(base),
            resource_server_url=AnyHttpUrl(f"{base}/mcp"),
            validate_token_resource=False,
            client_registration_options=ClientRegistrationOptions(
                enabled=True, valid_scopes=[SCOPE], default_scopes=[SCOPE]
            ),
            required_scopes=[SCOPE],
        ),
    )
    add_demo_tools(server)
    asyncio.run(serve(server.streamable_http_app(), sock))


if __name__ == "__main__":
    main()
