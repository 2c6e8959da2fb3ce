"""The Linux backend: Landlock for the filesystem, namespaces for the network and `.git`.

Everything is applied in the forked child between `fork` and `exec` (`preexec_fn`), in
this order: `unshare` (network + mount namespaces; a user namespace too when not root),
uid/gid maps, a private read-only bind mount of each `.git` over itself, dropping
dangerous capabilities from the bounding set (root only), `PR_SET_NO_NEW_PRIVS`, then
the Landlock ruleset. No extra program or interpreter is started.

Landlock ruleset (every filesystem right of the kernel's ABI is handled, so what is not
granted is denied):
- `/`: read files, list directories, execute.
- `/dev/null`, `/dev/zero`, `/dev/full`, `/dev/tty`, `/dev/ptmx` and `/dev/pts/`: read,
  write, truncate, device ioctls (terminals keep working; nothing else in /dev).
- each writable root (workspace-write): every right except creating device nodes
  (`MAKE_CHAR`/`MAKE_BLOCK`, which would let root reach a raw disk). Rules apply to the
  whole hierarchy, so files and directories created later anywhere under a root, top
  level included, are writable too.
- ABI >= 6: signals may only reach processes of the same sandbox (a command cannot kill
  the server, nor `kill -9 -1` the user's session; it also cannot signal a process an
  earlier command started), and with the network off abstract unix sockets are scoped.
- Older ABIs enforce less: before ABI 3 (Linux 6.2) `truncate(2)` by path is not
  checked; on ABI 1 (Linux 5.13-5.18) moving a file between directories is always
  refused, even inside a root.

`.git`: Landlock rules only add rights, and a right granted on a root covers every path
beneath it, `.git` included; granting rights on the root's children instead would leave
the root itself without `MAKE_*`/`REMOVE_*` (no new top-level files, no atomic saves of
top-level files), and any `MAKE_*` right on the root would also reach into `.git` (a new
`.git/hooks/pre-commit`). So the child gets its own mount namespace (propagation
private, nothing leaks to the host) in which each `.git` is bind-mounted read-only over
itself: writes beneath it fail with EROFS, and it cannot be renamed or removed (EBUSY,
it is a mount point). Landlock forbids the sandboxed process from unmounting it, and a
cwd inside `.git` is re-entered after mounting so it lands on the read-only mount.
Without namespaces there is no equivalent, so such plans report an enforcement gap.

Network off: a new network namespace (only a down loopback: nothing, not even the
host's 127.0.0.1, is reachable; abstract unix sockets are per namespace). Unix sockets
bound to filesystem paths stay reachable (connecting needs no Landlock right).

Without root, the namespaces need an unprivileged user namespace (uid/gid mapped to
themselves); when the kernel or a security module forbids that, plans that need them
report an enforcement gap instead of running without them.
"""

from __future__ import annotations

import contextlib
import functools
import os
import stat
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from . import linux_sys as ls
from .backend import Backend, Launch, SandboxUnavailable, sandbox_env
from .plan import SandboxPlan

READ_RIGHTS = ls.ACCESS_FS_EXECUTE | ls.ACCESS_FS_READ_FILE | ls.ACCESS_FS_READ_DIR
DEVICE_RIGHTS = (
    ls.ACCESS_FS_READ_FILE
    | ls.ACCESS_FS_WRITE_FILE
    | ls.ACCESS_FS_TRUNCATE
    | ls.ACCESS_FS_IOCTL_DEV
)
DEVICE_PATHS = ("/dev/null", "/dev/zero", "/dev/full", "/dev/tty", "/dev/ptmx", "/dev/pts")
NO_DEVICE_NODES = ~(ls.ACCESS_FS_MAKE_CHAR | ls.ACCESS_FS_MAKE_BLOCK)

# Capabilities a sandboxed root loses (bounding set): leaving the namespaces (setns,
# mount), kernel modules, raw I/O, reboot, clock, BPF/perf, audit/MAC, immutable flags.
DROPPED_CAPABILITIES = (
    21,  # CAP_SYS_ADMIN
    16,  # CAP_SYS_MODULE
    17,  # CAP_SYS_RAWIO
    22,  # CAP_SYS_BOOT
    25,  # CAP_SYS_TIME
    27,  # CAP_MKNOD
    12,  # CAP_NET_ADMIN
    9,  # CAP_LINUX_IMMUTABLE
    30,  # CAP_AUDIT_CONTROL
    32,  # CAP_MAC_OVERRIDE
    33,  # CAP_MAC_ADMIN
    34,  # CAP_SYSLOG
    38,  # CAP_PERFMON
    39,  # CAP_BPF
)
PR_CAPBSET_DROP = 24


