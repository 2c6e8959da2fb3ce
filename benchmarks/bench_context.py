"""Context control on a long thread: what compaction does to the model request's size, what
compaction and rollback cost in time.

Same setup as `bench_core.py` (the real server over stdio, the mock model as its own
process, a temporary CODEX_HOME). It prints numbers; it asserts nothing, and exits 0
unless a section crashed (1) or a section name is wrong (2).

Usage (from the repository root)::

    /work/venv/bin/python benchmarks/bench_context.py [--only compaction,auto,revert] [--turns N]

The thread is built by running its turns through the server: `--turns` (200) turns,
each a user message of 200-2,000 characters answered with 400-4,000 characters (the
mock streams ~200-character deltas); every 20th turn also creates a file with
`apply_patch` (so rollback has files to restore). Then:

- compaction: a fork of the thread runs one more turn (the last request before
  compaction), `codex/thread/compact/start` (the mock answers the summary at once), one
  turn after it. Sizes of the three model requests; the compaction's time (request ->
  `turn/completed`, and -> `codex/thread/compacted`).
- auto: a fork with `config: {model_auto_compact_token_limit}` equal to the thread's
  context (the mock's token estimate of the last request) runs a turn: the server compacts
  at its start. That turn's time against a normal turn's, and
  the sizes of its two model requests.
- revert: `codex/thread/rollback {numTurns: 1}` then `{numTurns: 100}` on the thread
  itself, with the files those turns created deleted again (checked on disk).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import sys
import tempfile
import time
import traceback
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import bench_core as core  # noqa: E402
from benchmarks.bench_core import Result, Run  # noqa: E402
from benchmarks.bench_faults import _requests  # noqa: E402
from benchmarks.mockctl import MockHandle  # noqa: E402
from benchmarks.rpc import Message, RpcClient  # noqa: E402
from codex_lsp.mock_model import (  # noqa: E402
    MockResponse,
    custom_tool_call_response,
    text_response,
)

SECTIONS = ("compaction", "auto", "revert")
N_TURNS = 200
PATCH_EVERY = 20  # turns 20, 40, ... create a file
RESET_EVERY = 20  # the mock forgets recorded requests (each holds the whole history)
SETUP_TIMEOUT_S = 180.0
SECTION_TIMEOUT_S = 120.0
TURN_TIMEOUT_S = 60.0

_PROSE = (
    "the cache key ignores the `cwd` argument so two workspaces share one entry; "
    "I changed `_key()` in src/index.py to include it and added a test that lists threads "
    "from two directories. Running pytest -q tests/test_index.py shows 214 passed, "
    "the refactor of ThreadIndex.sync keeps the SQLite schema, migrations are unchanged, "
    "next we should look at the resume path, the rollout reader and the error messages "
    "returned to the editor when a file is missing or the JSON line is truncated."
)
_WORDS = _PROSE.split()


# ---- the thread's content -----------------------------------------------------------


def _text(rng: random.Random, low: int, high: int, head: str) -> str:
    """Prose of `low`-`high` characters (deterministic for a seeded `rng`)."""
    size = rng.randint(low, high)
    parts = [head]
    length = len(head)
    while length < size:
        word = rng.choice(_WORDS)
        parts.append(word)
        length += len(word) + 1
    return " ".join(parts)[:size]


def _chunks(text: str, size: int = 200) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def _patch_path(turn: int) -> str:
    return f"bench/turn_{turn:03d}.txt"


def _turn_script(rng: random.Random, turn: int) -> tuple[str, list[MockResponse]]:
    """The user message of turn `turn` (1-based) and the mock's answers to it."""
    question = _text(rng, 200, 2_000, f"Q{turn}:")
    answer = _text(rng, 400, 4_000, f"A{turn}:")
    reply = text_response(answer, chunks=_chunks(answer))
    if turn % PATCH_EVERY:
        return question, [reply]
    body = "".join(f"+line {n} of the file written in turn {turn}\n" for n in range(5))
    patch = f"*** Begin Patch\n*** Add File: {_patch_path(turn)}\n{body}*** End Patch"
    return question, [custom_tool_call_response("apply_patch", patch), reply]


