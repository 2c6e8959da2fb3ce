"""Thin ctypes bindings for the Linux system calls the Landlock backend needs: Landlock
itself, `unshare`, `mount`, `prctl`, `ioctl`. Linux only; importing elsewhere is fine,
calling is not.

Every function here may run in a forked child between `fork` and `exec` (a
`preexec_fn`): they import nothing and raise `OSError` with the errno on failure.
"""

from __future__ import annotations

import ctypes
import os
import sys

# Syscall numbers of the Landlock calls are the same on every architecture but alpha.
SYS_LANDLOCK_CREATE_RULESET = 444
SYS_LANDLOCK_ADD_RULE = 445
SYS_LANDLOCK_RESTRICT_SELF = 446

LANDLOCK_CREATE_RULESET_VERSION = 1 << 0
LANDLOCK_RULE_PATH_BENEATH = 1

# Filesystem access rights, with the ABI version that introduced each.
ACCESS_FS_EXECUTE = 1 << 0
ACCESS_FS_WRITE_FILE = 1 << 1
ACCESS_FS_READ_FILE = 1 << 2
ACCESS_FS_READ_DIR = 1 << 3
ACCESS_FS_REMOVE_DIR = 1 << 4
ACCESS_FS_REMOVE_FILE = 1 << 5
ACCESS_FS_MAKE_CHAR = 1 << 6
ACCESS_FS_MAKE_DIR = 1 << 7
ACCESS_FS_MAKE_REG = 1 << 8
ACCESS_FS_MAKE_SOCK = 1 << 9
ACCESS_FS_MAKE_FIFO = 1 << 10
ACCESS_FS_MAKE_BLOCK = 1 << 11
ACCESS_FS_MAKE_SYM = 1 << 12
ACCESS_FS_REFER = 1 << 13  # ABI 2
ACCESS_FS_TRUNCATE = 1 << 14  # ABI 3
ACCESS_FS_IOCTL_DEV = 1 << 15  # ABI 5

ACCESS_NET_BIND_TCP = 1 << 0  # ABI 4
ACCESS_NET_CONNECT_TCP = 1 << 1  # ABI 4

SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1  # ABI 6

# Rights that may be granted on a non-directory (a rule on a file).
ACCESS_FS_FILE_RIGHTS = (
    ACCESS_FS_EXECUTE
    | ACCESS_FS_WRITE_FILE
    | ACCESS_FS_READ_FILE
    | ACCESS_FS_TRUNCATE
    | ACCESS_FS_IOCTL_DEV
)

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MS_RELATIME = 1 << 21

# statvfs f_flag bits -> the mount flags a bind remount must keep (locked in a userns).
ST_TO_MS = tuple(
    (getattr(os, name, 0), flag)
    for name, flag in (
        ("ST_NOSUID", MS_NOSUID),
        ("ST_NODEV", MS_NODEV),
        ("ST_NOEXEC", MS_NOEXEC),
        ("ST_NOATIME", MS_NOATIME),
        ("ST_NODIRATIME", MS_NODIRATIME),
        ("ST_RELATIME", MS_RELATIME),
    )
)

PR_SET_NO_NEW_PRIVS = 38
TIOCSCTTY = 0x540E


class RulesetAttr(ctypes.Structure):
    """`struct landlock_ruleset_attr` (the kernel reads the first `size` bytes)."""

    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class PathBeneathAttr(ctypes.Structure):
    """`struct landlock_path_beneath_attr` (packed: 12 bytes)."""

    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


_libc: ctypes.CDLL | None = None


def libc() -> ctypes.CDLL:
    """The C library, loaded once (call this in the parent before forking)."""
    global _libc
    if _libc is None:
        lib = ctypes.CDLL(None, use_errno=True)
        lib.syscall.restype = ctypes.c_long
        lib.mount.argtypes = [
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_ulong,
            ctypes.c_void_p,
        ]
        lib.unshare.argtypes = [ctypes.c_int]
        lib.prctl.argtypes = [
            ctypes.c_int,
            ctypes.c_ulong,
            ctypes.c_ulong,
            ctypes.c_ulong,
            ctypes.c_ulong,
        ]
        lib.ioctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong]
        _libc = lib
    return _libc


def _check(result: int, what: str) -> int:
    if result < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")
    return result


def landlock_abi() -> int:
    """The Landlock ABI version the kernel supports, 0 when it has none (or when Landlock
    is disabled at boot, or this is not Linux)."""
    if not sys.platform.startswith("linux"):
        return 0
    try:
        lib = libc()
    except OSError:
        return 0
    version = int(
        lib.syscall(
            ctypes.c_long(SYS_LANDLOCK_CREATE_RULESET),
            None,
            ctypes.c_size_t(0),
            ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION),
        )
    )
    return max(version, 0)


def landlock_create_ruleset(attr: RulesetAttr, size: int) -> int:
    """A new ruleset fd handling the rights in `attr` (its first `size` bytes)."""
    return _check(
        int(
            libc().syscall(
                ctypes.c_long(SYS_LANDLOCK_CREATE_RULESET),
                ctypes.byref(attr),
                ctypes.c_size_t(size),
                ctypes.c_uint32(0),
            )
        ),
        "landlock_create_ruleset",
    )


def landlock_add_path_rule(ruleset_fd: int, path_fd: int, allowed: int) -> None:
    """Allow `allowed` beneath the file or directory open as `path_fd` (an O_PATH fd)."""
    attr = PathBeneathAttr(allowed_access=allowed, parent_fd=path_fd)
    _check(
        int(
            libc().syscall(
                ctypes.c_long(SYS_LANDLOCK_ADD_RULE),
                ctypes.c_int(ruleset_fd),
                ctypes.c_int(LANDLOCK_RULE_PATH_BENEATH),
                ctypes.byref(attr),
                ctypes.c_uint32(0),
            )
        ),
        "landlock_add_rule",
    )


def landlock_restrict_self(ruleset_fd: int) -> None:
    """Enforce the ruleset on this thread and everything it later starts."""
    _check(
        int(
            libc().syscall(
                ctypes.c_long(SYS_LANDLOCK_RESTRICT_SELF),
                ctypes.c_int(ruleset_fd),
                ctypes.c_uint32(0),
            )
        ),
        "landlock_restrict_self",
    )


def set_no_new_privs() -> None:
    """`prctl(PR_SET_NO_NEW_PRIVS, 1)`: exec can never grant privileges (setuid, file
    capabilities) again; required by Landlock for unprivileged callers."""
    _check(libc().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")


def unshare(flags: int) -> None:
    """`unshare(2)`."""
    _check(libc().unshare(flags), "unshare")


def mount(source: bytes | None, target: bytes, fstype: bytes | None, flags: int) -> None:
    """`mount(2)` with no data."""
    _check(libc().mount(source, target, fstype, flags, None), f"mount {target!r}")


def set_controlling_tty(fd: int) -> None:
    """Make the terminal open as `fd` this session's controlling terminal (after
    `setsid`)."""
    _check(libc().ioctl(fd, TIOCSCTTY, 0), "ioctl(TIOCSCTTY)")
