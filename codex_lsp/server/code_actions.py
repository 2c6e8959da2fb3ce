"""`textDocument/codeAction`: "Ask Codex to fix" per diagnostic, "Ask Codex to fix this" on
a range, "Ask Codex about selection".

All run `codex.ask` (see `commands.py`) with a text and a `document` input: for a
diagnostic the lines around it (so the model sees the code, not just the flagged word), for
a selection exactly the selected text. A review finding's diagnostic gets "Ask Codex to
fix: <title>", a turn on the review's thread that names the finding.

"Ask Codex to fix this" needs no diagnostic (Neovim sends a server only the diagnostics it
published itself): it is offered on any non-empty range, and on an empty one (a cursor)
when the user asked for code actions (`triggerKind: Invoked`, not the automatic requests
behind VS Code's light bulb) on a line that is not blank. Its text names the file, the
range and quotes the lines' text; its document input is the lines around them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from ..core.turns.user_input import uri_to_path
from .commands import ASK
from .diff_text import fence
from .review_diagnostics import is_review_diagnostic

if TYPE_CHECKING:
    from .app import CodexLanguageServer
    from .documents import Documents

FIX_TITLE = "Ask Codex to fix"
FIX_THIS_TITLE = "Ask Codex to fix this"
REVIEW_FIX_TITLE = "Ask Codex to fix: {title}"
SELECTION_TITLE = "Ask Codex about selection"
SELECTION_PROMPT = "Explain this code and point out any problems in it."
# Lines of code sent around a diagnostic.
CONTEXT_LINES = 20
# Lines of the range quoted in "Ask Codex to fix this".
QUOTED_LINES = 40
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


def fix_this_text(rng: lsp.Range, uri: str, lines: list[str] | None) -> str:
    """The request to fix the code in `rng`: where it is, and the text of its lines."""
    start, end = rng.start, rng.end
    last = end.line if end.character > 0 or end.line == start.line else end.line - 1
    path = uri_to_path(uri) if uri.startswith("file:") else uri
    if last == start.line:
        where = f"line {start.line + 1}"
        if end.line == start.line and end.character > start.character:
            where += f", columns {start.character + 1}-{end.character}"
    else:
        where = f"lines {start.line + 1}-{last + 1}"
    text = f"Fix the problem in this code: {where} of {path}."
    if lines is None or start.line >= len(lines):
        return text
    quoted = lines[start.line : min(last + 1, len(lines))]
    if len(quoted) > QUOTED_LINES:
        quoted = [*quoted[:QUOTED_LINES], f"... ({len(quoted) - QUOTED_LINES} more lines)"]
    body = "\n".join(quoted)
    marks = fence(body)
    label = "The line" if len(quoted) == 1 else "The lines"
    return f"{text}\n{label}:\n{marks}\n{body}\n{marks}"


def _fix_this_action(
    params: lsp.CodeActionParams, lines: list[str] | None
) -> lsp.CodeAction | None:
    """ "Ask Codex to fix this" for the request's range (see the module docstring)."""
    rng = params.range
    if (rng.start.line, rng.start.character) == (rng.end.line, rng.end.character):
        invoked = params.context.trigger_kind == lsp.CodeActionTriggerKind.Invoked
        line = rng.start.line
        if not invoked or lines is None or line >= len(lines) or not lines[line].strip():
            return None
        rng = lsp.Range(lsp.Position(line, 0), lsp.Position(line, len(lines[line])))
    uri = params.text_document.uri
    line_count = len(lines) if lines is not None else None
    arg = {
        "text": fix_this_text(rng, uri, lines),
        "uri": uri,
        "range": _with_context(rng, line_count),
    }
    return lsp.CodeAction(
        title=FIX_THIS_TITLE,
        kind=lsp.CodeActionKind.QuickFix,
        command=lsp.Command(title=FIX_THIS_TITLE, command=ASK, arguments=[arg]),
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


def code_actions(params: lsp.CodeActionParams, text: str | None) -> list[lsp.CodeAction]:
    """The actions for a request (pure: the document's text is given, None when the
    document is not open)."""
    uri = params.text_document.uri
    only = [str(k) for k in params.context.only] if params.context.only else None
    lines = text.splitlines() if text is not None else None
    line_count = len(lines) if lines is not None else None
    actions: list[lsp.CodeAction] = []
    if _wanted(lsp.CodeActionKind.QuickFix, only):
        actions += [_fix_action(d, uri, line_count) for d in params.context.diagnostics]
        fix_this = _fix_this_action(params, lines)
        if fix_this is not None:
            actions.append(fix_this)
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
        actions = code_actions(params, documents.text(params.text_document.uri))
        if not actions:
            return None
        if not _literal_support(server):
            # Clients without CodeAction literals take bare commands.
            return [a.command for a in actions if a.command is not None]
        return list(actions)
