"""What the launcher costs: `spawn()` + `wait()` of `true`, with the launcher (every
command on Linux) against the same spawn without it (the command as the server's own
child, as before the launcher). Prints the median and p90 over N runs for a pipe, a PTY
and a sandboxed (workspace-write, network off) spawn, the difference, and the floors
(`python -I -S -B -c pass`, the interpreter start the launcher pays). No asserts: it
only measures.

Usage (from the repository root)::

    /work/venv/bin/python benchmarks/bench_spawn.py [--runs 50]

Runs are interleaved (without, with, without, ...) after a warm-up, so that load changes
on a shared machine hit both sides alike. The sandboxed row is skipped when this system
cannot enforce the plan.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from codex_lsp.core.sandbox import SandboxPlan, detect_backend, plan_for, spawn  # noqa: E402
from codex_lsp.protocol.sandbox import WorkspaceWriteSandbox  # noqa: E402

spawn_module: Any = importlib.import_module("codex_lsp.core.sandbox.spawn")
TIMEOUT_S = 10.0


async def spawn_and_wait(cwd: Path, plan: SandboxPlan | None, pty: bool) -> float:
    """Milliseconds from calling `spawn` to the exit status of `true`."""
    started = time.perf_counter()
    spawned = await spawn(["true"], cwd=str(cwd), plan=plan, pty=pty)
    try:
        await asyncio.wait_for(spawned.wait(), TIMEOUT_S)
    finally:
        if spawned.returncode is None:
            await spawned.kill_tree()
        spawned.close()
    return (time.perf_counter() - started) * 1000


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    return f"median {statistics.median(ordered):6.2f} ms  p90 {p90:6.2f} ms"


def floor_ms(runs: int, argv: list[str]) -> float:
    """Median milliseconds of running `argv` to completion with subprocess.run."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, check=True)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


async def compare(label: str, runs: int, one: Callable[[], Any], launcher_available: bool) -> None:
    without: list[float] = []
    with_launcher: list[float] = []
    for _ in range(3):  # warm-up, both ways
        for use in (False, True):
            spawn_module.USE_LAUNCHER = use and launcher_available
            await one()
    for _ in range(runs):
        for use, into in ((False, without), (True, with_launcher)):
            spawn_module.USE_LAUNCHER = use and launcher_available
            into.append(await one())
    spawn_module.USE_LAUNCHER = launcher_available
    delta = statistics.median(with_launcher) - statistics.median(without)
    print(f"{label:<10} without launcher: {summary(without)}")
    print(f"{'':<10} with launcher:    {summary(with_launcher)}   (+{delta:.2f} ms median)")


async def main(runs: int) -> None:
    launcher_available = bool(spawn_module.USE_LAUNCHER)
    print(f"python {sys.version.split()[0]} on {sys.platform}; {runs} runs each, interleaved")
    if not launcher_available:
        print("the launcher is not used on this system: both columns measure the same thing")
    with tempfile.TemporaryDirectory(prefix="bench-spawn-") as tmp:
        cwd = Path(tmp)
        (cwd / ".git").mkdir()
        await compare("pipe", runs, lambda: spawn_and_wait(cwd, None, False), launcher_available)
        await compare("pty", runs, lambda: spawn_and_wait(cwd, None, True), launcher_available)
        plan = plan_for(WorkspaceWriteSandbox(), cwd)
        gap = detect_backend().enforcement_gap(plan)
        if gap is None:
            await compare(
                "sandboxed",
                runs,
                lambda: spawn_and_wait(cwd, plan, False),
                launcher_available,
            )
        else:
            print(f"sandboxed  skipped: {gap}")
    python_floor = floor_ms(runs, [sys.executable, "-I", "-S", "-B", "-c", "pass"])
    true_floor = floor_ms(runs, ["true"])
    print(f"floors     `true` via subprocess.run: {true_floor:.2f} ms;")
    print(f"{'':<10} `python -I -S -B -c pass` (the launcher's interpreter): {python_floor:.2f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    asyncio.run(main(parser.parse_args().runs))
