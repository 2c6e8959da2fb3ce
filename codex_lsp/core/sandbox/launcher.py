"""The launcher: a small process between the server and each command it starts (Linux),
so that no process started for a thread outlives the server, even when the server is
killed with SIGKILL and runs no cleanup at all.

`spawn()` runs this module (standard library only, nothing from codex_lsp) as
`python -I -S -B -c <bootstrap> LIFELINE STATUS SPEC MODE OFFSET`, where the bootstrap
executes the module's code that the server compiled once and wrote at the start of SPEC
(saving the compilation at every spawn; `python -I -S -B launcher.py ...` runs it from
source), in a new session, under the command's sandbox. The launcher then:

1. reads the command (argv and the whole environment) from SPEC (a memfd), after OFFSET;
2. becomes a child subreaper (`PR_SET_CHILD_SUBREAPER`): every process of the command
   whose parent exits is re-parented to the launcher instead of init, so the whole tree
   stays below it, even processes that left the session with `setsid` and were orphaned;
3. forks the command (own session and process group; the PTY as controlling terminal
   when MODE is `pty`), and reports `P <pid>` on STATUS once `exec` succeeded, or
   `E <errno> <message>` when it failed;
4. closes its copies of the command's stdio (output ends when the command's tree is done
   with it), then waits: for children (the command's exit status goes to STATUS as
   `X <wait status>`, with ` last` when nothing else is left, adopted orphans are
   reaped) and for LIFELINE;
5. exits once it has no child left.

LIFELINE is the read end of a pipe whose write end only the server holds: when the
server process ends, however it ends, the kernel closes that end and the launcher sees
POLLHUP. It then SIGKILLs the command's process group and every descendant (rescanned
until none is left, orphans included: they are its children), reaps them and exits.
SIGTERM, SIGINT or SIGHUP sent to the launcher itself do the same.

Why a launcher and not `PR_SET_PDEATHSIG` on the command: the parent-death signal is
cleared when the command execs a setuid or file-capability program, reaches no
grandchild, and fires on the death of the forking *thread*; a pipe's end of file is
none of these. Why a process that stays: an orphaned background process can only be
found again through a subreaper that is still alive.

Sandboxes compose: the server applies the backend's child setup (Landlock, namespaces)
before it execs the launcher, so the launcher and everything it starts run under the
same restrictions, and `bwrap`/`sandbox-exec` are simply the argv the launcher execs.
A sandboxed command can only signal processes of its own sandbox (Landlock ABI 6+),
which includes its launcher: killing the launcher on purpose with SIGKILL defeats the
guarantee for that command (the command then outlives only its launcher, not the
sandbox). Nothing the launcher does needs a right the command does not have.

The same helpers (/proc process trees, pidfd-based signalling) serve the server's
`kill_process_tree` in `proctree.py`.
"""

from __future__ import annotations

# Start-up time is the launcher's whole cost (benchmarks/bench_spawn.py), so it imports
# only what it cannot do without: no contextlib, no collections (type names only for
# mypy). `signal` (not its private C part `_signal`, ~5 ms cheaper) keeps to public APIs.
import errno
import os
import select
import signal
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

SPEC_MAGIC = b"codex-launch-1"
# Signals that make the launcher kill the command's tree and exit (beside the lifeline).
TERMINATE_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
# Signals Python ignores at start-up; a command must get them at their default.
RESTORED_SIGNALS = (signal.SIGPIPE, signal.SIGXFSZ)
KILL_DEADLINE_S = 1.5
POLL_INTERVAL_S = 0.005
PR_SET_CHILD_SUBREAPER = 36


# --- /proc process trees (shared with proctree.py) -------------------------------------


def children_of(pid: int) -> list[int]:
    """The direct children of `pid` (all its threads' children), [] if it is gone."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as handle:
                found.extend(int(part) for part in handle.read().split())
        except (OSError, ValueError):
            continue
    return found


def descendants(pids: Iterable[int]) -> set[int]:
    """`pids` and all their descendants that are alive now."""
    seen: set[int] = set()
    todo = list(pids)
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        todo.extend(children_of(pid))
    return seen


def is_alive(pid: int) -> bool:
    """True if `pid` exists and is not a zombie (an exited process not yet reaped)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return False
    except OSError:
        return signal_alive(pid)
    state = data[data.rfind(b")") + 2 : data.rfind(b")") + 3]
    return state not in (b"Z", b"X", b"")


