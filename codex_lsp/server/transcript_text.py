"""A thread's turns as Markdown, for the transcript document of clients without the Codex
UI (see `transcripts.py`). Pure functions of the wire items.

One turn reads:

    ## Turn 2 · 14:03:05

    ### You

    please run the tests

    ### Codex

    > Checking how the tests run.

    **Ran** `pytest -q` · exit 1 · 2.1 s
    ```text
    (how the output starts and ends)
    ```

    **Edited** `src/app.py` · 1 hunk, +1 -1
    ```diff
    (the diff, bounded)
    ```

    The answer, as the model wrote it.

    _Turn completed · 12.4 s_
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..core.turns.user_input import uri_to_path
from ..protocol.items import (
    AgentMessageItem,
    CommandExecutionItem,
    ContextCompactionItem,
    EnteredReviewModeItem,
    ExitedReviewModeItem,
    FileChangeItem,
    McpToolCallItem,
    ReasoningItem,
    ThreadItem,
    UserMessageItem,
    WebSearchItem,
)
from ..protocol.thread import Turn
from ..protocol.user_input import UserInput
from .diff_text import ChangeView, code_span, diff_stats, display_path, excerpt_lines, fence

# Lines of a command's output, and of each file's diff, a transcript shows.
OUTPUT_LINES = 20
DIFF_LINES = 40

_COMMAND_VERBS = {
    "inProgress": "Running",
    "completed": "Ran",
    "failed": "Failed",
    "declined": "Declined",
}


def header(thread_id: str, cwd: str | None) -> str:
    """The first lines of a thread's transcript."""
    folder = f"Folder: {code_span(cwd)}. " if cwd else ""
    return (
        f"# Codex thread {thread_id}\n\n"
        f"{folder}Written by codex-lsp as the turns run: what you asked, what the agent "
        "ran and changed, and its answers.\n"
    )


def turn_heading(number: int, started: float | None) -> str:
    """`## Turn N · HH:MM:SS` (local time; without it when not known)."""
    if started is None:
        return f"## Turn {number}"
    return f"## Turn {number} · {time.strftime('%H:%M:%S', time.localtime(started))}"


def _block(lines: Sequence[str], info: str) -> str:
    body = "\n".join(lines)
    marks = fence(body)
    return f"{marks}{info}\n{body}\n{marks}"


def _duration(ms: float | None) -> str:
    if ms is None:
        return ""
    return f" · {ms:.0f} ms" if ms < 1000 else f" · {ms / 1000:.1f} s"


def user_inputs(content: Iterable[UserInput], cwd: str | None) -> str:
    """What the user sent: their text, then the documents, files and images attached."""
    texts: list[str] = []
    attached: list[str] = []
    for part in content:
        if part.type == "text":
            texts.append(part.text)
        elif part.type == "document":
            where = uri_to_path(part.uri) if part.uri.startswith("file:") else part.uri
            lines = ""
            if part.range is not None:
                first, last = part.range.start.line + 1, part.range.end.line + 1
                lines = f" (line {first})" if first == last else f" (lines {first}-{last})"
            attached.append(f"document {code_span(display_path(where, cwd))}{lines}")
        elif part.type == "mention":
            attached.append(f"@{part.name} ({code_span(display_path(part.path, cwd))})")
        elif part.type == "localImage":
            attached.append(f"image {code_span(display_path(part.path, cwd))}")
        else:
            attached.append("an image")
    text = "\n\n".join(t.strip() for t in texts if t.strip())
    if attached:
        text += ("\n\n" if text else "") + "_Attached: " + ", ".join(attached) + "_"
    return text


def _command(item: CommandExecutionItem) -> str:
    verb = _COMMAND_VERBS.get(item.status, item.status)
    line = f"**{verb}** {code_span(item.command)}"
    if item.source == "userShell":
        line = f"**You ran** {code_span(item.command)}"
    if item.exit_code is not None:
        line += f" · exit {item.exit_code}"
    line += _duration(item.duration_ms)
    output = (item.aggregated_output or "").rstrip("\n")
    if not output.strip():
        return line
    return f"{line}\n{_block(excerpt_lines(output.splitlines(), OUTPUT_LINES), 'text')}"


