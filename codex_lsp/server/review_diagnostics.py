"""Review findings as diagnostics, where editors show problems (Problems panel, quickfix).

When a review's `exitedReviewMode` item completes, its findings are published per file:
one diagnostic per finding over its whole lines, severity by priority (P0-P1 Error, P2
Warning, P3 Information), `source: "codex review"`, `code: "P<n>"`, and `data` naming the
thread, turn and finding. A later review of the same thread replaces that thread's
diagnostics (also when it found nothing, or answered in plain text); `codex.clearReview`
clears them. Files flagged by several threads' reviews show all of them. A resumed thread
(after a restart of the editor or the server) shows its last review's findings again, unless
another loaded thread already shows that same review (a fork).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types as lsp

from ..core import events as ev
from ..protocol.items import ExitedReviewModeItem
from ..protocol.review_output import ReviewFinding, ReviewOutput

if TYPE_CHECKING:
    from .app import CodexLanguageServer
    from .documents import Documents

log = logging.getLogger(__name__)

SOURCE = "codex review"
# Files larger than this are not read to find where a finding's last line ends.
_MAX_READ = 4 * 1024 * 1024
_SEVERITY = {
    0: lsp.DiagnosticSeverity.Error,
    1: lsp.DiagnosticSeverity.Error,
    2: lsp.DiagnosticSeverity.Warning,
    3: lsp.DiagnosticSeverity.Information,
}


def finding_range(finding: ReviewFinding, text: str | None) -> lsp.Range:
    """The finding's whole lines: from the start of its first line to the end of its last
    (the start of the next line when the text is not known)."""
    lines = finding.code_location.line_range
    start = lsp.Position(line=lines.start - 1, character=0)
    if text is not None:
        all_lines = text.splitlines()
        if lines.end - 1 < len(all_lines):
            return lsp.Range(start, lsp.Position(lines.end - 1, len(all_lines[lines.end - 1])))
    return lsp.Range(start, lsp.Position(line=lines.end, character=0))


def finding_diagnostic(
    finding: ReviewFinding, index: int, thread_id: str, turn_id: str, text: str | None
) -> lsp.Diagnostic:
    """The diagnostic of one finding (see the module docstring)."""
    message = finding.title if not finding.body else f"{finding.title}\n\n{finding.body}"
    return lsp.Diagnostic(
        range=finding_range(finding, text),
        message=message,
        severity=_SEVERITY[finding.priority],
        code=f"P{finding.priority}",
        source=SOURCE,
        data={"threadId": thread_id, "turnId": turn_id, "findingIndex": index},
    )


def is_review_diagnostic(diagnostic: lsp.Diagnostic) -> bool:
    """A diagnostic this server published for a review finding."""
    data = diagnostic.data
    return (
        diagnostic.source == SOURCE
        and isinstance(data, dict)
        and isinstance(data.get("threadId"), str)
    )


class ReviewDiagnostics:
    """The review diagnostics of one editor connection, by thread and file."""

    def __init__(self, server: CodexLanguageServer, documents: Documents) -> None:
        self.server = server
        self.documents = documents
        self._by_thread: dict[str, dict[str, list[lsp.Diagnostic]]] = {}

    def on_event(self, event: ev.CoreEvent) -> None:
        """Notifier listener: publish a finished review's findings."""
        if isinstance(event, ev.ItemCompleted) and isinstance(event.item, ExitedReviewModeItem):
            self.publish(event.thread_id, event.turn_id, event.item.output)
        elif isinstance(event, ev.ThreadStarted) and event.thread.id not in self._by_thread:
            self._restore(event.thread.id)

    def _restore(self, thread_id: str) -> None:
        """Publish the findings of the thread's last review, if it has one."""
        loaded = self.server.session.manager.loaded.get(thread_id)
        if loaded is None:
            return
        for turn in reversed(loaded.turns):
            for item in reversed(turn.items):
                if not isinstance(item, ExitedReviewModeItem):
                    continue
                if item.output is not None and item.output.findings and not self._shows(turn.id):
                    self.publish(thread_id, turn.id, item.output)
                return

    def _shows(self, turn_id: str) -> bool:
        """Are the findings of the review turn `turn_id` published (for any thread)?"""
        return any(
            isinstance(d.data, dict) and d.data.get("turnId") == turn_id
            for files in self._by_thread.values()
            for diagnostics in files.values()
            for d in diagnostics
        )

    def _text(self, path: str) -> str | None:
        uri = Path(path).as_uri()
        text = self.documents.text(uri)
        if text is not None:
            return text
        try:
            file = Path(path)
            if file.stat().st_size > _MAX_READ:
                return None
            return file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None

    def publish(self, thread_id: str, turn_id: str, output: ReviewOutput | None) -> None:
        """Replace the thread's review diagnostics with those of `output`."""
        by_uri: dict[str, list[lsp.Diagnostic]] = defaultdict(list)
        texts: dict[str, str | None] = {}
        for index, finding in enumerate(output.findings if output is not None else []):
            path = finding.code_location.absolute_file_path
            if path not in texts:
                texts[path] = self._text(path)
            diagnostic = finding_diagnostic(finding, index, thread_id, turn_id, texts[path])
            by_uri[Path(path).as_uri()].append(diagnostic)
        old = self._by_thread.pop(thread_id, {})
        if by_uri:
            self._by_thread[thread_id] = dict(by_uri)
        for uri in sorted(old.keys() | by_uri.keys()):
            self._send(uri)

    def clear(self, thread_id: str | None) -> int:
        """Clear one thread's review diagnostics (all threads' with None); how many went."""
        threads = [thread_id] if thread_id is not None else list(self._by_thread)
        uris: set[str] = set()
        count = 0
        for key in threads:
            removed = self._by_thread.pop(key, {})
            uris |= removed.keys()
            count += sum(len(d) for d in removed.values())
        for uri in sorted(uris):
            self._send(uri)
        return count

    def _send(self, uri: str) -> None:
        diagnostics = [d for files in self._by_thread.values() for d in files.get(uri, [])]
        params = lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics)
        self.server.text_document_publish_diagnostics(params)
