"""Sandboxed spawn overhead: `spawn()` + `wait()` of `true` under workspace-write with the
network off, against the same spawn unsandboxed. Prints medians over 50 runs each and
PASS/MISS for the target (overhead <= 20 ms). No asserts: it only measures.

Usage (from the repository root)::

    /work/venv/bin/python benchmarks/bench_sandbox.py [--runs 50]

The workspace is a temporary directory with a `.git`, so the sandboxed runs include
everything a real one does (network namespace, mount namespace with the read-only
`.git` bind, Landlock). Runs are interleaved (unsandboxed, sandboxed, ...) after a
warm-up so that load changes hit both sides alike.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from codex_lsp.core.sandbox import SandboxPlan, detect_backend, plan_for, spawn  # noqa: E402
from codex_lsp.protocol.sandbox import ReadOnlySandbox, WorkspaceWriteSandbox  # noqa: E402

TARGET_OVERHEAD_MS = 20.0
TIMEOUT_S = 10.0


async def spawn_and_wait(argv: list[str], cwd: Path, plan: SandboxPlan | None) -> float:
    """Milliseconds from calling `spawn` to the exit status being reaped."""
    started = time.perf_counter()
    spawned = await spawn(argv, cwd=str(cwd), plan=plan)
    try:
        await asyncio.wait_for(spawned.wait(), TIMEOUT_S)
    finally:
        if spawned.returncode is None:
            with contextlib.suppress(OSError):
                os.killpg(spawned.pgid, signal.SIGKILL)
    return (time.perf_counter() - started) * 1000


TREE = "sleep 300 & setsid sleep 300 & bash -c 'sleep 300 & wait' & echo ready; wait"


async def kill_tree_ms(cwd: Path, plan: SandboxPlan | None) -> float:
    """Milliseconds `kill_tree()` takes on a small tree (a child, a grandchild and a
    descendant that called setsid), once it is running."""
    spawned = await spawn(["bash", "-c", TREE], cwd=str(cwd), plan=plan)
    try:
        await asyncio.wait_for(spawned.read(), TIMEOUT_S)  # "ready"
        await asyncio.sleep(0.05)
        started = time.perf_counter()
        await asyncio.wait_for(spawned.kill_tree(), TIMEOUT_S)
        return (time.perf_counter() - started) * 1000
    finally:
        with contextlib.suppress(OSError):
            os.killpg(spawned.pgid, signal.SIGKILL)


def describe(samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    return (
        f"median {statistics.median(samples):6.2f} ms  "
        f"[min {ordered[0]:.2f}, p90 {p90:.2f}, max {ordered[-1]:.2f}, n={len(samples)}]"
    )


async def main(runs: int) -> None:
    backend = detect_backend()
    print(f"backend: {backend.name}  {getattr(backend, 'support', '')}")
    with contextlib.suppress(OSError):
        print(f"load average: {os.getloadavg()}")
    workdir = Path(tempfile.mkdtemp(prefix="bench-sandbox-"))
    try:
        (workdir / ".git").mkdir()
        plans: dict[str, SandboxPlan | None] = {
            "unsandboxed": None,
            "workspace-write, network off": plan_for(WorkspaceWriteSandbox(), workdir),
            "read-only, network off": plan_for(ReadOnlySandbox(), workdir),
            "read-only, network on": plan_for(ReadOnlySandbox(network_access=True), workdir),
        }
        for name, plan in plans.items():
            if plan is not None and (gap := backend.enforcement_gap(plan)):
                print(f"{name}: cannot be enforced here ({gap}); not measured")
                return
        argv = [shutil.which("true") or "/bin/true"]
        samples: dict[str, list[float]] = {name: [] for name in plans}
        for plan in plans.values():  # warm-up (backend probe, page cache)
            await spawn_and_wait(argv, workdir, plan)
        for _ in range(runs):
            for name, plan in plans.items():
                samples[name].append(await spawn_and_wait(argv, workdir, plan))
        print(f"\nspawn + wait of `{argv[0]}`, {runs} runs each, interleaved:")
        for name, values in samples.items():
            print(f"  {name:32s} {describe(values)}")
        base = statistics.median(samples["unsandboxed"])
        main_case = "workspace-write, network off"
        overhead = statistics.median(samples[main_case]) - base
        verdict = "PASS" if overhead <= TARGET_OVERHEAD_MS else "MISS"
        print(
            f"\nsandbox overhead ({main_case}): {overhead:.2f} ms  "
            f"(target <= {TARGET_OVERHEAD_MS:.0f} ms)  {verdict}"
        )
        for name in ("read-only, network off", "read-only, network on"):
            print(f"  overhead, {name}: {statistics.median(samples[name]) - base:.2f} ms")
        sandboxed = plans[main_case]
        kills = [await kill_tree_ms(workdir, sandboxed) for _ in range(10)]
        print("\nkill_tree, sandboxed tree of 5 (bash, 3 sleeps, one after setsid):")
        print(f"  {describe(kills)}  (target <= 200 ms)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=50)
    asyncio.run(main(parser.parse_args().runs))
