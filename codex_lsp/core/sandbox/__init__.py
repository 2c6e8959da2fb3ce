"""The sandbox: policy -> plan -> backend, and the only place that starts processes.

Pieces
------
- `plan.py`: `plan_for(policy, cwd) -> SandboxPlan` resolves a wire `SandboxPolicy`
  into real paths: the writable roots (workspace-write: the cwd, the system temp
  directory, `$TMPDIR`, the configured roots), the read-only subpaths (each root's
  `.git`, and the git directory a `.git` file points at) and the network switch.
  `SandboxPlan.allows_write(path)` is the same rule for in-process writers
  (apply_patch): `..` and symlinks are resolved before the check.
- `backend.py`: `detect_backend()` picks, once per process, Linux Landlock
  (`linux_landlock.py`), else bubblewrap (`bubblewrap.py`), macOS `sandbox-exec`
  (`macos_seatbelt.py`), else `NoBackend`. `backend.enforcement_gap(plan)` is None
  when the plan can be enforced, else one line saying why not; the caller says so once
  and needs the user's approval to run unsandboxed. Nothing runs unsandboxed silently:
  `spawn()` raises `SandboxUnavailable` instead.
- `spawn.py`: `spawn(argv, cwd=, env=, plan=, stdin=, pty=)` -> `Spawned` (new
  session; output merged or a PTY; `read_output`, `wait`, `kill_tree`).
- `bounds.py`: `bounded_text(data, max_bytes)` (head + tail, middle elided, UTF-8 safe),
  shared with every tool result.
- `denial.py`: `looks_like_sandbox_denial(exit_code, output, plan)` for `on-failure`.
- `proctree.py`: /proc process trees for `kill_tree`.
- `launcher.py` (Linux): the small process every command starts through; it adopts the
  command's orphans and kills the whole tree once the server process is gone, SIGKILL
  of the server included (no process started for a thread outlives the server).

What is enforced, and how
-------------------------
read-only: no write anywhere but `/dev/null`, `/dev/zero`, `/dev/full`, `/dev/tty`,
`/dev/ptmx` and `/dev/pts/*`; reading and executing everything is allowed.
workspace-write: writes also under the writable roots, except `.git`.
network off (either mode): no network at all; network on: unrestricted.
danger-full-access, and `plan=None`: no sandbox.

Linux, Landlock (kernel 5.13+): applied in the child between fork and exec (no extra
process): namespaces via `unshare` (network; mount namespace when there is a `.git` to
protect, each `.git` bind-mounted read-only over itself; plus a user namespace when not
root), capability bounding set trimmed for root (no `CAP_SYS_ADMIN`, so no `setns`
back to the host's namespaces, no mounts; no module loading, raw I/O, reboot...),
`PR_SET_NO_NEW_PRIVS`, then a Landlock ruleset handling every filesystem right of the
kernel's ABI (read everywhere; write rights on the writable roots without device-node
creation; device rights on the terminal/null devices; on ABI 6+ signals scoped to the
sandbox). Details and the `.git` reasoning are in `linux_landlock.py`.
Linux, bubblewrap (no Landlock, `bwrap` installed): read-only bind of `/`, read-write
binds of the roots, read-only binds of `.git`, `--unshare-net`.
macOS: `sandbox-exec` with a profile generated from the plan (`macos_seatbelt.py`).

Limits
------
- Unix sockets bound to filesystem paths (a Docker or SSH agent socket, say) stay
  reachable with the network off on Linux (Landlock does not cover connecting to them
  on these ABIs).
- Landlock checks paths: a hard link made earlier inside a root to a file outside it is
  writable through the link; `allows_write` has the same blind spot.
- Without root, network isolation and `.git` protection need unprivileged user
  namespaces; where they are disabled (e.g. Ubuntu 23.10+ restricts them through
  AppArmor, `kernel.apparmor_restrict_unprivileged_userns=1`) plans with the network off
  or a `.git` in a writable root report an enforcement gap.
- On Landlock ABI 6+ a command can signal only processes of its own sandbox: not the
  server, not the user's other processes, and not a process an earlier command started.
- Kernels before 6.2 (Landlock ABI < 3) do not check `truncate(2)` by path.
- `/dev/shm` is not writable (POSIX semaphores, e.g. Python multiprocessing locks,
  fail); processes allocating their own PTYs work (`/dev/ptmx`, `/dev/pts`).
- `kill_tree` finds descendants through /proc; on Linux the launcher adopts orphans, so
  a process that left the process group and lost its parent is found too (unless the
  launcher itself was SIGKILLed by someone else). On macOS there is no launcher: only
  the process group is signalled, and commands outlive a server killed with SIGKILL.
- A root command keeps the capabilities not in the dropped list (e.g. `CAP_DAC_OVERRIDE`,
  `CAP_KILL`, though Landlock still confines its files and, on ABI 6+, its signals).
"""

from __future__ import annotations

from .backend import (
    Backend,
    Launch,
    NoBackend,
    SandboxError,
    SandboxUnavailable,
    detect_backend,
)
from .bounds import BoundedBuffer, bounded_text
from .denial import looks_like_sandbox_denial
from .plan import SandboxMode, SandboxPlan, plan_for
from .spawn import Spawned, spawn

__all__ = [
    "Backend",
    "BoundedBuffer",
    "Launch",
    "NoBackend",
    "SandboxError",
    "SandboxMode",
    "SandboxPlan",
    "SandboxUnavailable",
    "Spawned",
    "bounded_text",
    "detect_backend",
    "looks_like_sandbox_denial",
    "plan_for",
    "spawn",
]
