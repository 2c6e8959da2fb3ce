"""Benchmark of apply_patch: 50 chunks into a 100,000-line file (parse + compute + diff).

Prints the median of several runs against the target (<= 100 ms) with PASS/MISS, and a few
related numbers (phases, a patch that needs whitespace-tolerant matching, hunk detection).
No asserts: it only measures.

Usage (from the repository root)::

    /work/venv/bin/python benchmarks/bench_apply_patch.py [--runs 9] [--lines 100000] [--chunks 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from codex_lsp.core.text import FileChange, apply_hunks, hunks_applied  # noqa: E402
from codex_lsp.core.tools.apply_patch import compute_changes, parse_patch  # noqa: E402

TARGET_MS = 100.0
CWD = Path("/bench")
BLOCK = 10  # lines per generated function


def make_file(lines: int) -> list[str]:
    """Python-like code: many short functions, with the repeated lines real code has."""
    out: list[str] = []
    for i in range(lines // BLOCK):
        out += [
            f"def function_{i}(value):",
            f'    """Docstring of function {i}."""',
            "    total = 0",
            "    for item in range(value):",
            f"        total += item * {i % 7}",
            f"    if total > {i}:",
            "        return total",
            "    return None",
            "",
            "",
        ]
    return out


def make_patch(file_lines: list[str], chunks: int, pad: str = "") -> str:
    """`chunks` evenly spaced chunks, each replacing two lines with 3 lines of context;
    every other chunk also names its function in an `@@` header. `pad` is appended to the
    context lines (to force whitespace-tolerant matching)."""
    blocks = len(file_lines) // BLOCK
    step = max(1, blocks // chunks)
    body = ["*** Begin Patch", "*** Update File: big.py"]
    for k in range(chunks):
        i = k * step
        start = i * BLOCK
        header = f"@@ def function_{i}(value):" if k % 2 else "@@"
        body.append(header)
        body += [f" {line}{pad}" for line in file_lines[start + 1 : start + 4]]
        body += [f"-{line}" for line in file_lines[start + 4 : start + 6]]
        body += [f"+        total += item * {i % 7} + 1", f"+    if total >= {i}:"]
        body += [f" {line}{pad}" for line in file_lines[start + 6 : start + 9]]
    body.append("*** End Patch")
    return "\n".join(body) + "\n"


def median_ms(action: Callable[[], object], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), min(times)


def make_loose_patch(file_lines: list[str], chunks: int) -> str:
    """Chunks that start with blank lines (tens of thousands of candidates) and whose other
    lines have the wrong indentation: the worst case for the tolerant search."""
    blocks = len(file_lines) // BLOCK
    step = max(1, blocks // chunks)
    body = ["*** Begin Patch", "*** Update File: big.py"]
    for k in range(chunks):
        start = k * step * BLOCK + BLOCK - 2  # the two blank lines closing a function
        body += ["@@", " ", " ", "  " + file_lines[start + 2].strip()]
        body += ["- " + file_lines[start + 3].strip(), '+    """Docstring rewritten."""']
    body.append("*** End Patch")
    return "\n".join(body) + "\n"


def report(label: str, action: Callable[[], object], runs: int) -> None:
    print(f"  {label:<48} median {median_ms(action, runs)[0]:6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--chunks", type=int, default=50)
    args = parser.parse_args()
    runs: int = args.runs

    file_lines = make_file(args.lines)
    text = "\n".join(file_lines) + "\n"
    files = {CWD / "big.py": text}
    patch_text = make_patch(file_lines, args.chunks)

    def full() -> list[FileChange]:
        return compute_changes(patch_text, CWD, files.get)

    (change,) = full()  # warm up
    old = change.old_text or ""
    new = change.new_text or ""
    expected = text
    for k in range(args.chunks):
        i = k * max(1, (len(file_lines) // BLOCK) // args.chunks)
        expected = expected.replace(
            f"        total += item * {i % 7}\n    if total > {i}:\n",
            f"        total += item * {i % 7} + 1\n    if total >= {i}:\n",
            1,
        )
    print(
        f"file: {len(file_lines):,} lines, {len(text) / 1e6:.1f} MB; patch: {args.chunks} chunks, "
        f"{len(patch_text.splitlines())} lines; hunks: {len(change.hunks)}; "
        f"diff: {len(change.diff.splitlines())} lines; result "
        f"{'as expected' if new == expected else 'WRONG'}"
    )

    median, best = median_ms(full, runs)
    verdict = "PASS" if median <= TARGET_MS else "MISS"
    print(
        f"apply_patch (parse + compute_changes + diff): median {median:.1f} ms "
        f"(best {best:.1f} ms, {runs} runs), target <= {TARGET_MS:.0f} ms: {verdict}"
    )

    parsed = parse_patch(patch_text)
    report("parse only", lambda: parse_patch(patch_text), runs)
    report(
        "compute_changes of the parsed patch", lambda: compute_changes(parsed, CWD, files.get), runs
    )
    padded = make_patch(file_lines, args.chunks, pad="  ")
    report(
        "context with trailing spaces (tolerant matching)",
        lambda: compute_changes(padded, CWD, files.get),
        runs,
    )
    loose = make_loose_patch(file_lines, args.chunks)
    report(
        "blank first lines + wrong indentation (worst case)",
        lambda: compute_changes(loose, CWD, files.get),
        runs,
    )
    partial = apply_hunks(old, change.hunks[::2])
    edited = partial.replace("def function_5(value):", "def function_5(value, extra):")
    report("apply_hunks (all hunks)", lambda: apply_hunks(old, change.hunks), runs)
    report(
        "hunks_applied (half of the hunks applied)",
        lambda: hunks_applied(old, partial, change.hunks),
        runs,
    )
    report(
        "hunks_applied (also edited by hand: fallback)",
        lambda: hunks_applied(old, edited, change.hunks),
        runs,
    )
    detected = hunks_applied(old, partial, change.hunks)
    right = detected == [k % 2 == 0 for k in range(len(detected))]
    print(f"  hunks_applied result {'as expected' if right else 'WRONG'}")


if __name__ == "__main__":
    main()
