"""`spawn()`: the only place in codex-lsp that starts processes.

Every process gets its own session and process group. Its output is one stream:
stdout with stderr merged (a pipe), or the master side of a pseudo-terminal. Sandboxed
spawns go through the backend `detect_backend()` picked; a plan the backend cannot
enforce raises `SandboxUnavailable` (nothing runs unsandboxed silently: the caller asks
the user, then spawns again with `plan=None`).
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import errno
import fcntl
import inspect
import os
import pty as pty_module
import struct
import subprocess
import sys
import termios
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from .backend import Backend, Launch, SandboxError, SandboxUnavailable, detect_backend
from .bounds import BoundedBuffer
from .plan import SandboxPlan
from .proctree import kill_process_tree

READ_CHUNK = 65536
DEFAULT_PTY_SIZE = (24, 80)

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


class Spawned:
    """A started process: its pid and process group, one output stream (stdout + stderr,
    or the PTY), input (when stdin is a pipe or a PTY), waiting and killing."""

    def __init__(
        self,
        process: asyncio.subprocess.Process,
        *,
        pgid: int,
        pty_master: int | None,
        sandbox: str,
    ) -> None:
        self.process = process
        self.pid = process.pid
        self.pgid = pgid
        self.sandbox = sandbox  # backend name, or "none"
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
        that killed it)."""
        return await self.process.wait()

    async def kill_tree(self, grace: float = 0.1) -> None:
        """SIGTERM, then after `grace` seconds SIGKILL, the process group and every
        descendant (found through /proc, so children that called `setsid` too); then
        reap the process. Finishes within about `grace` + 0.1 s."""
        if self.process.returncode is None:
            await kill_process_tree(self.pid, self.pgid, grace)
        else:
            # The leader is reaped (its pid may be reused); its group may live on.
            await kill_process_tree(None, self.pgid, 0.0)
        with contextlib.suppress(asyncio.TimeoutError, ProcessLookupError):
            await asyncio.wait_for(self.process.wait(), timeout=1.0)

    def close(self) -> None:
        """Release the PTY master (after the output has been read)."""
        if self._pty is not None:
            self._pty.close()
            self._pty = None


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

    master: int | None = None
    slave: int | None = None
    error_r, error_w = os.pipe()  # not inherited by the program (close-on-exec)
    try:
        preexec = _child_preexec(launch, pty, error_w)
        kwargs: dict[str, Any] = {}
        if pty:
            master, slave = pty_module.openpty()
            _set_window_size(slave, *DEFAULT_PTY_SIZE)
            kwargs.update(stdin=slave, stdout=slave, stderr=slave)
        else:
            kwargs.update(stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            process = await asyncio.create_subprocess_exec(
                *launch.argv,
                cwd=cwd,
                env=child_env,
                start_new_session=True,
                preexec_fn=preexec,
                **kwargs,
            )
        except subprocess.SubprocessError as exc:
            os.close(error_w)
            error_w = -1
            detail = os.read(error_r, 4096).decode("utf-8", errors="replace").strip()
            raise SandboxError(
                f"could not apply the sandbox ({sandbox_name}): {detail or exc}"
            ) from exc
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
    # A new session: the process leads its own process group, so pgid == pid.
    return Spawned(process, pgid=process.pid, pty_master=master, sandbox=sandbox_name)
