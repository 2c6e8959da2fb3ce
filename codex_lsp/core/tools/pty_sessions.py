"""Interactive processes on pseudo-terminals, kept per thread between tool calls.

`ExecSessions` belongs to one thread. `exec_command` starts a process in it and
`write_stdin` talks to it later; the thread's owner calls `close_all()` when the thread
ends or the server shuts down, which kills every process tree (no orphans). Each
session has a background reader that moves PTY output into a bounded buffer of unread
output (the oldest bytes are dropped past `SESSION_BUFFER_BYTES`) and wakes waiters
when output arrives or the process exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from .. import tasks
from ..sandbox.bounds import BoundedBuffer
from ..sandbox.plan import SandboxPlan
from ..sandbox.spawn import Spawned, spawn

log = logging.getLogger(__name__)

# Sees every chunk of a session's output as it is read; `b""` once, at the end.
OutputSink = Callable[[bytes], None]

MAX_SESSIONS = 16
# Unread output kept per session; older output is dropped.
SESSION_BUFFER_BYTES = 1024 * 1024
# After the process exits, how long its last output may take to reach the PTY master
# (longer only when a leftover background process keeps the terminal open).
EXIT_DRAIN_S = 0.2
KILL_GRACE_S = 0.1


def incomplete_utf8_tail(data: bytes | bytearray) -> int:
    """How many bytes at the end of `data` are the start of a UTF-8 character whose
    remaining bytes have not arrived yet (0 when `data` ends on a character boundary)."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 == 0x80:  # continuation byte: keep looking for the lead byte
            continue
        if byte >= 0xF0:
            needed = 4
        elif byte >= 0xE0:
            needed = 3
        elif byte >= 0xC0:
            needed = 2
        else:
            needed = 1
        return back if back < needed else 0
    return 0


def skip_partial_char(chunk: bytes) -> bytes:
    """`chunk` without the continuation bytes of a character cut at its start."""
    start = 0
    while start < min(3, len(chunk)) and chunk[start] & 0xC0 == 0x80:
        start += 1
    return chunk[start:]


@dataclass(frozen=True)
class Drained:
    """Unread output taken from a session: its first bytes (`head`), its last bytes
    (`tail`) and how many bytes in between were dropped because nobody read them in
    time (the session keeps at most `SESSION_BUFFER_BYTES`)."""

    head: bytes
    tail: bytes
    dropped_bytes: int