def handled_fs_rights(abi: int) -> int:
    """Every filesystem right the kernel's Landlock ABI knows."""
    rights = (1 << 13) - 1  # ABI 1: EXECUTE .. MAKE_SYM
    if abi >= 2:
        rights |= ls.ACCESS_FS_REFER
    if abi >= 3:
        rights |= ls.ACCESS_FS_TRUNCATE
    if abi >= 5:
        rights |= ls.ACCESS_FS_IOCTL_DEV
    return rights


@dataclass(frozen=True)
class LinuxSupport:
    """What this Linux system offers the sandbox."""

    landlock_abi: int
    namespaces: bool
    namespace_error: str | None = None


@dataclass(frozen=True)
class ReadOnlyMount:
    """A path to bind-mount read-only over itself, with the flags its mount has (a bind
    remount must keep nosuid/nodev/noexec, which are locked in a user namespace)."""

    path: bytes
    keep_flags: int


class ChildSetup:
    """The code run in the forked child before `exec`. Everything is computed in the
    parent; the child only makes system calls (no imports, no allocation-heavy work)."""

    def __init__(
        self,
        *,
        unshare_flags: int = 0,
        user_namespace: bool = False,
        read_only_mounts: Sequence[ReadOnlyMount] = (),
        drop_capabilities: bool = False,
        landlock_abi: int = 0,
        handled_fs: int = 0,
        scoped: int = 0,
        rules: Sequence[tuple[bytes, int]] = (),
    ) -> None:
        self.unshare_flags = unshare_flags
        self.user_namespace = user_namespace
        self.read_only_mounts = tuple(read_only_mounts)
        self.drop_capabilities = drop_capabilities
        self.landlock_abi = landlock_abi
        self.handled_fs = handled_fs
        self.scoped = scoped
        self.rules = tuple(rules)
        ls.libc()  # loaded here, in the parent

    def __call__(self) -> None:
        """Apply everything, in order; raises OSError (the spawn fails) on any error."""
        if self.unshare_flags:
            ls.unshare(self.unshare_flags)
        if self.user_namespace:
            self._map_ids(os.geteuid(), os.getegid())
        if self.read_only_mounts:
            ls.mount(b"none", b"/", None, ls.MS_REC | ls.MS_PRIVATE)
            for mount in self.read_only_mounts:
                ls.mount(mount.path, mount.path, None, ls.MS_BIND | ls.MS_REC)
                flags = ls.MS_REMOUNT | ls.MS_BIND | ls.MS_RDONLY | mount.keep_flags
                ls.mount(None, mount.path, None, flags)
            # A cwd inside a `.git` still points below the new mount: walk to it again.
            os.chdir(os.getcwd())
        if self.drop_capabilities:
            lib = ls.libc()
            for cap in DROPPED_CAPABILITIES:
                lib.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)  # EINVAL: unknown to this kernel
        ls.set_no_new_privs()
        if self.landlock_abi > 0:
            self._landlock()

    @staticmethod
    def _map_ids(uid: int, gid: int) -> None:
        for name, data in (
            (b"/proc/self/setgroups", b"deny"),
            (b"/proc/self/uid_map", b"%d %d 1" % (uid, uid)),
            (b"/proc/self/gid_map", b"%d %d 1" % (gid, gid)),
        ):
            fd = os.open(name, os.O_WRONLY | os.O_CLOEXEC)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)

    def _landlock(self) -> None:
        attr = ls.RulesetAttr(handled_access_fs=self.handled_fs, handled_access_net=0)
        size = 8
        if self.scoped:
            attr.scoped = self.scoped
            size = 24
        ruleset = ls.landlock_create_ruleset(attr, size)
        try:
            for path, allowed in self.rules:
                try:
                    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
                except OSError:  # missing or unreachable: nothing to grant there
                    continue
                try:
                    if not stat.S_ISDIR(os.fstat(fd).st_mode):
                        allowed &= ls.ACCESS_FS_FILE_RIGHTS
                    ls.landlock_add_path_rule(ruleset, fd, allowed & self.handled_fs)
                finally:
                    os.close(fd)
            ls.landlock_restrict_self(ruleset)
        finally:
            os.close(ruleset)


def _namespace_flags(need_net: bool, need_mounts: bool, root: bool) -> int:
    flags = (ls.CLONE_NEWNET if need_net else 0) | (ls.CLONE_NEWNS if need_mounts else 0)
    if flags and not root:
        flags |= ls.CLONE_NEWUSER
    return flags


