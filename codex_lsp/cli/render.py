"""Render a turn's events in a terminal (`codex-lsp exec`, `codex-lsp review`), or as JSON
lines (`exec --json`)."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from ..core import events as ev
from ..protocol.items import (
    AgentMessageItem,
    CommandExecutionItem,
    EnteredReviewModeItem,
    FileChangeItem,
    McpToolCallItem,
    ReasoningItem,
    WebSearchItem,
)
from ..server.diff_text import ChangeView, diff_stats, excerpt_lines
from ..server.notifications import to_notification

DIM, BOLD, RED, RESET = "\x1b[2m", "\x1b[1m", "\x1b[31m", "\x1b[0m"
# Lines of a command's output shown (its start and its end), and their widest.
OUTPUT_LINES = 6
OUTPUT_WIDTH = 200


class JsonRenderer:
    """One JSON line per notification, exactly as an LSP client would receive it."""

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = out

    def __call__(self, event: ev.CoreEvent) -> None:
        method, params = to_notification(event)
        self.out.write(json.dumps({"method": method, "params": params}) + "\n")
        self.out.flush()


class TerminalRenderer:
    """Reasoning dimmed, the answer streamed as it is written, commands as `$ command` then
    the start and end of their output and their exit code, changed files with their +/-
    line counts, the start of a review, errors in red on stderr."""

    def __init__(self, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> None:
        self.out = out
        self.err = err
        self.color = out.isatty()
        self._line_open = False
        # Paths are shown relative to the thread's folder.
        self.cwd: str | None = None

    def _style(self, code: str, text: str) -> str:
        return f"{code}{text}{RESET}" if self.color else text

    def _write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()
        self._line_open = not text.endswith("\n")

    def _newline(self) -> None:
        if self._line_open:
            self._write("\n")

    def _command_end(self, item: CommandExecutionItem) -> None:
        self._newline()
        output = (item.aggregated_output or "").rstrip("\n")
        lines = excerpt_lines(output.splitlines(), OUTPUT_LINES) if output.strip() else []
        for line in lines:
            cut = line if len(line) <= OUTPUT_WIDTH else line[: OUTPUT_WIDTH - 1] + "…"
            self._write(self._style(DIM, f"  {cut}") + "\n")
        if item.status == "declined":
            note = "declined"
        elif item.exit_code is not None:
            note = f"exit code {item.exit_code}"
        else:
            note = item.status
        failed = item.status == "failed" or item.exit_code not in (0, None)
        self._write(self._style(RED if failed else DIM, f"  [{note}]") + "\n")

    def _file_change_end(self, item: FileChangeItem) -> None:
        self._newline()
        for change in item.changes:
            view = ChangeView.of(change, self.cwd)
            what = f"{view.verb().lower()} {view.label()} ({diff_stats(change.diff).counts()})"
            if item.status == "completed":
                self._write(self._style(BOLD, what) + "\n")
            else:
                self._write(self._style(DIM, f"{what} [{item.status}]") + "\n")

    def _tool_end(self, item: McpToolCallItem) -> None:
        self._newline()
        error = f": {item.error.message}" if item.error is not None else ""
        self._write(self._style(DIM, f"tool {item.server}/{item.tool} [{item.status}]{error}"))
        self._write("\n")

    def __call__(self, event: ev.CoreEvent) -> None:
        if isinstance(event, ev.ThreadStarted):
            self.cwd = event.thread.cwd
        elif isinstance(event, ev.AgentMessageDelta):
            self._write(event.delta)
        elif isinstance(event, ev.ReasoningSummaryTextDelta | ev.ReasoningTextDelta):
            self._write(self._style(DIM, event.delta))
        elif isinstance(event, ev.ReasoningSummaryPartAdded) and event.summary_index > 0:
            self._write("\n")
        elif isinstance(event, ev.ItemStarted):
            if isinstance(event.item, ReasoningItem):
                self._newline()
                self._write(self._style(DIM, "thinking: "))
            elif isinstance(event.item, AgentMessageItem):
                self._newline()
                self._write(self._style(BOLD, "codex: "))
            elif isinstance(event.item, CommandExecutionItem):
                self._newline()
                self._write(self._style(DIM, f"$ {event.item.command}") + "\n")
            elif isinstance(event.item, EnteredReviewModeItem):
                self._newline()
                self._write(self._style(BOLD, f"reviewing {event.item.review}") + "\n")
        elif isinstance(event, ev.ItemCompleted):
            if isinstance(event.item, ReasoningItem | AgentMessageItem):
                self._newline()
            elif isinstance(event.item, CommandExecutionItem):
                self._command_end(event.item)
            elif isinstance(event.item, FileChangeItem):
                self._file_change_end(event.item)
            elif isinstance(event.item, McpToolCallItem):
                self._tool_end(event.item)
            elif isinstance(event.item, WebSearchItem):
                self._newline()
                self._write(self._style(DIM, f"searched the web: {event.item.query}") + "\n")
        elif isinstance(event, ev.TurnError):
            self._newline()
            label = "retrying" if event.will_retry else "error"
            self.err.write(self._style(RED, f"[{label}] {event.error.message}") + "\n")
            self.err.flush()
        elif isinstance(event, ev.TokenUsageUpdated):
            usage = event.usage
            window = f" of {usage.model_context_window:,}" if usage.model_context_window else ""
            self.err.write(
                self._style(
                    DIM,
                    f"[tokens] {usage.last.total_tokens:,}{window} in context, "
                    f"{usage.total.total_tokens:,} this thread",
                )
                + "\n"
            )
            self.err.flush()
        elif isinstance(event, ev.TurnCompleted) and event.turn.status != "completed":
            self._newline()
            self.err.write(self._style(RED, f"[turn {event.turn.status}]") + "\n")
            self.err.flush()
