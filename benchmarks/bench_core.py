"""Core performance benchmarks of the codex-lsp server, compared with the issue's targets.

Runs the real server (``python -m codex_lsp``) as a subprocess over stdio, driven by the
small JSON-RPC client in ``benchmarks/rpc.py``, against the mock model. Prints each number
with its target and PASS/MISS, then a summary table. No asserts: it only measures.

Usage (from the repository root)::

    /work/venv/bin/python benchmarks/bench_core.py [--only deltas,spawn,...] [--json FILE]

Sections: deltas, spawn, list, resume, interrupt, memory. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import fixtures as fx  # noqa: E402
from benchmarks.mockctl import MockHandle, start_mock  # noqa: E402
from benchmarks.rpc import Message, RpcClient  # noqa: E402
from codex_lsp.core.threads.history import build_history  # noqa: E402
from codex_lsp.core.threads.index import ThreadIndex  # noqa: E402
from codex_lsp.core.threads.rollout import read_rollout  # noqa: E402
from codex_lsp.mock_model import hang_response, text_response, timestamped_deltas  # noqa: E402

PYTHON = [sys.executable]
SERVER_ARGV = [*PYTHON, "-m", "codex_lsp"]
DELTA = "codex/item/agentMessage/delta"
TURN_COMPLETED = "codex/turn/completed"
SECTIONS = ("deltas", "spawn", "list", "resume", "interrupt", "memory", "exec")

N_DELTAS = 2_000
N_SPAWNS = 10
N_LIST_THREADS = 10_000
N_FIRST_LISTS = 5
N_EXECS = 5
N_RESUME_TURNS = 1_000
N_RESUMES = 5
N_INTERRUPTS = 10
N_MEMORY_THREADS = 100
SECTION_TIMEOUT_S = 150.0


# ---- results -------------------------------------------------------------------------


@dataclass
class Result:
    """One measured number, with its target (an upper bound) when it has one."""

    section: str
    name: str
    value: float
    unit: str
    target: float | None = None
    baseline: str = ""
    detail: str = ""

    @property
    def status(self) -> str:
        """PASS / MISS against the target, `info` when there is none."""
        if self.target is None:
            return "info"
        return "PASS" if self.value <= self.target else "MISS"

    def line(self) -> str:
        """One human-readable line."""
        text = f"  {self.name}: {_fmt(self.value)} {self.unit}"
        if self.target is not None:
            text += f"  (target <= {_fmt(self.target)} {self.unit}"
            text += f"; Rust baseline {self.baseline})" if self.baseline else ")"
            text += f"  {self.status}"
        if self.detail:
            text += f"  [{self.detail}]"
        return text


def _fmt(value: float) -> str:
    if value == 0 or abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


@dataclass
class Floors:
    """The start-up floors of this run, in ms (medians)."""

    python: float
    lsprotocol: float
    pygls: float
    pygls_server: float
    pygls_server_cpu: float


@dataclass
class Run:
    """Shared state of one benchmark run."""

    tmp: Path
    mock_mode: str
    results: list[Result] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    profile: Path | None = None
    profiles: int = 0
    section: str = ""
    floors: Floors | None = None
    codex_cli: Path | None = None
    _homes: int = 0

    def add(self, result: Result) -> Result:
        """Record and print a result."""
        self.results.append(result)
        print(result.line(), flush=True)
        return result

    def note(self, text: str) -> None:
        """Record and print a remark."""
        self.notes.append(text)
        print(f"  note: {text}", flush=True)

    def home(self, base_url: str = "http://127.0.0.1:9/v1") -> Path:
        """A fresh CODEX_HOME (config pointing at `base_url`)."""
        self._homes += 1
        return fx.new_home(self.tmp, f"home-{self._homes}", base_url)

    @property
    def pycache(self) -> Path:
        """Where the server and mock processes of this run cache their bytecode."""
        return self.tmp / "pycache"

    def env(self, home: Path) -> dict[str, str]:
        """The environment of a server or mock process of this run."""
        return server_env(home, self.pycache)

    def workspace(self) -> Path:
        """The editor's workspace folder (the server's default cwd)."""
        path = self.tmp / "workspace"
        path.mkdir(exist_ok=True)
        return path


def ms(ns: float) -> float:
    """Nanoseconds to milliseconds."""
    return ns / 1e6


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (0-100), linear interpolation between closest ranks."""
    data = sorted(values)
    if not data:
        return float("nan")
    k = (len(data) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (k - lo)


def server_env(home: Path, pycache: Path | None) -> dict[str, str]:
    """The environment of a server (or mock) process.

    With `pycache`, bytecode is cached there (PYTHONPYCACHEPREFIX), as it is for an installed
    package, without writing `__pycache__` directories into the source tree. Without it, the
    caller's environment decides (this dev environment sets PYTHONDONTWRITEBYTECODE=1, so
    `codex_lsp` itself is compiled from source at every start).
    """
    env = dict(os.environ)
    env["CODEX_HOME"] = str(home)
    env["MOCK_API_KEY"] = "x"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its descendants still alive, in seconds (the
    npm `codex` command is a node launcher whose child is the Rust app-server)."""
    total = 0
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
            for task in os.listdir(f"/proc/{current}/task"):
                children = Path(f"/proc/{current}/task/{task}/children").read_text()
                todo += [int(c) for c in children.split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / os.sysconf("SC_CLK_TCK")


def open_fds(pid: int) -> int:
    """How many file descriptors a process has open."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss_kib(pid: int) -> int:
    """VmRSS of a process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


@contextlib.asynccontextmanager
async def server(run: Run, home: Path) -> AsyncIterator[RpcClient]:
    """A running, initialized server; always shut down and killed by PID afterwards."""
    client = await RpcClient.spawn(SERVER_ARGV, run.env(home))
    spy: asyncio.subprocess.Process | None = None
    try:
        await client.initialize(run.workspace().as_uri())
        if run.profile is not None:
            spy = await start_profiler(run, client.pid)
        yield client
    finally:
        if spy is not None:
            await stop_profiler(spy)
        await client.close()


async def start_profiler(run: Run, pid: int) -> asyncio.subprocess.Process:
    """`py-spy record` attached to a server (`--profile DIR`): one flame graph per server."""
    assert run.profile is not None
    run.profile.mkdir(parents=True, exist_ok=True)
    run.profiles += 1
    out = run.profile / f"{run.section}-{run.profiles}-pid{pid}.svg"
    spy = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "py-spy"),
        "record",
        "--pid",
        str(pid),
        "--rate",
        "500",
        "--nonblocking",
        "--output",
        str(out),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    await asyncio.sleep(0.5)  # py-spy needs a moment to attach
    return spy


async def stop_profiler(spy: asyncio.subprocess.Process) -> None:
    """SIGINT py-spy (it writes its output and exits); SIGKILL it if it does not."""
    if spy.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(spy.pid, signal.SIGINT)
    try:
        await asyncio.wait_for(spy.wait(), 20)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.kill(spy.pid, signal.SIGKILL)


@contextlib.asynccontextmanager
async def mock_model(run: Run) -> AsyncIterator[MockHandle]:
    """A running mock model (see `--mock`), stopped afterwards."""
    handle = await start_mock(run.mock_mode, PYTHON, run.env(run.tmp))
    try:
        yield handle
    finally:
        await handle.close()


async def ready(client: RpcClient) -> None:
    """Wait until the server is fully up: its index open (`thread/list`) and pygls loaded
    (`account/rateLimits/read`, which, unlike the thread reads, waits for pygls)."""
    await client.request("codex/thread/list", {"limit": 1}, timeout=60)
    await client.request("codex/account/rateLimits/read", {}, timeout=60)


async def start_turn(client: RpcClient, thread_id: str, text: str) -> tuple[str, int, int]:
    """`codex/turn/start`; (turn id, notification index before it, send time ns)."""
    since = len(client.notifications)
    future, sent = client.send_request(
        "codex/turn/start", {"threadId": thread_id, "input": [{"type": "text", "text": text}]}
    )
    msg = await asyncio.wait_for(future, 15)
    if "error" in msg.body:
        raise RuntimeError(f"turn/start failed: {msg.body['error']}")
    return str(msg.body["result"]["turn"]["id"]), since, sent


def completes(turn_id: str) -> Callable[[Any], bool]:
    """Predicate: a `turn/completed` of `turn_id`."""
    return lambda p: bool(p["turn"]["id"] == turn_id)


def of_turn(turn_id: str) -> Callable[[Any], bool]:
    """Predicate: an item notification of `turn_id`."""
    return lambda p: bool(p["turnId"] == turn_id)


async def run_turn(
    client: RpcClient, thread_id: str, text: str, timeout: float = 30
) -> tuple[str, int, Message]:
    """Run a turn to its end; (turn id, notification index before it, turn/completed)."""
    turn_id, since, _ = await start_turn(client, thread_id, text)
    done = await client.wait(TURN_COMPLETED, completes(turn_id), since=since, timeout=timeout)
    return turn_id, since, done


# ---- 1. per-delta latency ------------------------------------------------------------

# A stand-in for the server: writes delta notifications shaped like the real ones, each
# stamped right before its write+flush, so the pipe + client part of the latency is known.
_PIPE_WRITER = r"""
import json, sys, time
out, n, delay = sys.stdout.buffer, int(sys.argv[1]), float(sys.argv[2])
for _ in range(n):
    params = {"threadId": "019a5d1e-7a3b-7c2d-9e8f-0123456789ab",
              "turnId": "019a5d1e-7a3b-7c2d-9e8f-0123456789ac",
              "itemId": "msg_0123456789abcdef01234567", "delta": f"<t={time.monotonic_ns()}>"}
    body = json.dumps({"jsonrpc": "2.0", "method": "codex/item/agentMessage/delta",
                       "params": params}).encode()
    out.write(b"Content-Length: %d\r\n\r\n%b" % (len(body), body))
    out.flush()
    time.sleep(delay)
"""


async def pipe_floor(run: Run, n: int, delay_ms: float) -> list[float]:
    """Latencies (ms) of stamped messages from a trivial writer process to this client."""
    argv = [*PYTHON, "-c", _PIPE_WRITER, str(n), str(delay_ms / 1000)]
    client = await RpcClient.spawn(argv, run.env(run.tmp))
    try:
        await asyncio.wait_for(client.proc.wait(), 60)
        await asyncio.sleep(0.05)
        return [
            ms(m.received_ns - int(m.params["delta"][3:-1]))
            for m in client.notifications
            if m.method == DELTA
        ]
    finally:
        await client.close()


async def bench_deltas(run: Run) -> None:
    """Mock write -> client receipt latency of `agentMessage/delta`, and throughput."""
    floor = await pipe_floor(run, N_DELTAS, 1.0)
    run.add(
        Result(
            "deltas floor",
            "floor (pipe + this client, no server), 1 ms apart: p50",
            pct(floor, 50),
            "ms",
            detail=f"p95 {pct(floor, 95):.3f} ms",
        )
    )
    async with mock_model(run) as mock:
        print(f"  mock model: {mock.kind}", flush=True)
        home = run.home(mock.url)
        async with server(run, home) as client:
            thread_id = (await client.request("codex/thread/start", {}))["thread"]["id"]
            # Warm-up: imports the OpenAI SDK and opens the HTTP connection.
            await mock.enqueue(text_response("warm up " * 20))
            await run_turn(client, thread_id, "warm up", timeout=60)
            for delay_ms, label in ((1.0, "1 ms apart"), (0.0, "back-to-back")):
                await mock.enqueue(timestamped_deltas(N_DELTAS, delay_ms_between_events=delay_ms))
                cpu0 = cpu_seconds(client.pid)
                turn_id, since, sent = await start_turn(client, thread_id, "stream")
                done = await client.wait(
                    TURN_COMPLETED, completes(turn_id), since=since, timeout=120
                )
                cpu = cpu_seconds(client.pid) - cpu0
                deltas = [
                    m
                    for m in client.notifications[since:]
                    if m.method == DELTA and m.params["turnId"] == turn_id
                ]
                lat = [ms(m.received_ns - int(m.params["delta"][3:-1])) for m in deltas]
                status = done.params["turn"]["status"]
                if len(deltas) != N_DELTAS or status != "completed":
                    run.note(f"{label}: {len(deltas)} deltas received, turn {status}")
                span_s = (deltas[-1].received_ns - deltas[0].received_ns) / 1e9
                sec = f"deltas {label}"
                if delay_ms > 0:
                    run.add(Result(sec, f"{label}: p50", pct(lat, 50), "ms", 0.25, "0.25 ms"))
                    run.add(Result(sec, f"{label}: p95", pct(lat, 95), "ms", 1.0, "1.3 ms"))
                else:
                    why = "not judged: a burst measures queueing, not latency"
                    run.add(Result(sec, f"{label}: p50", pct(lat, 50), "ms", detail=why))
                    run.add(Result(sec, f"{label}: p95", pct(lat, 95), "ms"))
                run.add(Result(sec, f"{label}: p99", pct(lat, 99), "ms"))
                run.add(Result(sec, f"{label}: max", max(lat), "ms"))
                rate = (len(deltas) - 1) / span_s if span_s > 0 else 0.0
                spread = f"{len(deltas)} deltas in {span_s * 1000:.0f} ms"
                run.add(Result(sec, f"{label}: throughput", rate, "deltas/s", detail=spread))
                run.add(
                    Result(
                        sec,
                        f"{label}: server CPU per delta",
                        cpu / max(len(deltas), 1) * 1e6,
                        "us",
                        detail="user+sys of the server process over the turn / deltas",
                    )
                )
                first = ms(deltas[0].received_ns - sent)
                run.add(Result(sec, f"{label}: turn/start sent -> first delta", first, "ms"))
            if run.codex_cli is not None:
                await codex_comparison(run, mock, client, thread_id)
        await client_references(run, mock)


# ---- 1b. the same paced stream through the Codex app-server --------------------------

CODEX_CONFIG = """model = "gpt-5.1-codex"
model_provider = "mock"
approval_policy = "never"
sandbox_mode = "read-only"
check_for_update_on_startup = false
[model_providers.mock]
name = "mock"
base_url = "{base_url}"
env_key = "MOCK_API_KEY"
wire_api = "responses"
[analytics]
enabled = false
"""
# Features of the app-server that reach the network at start (plugin and app catalogs).
CODEX_DISABLED = ("plugins", "remote_plugin", "apps")
VS_CODEX_ROUNDS = 3


def find_codex_cli(tmp: Path, install: bool) -> Path:
    """The Codex CLI as the contract tests find it (`CODEX_CLI`, else `node_modules/.bin/codex`
    under the checkout or `../codex-npm`), else (with `install`) the pinned `@openai/codex`
    installed into `tmp` by `tests/contract/install_codex_cli.sh`."""
    from tests.contract.test_codex_schema import find_codex_cli as found

    cli = found()
    if cli is not None:
        return cli
    if not install:
        raise SystemExit(
            "--vs-codex: no Codex CLI (set CODEX_CLI, or add --install-codex to npm install "
            "the pinned @openai/codex into a temporary folder)"
        )
    script = ROOT / "tests" / "contract" / "install_codex_cli.sh"
    done = subprocess.run(
        ["bash", str(script), str(tmp / "codex-npm")],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("CODEX_CLI="))
    return Path(line.split("=", 1)[1])


@contextlib.asynccontextmanager
async def codex_app_server(run: Run, mock: MockHandle) -> AsyncIterator[RpcClient]:
    """`codex app-server` on the same mock model (its own CODEX_HOME), initialized. Anything
    it tries to reach beyond 127.0.0.1 goes to a dead local proxy."""
    assert run.codex_cli is not None
    home = run.tmp / "codex-app-server-home"
    home.mkdir(exist_ok=True)
    (home / "config.toml").write_text(CODEX_CONFIG.format(base_url=mock.url))
    env = {
        **os.environ,
        "CODEX_HOME": str(home),
        "MOCK_API_KEY": "x",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "127.0.0.1,localhost",
        "RUST_LOG": "error",
    }
    disabled = [arg for name in CODEX_DISABLED for arg in ("--disable", name)]
    argv = [str(run.codex_cli), "app-server", *disabled]
    client = await RpcClient.spawn(argv, env, jsonl=True, cwd=str(run.workspace()))
    try:
        await client.request("initialize", {"clientInfo": {"name": "bench", "version": "0"}})
        client.notify("initialized", None)
        yield client
    finally:
        await client.close()


async def paced_latencies(
    client: RpcClient, mock: MockHandle, thread_id: str, prefix: str, n: int
) -> tuple[list[float], float]:
    """One turn of `n` stamped deltas 1 ms apart: latencies (ms) and server CPU per delta
    (us). `prefix` is "codex/" for codex-lsp, "" for the Codex app-server."""
    await mock.enqueue(timestamped_deltas(n, delay_ms_between_events=1.0))
    cpu0 = cpu_seconds(client.pid)
    since = len(client.notifications)
    started = await client.request(
        f"{prefix}turn/start",
        {"threadId": thread_id, "input": [{"type": "text", "text": "stream"}]},
        timeout=30,
    )
    turn_id = started["turn"]["id"]
    await client.wait(f"{prefix}turn/completed", completes(turn_id), since=since, timeout=120)
    cpu = cpu_seconds(client.pid) - cpu0
    deltas = [
        m
        for m in client.notifications[since:]
        if m.method == f"{prefix}item/agentMessage/delta" and m.params["turnId"] == turn_id
    ]
    lat = [ms(m.received_ns - int(m.params["delta"][3:-1])) for m in deltas]
    return lat, cpu / max(len(lat), 1) * 1e6


async def codex_comparison(run: Run, mock: MockHandle, ours: RpcClient, our_thread: str) -> None:
    """The paced stream through codex-lsp and through the Codex app-server, alternately
    (VS_CODEX_ROUNDS rounds each, so load changes hit both alike), and the ratios."""
    sec = "deltas vs Codex"
    async with codex_app_server(run, mock) as codex:
        version = await asyncio.to_thread(
            subprocess.run,
            [str(run.codex_cli), "--version"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        print(f"  Codex app-server: {version.stdout.strip()} ({run.codex_cli})", flush=True)
        started = await codex.request("thread/start", {"cwd": str(run.workspace())}, timeout=30)
        codex_thread = started["thread"]["id"]
        await paced_latencies(codex, mock, codex_thread, "", 20)  # warm-up turn
        mine: list[float] = []
        theirs: list[float] = []
        cpu_mine: list[float] = []
        cpu_theirs: list[float] = []
        for _ in range(VS_CODEX_ROUNDS):
            lat, cpu = await paced_latencies(ours, mock, our_thread, "codex/", N_DELTAS)
            mine += lat
            cpu_mine.append(cpu)
            lat, cpu = await paced_latencies(codex, mock, codex_thread, "", N_DELTAS)
            theirs += lat
            cpu_theirs.append(cpu)
    expected = VS_CODEX_ROUNDS * N_DELTAS
    if len(mine) != expected or len(theirs) != expected:
        run.note(f"vs Codex: {len(mine)} / {len(theirs)} deltas received of {expected}")
    for p in (50, 95):
        a, b = pct(mine, p), pct(theirs, p)
        run.add(Result(sec, f"codex-lsp p{p}", a, "ms", detail=f"n={len(mine)}"))
        run.add(Result(sec, f"Codex app-server p{p}", b, "ms", detail=f"n={len(theirs)}"))
        run.add(Result(sec, f"ratio p{p} (codex-lsp / Codex)", a / b, "x", 1.0))
    run.add(
        Result(
            sec,
            "server CPU per delta, codex-lsp (Codex in brackets)",
            statistics.median(cpu_mine),
            "us",
            detail=f"Codex {statistics.median(cpu_theirs):.0f} us",
        )
    )


async def client_references(run: Run, mock: MockHandle) -> None:
    """The same paced stream read by a bare Python client, without the server.

    Attribution of the server's latency: the OpenAI SDK's streaming path (what the server
    uses: httpx, SSE decoding, a pydantic model per event) against aiohttp + json.loads.
    """
    import aiohttp
    from openai import AsyncOpenAI

    sdk = AsyncOpenAI(base_url=mock.url, api_key="x", max_retries=0)

    async def via_sdk(lat: list[float]) -> None:
        stream = await sdk.responses.create(model="m", input="hi", stream=True)
        async for event in stream:
            if event.type == "response.output_text.delta":
                lat.append(ms(time.monotonic_ns() - int(event.delta[3:-1])))

    async def via_aiohttp(lat: list[float]) -> None:
        body = {"model": "m", "input": "hi", "stream": True}
        async with session.post(f"{mock.url}/responses", json=body) as response:
            async for line in response.content:
                if line.startswith(b"data: "):
                    data = json.loads(line[6:])
                    if data["type"] == "response.output_text.delta":
                        lat.append(ms(time.monotonic_ns() - int(data["delta"][3:-1])))

    async def measure(name: str, read: Callable[[list[float]], Awaitable[None]]) -> None:
        lat: list[float] = []
        cpu = 0.0
        for n in (20, N_DELTAS):  # the first, short stream warms up imports and connection
            await mock.enqueue(timestamped_deltas(n, delay_ms_between_events=1))
            lat = []
            cpu0 = time.process_time()
            await asyncio.wait_for(read(lat), 60)
            cpu = time.process_time() - cpu0
        detail = f"p95 {pct(lat, 95):.3f} ms, CPU {cpu / max(len(lat), 1) * 1e6:.0f} us/event"
        run.add(Result("deltas reference", name, pct(lat, 50), "ms", detail=detail))

    async with aiohttp.ClientSession() as session:
        try:
            await measure("reference, no server: mock -> OpenAI SDK event, p50", via_sdk)
        finally:
            await sdk.close()
        await measure("reference, no server: mock -> aiohttp + json.loads, p50", via_aiohttp)


# ---- 2. spawn -> InitializeResult ----------------------------------------------------


async def _spawn_times(
    run: Run,
    env: dict[str, str],
    n: int,
    argv: list[str] | None = None,
    cpu: list[float] | None = None,
) -> list[float]:
    """Spawn -> InitializeResult received (ms) of `n` fresh servers; with `cpu`, also the
    server's CPU time (user+sys, ms) when its answer arrives, which load on a shared machine
    skews much less than wall time."""
    times: list[float] = []
    for _ in range(n):
        t0 = time.monotonic_ns()
        client = await RpcClient.spawn(argv or SERVER_ARGV, env)

        def read_cpu(pid: int = client.pid) -> None:
            if cpu is not None:
                cpu.append(cpu_seconds(pid) * 1000)

        try:
            _result, received = await client.initialize(
                run.workspace().as_uri(), timeout=30, on_response=read_cpu
            )
            times.append(ms(received - t0))
        finally:
            await client.close()
    return times


async def _python_time(env: dict[str, str], code: str) -> float:
    """Wall time of `python -c code`, in ms."""
    t0 = time.monotonic_ns()
    proc = await asyncio.create_subprocess_exec(*PYTHON, "-c", code, env=env)
    await asyncio.wait_for(proc.wait(), 60)
    return ms(time.monotonic_ns() - t0)


# The smallest pygls server: answers `initialize` (and `shutdown`/`exit`) over stdio.
_PYGLS_SERVER = r"""
from pygls.lsp.server import LanguageServer
LanguageServer("floor", "0").start_io()
"""


async def floors(run: Run, env: dict[str, str], n: int = 5) -> Floors:
    """`python -c pass`, `import lsprotocol.types`, `import pygls.lsp.server`, and the
    smallest pygls server's spawn -> InitializeResult, interleaved so that load changes hit
    each alike (after one run of each to fill the bytecode cache)."""
    codes = ("pass", "import lsprotocol.types", "import pygls.lsp.server")
    for code in codes:
        await _python_time(env, code)
    pygls_argv = [*PYTHON, "-c", _PYGLS_SERVER]
    await _spawn_times(run, env, 1, pygls_argv)
    samples: dict[str, list[float]] = {code: [] for code in (*codes, "server", "cpu")}
    for _ in range(n):
        for code in codes:
            samples[code].append(await _python_time(env, code))
        samples["server"] += await _spawn_times(run, env, 1, pygls_argv, samples["cpu"])
    med = {k: statistics.median(v) for k, v in samples.items()}
    return Floors(
        med["pass"], med["import lsprotocol.types"], med[codes[2]], med["server"], med["cpu"]
    )


def floor_results(run: Run, sec: str, f: Floors) -> None:
    """Print the floors beside our numbers."""
    run.add(Result(sec, "floor: `python -c pass`", f.python, "ms"))
    run.add(Result(sec, "floor: `python -c 'import lsprotocol.types'`", f.lsprotocol, "ms"))
    run.add(Result(sec, "floor: `python -c 'import pygls.lsp.server'`", f.pygls, "ms"))
    run.add(
        Result(
            sec,
            "floor: smallest pygls server, spawn -> InitializeResult",
            f.pygls_server,
            "ms",
            detail="LanguageServer(...).start_io(): the import plus pygls' converter and "
            f"capabilities; its CPU time then: {f.pygls_server_cpu:.0f} ms",
        )
    )


async def bench_spawn(run: Run) -> None:
    """Process spawn to InitializeResult received, over fresh servers, beside the floors."""
    sec = "spawn"
    home = run.home()
    env = run.env(home)
    first = await _spawn_times(run, env, 1)  # fills the bytecode cache if still empty
    f = await floors(run, env)
    times: list[float] = []
    cpu: list[float] = []
    for _ in range(N_SPAWNS // 2):  # interleaved with the pygls floor's own spawns
        times += await _spawn_times(run, env, 2, cpu=cpu)
        await _spawn_times(run, env, 1, [*PYTHON, "-c", _PYGLS_SERVER])
    detail = f"n={len(times)}, min {min(times):.0f}, max {max(times):.0f}; bytecode cached"
    target = f.pygls + 40
    run.add(
        Result(
            sec,
            "spawn -> InitializeResult median",
            statistics.median(times),
            "ms",
            target,
            "44-137 ms",
            f"{detail}; target = pygls floor + 40 ms",
        )
    )
    run.add(Result(sec, "spawn -> InitializeResult p90", pct(times, 90), "ms"))
    floor_results(run, sec, f)
    run.add(
        Result(
            sec,
            "server CPU time when InitializeResult arrives, median",
            statistics.median(cpu),
            "ms",
            detail=f"the smallest pygls server: {f.pygls_server_cpu:.0f} ms; CPU time is "
            "what load on a shared machine skews least",
        )
    )
    ours = statistics.median(times)
    run.add(
        Result(
            sec,
            "ours above the pygls import floor (median - floor)",
            ours - f.pygls,
            "ms",
            detail=f"above the smallest pygls server: {ours - f.pygls_server:.0f} ms",
        )
    )
    no_cache = {**server_env(home, None), "PYTHONDONTWRITEBYTECODE": "1"}
    raw = await _spawn_times(run, no_cache, 3)
    run.add(
        Result(
            sec,
            "spawn -> InitializeResult, codex_lsp not byte-compiled, median",
            statistics.median(raw),
            "ms",
            detail="PYTHONDONTWRITEBYTECODE=1 as in this dev env (a source checkout); "
            f"first spawn of the run: {first[0]:.0f} ms",
        )
    )
    run.floors = f


# ---- 3. thread/list over 10,000 threads ----------------------------------------------


def _write_many(home: Path, n: int, projects: Path) -> None:
    base = int(time.time()) - n * 360
    for i in range(20):
        Path(fx.cwd_for(i, str(projects))).mkdir(parents=True, exist_ok=True)
    for i in range(n):
        created = base + i * 360
        cwd, provider = fx.cwd_for(i, str(projects)), fx.provider_for(i)
        records = fx.short_thread_records(created, i, cwd, provider)
        fx.write_rollout(home, created_at=created, cwd=cwd, provider=provider, records=records)


async def bench_list(run: Run) -> None:
    """Index rebuild over 10,000 rollouts, then `thread/list` pages through the server."""
    home = run.home()
    sec = "thread/list"
    t0 = time.perf_counter()
    await asyncio.to_thread(_write_many, home, N_LIST_THREADS, run.tmp / "projects")
    run.add(
        Result(sec, f"writing {N_LIST_THREADS} rollouts (setup)", time.perf_counter() - t0, "s")
    )
    fx.delete_index(home)
    t0 = time.perf_counter()
    index = ThreadIndex(home)
    rebuild = time.perf_counter() - t0
    index.close()
    run.add(
        Result(
            sec,
            f"index rebuild ({N_LIST_THREADS} rollouts, in-process)",
            rebuild,
            "s",
            3.0,
            detail="ThreadIndex(home) with no threads.sqlite",
        )
    )
    t0 = time.perf_counter()
    ThreadIndex(home).close()
    run.add(
        Result(
            sec,
            "index open + sync, nothing changed (in-process)",
            time.perf_counter() - t0,
            "s",
            detail="what every server start does",
        )
    )

    # Spawn -> the first thread/list answered: what an editor waits for before its thread
    # list shows (the index is on disk, in sync; nothing may wait for a full re-scan).
    env = run.env(home)
    if run.floors is None:
        run.floors = await floors(run, env)
    firsts: list[float] = []
    first_cpu: list[float] = []
    starts: list[float] = []
    for _ in range(N_FIRST_LISTS):
        t0 = time.monotonic_ns()
        client = await RpcClient.spawn(SERVER_ARGV, env)
        try:
            await client.initialize(run.workspace().as_uri(), timeout=30)
            listed = await client.request("codex/thread/list", {"limit": 50}, timeout=60)
            firsts.append(ms(time.monotonic_ns() - t0))
            first_cpu.append(cpu_seconds(client.pid) * 1000)
            if len(listed["data"]) != 50:
                run.note(f"first thread/list returned {len(listed['data'])} threads")
            # The first request that needs pygls (the editor's transport): it waits for pygls
            # to load after the thread list was answered.
            await client.request("codex/thread/start", {}, timeout=60)
            starts.append(ms(time.monotonic_ns() - t0))
        finally:
            await client.close()
    run.add(
        Result(
            sec,
            f"spawn -> first thread/list answered ({N_LIST_THREADS} threads), median",
            statistics.median(firsts),
            "ms",
            run.floors.pygls + 80,
            detail=f"n={len(firsts)}, min {min(firsts):.0f}; target = pygls floor "
            f"({run.floors.pygls:.0f} ms) + 80 ms",
        )
    )
    run.add(
        Result(
            sec,
            "server CPU time when the first thread/list arrives, median",
            statistics.median(first_cpu),
            "ms",
            detail="the session and the index open, before pygls loads",
        )
    )
    run.add(
        Result(
            sec,
            "spawn -> then the first thread/start answered, median",
            statistics.median(starts),
            "ms",
            detail="after the list: pygls loads, then the held messages and this request",
        )
    )

    async with server(run, home) as client:
        result, first = await client.request_timed("codex/thread/list", {"limit": 50}, timeout=60)
        run.add(
            Result(
                sec,
                "first thread/list right after initialize (cold)",
                ms(first),
                "ms",
                detail="sent right after initialize: waits for the session and the index",
            )
        )
        for _ in range(3):
            await client.request("codex/thread/list", {"limit": 50})
        times = []
        for _ in range(20):
            result, rtt = await client.request_timed("codex/thread/list", {"limit": 50})
            times.append(ms(rtt))
        if len(result["data"]) != 50 or result["nextCursor"] is None:
            run.note(f"thread/list returned {len(result['data'])} threads")
        run.add(
            Result(
                sec,
                "thread/list limit 50, warm median",
                statistics.median(times),
                "ms",
                10.0,
                "48 ms for 50 of 1,000",
                f"p90 {pct(times, 90):.2f} ms, n=20",
            )
        )
        cursor = result["nextCursor"]
        extra: list[tuple[str, dict[str, Any]]] = [
            ("page 2 (cursor)", {"limit": 50, "cursor": cursor}),
            ("sortKey updated_at", {"limit": 50, "sortKey": "updated_at"}),
            ("cwd filter", {"limit": 50, "cwd": fx.cwd_for(7, str(run.tmp / "projects"))}),
            ("searchTerm (no match, full scan)", {"limit": 50, "searchTerm": "zzzz-no-match"}),
        ]
        for label, params in extra:
            times = []
            for _ in range(10):
                _r, rtt = await client.request_timed("codex/thread/list", params)
                times.append(ms(rtt))
            run.add(Result(sec, f"thread/list {label}, median", statistics.median(times), "ms"))
        times = []
        for _ in range(10):
            _r, rtt = await client.request_timed("codex/thread/list", {"limit": 1})
            times.append(ms(rtt))
        run.add(
            Result(
                sec, "thread/list limit 1 (request floor), median", statistics.median(times), "ms"
            )
        )


# ---- 4. resume of a 1,000-turn thread ------------------------------------------------


async def bench_resume(run: Run) -> None:
    """`codex/thread/resume` of a 1,000-turn thread in fresh servers (cold) and warm."""
    home = run.home()
    sec = "resume"
    created = int(time.time()) - 86_400
    cwd = str(run.workspace())
    records = fx.long_thread_records(created, N_RESUME_TURNS, cwd)
    ids: list[str] = []
    path = Path()
    for _ in range(2 * N_RESUMES):
        thread_id, path = fx.write_rollout(
            home, created_at=created, cwd=cwd, provider="mock", records=records
        )
        ids.append(thread_id)
    ThreadIndex(home).close()
    size_mb = path.stat().st_size / 1e6
    # In-process breakdown of the loading work, for attribution.
    t0 = time.perf_counter()
    contents = read_rollout(path)
    t1 = time.perf_counter()
    history = build_history(contents)
    t2 = time.perf_counter()
    run.add(
        Result(
            sec,
            "read_rollout (in-process)",
            (t1 - t0) * 1000,
            "ms",
            detail=f"{len(contents.records)} records, {size_mb:.1f} MB",
        )
    )
    run.add(
        Result(
            sec,
            "build_history (in-process)",
            (t2 - t1) * 1000,
            "ms",
            detail=f"{len(history.turns)} turns",
        )
    )

    cold: list[float] = []
    warm: list[float] = []
    size = 0
    for i in range(N_RESUMES):
        async with server(run, home) as client:
            await ready(client)
            result, rtt = await client.request_timed(
                "codex/thread/resume", {"threadId": ids[2 * i]}, timeout=60
            )
            cold.append(ms(rtt))
            turns = len(result["thread"]["turns"])
            if turns != N_RESUME_TURNS:
                run.note(f"resume returned {turns} turns")
            size = len(json.dumps(result))
            _r, rtt = await client.request_timed(
                "codex/thread/resume", {"threadId": ids[2 * i + 1]}, timeout=60
            )
            warm.append(ms(rtt))
    run.add(
        Result(
            sec,
            f"resume {N_RESUME_TURNS}-turn thread, first in a fresh server, median",
            statistics.median(cold),
            "ms",
            300.0,
            detail=f"n={len(cold)}, max {max(cold):.0f} ms, response {size / 1e6:.1f} MB",
        )
    )
    run.add(
        Result(
            sec,
            "resume, second thread in the same server, median",
            statistics.median(warm),
            "ms",
            detail=f"n={len(warm)}",
        )
    )


# ---- 5. interrupt -> turn/completed --------------------------------------------------


async def bench_interrupt(run: Run) -> None:
    """Time from sending `codex/turn/interrupt` to receiving `turn/completed`."""
    sec = "interrupt"
    async with mock_model(run) as mock:
        home = run.home(mock.url)
        async with server(run, home) as client:
            thread_id = (await client.request("codex/thread/start", {}))["thread"]["id"]
            await mock.enqueue(text_response("warm up"))
            await run_turn(client, thread_id, "warm up", timeout=60)
            times: list[float] = []
            acks: list[float] = []
            statuses: list[str] = []
            for _ in range(N_INTERRUPTS):
                await mock.enqueue(hang_response(after_events=20))
                turn_id, since, _ = await start_turn(client, thread_id, "go")
                await client.wait(DELTA, of_turn(turn_id), since=since)
                # Let the 16 deltas sent before the hang drain, so only the interrupt is timed.
                await asyncio.sleep(0.05)
                mark = len(client.notifications)
                future, sent = client.send_request(
                    "codex/turn/interrupt", {"threadId": thread_id, "turnId": turn_id}
                )
                done = await client.wait(
                    TURN_COMPLETED,
                    completes(turn_id),
                    since=mark,
                    timeout=15,
                )
                ack = await asyncio.wait_for(future, 15)
                times.append(ms(done.received_ns - sent))
                acks.append(ms(ack.received_ns - sent))
                statuses.append(done.params["turn"]["status"])
    bad = [s for s in statuses if s != "interrupted"]
    if bad:
        run.note(f"turn/completed status was not `interrupted`: {bad}")
    run.add(
        Result(
            sec,
            "interrupt -> turn/completed, median",
            statistics.median(times),
            "ms",
            20.0,
            "9 ms",
            f"n={len(times)}, max {max(times):.1f} ms, statuses: {sorted(set(statuses))}",
        )
    )
    run.add(Result(sec, "interrupt request -> its response, median", statistics.median(acks), "ms"))


# ---- 6. memory -----------------------------------------------------------------------


async def bench_memory(run: Run) -> None:
    """Idle RSS after initialize, and RSS per loaded idle thread."""
    sec = "memory"
    home = run.home()
    created = int(time.time()) - 86_400
    short_ids = []
    for i in range(N_MEMORY_THREADS):
        cwd, provider = str(run.workspace()), "mock"
        records = fx.short_thread_records(created + i, i, cwd, provider)
        tid, _ = fx.write_rollout(
            home, created_at=created + i, cwd=cwd, provider=provider, records=records
        )
        short_ids.append(tid)
    ThreadIndex(home).close()
    async with server(run, home) as client:
        await ready(client)
        await asyncio.sleep(0.3)
        idle = rss_kib(client.pid)
        fds_idle = open_fds(client.pid)
        run.add(Result(sec, "idle RSS after initialize", idle / 1024, "MiB", 80.0))
        await client.request("codex/thread/start", {})
        after_first = rss_kib(client.pid)
        for _ in range(N_MEMORY_THREADS):
            await client.request("codex/thread/start", {})
        after_started = rss_kib(client.pid)
        per = (after_started - after_first) / N_MEMORY_THREADS
        run.add(
            Result(
                sec,
                f"RSS per started idle thread ({N_MEMORY_THREADS} thread/start)",
                per / 1024,
                "MiB",
                1.0,
                detail=f"{per:.0f} KiB; first thread/start added "
                f"{(after_first - idle) / 1024:.1f} MiB (one-time imports)",
            )
        )
        for tid in short_ids:
            await client.request("codex/thread/resume", {"threadId": tid})
        after_resumed = rss_kib(client.pid)
        per_resumed = (after_resumed - after_started) / N_MEMORY_THREADS
        run.add(
            Result(
                sec,
                f"RSS per resumed 1-turn thread ({N_MEMORY_THREADS} resumes)",
                per_resumed / 1024,
                "MiB",
                1.0,
                detail=f"{per_resumed:.0f} KiB",
            )
        )
        loaded = 2 * N_MEMORY_THREADS + 1
        run.add(Result(sec, f"RSS with {loaded} threads loaded", after_resumed / 1024, "MiB"))
        fds = open_fds(client.pid)
        run.add(
            Result(
                sec,
                f"open file descriptors with {loaded} threads loaded",
                fds,
                "fds",
                detail=f"{fds_idle} when idle: each loaded thread keeps its rollout open",
            )
        )


# ---- 7. one-turn exec ----------------------------------------------------------------


async def _exec_once(env: dict[str, str], cwd: Path, *args: str) -> tuple[float, str]:
    """Wall time (ms) of `codex-lsp <args>` from spawn to exit, and its stdout."""
    t0 = time.monotonic_ns()
    proc = await asyncio.create_subprocess_exec(
        *SERVER_ARGV,
        *args,
        env=env,
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    took = ms(time.monotonic_ns() - t0)
    if proc.returncode != 0:
        raise RuntimeError(f"codex-lsp {args[0]} exited {proc.returncode}: {err.decode()[-500:]}")
    return took, out.decode()


def _children_cpu_ms() -> float:
    """User + system CPU time of this process's waited-for children so far, in ms."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * 1000


async def bench_exec(run: Run) -> None:
    """`codex-lsp exec` of one turn against the mock, end to end (spawn -> exit)."""
    sec = "exec"
    async with mock_model(run) as mock:
        home = run.home(mock.url)
        env = run.env(home)
        cwd = run.workspace()
        answer = "The answer from the mock model."
        times: list[float] = []
        cpu: list[float] = []
        for i in range(N_EXECS + 1):  # the first fills the bytecode cache
            await mock.enqueue(text_response(answer))
            before = _children_cpu_ms()
            took, out = await _exec_once(env, cwd, "exec", "say something")
            if answer not in out:
                run.note(f"exec printed {out[-200:]!r}")
            if i:
                times.append(took)
                cpu.append(_children_cpu_ms() - before)
        help_times = [(await _exec_once(env, cwd, "--help"))[0] for _ in range(3)]
        sdk = [await _python_time(env, "import aiohttp") for _ in range(3)]
        bare = [await _python_time(env, "pass") for _ in range(3)]
    run.add(
        Result(
            sec,
            "one-turn `codex-lsp exec`, spawn -> exit, median",
            statistics.median(times),
            "ms",
            600.0,
            detail=f"n={len(times)}, min {min(times):.0f}, max {max(times):.0f}",
        )
    )
    run.add(
        Result(
            sec,
            "one-turn exec: CPU time of the process (user+sys), median",
            statistics.median(cpu),
            "ms",
        )
    )
    run.add(Result(sec, "`codex-lsp --help`, median", statistics.median(help_times), "ms"))
    run.add(
        Result(
            sec,
            "floor: `python -c 'import aiohttp'` (the model client's HTTP stack)",
            statistics.median(sdk),
            "ms",
        )
    )
    run.add(Result(sec, "floor: `python -c pass`", statistics.median(bare), "ms"))


# ---- driver --------------------------------------------------------------------------

BENCHES: dict[str, tuple[str, Callable[[Run], Awaitable[None]]]] = {
    "deltas": ("1. per-delta latency (mock write -> client receipt)", bench_deltas),
    "spawn": ("2. spawn -> InitializeResult", bench_spawn),
    "list": ("3. thread index rebuild and thread/list", bench_list),
    "resume": ("4. resume of a 1,000-turn thread", bench_resume),
    "interrupt": ("5. interrupt -> turn/completed", bench_interrupt),
    "memory": ("6. memory", bench_memory),
    "exec": ("7. one-turn exec (terminal)", bench_exec),
}


def _load() -> str:
    """The 1/5/15-minute load averages (other work on the machine skews the numbers)."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def summary(run: Run) -> str:
    """The summary table of every targeted result."""
    rows = [r for r in run.results if r.target is not None]
    head = ("section", "measurement", "value", "target", "result")
    table = [
        (
            r.section,
            r.name,
            f"{_fmt(r.value)} {r.unit}",
            f"<= {_fmt(r.target or 0)} {r.unit}",
            r.status,
        )
        for r in rows
    ]
    widths = [max(len(str(c)) for c in col) for col in zip(head, *table, strict=False)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in table]
    passed = sum(r.status == "PASS" for r in rows)
    lines.append(f"{passed}/{len(rows)} targets met")
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> int:
    """Run the selected sections; returns the exit code (1 if a section crashed)."""
    selected = list(SECTIONS) if not args.only else [s.strip() for s in args.only.split(",")]
    unknown = [s for s in selected if s not in BENCHES]
    if unknown:
        print(f"unknown section(s) {unknown}; choose from {', '.join(SECTIONS)}", file=sys.stderr)
        return 2
    started = time.monotonic()
    print(
        f"codex-lsp core benchmarks  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  "
        f"python {platform.python_version()}  {platform.machine()}  "
        f"{os.cpu_count()} CPUs  load {_load()}  mock model: {args.mock}",
        flush=True,
    )
    if os.getloadavg()[0] > 0.5 * (os.cpu_count() or 1):
        print("warning: the machine is busy (load average above); expect skewed numbers")
    with tempfile.TemporaryDirectory(prefix="codex-bench-") as tmp:
        run = Run(Path(tmp), args.mock, profile=Path(args.profile) if args.profile else None)
        if args.vs_codex:
            run.codex_cli = find_codex_cli(run.tmp, args.install_codex)
            # That imported the contract tests (pytest and all): without this, this client's
            # full collections scan those objects and stall receipts by up to 50 ms (p99).
            gc.freeze()
        if run.profile is not None:
            print(f"profiling servers with py-spy into {run.profile}: numbers are skewed")
        for name in selected:
            title, bench = BENCHES[name]
            run.section = name
            print(f"\n== {title}", flush=True)
            t0 = time.monotonic()
            try:
                await asyncio.wait_for(bench(run), SECTION_TIMEOUT_S)
            except Exception as exc:
                message = f"{name}: {type(exc).__name__}: {exc}"
                run.errors.append(message)
                print(f"  ERROR {message}", flush=True)
                traceback.print_exc()
            print(f"  ({time.monotonic() - t0:.1f} s)", flush=True)
        print("\n== summary")
        print(summary(run))
        for error in run.errors:
            print(f"ERROR {error}")
        print(f"total {time.monotonic() - started:.0f} s, load average now {_load()}")
        if args.json:
            payload = {
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "mock": args.mock,
                "results": [{**asdict(r), "status": r.status} for r in run.results],
                "notes": run.notes,
                "errors": run.errors,
            }
            Path(args.json).write_text(json.dumps(payload, indent=2) + "\n")
    return 1 if run.errors else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--only", help=f"comma-separated sections: {', '.join(SECTIONS)}")
    parser.add_argument("--json", help="also write the results as JSON to this file")
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="attach `py-spy record` to every server started (flame graphs into DIR)",
    )
    parser.add_argument(
        "--vs-codex",
        action="store_true",
        help="deltas: also stream through the Codex app-server (CODEX_CLI, ../codex-npm, or "
        "--install-codex) against the same mock, and print the ratios",
    )
    parser.add_argument(
        "--install-codex",
        action="store_true",
        help="with --vs-codex: npm install the pinned @openai/codex into a temporary folder "
        "when no CLI is found",
    )
    parser.add_argument(
        "--mock",
        choices=("process", "thread"),
        default="process",
        help="run the mock model as a separate process (default) or in a thread of this one",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