@functools.cache
def probe_linux() -> LinuxSupport:
    """Landlock's ABI, and whether this process can give a child new network and mount
    namespaces (tried once in a forked child)."""
    abi = ls.landlock_abi()
    root = os.geteuid() == 0
    setup = ChildSetup(unshare_flags=_namespace_flags(True, True, root), user_namespace=not root)
    read_fd, write_fd = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns about fork() in a threaded process; the child only makes
        # system calls and exits.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 0
        try:
            setup()
            ls.mount(b"none", b"/", None, ls.MS_REC | ls.MS_PRIVATE)
        except BaseException as exc:
            code = 1
            with contextlib.suppress(BaseException):
                os.write(write_fd, str(exc).encode("utf-8", errors="replace")[:500])
        os._exit(code)
    os.close(write_fd)
    try:
        error = os.read(read_fd, 1000).decode("utf-8", errors="replace")
    finally:
        os.close(read_fd)
    _, status = os.waitpid(pid, 0)
    ok = os.waitstatus_to_exitcode(status) == 0
    return LinuxSupport(
        landlock_abi=abi,
        namespaces=ok,
        namespace_error=None if ok else (error or f"exit status {status}"),
    )


def _mount_flags(path: Path) -> int:
    try:
        f_flag = os.statvfs(path).f_flag
    except OSError:
        return 0
    keep = 0
    for st_bit, ms_bit in ls.ST_TO_MS:
        if st_bit and f_flag & st_bit:
            keep |= ms_bit
    return keep


class LandlockBackend(Backend):
    """Landlock + namespaces, applied in the child before exec (see the module doc)."""

    name = "linux-landlock"

    def __init__(self, support: LinuxSupport, *, unprivileged: bool | None = None) -> None:
        self.support = support
        self.abi = support.landlock_abi
        # Unprivileged: namespaces inside a user namespace, no capability dropping.
        self.unprivileged = os.geteuid() != 0 if unprivileged is None else unprivileged

    def enforcement_gap(self, plan: SandboxPlan) -> str | None:
        """A gap when the plan needs namespaces (network off, or a `.git` to keep
        read-only) and this process cannot create them."""
        if not plan.is_sandboxed or self.support.namespaces:
            return None
        why = self.support.namespace_error or "unknown error"
        if plan.restricts_network:
            return (
                "the sandbox cannot turn the network off: creating a network namespace "
                f"failed ({why})"
            )
        if plan.read_only_subpaths:
            return (
                f"the sandbox cannot keep .git read-only: creating a mount namespace failed ({why})"
            )
        return None

    def child_setup(self, plan: SandboxPlan, *, pty: bool) -> ChildSetup:
        """The child-side setup that enforces `plan` (see the module doc)."""
        root = not self.unprivileged
        need_mounts = bool(plan.read_only_subpaths)
        flags = _namespace_flags(plan.restricts_network, need_mounts, root)
        handled = handled_fs_rights(self.abi)
        rules: list[tuple[bytes, int]] = [(b"/", READ_RIGHTS)]
        rules.extend((os.fsencode(path), DEVICE_RIGHTS) for path in DEVICE_PATHS)
        writable = handled & NO_DEVICE_NODES
        rules.extend((os.fsencode(path), writable) for path in plan.writable_roots)
        scoped = 0
        if self.abi >= 6:
            scoped = ls.SCOPE_SIGNAL
            if plan.restricts_network:
                scoped |= ls.SCOPE_ABSTRACT_UNIX_SOCKET
        return ChildSetup(
            unshare_flags=flags,
            user_namespace=bool(flags) and not root,
            read_only_mounts=[
                ReadOnlyMount(os.fsencode(sub), _mount_flags(sub))
                for sub in plan.read_only_subpaths
                if os.path.lexists(sub)
            ],
            drop_capabilities=root,
            landlock_abi=self.abi,
            handled_fs=handled,
            scoped=scoped,
            rules=rules,
        )

    def launch(self, plan: SandboxPlan, argv: Sequence[str], *, pty: bool) -> Launch:
        """`argv` unchanged, with the child setup as `preexec`."""
        gap = self.enforcement_gap(plan)
        if gap is not None:
            raise SandboxUnavailable(gap)
        return Launch(
            argv=tuple(argv),
            preexec=self.child_setup(plan, pty=pty),
            env=sandbox_env("linux-landlock", plan),
        )
