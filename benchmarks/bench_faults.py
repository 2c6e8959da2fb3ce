"""Fault-tolerance figures of the codex-lsp server: recovery after kill -9, retry delays,
sixteen threads streaming at once, lost deltas.

Same setup as `bench_core.py` (the real server over stdio, the mock model as its own
process, a temporary CODEX_HOME per server). It prints numbers; it asserts nothing, and
exits 0 unless a section crashed (1) or a section name is wrong (2).

Usage (from the repository root)::

    /work/venv/bin/python benchmarks/bench_faults.py [--only recovery,retries,concurrent]

Sections:

- recovery: a 200-turn thread is streaming its next answer when the server is killed
  (SIGKILL); a fresh server is spawned and resumes it. Measured: spawn -> `thread/resume`
  answered, and kill -> resume answered; checked: every turn back, the cut turn
  `interrupted`, and how many streamed characters the resumed message lacks (must be 0).
- retries: the mock answers 429 with `retry-after`, 500 twice, a stream cut mid-response,
  and `context_length_exceeded`; the delays between the model requests as the mock saw
  them, next to what the server announced in `codex/error`.
- concurrent: 16 threads of one server each stream 500 deltas at once (1 ms apart, and
  back-to-back); aggregate deltas/s, per-delta latency under that load, and lost deltas:
  deltas sent by the mock but never received, plus items whose concatenated deltas differ
  from their completed text (must be 0).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import re
import sys
import tempfile
import time
import traceback
import urllib.request
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import bench_core as core  # noqa: E402
from benchmarks import fixtures as fx  # noqa: E402
from benchmarks.bench_core import Result, Run  # noqa: E402
from benchmarks.mockctl import MockHandle  # noqa: E402
from benchmarks.rpc import RpcClient  # noqa: E402
from codex_lsp.core.threads.index import ThreadIndex  # noqa: E402
from codex_lsp.mock_model import (  # noqa: E402
    context_exceeded_response,
    cut_response,
    error_response,
    text_response,
    timestamped_deltas,
)

SECTIONS = ("recovery", "retries", "concurrent")
DELTA = "codex/item/agentMessage/delta"
N_RECOVERY_TURNS = 200
N_RECOVERIES = 5
N_THREADS = 16
N_DELTAS_PER_THREAD = 500
SECTION_TIMEOUT_S = 240.0


def _requests(mock: MockHandle) -> list[dict[str, Any]]:
    """The model requests the mock recorded (`received_at`: its CLOCK_MONOTONIC)."""
    root = mock.url.rsplit("/v1", 1)[0]
    with urllib.request.urlopen(f"{root}/_mock/requests", timeout=10) as response:
        data: list[dict[str, Any]] = json.loads(response.read())
    return [r for r in data if r["path"].endswith(("/responses", "/chat/completions"))]


async def _respawn(run: Run, home: Path) -> tuple[RpcClient, int]:
    """A fresh, initialized server; (client, spawn time ns)."""
    spawned = time.monotonic_ns()
    client = await RpcClient.spawn(core.SERVER_ARGV, run.env(home))
    await client.initialize(run.workspace().as_uri())
    return client, spawned


# ---- recovery after kill -9 -------------------------------------------------------------


async def bench_recovery(run: Run) -> None:
    """kill -9 mid-stream, then spawn -> resume answered."""
    sec = "recovery"
    async with core.mock_model(run) as mock:
        home = run.home(mock.url)
        created = int(time.time()) - 86_400
        cwd = str(run.workspace())
        records = fx.long_thread_records(created, N_RECOVERY_TURNS, cwd)
        thread_id, path = fx.write_rollout(
            home, created_at=created, cwd=cwd, provider="mock", records=records
        )
        ThreadIndex(home).close()
        spawn_to_resume: list[float] = []
        kill_to_resume: list[float] = []
        missing_chars = 0
        bad: list[str] = []
        expected_turns = N_RECOVERY_TURNS
        client, _ = await _respawn(run, home)
        try:
            await client.request("codex/thread/resume", {"threadId": thread_id}, timeout=60)
            for _ in range(N_RECOVERIES):
                answer = " ".join(f"w{i}" for i in range(400))
                await mock.enqueue(text_response(answer, delay_ms_between_events=5))
                turn_id, since, _sent = await core.start_turn(client, thread_id, "write")
                await client.wait(DELTA, core.of_turn(turn_id), since=since, timeout=30)
                await asyncio.sleep(0.05)
                killed = time.monotonic_ns()
                client.kill()
                await asyncio.wait_for(client.proc.wait(), 10)
                seen = "".join(
                    m.params["delta"]
                    for m in client.notifications[since:]
                    if m.method == DELTA and m.params["turnId"] == turn_id
                )
                await client.close()
                expected_turns += 1
                client, spawned = await _respawn(run, home)
                future, _sent = client.send_request("codex/thread/resume", {"threadId": thread_id})
                reply = await asyncio.wait_for(future, 60)
                answered = reply.received_ns
                result = reply.body["result"]
                spawn_to_resume.append(core.ms(answered - spawned))
                kill_to_resume.append(core.ms(answered - killed))
                turns = result["thread"]["turns"]
                cut = turns[-1]
                texts = [i["text"] for i in cut["items"] if i["type"] == "agentMessage"]
                if len(turns) != expected_turns or cut["status"] != "interrupted" or not texts:
                    bad.append(f"{len(turns)} turns, last {cut['status']}, {len(texts)} messages")
                    continue
                kept = 0
                while kept < min(len(seen), len(texts[0])) and seen[kept] == texts[0][kept]:
                    kept += 1
                missing_chars += len(seen) - kept
        finally:
            await client.close()
    size_mb = path.stat().st_size / 1e6
    detail = f"{N_RECOVERY_TURNS}-turn thread ({size_mb:.1f} MB rollout), {N_RECOVERIES} kills"
    run.add(
        Result(
            sec,
            "spawn -> thread/resume answered, median",
            core.pct(spawn_to_resume, 50),
            "ms",
            detail=f"max {max(spawn_to_resume):.0f} ms; {detail}",
        )
    )
    run.add(
        Result(
            sec,
            "kill -9 -> thread/resume answered, median",
            core.pct(kill_to_resume, 50),
            "ms",
            detail=f"max {max(kill_to_resume):.0f} ms",
        )
    )
    run.add(
        Result(
            sec,
            "streamed characters missing after resume",
            missing_chars,
            "chars",
            detail="must be 0: the journal keeps what the client saw",
        )
    )
    for problem in bad:
        run.note(f"recovery: unexpected resume: {problem}")


# ---- retry delays ---------------------------------------------------------------------

_ANNOUNCED = re.compile(r"in ([0-9.]+)s\)")


async def _fault_turn(
    run: Run, client: RpcClient, mock: MockHandle, thread_id: str, label: str
) -> tuple[str, list[float], list[str], float]:
    """Run a turn; (status, gaps between model requests in s, announced delays, wall s)."""
    before = len(_requests(mock))
    t0 = time.monotonic()
    turn_id, since, done = await core.run_turn(client, thread_id, label, timeout=60)
    wall = time.monotonic() - t0
    received = [r["received_at"] for r in _requests(mock)[before:]]
    gaps = [b - a for a, b in itertools.pairwise(received)]
    announced = [
        m.params["error"]["message"]
        for m in client.notifications[since:]
        if m.method == "codex/error" and m.params["turnId"] == turn_id
    ]
    return str(done.params["turn"]["status"]), gaps, announced, wall


async def bench_retries(run: Run) -> None:
    """Delays between model requests after 429 (retry-after), 500, a cut stream; none
    after context_length_exceeded."""
    sec = "retries"
    async with core.mock_model(run) as mock:
        home = run.home(mock.url)
        async with core.server(run, home) as client:
            thread_id = (await client.request("codex/thread/start", {}))["thread"]["id"]
            await mock.enqueue(text_response("warm up"))
            await core.run_turn(client, thread_id, "warm up", timeout=60)
            cases: list[tuple[str, list[Any]]] = [
                ("429, retry-after: 1", [error_response(429, retry_after=1), text_response("a")]),
                (
                    "500 twice",
                    [error_response(500), error_response(500), text_response("b")],
                ),
                ("stream cut mid-response", [cut_response(after_events=8), text_response("c")]),
                ("context_length_exceeded", [context_exceeded_response()]),
            ]
            for label, script in cases:
                await mock.enqueue(*script)
                status, gaps, announced, wall = await _fault_turn(
                    run, client, mock, thread_id, label
                )
                said = [m for a in announced for m in _ANNOUNCED.findall(a)]
                detail = f"turn {status}; announced {', '.join(s + ' s' for s in said) or '-'}"
                if gaps:
                    for n, gap in enumerate(gaps, 1):
                        run.add(
                            Result(sec, f"{label}: attempt {n} -> {n + 1}", gap, "s", detail=detail)
                        )
                else:
                    name = f"{label}: turn/start -> turn/completed"
                    run.add(Result(sec, name, wall, "s", detail=detail))


# ---- sixteen threads at once ------------------------------------------------------------


async def _concurrent_round(
    run: Run, client: RpcClient, mock: MockHandle, thread_ids: list[str], delay_ms: float
) -> None:
    sec = f"concurrent {'1 ms apart' if delay_ms else 'back-to-back'}"
    print(f"  -- {N_DELTAS_PER_THREAD} deltas per thread, {sec.split(' ', 1)[1]}", flush=True)
    await mock.enqueue(
        *(
            timestamped_deltas(N_DELTAS_PER_THREAD, delay_ms_between_events=delay_ms)
            for _ in thread_ids
        )
    )
    since = len(client.notifications)
    cpu0 = core.cpu_seconds(client.pid)
    started = await asyncio.gather(*(core.start_turn(client, t, "stream") for t in thread_ids))
    dones = await asyncio.gather(
        *(
            client.wait(core.TURN_COMPLETED, core.completes(turn_id), since=since, timeout=120)
            for turn_id, _since, _sent in started
        )
    )
    cpu = core.cpu_seconds(client.pid) - cpu0
    deltas: dict[str, list[Any]] = {}
    for m in client.notifications[since:]:
        if m.method == DELTA:
            deltas.setdefault(m.params["itemId"], []).append(m)
    statuses = [d.params["turn"]["status"] for d in dones]
    lost = mismatched = 0
    for done in dones:
        for item in done.params["turn"]["items"]:
            if item["type"] != "agentMessage":
                continue
            got = deltas.get(item["id"], [])
            lost += N_DELTAS_PER_THREAD - len(got)
            if "".join(m.params["delta"] for m in got) != item["text"]:
                mismatched += 1
    every = [m for ms_ in deltas.values() for m in ms_]
    first = min(m.received_ns for m in every)
    last = max(m.received_ns for m in every)
    lat = [core.ms(m.received_ns - int(m.params["delta"][3:-1])) for m in every]
    rate = len(every) / ((last - first) / 1e9) if last > first else 0.0
    spread = f"{len(every)} deltas from {len(thread_ids)} threads in {(last - first) / 1e6:.0f} ms"
    run.add(Result(sec, "deltas/s, all threads", rate, "deltas/s", detail=spread))
    run.add(Result(sec, "per-delta latency p50", core.pct(lat, 50), "ms"))
    run.add(Result(sec, "per-delta latency p95", core.pct(lat, 95), "ms"))
    run.add(
        Result(
            sec,
            "server CPU per delta",
            cpu / max(len(every), 1) * 1e6,
            "us",
            detail="user+sys over the round / deltas",
        )
    )
    completed = sum(s == "completed" for s in statuses)
    run.add(
        Result(
            sec,
            "lost deltas",
            lost + mismatched,
            "",
            detail=f"{lost} missing, {mismatched} items differing from their deltas; "
            f"{completed}/{len(statuses)} turns completed",
        )
    )


async def bench_concurrent(run: Run) -> None:
    """16 threads of one server streaming at once."""
    async with core.mock_model(run) as mock:
        home = run.home(mock.url)
        async with core.server(run, home) as client:
            ids = [
                (await client.request("codex/thread/start", {}))["thread"]["id"]
                for _ in range(N_THREADS)
            ]
            await mock.enqueue(*(text_response("warm up") for _ in ids))
            await asyncio.gather(*(core.run_turn(client, t, "warm up", timeout=60) for t in ids))
            for delay_ms in (1.0, 0.0):
                await _concurrent_round(run, client, mock, ids, delay_ms)


# ---- driver ---------------------------------------------------------------------------

BENCHES: dict[str, tuple[str, Callable[[Run], Awaitable[None]]]] = {
    "recovery": ("1. recovery after kill -9", bench_recovery),
    "retries": ("2. retry delays (429, 500, cut stream, context window)", bench_retries),
    "concurrent": (f"3. {N_THREADS} threads streaming at once", bench_concurrent),
}


async def main_async(args: argparse.Namespace) -> int:
    """Run the selected sections; returns the exit code (1 if a section crashed)."""
    selected = list(SECTIONS) if not args.only else [s.strip() for s in args.only.split(",")]
    unknown = [s for s in selected if s not in BENCHES]
    if unknown:
        print(f"unknown section(s) {unknown}; choose from {', '.join(SECTIONS)}", file=sys.stderr)
        return 2
    started = time.monotonic()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"codex-lsp fault benchmarks  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  "
        f"python {platform.python_version()}  {os.cpu_count()} CPUs  load {load}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="codex-bench-faults-") as tmp:
        run = Run(Path(tmp), "process")
        for name in selected:
            title, bench = BENCHES[name]
            run.section = name
            print(f"\n== {title}", flush=True)
            t0 = time.monotonic()
            try:
                await asyncio.wait_for(bench(run), SECTION_TIMEOUT_S)
            except Exception as exc:
                run.errors.append(f"{name}: {type(exc).__name__}: {exc}")
                print(f"  ERROR {name}: {type(exc).__name__}: {exc}", flush=True)
                traceback.print_exc()
            print(f"  ({time.monotonic() - t0:.1f} s)", flush=True)
        for error in run.errors:
            print(f"ERROR {error}")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\ntotal {time.monotonic() - started:.0f} s, load average now {load}")
    return 1 if run.errors else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--only", help=f"comma-separated sections: {', '.join(SECTIONS)}")
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
