"""`spawn()`: the only place in codex-lsp that starts processes.

Every process gets its own session and process group. Its output is one stream:
stdout with stderr merged (a pipe), or the master side of a pseudo-terminal. Sandboxed
spawns go through the backend `detect_backend()` picked; a plan the backend cannot
enforce raises `SandboxUnavailable` (nothing runs unsandboxed silently: the caller asks
the user, then spawns again with `plan=None`).

On Linux every command is started through the launcher (`launcher.py`): a small process
that the server starts under the command's sandbox, that forks the command and stays
its parent, adopts the command's orphans, and kills the whole tree as soon as the server
process is gone, however it ended (SIGKILL included). It costs one interpreter start
(about 10 ms, see `benchmarks/bench_spawn.py`). Elsewhere (macOS) commands are the
server's children, as before, and live on if the server is killed without cleanup.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import errno
import fcntl
import functools
import inspect
import marshal
import os
import pty as pty_module
import signal
import struct
import subprocess
import sys
import tempfile
import termios
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from . import launcher
from .backend import Backend, Launch, SandboxError, SandboxUnavailable, detect_backend
from .bounds import BoundedBuffer
from .plan import SandboxPlan
from .proctree import HAVE_PROC, kill_process_tree

READ_CHUNK = 65536
DEFAULT_PTY_SIZE = (24, 80)
LAUNCHER_PATH = os.path.abspath(launcher.__file__)
# The interpreter that runs the launcher (the server's own; any Python 3.11+ would do).
LAUNCHER_PYTHON = sys.executable
# Whether commands start through the launcher (module doc); benchmarks turn it off to
# measure what it costs.
USE_LAUNCHER = (
    sys.platform.startswith("linux")
    and HAVE_PROC
    and bool(LAUNCHER_PYTHON)
    and os.path.isfile(LAUNCHER_PATH)
)
# Variables the launcher's interpreter may need to start; the command's environment
# reaches the command through the spec, never through the launcher's own environment.
LAUNCHER_ENV_KEYS = ("LD_LIBRARY_PATH",)
# How long `wait` waits for a launcher that reported it is exiting to be reaped.
LAUNCHER_EXIT_WAIT_S = 1.0
# Run by the launcher's interpreter: the launcher's code, compiled once by the server
# (`_launcher_code`), is read from the spec file (argv[3], its first argv[5] bytes),
# which saves compiling the module at every spawn.
LAUNCHER_BOOTSTRAP = (
    "import marshal,os,sys;"
    "exec(marshal.loads(os.pread(int(sys.argv[3]),int(sys.argv[5]),0)),{'__name__':'__main__'})"
)

OnChunk = Callable[[str], Awaitable[None] | None]


class _Fd:
    """Async reads and writes on a non-blocking fd (a PTY master), driven by the event
    loop's reader/writer callbacks. EIO on read (every slave fd closed) is end of file."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        os.set_blocking(fd, False)

    async def _ready(self, for_write: bool) -> None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            if not future.done():
                future.set_result(None)

        if for_write:
            loop.add_writer(self.fd, wake)
        else:
            loop.add_reader(self.fd, wake)
        try:
            await future
        finally:
            if for_write:
                loop.remove_writer(self.fd)
            else:
                loop.remove_reader(self.fd)

    async def read(self, size: int) -> bytes:
        while True:
            try:
                return os.read(self.fd, size)
            except BlockingIOError:
                await self._ready(for_write=False)
            except OSError as exc:
                if exc.errno == errno.EIO:
                    return b""
                raise

    async def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                written = os.write(self.fd, view)
            except BlockingIOError:
                await self._ready(for_write=True)
                continue
            view = view[written:]

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


