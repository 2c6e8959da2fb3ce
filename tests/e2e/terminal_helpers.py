"""Run `codex-lsp <args>` on a real pseudo-terminal and answer its questions."""

from __future__ import annotations

import asyncio
import os
import pty
import sys
from collections.abc import Callable
from pathlib import Path

# What every approval question of the terminal ends with.
QUESTION = b"[y]es / [a]lways this session / [n]o / [s]top the turn: "


async def run_on_terminal(
    args: list[str],
    env: dict[str, str],
    cwd: Path,
    answer: Callable[[bytes], bytes | None],
    timeout: float = 60.0,
) -> tuple[int, str]:
    """Run the CLI with a pty as its stdin, stdout and stderr; after each read,
    `answer(screen so far)` may return keys to type. Returns the exit code and the screen.
    The process is killed (and reaped) however this ends."""
    master, slave = pty.openpty()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "codex_lsp", *args,
        env=env, cwd=cwd, stdin=slave, stdout=slave, stderr=slave,
    )  # fmt: skip
    os.close(slave)
    loop = asyncio.get_running_loop()
    screen = bytearray()
    got, closed = asyncio.Event(), asyncio.Event()

    def readable() -> None:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the process exited, nothing holds the terminal any more
            data = b""
        if not data:
            loop.remove_reader(master)
            closed.set()
        screen.extend(data)
        got.set()

    loop.add_reader(master, readable)
    try:
        async with asyncio.timeout(timeout):
            while not closed.is_set():
                keys = answer(bytes(screen))
                if keys:
                    os.write(master, keys)
                got.clear()
                await got.wait()
            await proc.wait()
    finally:
        loop.remove_reader(master)
        os.close(master)
        if proc.returncode is None:
            proc.kill()
        await proc.wait()
    assert proc.returncode is not None
    return proc.returncode, screen.decode(errors="replace")


class AnswerEachQuestion:
    """An `answer` that types `keys` once for each new approval question, at most `limit`
    times; `answered` says how many it answered."""

    def __init__(self, keys: bytes, limit: int | None = None) -> None:
        self.keys = keys
        self.limit = limit
        self.answered = 0

    def __call__(self, screen: bytes) -> bytes | None:
        more = self.limit is None or self.answered < self.limit
        if more and screen.count(QUESTION) > self.answered:
            self.answered += 1
            return self.keys
        return None