# ---- the mock's recorded requests -----------------------------------------------------


@dataclass
class RequestSize:
    """The size of one model request as the mock received it."""

    body_bytes: int
    input_bytes: int
    input_items: int

    @classmethod
    def of(cls, request: dict[str, Any]) -> RequestSize:
        """From a request recorded by the mock (either wire)."""
        body = request["body"]
        history = body.get("input", body.get("messages", [])) if isinstance(body, dict) else []
        length = request["headers"].get("content-length")
        return cls(
            body_bytes=int(length) if length else _json_bytes(body),
            input_bytes=_json_bytes(history),
            input_items=len(history) if isinstance(history, list) else 1,
        )


def _json_bytes(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def _reset(mock: MockHandle) -> None:
    """Drop the mock's recorded requests (and its queue, empty between turns)."""
    root = mock.url.rsplit("/v1", 1)[0]
    request = urllib.request.Request(f"{root}/_mock/reset", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


async def _recorded(mock: MockHandle) -> list[RequestSize]:
    """The sizes of the model requests recorded since the last reset, then a reset."""
    sizes = [RequestSize.of(r) for r in await asyncio.to_thread(_requests, mock)]
    await asyncio.to_thread(_reset, mock)
    return sizes


# ---- shared state -------------------------------------------------------------------


@dataclass
class Context:
    """The server, the mock and the long thread every section works on."""

    run: Run
    client: RpcClient
    mock: MockHandle
    thread_id: str
    turns: int
    rng: random.Random
    sizes: dict[str, RequestSize]
    normal_turn_ms: list[float]
    context_tokens: int = 0

    async def turn(self, thread_id: str, number: int) -> tuple[float, Message]:
        """Run turn `number` of the script on `thread_id`; (ms sent -> completed, done)."""
        question, script = _turn_script(self.rng, number)
        await self.mock.enqueue(*script)
        turn_id, since, sent = await core.start_turn(self.client, thread_id, question)
        done = await self.client.wait(
            core.TURN_COMPLETED, core.completes(turn_id), since=since, timeout=TURN_TIMEOUT_S
        )
        status = done.params["turn"]["status"]
        if status != "completed":
            raise RuntimeError(f"turn {number} ended {status}: {done.params['turn'].get('error')}")
        return core.ms(done.received_ns - sent), done

    async def fork(self, **overrides: Any) -> str:
        """A fork of the long thread (same history, new id)."""
        params = {"threadId": self.thread_id, "approvalPolicy": "never", **overrides}
        result = await self.client.request("codex/thread/fork", params, timeout=60)
        return str(result["thread"]["id"])

    def add_size(self, label: str, size: RequestSize) -> None:
        """Record and print one request's size."""
        self.sizes[label] = size
        detail = f"input {size.input_bytes:,} bytes, {size.input_items} items"
        self.run.add(
            Result(self.run.section, f"{label}: body", size.body_bytes, "bytes", detail=detail)
        )


async def build_thread(ctx: Context) -> None:
    """Run every turn of the long thread through the server."""
    t0 = time.monotonic()
    for number in range(1, ctx.turns + 1):
        if number % RESET_EVERY == 1:
            await asyncio.to_thread(_reset, ctx.mock)
        elapsed, done = await ctx.turn(ctx.thread_id, number)
        if number > ctx.turns - PATCH_EVERY and number % PATCH_EVERY:
            ctx.normal_turn_ms.append(elapsed)
    await asyncio.to_thread(_reset, ctx.mock)
    ctx.context_tokens = _context_tokens(ctx.client, done.params["turn"]["id"], 0) or 0
    created = sorted(p.name for p in (ctx.run.workspace() / "bench").glob("*.txt"))
    ctx.run.add(
        Result(
            "setup",
            f"{ctx.turns} turns through the server",
            time.monotonic() - t0,
            "s",
            detail=f"{len(created)} files created by apply_patch; context at the end "
            f"{ctx.context_tokens:,} tokens",
        )
    )
    ctx.run.add(
        Result(
            "setup",
            "normal turn at the end of the thread, median",
            core.pct(ctx.normal_turn_ms, 50),
            "ms",
            detail=f"turn/start sent -> turn/completed; n={len(ctx.normal_turn_ms)}, "
            f"max {max(ctx.normal_turn_ms):.0f} ms",
        )
    )


# ---- 1. manual compaction -----------------------------------------------------------


def _context_tokens(client: RpcClient, turn_id: str, since: int) -> int | None:
    """`last.totalTokens` of the newest `tokenUsage/updated` of `turn_id` from `since`."""
    found = None
    for m in client.notifications[since:]:
        if m.method == "codex/thread/tokenUsage/updated" and m.params["turnId"] == turn_id:
            found = int(m.params["tokenUsage"]["last"]["totalTokens"])
    return found


def _compaction_item_ms(client: RpcClient, turn_id: str, since: int) -> float | None:
    """Receipt of the contextCompaction item's `item/started` -> its `item/completed`."""
    stamps: dict[str, int] = {}
    for m in client.notifications[since:]:
        if m.method in ("codex/item/started", "codex/item/completed"):
            p = m.params
            if p["turnId"] == turn_id and p["item"]["type"] == "contextCompaction":
                stamps[m.method] = m.received_ns
    if len(stamps) != 2:
        return None
    return core.ms(stamps["codex/item/completed"] - stamps["codex/item/started"])


async def bench_compaction(ctx: Context) -> None:
    """Before / summary / after request sizes; compact/start -> turn/completed."""
    sec, client = ctx.run.section, ctx.client
    fork = await ctx.fork()
    before_ms, done = await ctx.turn(fork, ctx.turns + 1)
    tokens_before = _context_tokens(client, done.params["turn"]["id"], 0)
    (before,) = await _recorded(ctx.mock)
    ctx.add_size("last request before compaction", before)

    summary = _text(ctx.rng, 2_000, 2_000, "Summary:")
    await ctx.mock.enqueue(text_response(summary, chunks=_chunks(summary)))
    since = len(client.notifications)
    future, sent = client.send_request("codex/thread/compact/start", {"threadId": fork})
    answered = await asyncio.wait_for(future, 15)
    if "error" in answered.body:
        raise RuntimeError(f"compact/start: {answered.body['error']}")
    started = await client.wait(
        "codex/turn/started", lambda p: p["threadId"] == fork, since=since, timeout=15
    )
    turn_id = started.params["turn"]["id"]
    done = await client.wait(
        core.TURN_COMPLETED, core.completes(turn_id), since=since, timeout=TURN_TIMEOUT_S
    )
    compacted = await client.wait(
        "codex/thread/compacted", lambda p: p["turnId"] == turn_id, since=since, timeout=5
    )
    (summary_request,) = await _recorded(ctx.mock)
    ctx.add_size("summary request", summary_request)
    items = [i["type"] for i in done.params["turn"]["items"]]
    tokens_after = _context_tokens(client, turn_id, since)
    ctx.run.add(
        Result(
            sec,
            "compact/start sent -> turn/completed",
            core.ms(done.received_ns - sent),
            "ms",
            detail=f"status {done.params['turn']['status']}, items {items}; mock answers at once",
        )
    )
    ctx.run.add(
        Result(
            sec, "compact/start sent -> its response", core.ms(answered.received_ns - sent), "ms"
        )
    )
    ctx.run.add(
        Result(
            sec,
            "compact/start sent -> codex/thread/compacted",
            core.ms(compacted.received_ns - sent),
            "ms",
        )
    )
    item_ms = _compaction_item_ms(client, turn_id, since)
    if item_ms is not None:
        ctx.run.add(Result(sec, "contextCompaction item started -> completed", item_ms, "ms"))
    ctx.run.add(
        Result(
            sec,
            "context tokens after compaction (tokenUsage/updated)",
            tokens_after if tokens_after is not None else float("nan"),
            "tokens",
            detail=f"before: {tokens_before or 0:,}",
        )
    )

    after_ms, _done = await ctx.turn(fork, ctx.turns + 2)
    (after,) = await _recorded(ctx.mock)
    ctx.add_size("first request after compaction", after)
    ctx.run.add(
        Result(
            sec,
            "turn after compaction",
            after_ms,
            "ms",
            detail=f"the turn before compaction: {before_ms:.1f} ms",
        )
    )


# ---- 2. automatic compaction --------------------------------------------------------


async def bench_auto(ctx: Context) -> None:
    """A turn that compacts at its start, against a normal turn on the same history."""
    sec, client = ctx.run.section, ctx.client
    normal = await ctx.fork()
    normal_ms, _done = await ctx.turn(normal, ctx.turns + 1)
    await _recorded(ctx.mock)
    ctx.run.add(Result(sec, "normal turn on a fork of the thread", normal_ms, "ms"))

    limit = ctx.context_tokens
    fork = await ctx.fork(config={"model_auto_compact_token_limit": limit})
    summary = _text(ctx.rng, 2_000, 2_000, "Summary:")
    await ctx.mock.enqueue(text_response(summary, chunks=_chunks(summary)))
    since = len(client.notifications)
    auto_ms, done = await ctx.turn(fork, ctx.turns + 1)
    turn_id = done.params["turn"]["id"]
    items = [i["type"] for i in done.params["turn"]["items"]]
    requests = await _recorded(ctx.mock)
    compactions = sum(
        1
        for m in client.notifications[since:]
        if m.method == "codex/thread/compacted" and m.params["turnId"] == turn_id
    )
    ctx.run.add(
        Result(
            sec,
            "turn with automatic compaction",
            auto_ms,
            "ms",
            detail=f"limit {limit:,} tokens (thread config); items {items}; "
            f"{len(requests)} model requests; {compactions} thread/compacted",
        )
    )
    item_ms = _compaction_item_ms(client, turn_id, since)
    if item_ms is not None:
        ctx.run.add(Result(sec, "contextCompaction item started -> completed", item_ms, "ms"))
    if len(requests) == 2:
        ctx.add_size("auto: summary request", requests[0])
        ctx.add_size("auto: request after compaction", requests[1])
    else:
        ctx.run.note(f"auto: expected 2 model requests, saw {len(requests)}")


# ---- 3. rollback --------------------------------------------------------------------


async def _rollback(ctx: Context, num_turns: int) -> None:
    sec, client = ctx.run.section, ctx.client
    workspace = ctx.run.workspace()
    before = await client.request(
        "codex/thread/read", {"threadId": ctx.thread_id, "includeTurns": True}, timeout=30
    )
    count = len(before["thread"]["turns"])
    dropped = range(count - num_turns + 1, count + 1)
    expected = [_patch_path(n) for n in dropped if n % PATCH_EVERY == 0]
    present = [p for p in expected if (workspace / p).exists()]
    since = len(client.notifications)
    future, sent = client.send_request(
        "codex/thread/rollback", {"threadId": ctx.thread_id, "numTurns": num_turns}
    )
    reply = await asyncio.wait_for(future, 60)
    if "error" in reply.body:
        raise RuntimeError(f"rollback {num_turns}: {reply.body['error']}")
    reverted = await client.wait(
        "codex/thread/reverted", lambda p: p["threadId"] == ctx.thread_id, since=since, timeout=5
    )
    left = len(reply.body["result"]["thread"]["turns"])
    restored = [p for p in present if not (workspace / p).exists()]
    ctx.run.add(
        Result(
            sec,
            f"rollback numTurns {num_turns} ({count} -> {left} turns)",
            core.ms(reply.received_ns - sent),
            "ms",
            detail=f"files created by those turns deleted: {len(restored)}/{len(present)}; "
            f"-> thread/reverted {core.ms(reverted.received_ns - sent):.1f} ms",
        )
    )


async def bench_revert(ctx: Context) -> None:
    """rollback 1, then rollback 100, on the long thread itself."""
    await _rollback(ctx, 1)
    await _rollback(ctx, min(100, ctx.turns - 1))


# ---- driver -------------------------------------------------------------------------

BENCHES: dict[str, tuple[str, Callable[[Context], Awaitable[None]]]] = {
    "compaction": ("1. manual compaction (codex/thread/compact/start)", bench_compaction),
    "auto": ("2. automatic compaction (model_auto_compact_token_limit)", bench_auto),
    "revert": ("3. rollback (codex/thread/rollback)", bench_revert),
}

_SIZE_ORDER = (
    "last request before compaction",
    "summary request",
    "first request after compaction",
    "auto: summary request",
    "auto: request after compaction",
)


def table(ctx: Context) -> str:
    """The sizes, then every timing, as two small tables."""
    lines = []
    if ctx.sizes:
        lines.append(f"{'model request':<34}{'body bytes':>12}{'input bytes':>13}{'items':>7}")
        for label in _SIZE_ORDER:
            s = ctx.sizes.get(label)
            if s is not None:
                row = f"{s.body_bytes:>12,}{s.input_bytes:>13,}{s.input_items:>7}"
                lines.append(f"{label:<34}{row}")
        lines.append("")
    lines.append(f"{'timing':<58}{'ms':>9}")
    for r in ctx.run.results:
        if r.unit == "ms":
            lines.append(f"{r.section + ': ' + r.name:<58}{r.value:>9.1f}")
    return "\n".join(lines)


async def _guarded(run: Run, name: str, work: Awaitable[None], timeout: float) -> bool:
    """Run one part with a timeout; a crash is recorded and printed, not raised."""
    t0 = time.monotonic()
    try:
        await asyncio.wait_for(work, timeout)
    except Exception as exc:
        run.errors.append(f"{name}: {type(exc).__name__}: {exc}")
        print(f"  ERROR {run.errors[-1]}", flush=True)
        traceback.print_exc()
        return False
    finally:
        print(f"  ({time.monotonic() - t0:.1f} s)", flush=True)
    return True


async def _run_sections(run: Run, selected: list[str], turns: int) -> Context | None:
    async with core.mock_model(run) as mock, core.server(run, run.home(mock.url)) as client:
        start = await client.request(
            "codex/thread/start", {"approvalPolicy": "never", "sandbox": "workspace-write"}
        )
        ctx = Context(run, client, mock, start["thread"]["id"], turns, random.Random(12), {}, [])
        run.section = "setup"
        print(f"\n== setup: {turns} turns through the server", flush=True)
        if not await _guarded(run, "setup", build_thread(ctx), SETUP_TIMEOUT_S):
            return None
        for name in selected:
            title, bench = BENCHES[name]
            run.section = name
            print(f"\n== {title}", flush=True)
            if not await _guarded(run, name, bench(ctx), SECTION_TIMEOUT_S):
                await asyncio.to_thread(_reset, mock)  # what the crashed section left queued
        return ctx


async def main_async(args: argparse.Namespace) -> int:
    """Run the selected sections; returns the exit code (1 if a section crashed)."""
    started = time.monotonic()
    print(
        f"codex-lsp context benchmarks  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  "
        f"python {platform.python_version()}  {os.cpu_count()} CPUs  load {core._load()}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="codex-bench-context-") as tmp:
        run = Run(Path(tmp), "process")
        ctx = None
        try:
            ctx = await _run_sections(run, args.only or list(SECTIONS), args.turns)
        except Exception as exc:  # the server or the mock did not start, or did not stop
            run.errors.append(f"{type(exc).__name__}: {exc}")
            traceback.print_exc()
        if ctx is not None:
            print("\n== summary")
            print(table(ctx))
        for error in run.errors:
            print(f"ERROR {error}")
    print(f"\ntotal {time.monotonic() - started:.0f} s, load average now {core._load()}")
    return 1 if run.errors else 0


def _sections(text: str) -> list[str]:
    names = [s.strip() for s in text.split(",")]
    unknown = [s for s in names if s not in BENCHES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown {unknown}; choose from {', '.join(SECTIONS)}")
    return names


def main(argv: list[str] | None = None) -> int:
    """Entry point (exit 2 for an unknown section, from argparse)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--only", type=_sections, help=f"comma-separated sections: {', '.join(SECTIONS)}"
    )
    parser.add_argument(
        "--turns", type=int, default=N_TURNS, help=f"turns in the thread (default {N_TURNS})"
    )
    args = parser.parse_args(argv)
    if args.turns < 2:
        parser.error("--turns: at least 2")
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
