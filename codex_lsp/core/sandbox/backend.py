"""The backend interface, the "no sandbox" backend and `detect_backend()`, which picks the
best backend this system has (once per process)."""

from __future__ import annotations

import functools
import os
import shutil
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from .plan import SandboxPlan


class SandboxError(RuntimeError):
    """The sandbox could not be applied to a command; it did not run."""


class SandboxUnavailable(SandboxError):
    """The backend cannot enforce the plan (see `Backend.enforcement_gap`). The command
    must not run unsandboxed without the user's approval."""


@dataclass(frozen=True)
class Launch:
    """How to start one command under a plan: the argv to exec (possibly wrapped by a
    launcher such as `bwrap` or `sandbox-exec`), a function to run in the forked child
    before `exec` (Landlock, namespaces), and environment variables to add."""

    argv: tuple[str, ...]
    preexec: Callable[[], None] | None = None
    env: Mapping[str, str] = field(default_factory=dict)


def sandbox_env(backend: str, plan: SandboxPlan) -> dict[str, str]:
    """Variables telling a sandboxed command it is sandboxed (Codex's names)."""
    env = {"CODEX_SANDBOX": backend}
    if plan.restricts_network:
        env["CODEX_SANDBOX_NETWORK_DISABLED"] = "1"
    return env


class Backend(ABC):
    """One way of enforcing a `SandboxPlan` on a child process."""

    name: str = "backend"

    @abstractmethod
    def enforcement_gap(self, plan: SandboxPlan) -> str | None:
        """None when this backend enforces `plan` fully, else a one-line explanation of
        what it cannot enforce (the caller tells the user once and asks before running
        anything unsandboxed)."""

    @abstractmethod
    def launch(self, plan: SandboxPlan, argv: Sequence[str], *, pty: bool) -> Launch:
        """How to start `argv` under `plan` (which must have no enforcement gap and be
        sandboxed). `pty` says the child's stdio is a terminal."""


class NoBackend(Backend):
    """No sandbox on this system: anything sandboxed is an enforcement gap."""

    name = "none"

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def enforcement_gap(self, plan: SandboxPlan) -> str | None:
        """The reason, for every sandboxed plan."""
        return self.reason if plan.is_sandboxed else None

    def launch(self, plan: SandboxPlan, argv: Sequence[str], *, pty: bool) -> Launch:
        """Refuses sandboxed plans; danger-full-access runs as is."""
        if plan.is_sandboxed:
            raise SandboxUnavailable(self.reason)
        return Launch(argv=tuple(argv))


NO_LINUX_BACKEND = (
    "no sandbox backend available on this system: Landlock is not supported by the kernel "
    "and bubblewrap is not installed"
)


@functools.cache
def detect_backend() -> Backend:
    """The best backend of this system, decided once per process:

    - Linux with Landlock (any ABI): `LandlockBackend` (plus namespaces when usable);
    - Linux without Landlock but with `bwrap` on PATH: `BubblewrapBackend`;
    - macOS with `/usr/bin/sandbox-exec`: `SeatbeltBackend`;
    - otherwise `NoBackend` with the reason.
    """
    if sys.platform.startswith("linux"):
        from .linux_landlock import LandlockBackend, probe_linux

        support = probe_linux()
        if support.landlock_abi > 0:
            return LandlockBackend(support)
        bwrap = shutil.which("bwrap")
        if bwrap:
            from .bubblewrap import BubblewrapBackend

            return BubblewrapBackend(bwrap)
        return NoBackend(NO_LINUX_BACKEND)
    if sys.platform == "darwin":
        from .macos_seatbelt import SANDBOX_EXEC, SeatbeltBackend

        if os.path.exists(SANDBOX_EXEC):
            return SeatbeltBackend()
        return NoBackend(f"no sandbox backend available on this system: {SANDBOX_EXEC} is missing")
    return NoBackend(f"no sandbox backend available on this system ({sys.platform})")
