"""`codex-lsp login`, `codex-lsp login status`, `codex-lsp logout`.

The key is read from stdin (a hidden prompt when stdin is a terminal), never from argv, so
it stays out of shell history and process listings. The store comes from
`cli_auth_credentials_store` in `$CODEX_HOME/config.toml`.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import TextIO

from ..core.auth import AuthError, AuthService
from ..core.auth.service import ENV_KEY
from ..core.config.loader import load_config

PROMPT = "OpenAI API key: "


def _service(home: Path, err: TextIO) -> AuthService:
    loaded = load_config(home)
    for warning in loaded.warnings:
        print(f"warning: {warning}", file=err)
    return AuthService(home, loaded.config.cli_auth_credentials_store)


def read_key(stdin: TextIO) -> str:
    """The key from stdin: a hidden prompt on a terminal, else the piped text, trimmed."""
    if stdin.isatty():
        return getpass.getpass(PROMPT).strip()
    return stdin.read().strip()


def run_login(
    home: Path,
    *,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Store the key read from stdin; 0 on success, 1 on failure."""
    stdin, out, err = stdin or sys.stdin, out or sys.stdout, err or sys.stderr
    try:
        auth = _service(home, err)
        mode = auth.mode()
        try:
            key = read_key(stdin)
        except (EOFError, KeyboardInterrupt):
            print("error: no API key given", file=err)
            return 1
        store = auth.login_api_key(key)
    except AuthError as exc:
        print(f"error: login failed: {exc}", file=err)
        return 1
    print(
        f"Logged in with an API key, stored in {auth.describe_store(store)} "
        f"(cli_auth_credentials_store = {mode}).",
        file=out,
    )
    if mode == "auto" and store == "file":
        reason = auth.keyring.usable()
        if reason:
            print(f"The OS keyring was not used: {reason}", file=out)
    if store == "ephemeral":
        print(
            "Note: ephemeral mode keeps the key only in this process, so it is gone now; "
            "the server needs its own login (codex/account/login/start).",
            file=out,
        )
    return 0


def run_login_status(home: Path, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Print whether a key is available and from where; 0 if logged in, 1 if not."""
    out, err = out or sys.stdout, err or sys.stderr
    auth = _service(home, err)
    status = auth.status()
    print(status.describe(auth.file.path), file=out)
    return 0 if status.logged_in else 1


def run_logout(home: Path, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Remove the key from every store; 0 on success, 1 if a store could not be cleared."""
    out, err = out or sys.stdout, err or sys.stderr
    auth = _service(home, err)
    try:
        removed = auth.logout()
    except AuthError as exc:
        print(f"error: logout incomplete: {exc}", file=err)
        return 1
    if removed:
        where = ", ".join(auth.describe_store(s) for s in removed)
        print(f"Logged out (removed the API key from {where}).", file=out)
    else:
        print("Not logged in; no stored API key to remove.", file=out)
    if auth.status().source == "env":
        print(f"{ENV_KEY} is still set in the environment and will be used.", file=out)
    return 0
