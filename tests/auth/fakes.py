"""Keyring backends for unit tests: real `KeyringBackend` subclasses, kept in memory."""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class DictKeyring(KeyringBackend):
    """A working keyring backend whose entries live in a dict."""

    priority = 5

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")


class LeakyKeyring(DictKeyring):
    """A backend whose errors quote the secret (some real backends echo their input)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise RuntimeError(f"backend refused to store {password!r} for {username}")
