"""What telemetry costs: per-delta latency and turn time with `[otel]` off and on.

The real server (``python -m codex_lsp`` over stdio, `benchmarks/rpc.py`) against the mock
model (its own process), once per mode:

- ``off``: no exporter (the default);
- ``http``, ``http-json``, ``grpc``: a live OTLP collector (OTLP/HTTP protobuf, OTLP/HTTP
  JSON, OTLP/gRPC), run as a separate process that decodes every request (the receivers of
  `tests/telemetry/collectors.py`), so its work never shares this client's interpreter;
- ``http-silent``, ``grpc-refused``: a collector that is down (accepts and never answers;
  refuses every connection).

Per mode: 2,000 timestamped deltas 1 ms apart (latency = client receipt - the mock's
stamp, as `bench_core.py` measures it; server CPU per delta), then turns with one tool call
(a shell `echo`) and a short answer, timed from `turn/start` sent to `turn/completed`
read; with telemetry on every delta is also a `codex.sse_event`. It prints numbers and
asserts nothing.

Usage (from the repository root)::

    /work/venv/bin/python benchmarks/bench_telemetry.py [--only off,http,...] [--turns N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.bench_core import (  # noqa: E402
    DELTA,
    PYTHON,
    TURN_COMPLETED,
    Run,
    _load,
    completes,
    cpu_seconds,
    mock_model,
    ms,
    pct,
    run_turn,
    server,
    start_turn,
)
from benchmarks.mockctl import MockHandle  # noqa: E402
from codex_lsp.mock_model import text_response, timestamped_deltas, tool_call_response  # noqa: E402

MODES = ("off", "http", "http-json", "grpc", "http-silent", "grpc-refused")
N_DELTAS = 2_000
N_TURNS = 20
MODE_TIMEOUT_S = 180.0


@dataclass
class Numbers:
    """What one mode measured."""

    mode: str
    p50: float
    p95: float
    p99: float
    cpu_us: float
    turn_median: float
    turn_p90: float
    stop_s: float
    records: int | None
    collector_cpu_s: float | None = None


# ---- collectors in their own process -------------------------------------------------------

_COLLECTOR = r"""
import asyncio, json, sys, time
sys.path.insert(0, sys.argv[1])
from tests.telemetry.collectors import GrpcCollector, HttpCollector, SilentCollector