def signal_alive(pid: int) -> bool:
    """Does `pid` exist (zombies included)? Asked with signal 0."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Targets:
    """The processes being killed, held by pidfd where the kernel has them (a pid that
    exits and is reused by an unrelated process is then never signalled)."""

    def __init__(self) -> None:
        self.fds: dict[int, int | None] = {}

    def add(self, pids: Iterable[int]) -> bool:
        """Track new pids; True if any was new."""
        new = False
        for pid in pids:
            if pid in self.fds or pid <= 1:
                continue
            new = True
            fd: int | None = None
            try:
                fd = os.pidfd_open(pid)
            except (OSError, AttributeError):
                fd = None
            self.fds[pid] = fd
        return new

    def signal(self, sig: int) -> None:
        """Send `sig` to every tracked process (gone ones are skipped)."""
        for pid, fd in self.fds.items():
            try:
                if fd is not None:
                    signal.pidfd_send_signal(fd, sig)
                else:
                    os.kill(pid, sig)
            except OSError:
                continue

    def alive(self) -> list[int]:
        """The tracked processes that are still alive."""
        return [pid for pid in self.fds if is_alive(pid)]

    def close(self) -> None:
        """Release the pidfds."""
        for fd in self.fds.values():
            if fd is not None:
                try:  # noqa: SIM105 (contextlib costs start-up time)
                    os.close(fd)
                except OSError:
                    pass
        self.fds.clear()


def killpg_quietly(pgid: int, sig: int) -> None:
    """`killpg`, ignoring a group that is gone."""
    try:  # noqa: SIM105 (contextlib costs start-up time)
        os.killpg(pgid, sig)
    except OSError:
        pass


# --- the command spec (server -> launcher) -------------------------------------------


def _check_bytes(value: bytes, what: str) -> bytes:
    if b"\0" in value:
        raise ValueError(f"embedded null byte in {what}")
    return value


def encode_spec(argv: Sequence[str | bytes], env: Mapping[str, str]) -> bytes:
    """The command for the launcher: argv and the whole environment, NUL-separated.
    Raises ValueError for what `execve` cannot take (as `subprocess` does)."""
    if not argv:
        raise ValueError("spawn needs a program to run")
    parts = [SPEC_MAGIC, b"%d" % len(argv)]
    parts.extend(_check_bytes(os.fsencode(arg), "argument") for arg in argv)
    for key, value in env.items():
        name = _check_bytes(os.fsencode(key), "environment variable name")
        if not name or b"=" in name:
            raise ValueError(f"illegal environment variable name: {key!r}")
        parts.append(name + b"=" + _check_bytes(os.fsencode(value), "environment value"))
    return b"\0".join(parts)


def decode_spec(data: bytes) -> tuple[list[bytes], dict[bytes, bytes]]:
    """`encode_spec`'s argv and environment."""
    parts = data.split(b"\0")
    if len(parts) < 3 or parts[0] != SPEC_MAGIC:
        raise ValueError("not a launcher spec")
    count = int(parts[1])
    argv = parts[2 : 2 + count]
    env: dict[bytes, bytes] = {}
    for entry in parts[2 + count :]:
        name, _, value = entry.partition(b"=")
        env[name] = value
    return argv, env


# --- the launcher process -------------------------------------------------------------


def _read_all(fd: int) -> bytes:
    chunks: list[bytes] = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _read_file(fd: int, offset: int) -> bytes:
    """The contents of the file open as `fd` from `offset` on."""
    return os.pread(fd, max(0, os.fstat(fd).st_size - offset), offset)


def _set_child_subreaper() -> None:
    import ctypes  # here: the one import that only the launcher process needs

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"prctl(PR_SET_CHILD_SUBREAPER): {os.strerror(code)}")