class _StatusPipe:
    """The launcher's reports (`launcher.py`), read line by line."""

    def __init__(self, fd: int) -> None:
        self._fd: _Fd | None = _Fd(fd)
        self._buffer = b""

    async def line(self) -> bytes | None:
        """The next line without its newline; None at end of file (or once closed)."""
        while b"\n" not in self._buffer:
            if self._fd is None:
                return None
            chunk = await self._fd.read(4096)
            if not chunk:
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def close(self) -> None:
        """Stop reading (idempotent)."""
        if self._fd is not None:
            self._fd.close()
            self._fd = None


class Spawned:
    """A started process: its pid and process group, one output stream (stdout + stderr,
    or the PTY), input (when stdin is a pipe or a PTY), waiting and killing.

    With the launcher, `process` is the launcher and `pid` the command (the launcher's
    child, leader of its own session and process group); the command's exit status
    comes from the launcher's reports."""

    def __init__(
        self,
        process: asyncio.subprocess.Process,
        *,
        pgid: int,
        pty_master: int | None,
        sandbox: str,
        pid: int | None = None,
        status: _StatusPipe | None = None,
    ) -> None:
        self.process = process
        self.pid = process.pid if pid is None else pid
        self.pgid = pgid
        self.sandbox = sandbox  # backend name, or "none"
        # The launcher's pid (None: the command is the server's own child).
        self.launcher_pid = process.pid if status is not None else None
        self._status = status
        self._exit: asyncio.Task[int] | None = None
        self._returncode: int | None = None
        self._pty = _Fd(pty_master) if pty_master is not None else None
        self.output: BoundedBuffer | None = None

    @property
    def is_pty(self) -> bool:
        """True when the process runs on a pseudo-terminal."""
        return self._pty is not None

    @property
    def stdout(self) -> asyncio.StreamReader | None:
        """The merged stdout + stderr pipe (None for a PTY: use `read`)."""
        return self.process.stdout

    @property
    def returncode(self) -> int | None:
        """The exit code once reaped (negative: killed by that signal), else None."""
        if self.launcher_pid is not None:
            return self._returncode
        return self.process.returncode

    async def read(self, size: int = READ_CHUNK) -> bytes:
        """Up to `size` bytes of output; b"" at end of output."""
        if self._pty is not None:
            return await self._pty.read(size)
        stream = self.process.stdout
        if stream is None:
            return b""
        return await stream.read(size)

    async def write(self, data: bytes) -> None:
        """Send `data` to the process's terminal or stdin pipe."""
        if self._pty is not None:
            await self._pty.write(data)
            return
        stdin = self.process.stdin
        if stdin is None:
            raise RuntimeError("this process has no stdin pipe (spawn with stdin=PIPE)")
        stdin.write(data)
        await stdin.drain()

    def close_stdin(self) -> None:
        """Close the stdin pipe (no-op for a PTY or without a pipe)."""
        if self.process.stdin is not None:
            self.process.stdin.close()

    async def read_output(self, cap_bytes: int, on_chunk: OnChunk | None = None) -> str:
        """Read the output to its end, streaming each chunk (decoded incrementally as
        UTF-8, errors replaced, never split inside a character) to `on_chunk` (sync or
        async), and return the whole output bounded to `cap_bytes` with
        `bounds.bounded_text`'s head/tail rule. The aggregate lives in `self.output`, so
        a caller that times out and cancels this still has what was read."""
        buffer = BoundedBuffer(cap_bytes)
        self.output = buffer
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

        async def emit(text: str) -> None:
            if text and on_chunk is not None:
                result = on_chunk(text)
                if inspect.isawaitable(result):
                    await result

        while chunk := await self.read(READ_CHUNK):
            buffer.append(chunk)
            await emit(decoder.decode(chunk))
        await emit(decoder.decode(b"", final=True))
        return buffer.text()

    async def wait(self) -> int:
        """Wait for the process to exit and return its exit code (negative: the signal
        that killed it). Background processes it left behind are not waited for."""
        if self._status is None:
            return await self.process.wait()
        if self._exit is None:
            self._exit = asyncio.get_running_loop().create_task(
                self._wait_reported(), name=f"exit-status-{self.pid}"
            )
        return await asyncio.shield(self._exit)

    async def _wait_reported(self) -> int:
        status = self._status
        assert status is not None
        code: int | None = None
        try:
            while (line := await status.line()) is not None:
                if line.startswith(b"X "):
                    fields = line[2:].split()
                    code = os.waitstatus_to_exitcode(int(fields[0]))
                    if b"last" in fields[1:]:
                        # Nothing is left below the launcher: it is exiting; have it
                        # reaped too, so a finished command leaves no process behind.
                        await self._launcher_exit(LAUNCHER_EXIT_WAIT_S)
                    break
        finally:
            status.close()
        if code is None:
            # The launcher ended without a report (it was killed): its status is all
            # there is.
            code = await self._launcher_exit(None)
            assert code is not None
        self._returncode = code
        return code

    async def _launcher_exit(self, timeout: float | None) -> int | None:
        """The launcher's exit code once the event loop has reaped it (polled:
        `process.wait()` would also wait for the output pipe, which the command's
        leftovers may hold), or None after `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while (code := self.process.returncode) is None:
            if deadline is not None and loop.time() >= deadline:
                return None
            await asyncio.sleep(0.001)
        return code

    async def kill_tree(self, grace: float = 0.1) -> None:
        """SIGTERM, then after `grace` seconds SIGKILL, the process group and every
        descendant (found through /proc, so children that called `setsid` too, and with
        the launcher also orphans it adopted); then reap the process. Finishes within
        about `grace` + 0.1 s."""
        if self.launcher_pid is not None:
            if self.process.returncode is None:
                await kill_process_tree(self.launcher_pid, self.pgid, grace, include_root=False)
            else:  # the launcher is gone (killed): only the group can be found
                await kill_process_tree(None, self.pgid, 0.0)
            # The launcher reports the exit, then ends once it has no child left.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.wait(), timeout=1.0)
            await self._launcher_exit(1.0)
            return
        if self.process.returncode is None:
            await kill_process_tree(self.pid, self.pgid, grace)
        else:
            # The leader is reaped (its pid may be reused); its group may live on.
            await kill_process_tree(None, self.pgid, 0.0)
        with contextlib.suppress(asyncio.TimeoutError, ProcessLookupError):
            await asyncio.wait_for(self.process.wait(), timeout=1.0)

    def close(self) -> None:
        """Release the PTY master (after the output has been read), and the launcher's
        report pipe unless a `wait` is reading it."""
        if self._pty is not None:
            self._pty.close()
            self._pty = None
        if self._status is not None and self._exit is None:
            self._status.close()


def _set_window_size(fd: int, rows: int, cols: int) -> None:
    with contextlib.suppress(OSError):
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def _child_preexec(launch: Launch, pty: bool, error_fd: int) -> Callable[[], None] | None:
    """The function run in the child before exec, or None when nothing is needed (then
    Python can use vfork/posix_spawn)."""
    if not pty and launch.preexec is None:
        return None
    set_ctty: Callable[[int], None] | None = None
    if pty and sys.platform.startswith("linux"):
        from .linux_sys import set_controlling_tty

        set_ctty = set_controlling_tty
    elif pty:

        def set_ctty(fd: int) -> None:
            fcntl.ioctl(fd, termios.TIOCSCTTY, 0)

    inner = launch.preexec

    def child() -> None:
        try:
            if set_ctty is not None:
                set_ctty(0)
            if inner is not None:
                inner()
        except BaseException as exc:
            with contextlib.suppress(BaseException):
                os.write(error_fd, f"{exc}".encode("utf-8", errors="replace"))
            raise

    return child


async def spawn(
    argv: Sequence[str],
    *,
    cwd: str,
    env: Mapping[str, str] | None = None,
    plan: SandboxPlan | None,
    stdin: int | None = asyncio.subprocess.DEVNULL,
    pty: bool = False,
    backend: Backend | None = None,
) -> Spawned:
    """Start `argv` in `cwd`, in a new session, under `plan`.

    `plan=None` (user shell commands, approved escalations) and `danger-full-access`
    run unsandboxed; any other plan goes through `backend` (default `detect_backend()`)
    and raises `SandboxUnavailable` when the backend reports an enforcement gap, or
    `SandboxError` when applying the sandbox failed in the child. `env` is the whole
    environment (default: this process's); sandboxed commands also get
    `CODEX_SANDBOX` (and `CODEX_SANDBOX_NETWORK_DISABLED=1` with the network off).
    Output is stdout with stderr merged, or with `pty=True` a pseudo-terminal (80x24)
    that is also stdin and the controlling terminal. A missing program raises
    `FileNotFoundError` as `subprocess` does.
    """
    if not argv:
        raise ValueError("spawn needs a program to run")
    if plan is None or not plan.is_sandboxed:
        launch = Launch(argv=tuple(argv))
        sandbox_name = "none"
    else:
        chosen = backend if backend is not None else detect_backend()
        gap = chosen.enforcement_gap(plan)
        if gap is not None:
            raise SandboxUnavailable(gap)
        launch = chosen.launch(plan, argv, pty=pty)
        sandbox_name = chosen.name
    child_env = dict(os.environ if env is None else env)
    child_env.update(launch.env)
    if USE_LAUNCHER:
        return await _spawn_launched(launch, cwd, child_env, stdin, pty, sandbox_name)

    master, process = await _start(
        launch.argv, launch, cwd=cwd, env=child_env, stdin=stdin, pty=pty, name=sandbox_name
    )
    # A new session: the process leads its own process group, so pgid == pid.
    return Spawned(process, pgid=process.pid, pty_master=master, sandbox=sandbox_name)


async def _start(
    program: Sequence[str],
    launch: Launch,
    *,
    cwd: str,
    env: Mapping[str, str],
    stdin: int | None,
    pty: bool,
    name: str,
    set_ctty: bool = True,
    pass_fds: Sequence[int] = (),
) -> tuple[int | None, asyncio.subprocess.Process]:
    """Start `program` in a new session with the sandbox's child setup; returns the PTY
    master (with `pty`) and the process."""
    master: int | None = None
    slave: int | None = None
    error_r, error_w = os.pipe()  # not inherited by the program (close-on-exec)
    try:
        preexec = _child_preexec(launch, pty and set_ctty, error_w)
        kwargs: dict[str, Any] = {}
        if pty:
            master, slave = pty_module.openpty()
            _set_window_size(slave, *DEFAULT_PTY_SIZE)
            kwargs.update(stdin=slave, stdout=slave, stderr=slave)
        else:
            kwargs.update(stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            process = await asyncio.create_subprocess_exec(
                *program,
                cwd=cwd,
                env=env,
                start_new_session=True,
                preexec_fn=preexec,
                pass_fds=tuple(pass_fds),
                **kwargs,
            )
        except subprocess.SubprocessError as exc:
            os.close(error_w)
            error_w = -1
            detail = os.read(error_r, 4096).decode("utf-8", errors="replace").strip()
            raise SandboxError(f"could not apply the sandbox ({name}): {detail or exc}") from exc
    except BaseException:
        if master is not None:
            os.close(master)
        raise
    finally:
        if slave is not None:
            os.close(slave)
        if error_w >= 0:
            os.close(error_w)
        os.close(error_r)
    return master, process


_lifeline: tuple[int, int, int] | None = None  # (owning pid, read end, write end)


def _lifeline_fd() -> int:
    """The read end of this process's lifeline pipe. The write end stays open in this
    process only (close-on-exec, never written): when the process ends, however it
    ends, every launcher sees end of file and kills its command's tree."""
    global _lifeline
    if _lifeline is None or _lifeline[0] != os.getpid():  # a forked child needs its own
        read_end, write_end = os.pipe()
        _lifeline = (os.getpid(), read_end, write_end)
    return _lifeline[1]


def _spec_fd(data: bytes) -> int:
    """A file holding `data`, positioned at its start (no size limit, unlike argv)."""
    try:
        fd = os.memfd_create("codex-launch", os.MFD_CLOEXEC)
    except (AttributeError, OSError):
        with tempfile.TemporaryFile() as handle:
            fd = os.dup(handle.fileno())
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.lseek(fd, 0, os.SEEK_SET)
    except BaseException:
        os.close(fd)
        raise
    return fd


@functools.cache
def _launcher_code() -> bytes:
    """The launcher module compiled and marshalled (for this interpreter's version)."""
    with open(LAUNCHER_PATH, "rb") as handle:
        source = handle.read()
    return marshal.dumps(compile(source, LAUNCHER_PATH, "exec", dont_inherit=True))


def _launcher_argv(lifeline: int, status: int, spec: int, pty: bool, code_size: int) -> list[str]:
    """How to run the launcher: this interpreter runs its precompiled code; another one
    (`LAUNCHER_PYTHON` changed) compiles the file itself."""
    fds = [str(lifeline), str(status), str(spec), "pty" if pty else "pipe", str(code_size)]
    if code_size:
        return [LAUNCHER_PYTHON, "-I", "-S", "-B", "-c", LAUNCHER_BOOTSTRAP, *fds]
    return [LAUNCHER_PYTHON, "-I", "-S", "-B", LAUNCHER_PATH, *fds]


async def _spawn_launched(
    launch: Launch,
    cwd: str,
    env: Mapping[str, str],
    stdin: int | None,
    pty: bool,
    sandbox_name: str,
) -> Spawned:
    """Start the command through the launcher (module doc): the server starts the
    launcher under the sandbox's child setup; the launcher starts the command in its own
    session (taking the PTY as its controlling terminal) and reports its pid."""
    spec = launcher.encode_spec(launch.argv, env)  # ValueError before anything starts
    code = _launcher_code() if sys.executable == LAUNCHER_PYTHON else b""
    lifeline = _lifeline_fd()
    spec_fd = _spec_fd(code + spec)
    status_r, status_w = os.pipe()
    try:
        program = _launcher_argv(lifeline, status_w, spec_fd, pty, len(code))
        launcher_env = {key: os.environ[key] for key in LAUNCHER_ENV_KEYS if key in os.environ}
        try:
            master, process = await _start(
                program,
                launch,
                cwd=cwd,
                env=launcher_env,
                stdin=stdin,
                pty=pty,
                name=sandbox_name,
                set_ctty=False,
                pass_fds=(lifeline, status_w, spec_fd),
            )
        except SandboxError:
            raise
        except OSError as exc:  # not the command's fault: do not let it read as one
            raise RuntimeError(
                f"could not start the process launcher ({LAUNCHER_PYTHON}): {exc}"
            ) from exc
    except BaseException:
        os.close(status_r)
        raise
    finally:
        os.close(status_w)
        os.close(spec_fd)

    status = _StatusPipe(status_r)
    try:
        first = await status.line()
    except BaseException:
        # Cancelled while the launcher starts: it kills whatever it started.
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        status.close()
        if master is not None:
            os.close(master)
        raise
    if first is not None and first.startswith(b"P "):
        pid = int(first[2:])
        return Spawned(
            process, pgid=pid, pid=pid, pty_master=master, sandbox=sandbox_name, status=status
        )
    status.close()
    if master is not None:
        os.close(master)
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(process.wait(), timeout=1.0)
    if first is not None and first.startswith(b"E "):
        number, _, message = first[2:].partition(b" ")
        text = message.decode("utf-8", errors="replace") or os.strerror(int(number))
        raise OSError(int(number), text, launch.argv[0])  # FileNotFoundError, PermissionError...
    raise RuntimeError(
        f"the process launcher ended without starting {launch.argv[0]!r} "
        f"(exit status {process.returncode})"
    )
