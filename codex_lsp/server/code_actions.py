"""`textDocument/codeAction`: "Ask Codex to fix" per diagnostic, "Ask Codex about selection".

Both run `codex.ask` (see `commands.py`) with a text and a `document` input: for a
diagnostic the lines around it (so the model sees the code, not just the flagged word), for
a selection exactly the selected text. A review finding's diagnostic gets "Ask Codex to
fix: <title>", a turn on the review's thread that names the finding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from ..core.turns.user_input import uri_to_path
from .commands import ASK
from .review_diagnostics import is_review_diagnostic

if TYPE_CHECKING:
    from .app import CodexLanguageServer
    from .documents import Documents

FIX_TITLE = "Ask Codex to fix"
REVIEW_FIX_TITLE = "Ask Codex to fix: {title}"
SELECTION_TITLE = "Ask Codex about selection"
SELECTION_PROMPT = "Explain this code and point out any problems in it."
# Lines of code sent around a diagnostic.
CONTEXT_LINES = 20
KINDS = [lsp.CodeActionKind.QuickFix, lsp.CodeActionKind.RefactorRewrite]


def fix_text(diagnostic: lsp.Diagnostic) -> str:
    """`Fix this problem: <message> (source, code)` and where it is."""
    origin = ", ".join(
        str(part) for part in (diagnostic.source, diagnostic.code) if part not in (None, "")
    )
    message = " ".join(diagnostic.message.split())
    text = f"Fix this problem: {message}" + (f" ({origin})" if origin else "")
    start = diagnostic.range.start
    return f"{text}\nIt is at line {start.line + 1}, column {start.character + 1}."


def review_fix_text(diagnostic: lsp.Diagnostic, uri: str) -> str:
    """The request to fix one review finding: its priority, title, body and lines."""
    title, _, body = diagnostic.message.partition("\n\n")
    rng = diagnostic.range
    first = rng.start.line + 1
    last = max(rng.end.line + (1 if rng.end.character > 0 else 0), first)
    lines = f"line {first}" if first == last else f"lines {first}-{last}"
    path = uri_to_path(uri) if uri.startswith("file:") else uri
    text = f"Fix this finding of the code review ({diagnostic.code}): {title}"
    if body.strip():
        text += f"\n\n{body.strip()}"
    return f"{text}\n\nIt is at {lines} of {path}."


def _fix_action(diagnostic: lsp.Diagnostic, uri: str, line_count: int | None) -> lsp.CodeAction:
    arg: dict[str, Any] = {"uri": uri, "range": _with_context(diagnostic.range, line_count)}
    title = FIX_TITLE
    if is_review_diagnostic(diagnostic) and isinstance(diagnostic.data, dict):
        finding = diagnostic.message.partition("\n\n")[0]
        title = REVIEW_FIX_TITLE.format(title=finding)
        arg["text"] = review_fix_text(diagnostic, uri)
        arg["threadId"] = diagnostic.data["threadId"]
    else:
        arg["text"] = fix_text(diagnostic)
    return lsp.CodeAction(
        title=title,
        kind=lsp.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        is_preferred=True if "threadId" in arg else None,
        command=lsp.Command(title=title, command=ASK, arguments=[arg]),
    )


def _with_context(rng: lsp.Range, line_count: int | None) -> dict[str, Any]:
    """Whole lines around `rng`, as a wire range."""
    first = max(rng.start.line - CONTEXT_LINES, 0)
    last = rng.end.line + CONTEXT_LINES + 1
    if line_count is not None:
        last = min(last, line_count)
    return {"start": {"line": first, "character": 0}, "end": {"line": last, "character": 0}}


def _wire_range(rng: lsp.Range) -> dict[str, Any]:
    return {
        "start": {"line": rng.start.line, "character": rng.start.character},
        "end": {"line": rng.end.line, "character": rng.end.character},
    }


def _wanted(kind: str, only: list[str] | None) -> bool:
    return not only or any(kind == k or kind.startswith(f"{k}.") for k in only)


def code_actions(params: lsp.CodeActionParams, line_count: int | None) -> list[lsp.CodeAction]:
    """The actions for a request (pure: the document's line count is given)."""
    uri = params.text_document.uri
    only = [str(k) for k in params.context.only] if params.context.only else None
    actions: list[lsp.CodeAction] = []
    if _wanted(lsp.CodeActionKind.QuickFix, only):
        actions += [_fix_action(d, uri, line_count) for d in params.context.diagnostics]
    rng = params.range
    selected = (rng.start.line, rng.start.character) != (rng.end.line, rng.end.character)
    if selected and _wanted(lsp.CodeActionKind.RefactorRewrite, only):
        arg = {"text": SELECTION_PROMPT, "uri": uri, "range": _wire_range(rng)}
        actions.append(
            lsp.CodeAction(
                title=SELECTION_TITLE,
                kind=lsp.CodeActionKind.RefactorRewrite,
                command=lsp.Command(title=SELECTION_TITLE, command=ASK, arguments=[arg]),
            )
        )
    return actions


def _literal_support(server: CodexLanguageServer) -> bool:
    caps = server.protocol.client_capabilities
    text = caps.text_document if caps is not None else None
    action = text.code_action if text is not None else None
    return bool(action is not None and action.code_action_literal_support is not None)


def register_code_actions(server: CodexLanguageServer, documents: Documents) -> None:
    """Serve `textDocument/codeAction` (kinds `quickfix` and `refactor.rewrite`)."""

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION, lsp.CodeActionOptions(code_action_kinds=KINDS))
    def code_action(
        params: lsp.CodeActionParams,
    ) -> list[lsp.CodeAction | lsp.Command] | None:
        text = documents.text(params.text_document.uri)
        line_count = len(text.splitlines()) if text is not None else None
        actions = code_actions(params, line_count)
        if not actions:
            return None
        if not _literal_support(server):
            # Clients without CodeAction literals take bare commands.
            return [a.command for a in actions if a.command is not None]
        return list(actions)
