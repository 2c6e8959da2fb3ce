"""`codex-lsp review`: a review turn (see `core/review/`) run in the terminal.

The reviewer's progress (reasoning, commands) and the rendered review go to stderr; stdout
gets the result: one `path:line: [P1] title` line per finding (most urgent first, then by
place), then the verdict line; or, with `--json`, one JSON object. When the reviewer did
not answer with review JSON, its text is printed instead (or `{"output": null, "review"}`).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import TextIO

from ..core.config.settings import SettingsError, ThreadRequest
from ..core.threads.errors import ThreadError
from ..core.threads.manager import ThreadManager
from ..protocol.items import ExitedReviewModeItem
from ..protocol.review import ReviewTarget
from ..protocol.review_output import ReviewFinding, ReviewOutput
from ..protocol.thread import Turn
from .render import TerminalRenderer
from .session import run_one_turn

# Exit codes (also in `codex-lsp review --help`).
CLEAN, BLOCKING, UNREVIEWABLE = 0, 1, 2
BLOCKING_PRIORITIES = (0, 1)


def _shown_path(path: str, cwd: str) -> str:
    """`path` relative to `cwd` when it is inside it (symbolic links resolved), else as is."""
    real, base = os.path.realpath(path), os.path.realpath(cwd)
    if real.startswith(base.rstrip(os.sep) + os.sep):
        return os.path.relpath(real, base)
    return path


def _sort_key(finding: ReviewFinding) -> tuple[int, str, int, int]:
    location = finding.code_location
    lines = location.line_range
    return (finding.priority, location.absolute_file_path, lines.start, lines.end)


def finding_lines(output: ReviewOutput, cwd: str) -> list[str]:
    """One `path:start: [P1] title` line per finding (a clickable place in terminals and
    editors' error formats), with `(lines start-end)` after the title for a range."""
    lines = []
    for finding in sorted(output.findings, key=_sort_key):
        location = finding.code_location
        span = location.line_range
        where = f"{_shown_path(location.absolute_file_path, cwd)}:{span.start}:"
        extent = f" (lines {span.start}-{span.end})" if span.end != span.start else ""
        lines.append(f"{where} [P{finding.priority}] {finding.title}{extent}")
    return lines


def verdict_line(output: ReviewOutput) -> str:
    """`verdict: <correctness> (<n> findings, confidence <c>): <explanation>` on one line."""
    count = len(output.findings)
    noun = "finding" if count == 1 else "findings"
    line = (
        f"verdict: {output.overall_correctness or 'none given'} "
        f"({count} {noun}, confidence {output.overall_confidence_score:.2f})"
    )
    explanation = " ".join(output.overall_explanation.split())
    return f"{line}: {explanation}" if explanation else line


def review_json(exited: ExitedReviewModeItem) -> str:
    """The `--json` object: the `ReviewOutput` in wire form plus `review` (the rendered
    text), or `{"output": null, "review": <the answer>}`."""
    if exited.output is None:
        return json.dumps({"output": None, "review": exited.review})
    return json.dumps({**exited.output.wire(), "review": exited.review})


def exit_code(output: ReviewOutput | None) -> int:
    """1 when any finding is P0 or P1, else 0."""
    if output is not None and any(f.priority in BLOCKING_PRIORITIES for f in output.findings):
        return BLOCKING
    return CLEAN


def print_result(
    exited: ExitedReviewModeItem, cwd: str, *, json_mode: bool, out: TextIO, err: TextIO
) -> None:
    """The review's result on `out` (the rendered review, when it is not the result
    itself, on `err`)."""
    if json_mode:
        out.write(review_json(exited) + "\n")
    elif exited.output is None:
        out.write(exited.review.rstrip("\n") + "\n")
    else:
        err.write("\n" + exited.review.rstrip("\n") + "\n\n")
        err.flush()
        out.write("".join(f"{line}\n" for line in finding_lines(exited.output, cwd)))
        out.write(verdict_line(exited.output) + "\n")
    out.flush()


def _exited(turn: Turn) -> ExitedReviewModeItem | None:
    items = [item for item in turn.items if isinstance(item, ExitedReviewModeItem)]
    return items[-1] if items else None


def review(
    target: ReviewTarget,
    *,
    home: Path,
    json_mode: bool = False,
    model: str | None = None,
    provider: str | None = None,
    cwd: str | None = None,
) -> int:
    """Review `target` in `cwd` (default: the current directory); returns the exit code:
    0 no P0/P1 finding (or a plain-text answer), 1 a P0/P1 finding or the review failed or
    was interrupted (as `exec`), 2 the target cannot be reviewed or the settings are bad.
    `model` is the reviewer's model: it wins over `review_model`."""
    directory = os.path.abspath(cwd or os.getcwd())
    if not os.path.isdir(directory):
        print(f"error: {directory} is not a directory", file=sys.stderr)
        return UNREVIEWABLE
    return asyncio.run(run_review(target, home, directory, json_mode, model, provider))


async def run_review(
    target: ReviewTarget,
    home: Path,
    directory: str,
    json_mode: bool,
    model: str | None,
    provider: str | None,
) -> int:
    """The review turn in `directory` (an existing absolute path); see `review`."""
    # `review_model` as a per-thread config override, so `-m` wins over config.toml's.
    overrides = {"review_model": model} if model else None
    request = ThreadRequest(model=model, model_provider=provider, cwd=directory, config=overrides)

    async def start(manager: ThreadManager, request: ThreadRequest) -> tuple[Turn, str]:
        # The thread starts only if the target can be reviewed.
        return await manager.start_review(request, target, detached=False)

    render = TerminalRenderer(out=sys.stderr, err=sys.stderr)
    try:
        turn = await run_one_turn(home, render, request, start)
    except (SettingsError, ThreadError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return UNREVIEWABLE
    exited = _exited(turn)
    if turn.status != "completed" or exited is None:
        return BLOCKING
    print_result(exited, directory, json_mode=json_mode, out=sys.stdout, err=sys.stderr)
    return exit_code(exited.output)