class Launcher:
    """The launcher's state: its pipes, the command's pid, whether it was reported."""

    def __init__(self, lifeline: int, status: int, pty: bool) -> None:
        self.lifeline = lifeline
        self.status = status
        self.pty = pty
        self.child = 0
        self.child_status: int | None = None
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)

    def report(self, line: bytes) -> None:
        """One line to the server (which may be gone: then nobody needs it)."""
        try:  # noqa: SIM105 (contextlib costs start-up time)
            os.write(self.status, line + b"\n")
        except OSError:
            pass

    def install_signals(self) -> None:
        """Every signal the launcher waits for wakes its poll through the wakeup fd."""
        signal.set_wakeup_fd(self.wake_w, warn_on_full_buffer=False)
        for sig in (signal.SIGCHLD, *TERMINATE_SIGNALS):
            signal.signal(sig, _ignore_signal)

    def start(self, argv: list[bytes], env: dict[bytes, bytes]) -> None:
        """Fork and exec the command; raises OSError when exec failed."""
        error_r, error_w = os.pipe()  # close-on-exec: end of file means exec worked
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            try:
                os.close(error_r)
                signal.set_wakeup_fd(-1)
                for sig in (signal.SIGCHLD, *TERMINATE_SIGNALS, *RESTORED_SIGNALS):
                    signal.signal(sig, signal.SIG_DFL)
                os.setsid()
                if self.pty:
                    import fcntl
                    import termios

                    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
                os.execvpe(argv[0], argv, env)
            except BaseException as exc:
                code, text = errno.EINVAL, str(exc)
                if isinstance(exc, OSError) and exc.errno:
                    code, text = exc.errno, exc.strerror or text
                try:  # noqa: SIM105 (contextlib costs start-up time)
                    os.write(error_w, b"%d %s" % (code, text.encode(errors="replace")))
                except BaseException:
                    pass
            os._exit(127)
        self.child = pid
        os.close(error_w)
        try:
            failure = _read_all(error_r)
        finally:
            os.close(error_r)
        if failure:
            os.waitpid(pid, 0)
            number, _, message = failure.partition(b" ")
            raise OSError(int(number), message.decode(errors="replace"))

    def reap(self) -> bool:
        """Reap every exited child, reporting the command's status (`X <status>`, plus
        ` last` when the launcher has no child left and is about to exit); False once
        the launcher has no child left."""
        more = True
        exited: int | None = None
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                more = False
                break
            if pid == 0:
                break
            if pid == self.child and self.child_status is None:
                exited = status
        if exited is not None:
            self.child_status = exited
            self.report(b"X %d%s" % (exited, b"" if more else b" last"))
        return more

    def woken_to_terminate(self) -> bool:
        """Drain the wakeup fd; True if a terminating signal arrived."""
        got = b""
        while True:
            try:
                chunk = os.read(self.wake_r, 512)
            except BlockingIOError:
                break
            if not chunk:
                break
            got += chunk
        return any(sig in got for sig in TERMINATE_SIGNALS)

    def run(self) -> None:
        """Wait for the children, the lifeline and signals (see the module doc)."""
        poller = select.poll()
        poller.register(self.lifeline, select.POLLIN)
        poller.register(self.wake_r, select.POLLIN)
        while self.reap():
            for fd, _events in poller.poll():
                if fd == self.lifeline or (fd == self.wake_r and self.woken_to_terminate()):
                    self.kill_all()
                    return

    def kill_all(self) -> None:
        """SIGKILL the command's process group and every descendant, rescanning until
        none is left alive (orphans are re-parented here), then reap them."""
        if self.child <= 0:  # nothing started (and killpg(0) would be the launcher)
            return
        me = os.getpid()
        targets = Targets()
        deadline = time.monotonic() + KILL_DEADLINE_S
        try:
            while True:
                killpg_quietly(self.child, signal.SIGKILL)
                targets.add(descendants([me]) - {me})
                targets.signal(signal.SIGKILL)
                self.reap()
                appeared = targets.add(descendants([me]) - {me})
                if (not appeared and not targets.alive()) or time.monotonic() >= deadline:
                    break
                time.sleep(POLL_INTERVAL_S)
        finally:
            targets.close()
        while time.monotonic() < deadline and self.reap():
            time.sleep(POLL_INTERVAL_S)


def _ignore_signal(signum: int, frame: object) -> None:
    """A no-op handler: the signal is seen through the wakeup fd."""


def _release_stdio() -> None:
    """Let go of the command's stdio (pipe or terminal): the server sees end of output
    when the command's tree closes it, not when the launcher exits."""
    try:
        null = os.open("/dev/null", os.O_RDWR)
    except OSError:
        for fd in (0, 1, 2):
            try:  # noqa: SIM105 (contextlib costs start-up time)
                os.close(fd)
            except OSError:
                pass
        return
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    if null > 2:
        os.close(null)


def main(args: Sequence[str]) -> int:
    """The launcher process (see the module doc); returns its exit code. `args`:
    LIFELINE STATUS SPEC MODE [OFFSET] (where the spec starts in SPEC's file: the
    server may put this module's compiled code before it, see `spawn.py`)."""
    lifeline, status, spec = (int(value) for value in args[:3])
    pty = args[3] == "pty"
    offset = int(args[4]) if len(args) > 4 else 0
    for fd in (lifeline, status, spec):
        os.set_inheritable(fd, False)
    launcher = Launcher(lifeline, status, pty)
    try:
        argv, env = decode_spec(_read_file(spec, offset))
        os.close(spec)
        _set_child_subreaper()
        launcher.install_signals()
        launcher.start(argv, env)
    except OSError as exc:
        code = exc.errno or errno.EINVAL
        launcher.report(b"E %d %s" % (code, (exc.strerror or str(exc)).encode(errors="replace")))
        return 127
    except Exception as exc:  # a bug here must not look like a command's output
        launcher.report(b"E %d %s" % (errno.EINVAL, repr(exc).encode(errors="replace")))
        return 127
    _release_stdio()
    launcher.report(b"P %d" % launcher.child)
    launcher.run()
    if launcher.child_status is None:
        return 0
    code = os.waitstatus_to_exitcode(launcher.child_status)
    return code if code >= 0 else 128 - code  # the shell's convention for a signal


if __name__ == "__main__":
    # No interpreter teardown (several ms): nothing is buffered, every fd can just close.
    os._exit(main(sys.argv[1:]))