async def main(kind):
    collector = {"http": HttpCollector, "grpc": GrpcCollector, "silent": SilentCollector}[kind]()
    await collector.start()
    print(json.dumps({"port": collector.port}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until closed
    records = len(collector.records) if kind != "silent" else None
    print(json.dumps({"records": records, "cpu": time.process_time()}), flush=True)
    await collector.stop()

asyncio.run(main(sys.argv[2]))
"""


@contextlib.asynccontextmanager
async def collector_process(kind: str) -> AsyncIterator[tuple[int, asyncio.subprocess.Process]]:
    """A collector (`http`, `grpc`, `silent`) in its own process: (port, process). Closing
    its stdin makes it print what it received and exit; it is killed by PID at the end."""
    proc = await asyncio.create_subprocess_exec(
        *PYTHON,
        "-c",
        _COLLECTOR,
        str(ROOT),
        kind,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        yield int(json.loads(line)["port"]), proc
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()


async def collector_count(proc: asyncio.subprocess.Process) -> tuple[int | None, float]:
    """Close the collector's stdin; the number of records it decoded, and the CPU seconds
    it used (it shares the machine's cores with the server)."""
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.close()
    line = await asyncio.wait_for(proc.stdout.readline(), 30)
    answer = json.loads(line)
    records = answer["records"]
    return (int(records) if records is not None else None), float(answer["cpu"])


def otel_table(mode: str, port: int) -> str:
    """The `[otel]` config of a mode."""
    if mode in ("http", "http-json", "http-silent"):
        protocol = "json" if mode == "http-json" else "binary"
        endpoint = f"http://127.0.0.1:{port}/v1/logs"
        exporter = f'otlp-http = {{ endpoint = "{endpoint}", protocol = "{protocol}" }}'
    else:
        exporter = f'otlp-grpc = {{ endpoint = "http://127.0.0.1:{port}" }}'
    return f'\n[otel]\nenvironment = "bench"\nexporter = {{ {exporter} }}\n'


# ---- measuring --------------------------------------------------------------------------


async def measure(run: Run, mock: MockHandle, mode: str, port: int | None, turns: int) -> Numbers:
    """Deltas and turns on a fresh server in `mode`."""
    home = run.home(mock.url)
    if port is not None:
        config = home / "config.toml"
        config.write_text(config.read_text() + otel_table(mode, port))
    stop_s = 0.0
    async with server(run, home) as client:
        thread_id = (await client.request("codex/thread/start", {}))["thread"]["id"]
        await mock.enqueue(text_response("warm up " * 20))
        await run_turn(client, thread_id, "warm up", timeout=60)
        # Deltas, 1 ms apart.
        await mock.enqueue(timestamped_deltas(N_DELTAS, delay_ms_between_events=1.0))
        cpu0 = cpu_seconds(client.pid)
        turn_id, since, _sent = await start_turn(client, thread_id, "stream")
        await client.wait(TURN_COMPLETED, completes(turn_id), since=since, timeout=120)
        cpu = cpu_seconds(client.pid) - cpu0
        deltas = [
            m
            for m in client.notifications[since:]
            if m.method == DELTA and m.params["turnId"] == turn_id
        ]
        lat = [ms(m.received_ns - int(m.params["delta"][3:-1])) for m in deltas]
        # Turns with a tool call.
        times: list[float] = []
        for n in range(turns):
            await mock.enqueue(
                tool_call_response("shell", {"command": ["echo", f"turn {n}"]}),
                text_response(f"Done with turn {n}. " * 10),
            )
            turn_id, since, sent = await start_turn(client, thread_id, f"turn {n}")
            done = await client.wait(TURN_COMPLETED, completes(turn_id), since=since, timeout=60)
            if done.params["turn"]["status"] != "completed":
                run.note(f"{mode}: turn {n} {done.params['turn']['status']}")
            times.append(ms(done.received_ns - sent))
        started = time.monotonic()
        await client.close(timeout=15)
        stop_s = time.monotonic() - started
    return Numbers(
        mode,
        pct(lat, 50),
        pct(lat, 95),
        pct(lat, 99),
        cpu / max(len(deltas), 1) * 1e6,
        statistics.median(times),
        pct(times, 90),
        stop_s,
        None,
    )


async def bench_mode(run: Run, mock: MockHandle, mode: str, turns: int) -> Numbers:
    """One mode, with its collector (if any) running beside the server."""
    if mode == "off":
        return await measure(run, mock, mode, None, turns)
    if mode == "grpc-refused":
        from tests.telemetry.collectors import refusing_endpoint

        with refusing_endpoint() as port:
            return await measure(run, mock, mode, port, turns)
    kind = "silent" if mode == "http-silent" else "grpc" if mode == "grpc" else "http"
    async with collector_process(kind) as (port, proc):
        numbers = await measure(run, mock, mode, port, turns)
        numbers.records, numbers.collector_cpu_s = await collector_count(proc)
        return numbers


_ROW = "{:<13}{:>10}{:>10}{:>10}{:>10}{:>13}{:>11}{:>10}{:>8}{:>9}"


def table(rows: list[Numbers]) -> str:
    """The results, one line per mode, with the turn time's difference to `off`."""
    base = next((r for r in rows if r.mode == "off"), None)
    out = [
        _ROW.format(
            "mode",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "CPU us",
            "turn med ms",
            "p90 ms",
            "vs off",
            "stop s",
            "records",
        )
    ]
    for r in rows:
        versus = f"{r.turn_median - base.turn_median:+.1f}" if base is not None else "-"
        records = "-" if r.records is None else str(r.records)
        out.append(
            _ROW.format(
                r.mode,
                f"{r.p50:.3f}",
                f"{r.p95:.3f}",
                f"{r.p99:.3f}",
                f"{r.cpu_us:.0f}",
                f"{r.turn_median:.1f}",
                f"{r.turn_p90:.1f}",
                versus,
                f"{r.stop_s:.2f}",
                records,
            )
        )
    return "\n".join(out)


async def main_async(args: argparse.Namespace) -> int:
    """Every selected mode, then the table."""
    modes = list(MODES) if not args.only else [m.strip() for m in args.only.split(",")]
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        print(f"unknown mode(s) {unknown}; choose from {', '.join(MODES)}", file=sys.stderr)
        return 2
    print(
        f"codex-lsp telemetry benchmark  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  "
        f"python {platform.python_version()}  {os.cpu_count()} CPUs  load {_load()}",
        flush=True,
    )
    rows: list[Numbers] = []
    errors = 0
    with tempfile.TemporaryDirectory(prefix="codex-bench-otel-") as tmp:
        run = Run(Path(tmp), "process")
        async with mock_model(run) as mock:
            for mode in modes:
                print(f"\n== {mode}", flush=True)
                try:
                    numbers = await asyncio.wait_for(
                        bench_mode(run, mock, mode, args.turns), MODE_TIMEOUT_S
                    )
                except Exception as exc:
                    errors += 1
                    print(f"  ERROR {type(exc).__name__}: {exc}", flush=True)
                    continue
                rows.append(numbers)
                print(
                    f"  deltas p50 {numbers.p50:.3f} ms  p95 {numbers.p95:.3f} ms  "
                    f"CPU {numbers.cpu_us:.0f} us/delta;  turn median "
                    f"{numbers.turn_median:.1f} ms  p90 {numbers.turn_p90:.1f} ms;  "
                    f"stop {numbers.stop_s:.2f} s;  records {numbers.records}"
                    + (
                        f" (collector CPU {numbers.collector_cpu_s:.1f} s)"
                        if numbers.collector_cpu_s is not None
                        else ""
                    ),
                    flush=True,
                )
    print(f"\n== summary ({N_DELTAS} deltas 1 ms apart; {args.turns} turns with a tool call)")
    print(table(rows))
    print(f"load average now {_load()}")
    return 1 if errors else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--only", help=f"comma-separated modes: {', '.join(MODES)}")
    parser.add_argument("--turns", type=int, default=N_TURNS, help="turns per mode")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
