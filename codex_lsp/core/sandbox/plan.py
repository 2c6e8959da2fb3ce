"""From a wire `SandboxPolicy` to a `SandboxPlan`: the resolved paths and switches that
every backend enforces and that in-process writers (apply_patch) check with
`SandboxPlan.allows_write`."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ...protocol.sandbox import (
    DangerFullAccessSandbox,
    ReadOnlySandbox,
    SandboxPolicy,
    WorkspaceWriteSandbox,
)

SandboxMode = Literal["read-only", "workspace-write", "danger-full-access"]

GIT_DIR_NAME = ".git"


def _real(path: str | Path, base: Path | None = None) -> Path:
    """`path` made absolute (against `base`) with `..` and every symlink of its longest
    existing prefix resolved; the missing rest is appended lexically."""
    raw = os.fspath(path)
    if base is not None and not os.path.isabs(raw):
        raw = os.path.join(base, raw)
    return Path(os.path.realpath(raw))


def _unique(paths: Iterable[Path]) -> tuple[Path, ...]:
    """`paths` without repeats, first occurrence kept."""
    seen: dict[Path, None] = {}
    for path in paths:
        seen.setdefault(path, None)
    return tuple(seen)


def _is_within(path: Path, root: Path) -> bool:
    """True if `path` is `root` or lies beneath it (both already resolved)."""
    return path == root or root in path.parents


def _git_subpaths(root: Path) -> list[Path]:
    """The read-only parts of `root`: its `.git` (directory or worktree file) and, for a
    `.git` file (`gitdir: <dir>`), the git directory it points at."""
    git = root / GIT_DIR_NAME
    if not os.path.lexists(git):
        return []
    found = [_real(git)]
    if git.is_file():
        try:
            first_line = git.read_text(encoding="utf-8", errors="replace").splitlines()[0]
        except (OSError, IndexError):
            first_line = ""
        if first_line.startswith("gitdir:"):
            target = _real(first_line[len("gitdir:") :].strip(), base=root)
            if target.exists():
                found.append(target)
    return found


@dataclass(frozen=True)
class SandboxPlan:
    """What a sandboxed command (or an in-process write) may do.

    `writable_roots` and `read_only_subpaths` are resolved real paths. In
    `workspace-write` mode the roots are the cwd, the system temp directory, `$TMPDIR`
    (if set) and the policy's `writableRoots`; `read_only_subpaths` holds the `.git` of
    each root that has one (and the git directory a `.git` file points at). `read-only`
    mode has no writable root; `danger-full-access` is not sandboxed at all.
    """

    mode: SandboxMode
    writable_roots: tuple[Path, ...]
    read_only_subpaths: tuple[Path, ...]
    network: bool
    cwd: Path

    @property
    def is_sandboxed(self) -> bool:
        """False for `danger-full-access`: commands run without any restriction."""
        return self.mode != "danger-full-access"

    @property
    def restricts_network(self) -> bool:
        """True when a sandboxed command must not reach any network."""
        return self.is_sandboxed and not self.network

    def allows_write(self, path: str | Path) -> bool:
        """May `path` be created, modified or deleted under this plan?

        A relative path is taken against the plan's cwd. `..` and the symlinks of the
        longest existing prefix (a dangling final symlink included) are resolved first, so
        a link or `..` that leaves the writable roots is refused. Anything inside a `.git`
        directly under a writable root is refused too, whether or not it exists yet.
        Hard links are not detected: a pre-existing hard link inside a root to a file
        outside it counts as inside (the OS sandbox sees it the same way).
        """
        if not self.is_sandboxed:
            return True
        resolved = _real(path, base=self.cwd)
        roots = [root for root in self.writable_roots if _is_within(resolved, root)]
        if not roots:
            return False
        if any(_is_within(resolved, sub) for sub in self.read_only_subpaths):
            return False
        return not any(_is_within(resolved, root / GIT_DIR_NAME) for root in roots)


def plan_for(policy: SandboxPolicy, cwd: str | Path) -> SandboxPlan:
    """The plan that enforces `policy` for commands run in `cwd`.

    Relative `writableRoots` are taken against `cwd`; every root is resolved to its real
    path (so `/tmp` on macOS becomes `/private/tmp`) and repeats are dropped, keeping the
    cwd first.
    """
    real_cwd = _real(cwd)
    if isinstance(policy, DangerFullAccessSandbox):
        return SandboxPlan(
            mode="danger-full-access",
            writable_roots=(Path("/"),),
            read_only_subpaths=(),
            network=True,
            cwd=real_cwd,
        )
    if isinstance(policy, ReadOnlySandbox):
        return SandboxPlan(
            mode="read-only",
            writable_roots=(),
            read_only_subpaths=(),
            network=policy.network_access,
            cwd=real_cwd,
        )
    if not isinstance(policy, WorkspaceWriteSandbox):  # pragma: no cover - exhaustive
        raise TypeError(f"unknown sandbox policy: {policy!r}")
    candidates: list[Path] = [real_cwd, _real(tempfile.gettempdir())]
    tmpdir_env = os.environ.get("TMPDIR")
    if tmpdir_env:
        candidates.append(_real(tmpdir_env))
    candidates.extend(_real(root, base=real_cwd) for root in policy.writable_roots)
    roots = _unique(candidates)
    read_only = _unique(sub for root in roots for sub in _git_subpaths(root))
    return SandboxPlan(
        mode="workspace-write",
        writable_roots=roots,
        read_only_subpaths=read_only,
        network=policy.network_access,
        cwd=real_cwd,
    )
