"""The bubblewrap backend (Linux without Landlock, `bwrap` installed): the command runs
under `bwrap`, in new mount (and, network off, network) namespaces where `/` is a
read-only bind, each writable root is bound read-write over it, each `.git` read-only
over that, and `/dev` is bubblewrap's minimal device tree (null, zero, full, random,
urandom, tty, ptmx, pts, shm). Costs one extra exec (`bwrap`); needs unprivileged user
namespaces or a setuid `bwrap`."""

from __future__ import annotations

import os
from collections.abc import Sequence

from .backend import Backend, Launch, SandboxUnavailable, sandbox_env
from .plan import SandboxPlan


def bwrap_args(plan: SandboxPlan) -> list[str]:
    """The `bwrap` options (without the program path and `--`) that enforce `plan`."""
    args = ["--die-with-parent", "--ro-bind", "/", "/", "--dev", "/dev"]
    for root in plan.writable_roots:
        if os.path.exists(root):
            args += ["--bind", str(root), str(root)]
    for sub in plan.read_only_subpaths:
        if os.path.lexists(sub):
            args += ["--ro-bind", str(sub), str(sub)]
    if plan.restricts_network:
        args.append("--unshare-net")
    return args


class BubblewrapBackend(Backend):
    """Wraps each command in `bwrap` (see the module doc)."""

    name = "bubblewrap"

    def __init__(self, bwrap_path: str) -> None:
        self.bwrap_path = bwrap_path

    def enforcement_gap(self, plan: SandboxPlan) -> str | None:
        """None: bubblewrap enforces every plan (if it cannot start, the command fails
        with bwrap's message, which reads as a sandbox denial)."""
        return None

    def launch(self, plan: SandboxPlan, argv: Sequence[str], *, pty: bool) -> Launch:
        """`bwrap <options> -- argv`."""
        if not plan.is_sandboxed:
            raise SandboxUnavailable("danger-full-access needs no sandbox")
        return Launch(
            argv=(self.bwrap_path, *bwrap_args(plan), "--", *argv),
            env=sandbox_env("bubblewrap", plan),
        )