class ExecSession:
    """One running process on a PTY, its unread output and its exit status."""

    def __init__(
        self,
        session_id: int,
        spawned: Spawned,
        *,
        command: str,
        cwd: str,
        buffer_bytes: int = SESSION_BUFFER_BYTES,
        on_output: OutputSink | None = None,
    ) -> None:
        self.id = session_id
        self._on_output = on_output
        self.spawned = spawned
        self.command = command
        self.cwd = cwd
        self.started_at = time.monotonic()
        self.last_used = self.started_at
        # Unread output: its start and its end are kept, what lies between is dropped.
        self._pending = BoundedBuffer(buffer_bytes)
        self._changed = asyncio.Event()
        self._exit_code: int | None = None
        self._reader_done = asyncio.Event()
        self._exited = asyncio.Event()
        self._killing: asyncio.Task[None] | None = None
        self._reader = tasks.spawn(self._read_loop(), name=f"exec-session-{session_id}-read")
        self._waiter = tasks.spawn(self._wait_loop(), name=f"exec-session-{session_id}-wait")

    @property
    def pid(self) -> int:
        """The process id of the shell (the session and process group leader)."""
        return self.spawned.pid

    @property
    def exit_code(self) -> int | None:
        """The exit code once the process has exited (negative: killed by that signal)."""
        return self._exit_code

    @property
    def exited(self) -> bool:
        """True once the process has exited (its output may still be unread)."""
        return self._exited.is_set()

    def touch(self) -> None:
        """Mark the session as just used (the session cap closes idle ones first)."""
        self.last_used = time.monotonic()

    def _notify(self) -> None:
        """Wake everyone waiting for a change (new output or the exit)."""
        self._changed.set()
        self._changed = asyncio.Event()

    def _append(self, chunk: bytes) -> None:
        self._pending.append(chunk)

    async def _read_loop(self) -> None:
        try:
            while chunk := await self.spawned.read():
                self._append(chunk)
                self._tell(chunk)
                self._notify()
                # A read that finds data never suspends: let the loop breathe between
                # chunks of a process that writes without pause.
                await asyncio.sleep(0)
        except OSError:
            pass  # the PTY went away (closed by a kill): end of output
        finally:
            self._tell(b"")
            self._reader_done.set()
            self._notify()

    def _tell(self, chunk: bytes) -> None:
        """Hand output to the sink (streaming to the client); a failing sink is logged."""
        if self._on_output is None:
            return
        try:
            self._on_output(chunk)
        except Exception:
            log.exception("the output sink of exec session %s failed", self.id)

    async def _wait_loop(self) -> None:
        code = await self.spawned.wait()
        self._exit_code = code
        self._exited.set()
        self._notify()

    async def write(self, data: bytes, timeout: float) -> bool:
        """Type `data` into the terminal. False when the program did not take all of it
        within `timeout` seconds (it is not reading its input)."""
        try:
            await asyncio.wait_for(self.spawned.write(data), timeout)
        except TimeoutError:
            return False
        return True

    async def wait(self, timeout: float) -> None:
        """Wait until the process exits or `timeout` seconds pass, whichever is first.
        After an exit, also wait (briefly) for the output it wrote before exiting."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, timeout)
        while not self.exited:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            changed = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)
        if not self._reader_done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._reader_done.wait(), EXIT_DRAIN_S)

    def take_output(self) -> Drained:
        """The output not read yet (it is removed from the buffer). While the terminal
        is still open, a character cut at the end stays for the next call."""
        head, tail, dropped = self._pending.drain()
        if not self._reader_done.is_set():
            if tail:
                partial = incomplete_utf8_tail(tail)
                tail, rest = tail[: len(tail) - partial], tail[len(tail) - partial :]
            else:
                partial = incomplete_utf8_tail(head)
                head, rest = head[: len(head) - partial], head[len(head) - partial :]
            if rest:
                self._append(rest)
        return Drained(head, tail, dropped)

    async def kill(self) -> None:
        """Kill the process tree (the leftover process group after an exit), stop the
        reader and release the terminal. Runs to its end even if the caller is
        cancelled (the session is no longer tracked by then)."""
        if self._killing is None:
            self._killing = tasks.spawn(self._kill(), name=f"exec-session-{self.id}-kill")
        await asyncio.shield(self._killing)

    async def _kill(self) -> None:
        await self.spawned.kill_tree(KILL_GRACE_S)
        # With every process gone the reader sees the end of the terminal at once.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._reader_done.wait(), EXIT_DRAIN_S)
        for task in (self._reader, self._waiter):
            task.cancel()
        await asyncio.wait([self._reader, self._waiter], timeout=1.0)
        self.spawned.close()


@dataclass(frozen=True)
class Started:
    """A new session and the sessions closed to make room for it."""

    session: ExecSession
    pruned: list[ExecSession]


class ExecSessions:
    """A thread's interactive processes by session id (1, 2, 3, ...)."""

    def __init__(
        self,
        *,
        max_sessions: int = MAX_SESSIONS,
        buffer_bytes: int = SESSION_BUFFER_BYTES,
    ) -> None:
        self.max_sessions = max(1, max_sessions)
        self.buffer_bytes = buffer_bytes
        self._sessions: dict[int, ExecSession] = {}
        self._next_id = 1
        self._starting: set[asyncio.Task[Started]] = set()
        self._closed = False

    def __len__(self) -> int:
        return len(self._sessions)

    def ids(self) -> list[int]:
        """The ids of the open sessions, oldest first."""
        return sorted(self._sessions)

    def get(self, session_id: int) -> ExecSession | None:
        """The open session with this id, or None."""
        return self._sessions.get(session_id)

    async def start(
        self,
        argv: Sequence[str],
        *,
        cwd: str,
        env: Mapping[str, str] | None,
        plan: SandboxPlan | None,
        command: str,
        on_output: OutputSink | None = None,
    ) -> Started:
        """Spawn `argv` on a PTY under `plan` and register it as a new session (its output
        also goes to `on_output` as it is read, for the process's life); when the
        cap is reached, the oldest exited (else least recently used) session is killed
        to make room. Raises what `spawn` raises (`SandboxUnavailable`, `SandboxError`,
        `OSError`). The registration survives the caller's cancellation (the session
        then stays with the thread and `close_all` kills it)."""
        if self._closed:
            raise RuntimeError("the thread's exec sessions are closed")
        task = asyncio.get_running_loop().create_task(
            self._start(argv, cwd=cwd, env=env, plan=plan, command=command, on_output=on_output),
            name="exec-session-start",
        )
        self._starting.add(task)
        task.add_done_callback(self._start_done)
        return await asyncio.shield(task)

    def _start_done(self, task: asyncio.Task[Started]) -> None:
        self._starting.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved here: the caller may have been cancelled

    async def _start(
        self,
        argv: Sequence[str],
        *,
        cwd: str,
        env: Mapping[str, str] | None,
        plan: SandboxPlan | None,
        command: str,
        on_output: OutputSink | None,
    ) -> Started:
        spawned = await spawn(argv, cwd=cwd, env=env, plan=plan, pty=True)
        session_id = self._next_id
        self._next_id += 1
        session = ExecSession(
            session_id,
            spawned,
            command=command,
            cwd=cwd,
            buffer_bytes=self.buffer_bytes,
            on_output=on_output,
        )
        if self._closed:
            await session.kill()
            raise RuntimeError("the thread's exec sessions were closed")
        pruned: list[ExecSession] = []
        while len(self._sessions) >= self.max_sessions:
            victim = self._prune_candidate()
            del self._sessions[victim.id]
            pruned.append(victim)
        self._sessions[session_id] = session
        if pruned:
            await asyncio.gather(*(victim.kill() for victim in pruned))
        return Started(session, pruned)

    def _prune_candidate(self) -> ExecSession:
        """The session to close for room: an exited one, else the least recently used."""
        ordered = sorted(self._sessions.values(), key=lambda s: s.last_used)
        exited = [s for s in ordered if s.exited]
        return (exited or ordered)[0]

    async def release(self, session: ExecSession) -> None:
        """Forget `session` and kill what is left of it (call once its exit has been
        reported; leftover background processes of its group are killed too)."""
        if self._sessions.get(session.id) is session:
            del self._sessions[session.id]
        await session.kill()

    async def close_all(self) -> None:
        """Kill every session's whole process tree and refuse new sessions (the thread
        ended or the server is shutting down). Sessions being started are waited for
        and killed too. Safe to call more than once."""
        self._closed = True
        if self._starting:
            await asyncio.wait(list(self._starting), timeout=10.0)
        sessions = list(self._sessions.values())
        self._sessions.clear()
        if sessions:
            await asyncio.gather(*(s.kill() for s in sessions), return_exceptions=True)