def _file_change(item: FileChangeItem, cwd: str | None) -> str:
    parts = []
    for change in item.changes:
        view = ChangeView.of(change, cwd)
        stats = diff_stats(change.diff)
        verb = view.verb()
        if item.status == "declined":
            verb = f"Declined ({verb.lower()})"
        elif item.status == "inProgress":
            verb = f"Proposed ({verb.lower()})"
        elif item.status == "failed":
            verb = f"Failed ({verb.lower()})"
        line = f"**{verb}** {code_span(view.label())} · {stats.summary()}"
        diff = change.diff.rstrip("\n").splitlines()
        if diff:
            shown = diff if len(diff) <= DIFF_LINES else diff[: DIFF_LINES - 1]
            if len(shown) < len(diff):
                shown = [*shown, f"… {len(diff) - len(shown)} more lines"]
            line += "\n" + _block(shown, "diff")
        parts.append(line)
    if not parts:
        return f"**File change** · {item.status}"
    return "\n\n".join(parts)


def _mcp(item: McpToolCallItem) -> str:
    line = f"**Tool** {code_span(f'{item.server}/{item.tool}')} · {item.status}"
    line += _duration(item.duration_ms)
    if item.error is not None:
        line += f": {item.error.message}"
    return line


def item_text(item: ThreadItem, cwd: str | None) -> str:
    """One item as Markdown ("" for what a transcript does not show)."""
    if isinstance(item, AgentMessageItem):
        return item.text.strip()
    if isinstance(item, ReasoningItem):
        summary = "\n\n".join(s.strip() for s in item.summary if s.strip())
        return "\n".join(f"> {line}" if line else ">" for line in summary.splitlines())
    if isinstance(item, CommandExecutionItem):
        return _command(item)
    if isinstance(item, FileChangeItem):
        return _file_change(item, cwd)
    if isinstance(item, McpToolCallItem):
        return _mcp(item)
    if isinstance(item, WebSearchItem):
        return f"**Searched the web:** {item.query}"
    if isinstance(item, ContextCompactionItem):
        return "_The conversation so far was compacted into a summary._"
    if isinstance(item, EnteredReviewModeItem):
        return f"**Review:** {item.review}"
    if isinstance(item, ExitedReviewModeItem):
        return item.review.strip()
    if isinstance(item, UserMessageItem):
        return f"**You (while the turn ran):** {user_inputs(item.content, cwd)}"
    return ""


def turn_end(status: str, seconds: float | None, error: str | None) -> str:
    """The turn's closing line."""
    took = f" · {seconds:.1f} s" if seconds is not None else ""
    if status == "completed":
        return f"_Turn completed{took}_"
    if status == "failed":
        return f"_Turn failed{took}: {error or 'unknown error'}_"
    return f"_Turn {status}{took}_"


def turn_text(
    number: int,
    started: float | None,
    items: Iterable[ThreadItem],
    cwd: str | None,
    *,
    errors: Sequence[str] = (),
    end: str | None = None,
) -> str:
    """A turn as Markdown: heading, the user's message, then what the agent did and said
    (in the order it happened), errors, and the closing line once it ended."""
    out = [turn_heading(number, started)]
    agent: list[str] = []
    asked = False
    for item in items:
        if isinstance(item, UserMessageItem) and not asked:
            asked = True
            out += ["### You", user_inputs(item.content, cwd) or "_(nothing)_"]
            continue
        text = item_text(item, cwd)
        if text:
            agent.append(text)
    agent += [f"**Error:** {message}" for message in errors]
    out.append("### Codex")
    if end is None and not agent:
        agent = ["_…_"]  # still running
    out += agent
    if end is not None:
        out.append(end)
    return "\n\n".join(out) + "\n"


def finished_turn_text(number: int, started: float | None, turn: Turn, cwd: str | None) -> str:
    """A turn that ended, from its final state (as a resumed thread's turns are kept)."""
    error = turn.error.message if turn.error is not None else None
    end = turn_end(turn.status, None, error)
    return turn_text(number, started, turn.items, cwd, end=end)


def first_line(text: str, limit: int = 100) -> str:
    """The first non-blank line of `text`, cut at `limit` characters."""
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
    return ""


def transcript_name(thread_id: str) -> str:
    """The transcript's file name."""
    return f"{Path(thread_id).name}.md"
