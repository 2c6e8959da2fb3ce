"""Approvals over LSP, by client capability (PROTOCOL.md, "Server -> client requests").

- A client declaring `experimental.codex.approvals` answers the custom
  `codex/item/*/requestApproval` requests; accepted file changes then land through
  `workspace/applyEdit` without confirmation annotations (into the editor's buffers and
  undo history), or on disk when the client cannot apply edits.
- Any other client gets `window/showMessageRequest` for commands and `workspace/applyEdit`
  with one annotated `TextEdit` per hunk (`needsConfirmation`) for file changes.

Every answered or abandoned request is followed by `codex/serverRequest/resolved`.

Command approvals carry the model's risk assessment when `config.toml` has
`experimental_sandbox_command_assessment = true` (the thread's model, asked separately), and
the remembered rule that would spare the question next time; a plain client sees both in
the message and as the action `Run and always allow "<prefix>"`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ..core.approvals.gate import ChangeOutcome, ChangeRequest
from ..core.approvals.risk import risk_line
from ..core.text import FileChange
from ..core.tools.file_changes import wire_changes
from ..protocol.approvals import (
    AcceptWithExecpolicyAmendment,
    ApprovalResult,
    CommandApprovalParams,
    Decision,
    FileChangeApprovalParams,
    amendment_answer,
)
from ..protocol.enums import ApprovalDecision
from .diff_text import ChangeView, change_prompt

if TYPE_CHECKING:
    from lsprotocol import types as lsp

    from ..core.tools.apply_patch import ApplyPatchError
    from .app import CodexLanguageServer
    from .documents import Documents
    from .edits import EditPlan

log = logging.getLogger(__name__)

RUN, RUN_ALWAYS, DECLINE, STOP = "Run", "Run and don't ask again", "Decline", "Stop turn"
_TITLES: dict[str, ApprovalDecision] = {
    RUN: "accept",
    RUN_ALWAYS: "acceptForSession",
    DECLINE: "decline",
    STOP: "cancel",
}
APPLY, APPLY_ALWAYS = "Apply", "Apply and don't ask again"
_CHANGE_TITLES: dict[str, ApprovalDecision] = {
    APPLY: "accept",
    APPLY_ALWAYS: "acceptForSession",
    DECLINE: "decline",
    STOP: "cancel",
}


class LspApprovals:
    """The approval transport of one editor connection."""

    def __init__(self, server: CodexLanguageServer) -> None:
        self.server = server
        self._ids = itertools.count(1)

    # ---- plumbing --------------------------------------------------------------------

    def _custom_approvals(self) -> bool:
        return self.server.session.client_caps.approvals

    def _workspace_caps(self) -> lsp.WorkspaceClientCapabilities | None:
        caps = self.server.protocol.client_capabilities
        return caps.workspace if caps is not None else None

    async def _request(self, thread_id: str, method: str, params: Any) -> Any:
        """Send a request to the client; always followed by `serverRequest/resolved`."""
        request_id = f"codex-approval-{next(self._ids)}"
        protocol = self.server.protocol
        try:
            return await protocol.send_request_async(method, params, msg_id=request_id)
        except asyncio.CancelledError:
            # Abandoned (the turn was interrupted): let the client drop its prompt.
            from lsprotocol import types as lsp

            protocol.notify(lsp.CANCEL_REQUEST, lsp.CancelParams(id=request_id))
            raise
        finally:
            self.server.notifier.send(
                "codex/serverRequest/resolved", {"threadId": thread_id, "requestId": request_id}
            )

    async def _ask_by_message(
        self, thread_id: str, message: str, titles: Mapping[str, Decision]
    ) -> Decision:
        # lsprotocol is imported where it is used: `codex-lsp exec` imports this module
        # (its terminal prompts share `amendment` and `risk_line`) and never loads it.
        from lsprotocol import types as lsp

        params = lsp.ShowMessageRequestParams(
            type=lsp.MessageType.Warning,
            message=message,
            actions=[lsp.MessageActionItem(title=t) for t in titles],
        )
        result = await self._request(thread_id, lsp.WINDOW_SHOW_MESSAGE_REQUEST, params)
        title = getattr(result, "title", None)
        # A dismissed prompt is a decline.
        return titles.get(title, "decline") if isinstance(title, str) else "decline"

    # ---- commands --------------------------------------------------------------------

    async def ask_command(self, params: CommandApprovalParams) -> Decision:
        """Ask whether to run a command."""
        if self._custom_approvals():
            method = "codex/item/commandExecution/requestApproval"
            raw = await self._request(params.thread_id, method, params.wire())
            return _decision(raw)
        titles: dict[str, Decision] = dict(_TITLES)
        prefix = params.proposed_execpolicy_amendment
        if prefix:
            titles[always_allow_title(prefix)] = amendment_answer(prefix)
        message = command_prompt(params)
        return await self._ask_by_message(params.thread_id, message, titles)

    # ---- file changes ----------------------------------------------------------------

    async def apply_changes(self, request: ChangeRequest) -> ChangeOutcome:
        """Confirm (if needed) and land file changes in the editor or on disk."""
        from lsprotocol import types as lsp

        from ..core.tools.apply_patch import ApplyPatchError
        from .edits import (
            await_landing,
            before_sending,
            land_on_disk,
            observe_applied,
            workspace_edit,
        )

        ws = self._workspace_caps()
        can_apply = bool(ws is not None and ws.apply_edit)
        edit_caps = ws.workspace_edit if ws is not None else None
        # Clients that ignore change annotations (Neovim) cannot confirm inside the edit.
        can_confirm = bool(
            edit_caps is not None
            and edit_caps.document_changes
            and edit_caps.change_annotation_support is not None
        )
        confirm_in_edit = request.needs_confirmation
        decision: ApprovalDecision = "accept"
        if request.needs_confirmation and (
            self._custom_approvals() or not can_apply or not can_confirm
        ):
            decision = await self._confirm_separately(request)
            if decision in ("decline", "cancel"):
                return ChangeOutcome(decision)
            confirm_in_edit = False
        if not can_apply:
            return land_on_disk(request.changes, decision)
        documents = self.server.documents
        try:
            # The user may have typed while being asked: compute against what they see now.
            changes = _current(request, documents)
        except ApplyPatchError as exc:
            return ChangeOutcome("decline", error=_no_longer_applies(exc))
        for attempt in (1, 2):
            plan: EditPlan = workspace_edit(
                self.server,
                changes,
                confirm=confirm_in_edit,
                label=_label(request),
                reason=request.reason,
            )
            sent = _open_versions(changes, documents)
            before = before_sending(self.server, changes)
            params = lsp.ApplyWorkspaceEditParams(edit=plan.edit, label=_label(request))
            result = await self._request(request.thread_id, lsp.WORKSPACE_APPLY_EDIT, params)
            if bool(getattr(result, "applied", False)):
                # Read back what landed once the client synced it (bounded; what never
                # shows is trusted as applied), then make the disk hold what the user
                # approved before any tool or command runs.
                trusted = await await_landing(self.server, changes, plan, before)
                outcome = observe_applied(self.server, changes, plan, decision, trusted)
                documents.save_approved(outcome.applied)
                return outcome
            reason = getattr(result, "failure_reason", None)
            stale = _stale(reason, sent, documents, by_version=not confirm_in_edit)
            if stale and attempt == 1 and request.recompute is not None:
                log.info("edit refused as stale (%s); recomputing it against the buffers", reason)
                try:
                    changes = request.recompute()
                except ApplyPatchError as exc:
                    return ChangeOutcome("decline", error=_no_longer_applies(exc))
                continue
            if confirm_in_edit and not stale:
                return ChangeOutcome("decline")
            why = reason or "the editor did not apply it"
            return ChangeOutcome("decline", error=f"the edit could not be applied: {why}")
        raise AssertionError("unreachable")

    async def _confirm_separately(self, request: ChangeRequest) -> ApprovalDecision:
        if self._custom_approvals():
            params = FileChangeApprovalParams(
                thread_id=request.thread_id,
                turn_id=request.turn_id,
                item_id=request.item_id,
                changes=wire_changes(request.changes),
                reason=request.reason,
                grant_root=request.grant_root,
            )
            method = "codex/item/fileChange/requestApproval"
            raw = await self._request(request.thread_id, method, params.wire())
            return _plain(_decision(raw))
        # The prompt is all such a client shows: files, hunk and line counts, the diff.
        views = [ChangeView.of(c) for c in wire_changes(request.changes)]
        message = change_prompt(views, request.reason)
        return _plain(await self._ask_by_message(request.thread_id, message, _CHANGE_TITLES))


def _decision(raw: Any) -> Decision:
    """The client's answer; anything malformed counts as a decline."""
    try:
        return ApprovalResult.model_validate(raw if isinstance(raw, dict) else {}).decision
    except ValidationError:
        log.warning("malformed approval answer from the client: %r", raw)
        return "decline"


def _plain(decision: Decision) -> ApprovalDecision:
    """A file change's decision: an amendment answer is an `accept`."""
    return "accept" if isinstance(decision, AcceptWithExecpolicyAmendment) else decision


def always_allow_title(prefix: Sequence[str]) -> str:
    """The plain client's action for a proposed rule."""
    return f'Run and always allow "{" ".join(prefix)}"'


def command_prompt(params: CommandApprovalParams) -> str:
    """The text of a plain client's command approval."""
    lines = [f"Codex wants to run: {params.command}", f"in {params.cwd}"]
    if params.reason:
        lines.append(f"Reason: {params.reason}")
    if params.risk is not None:
        lines.append(risk_line(params.risk))
    return "\n".join(lines)


def _current(request: ChangeRequest, documents: Documents) -> list[FileChange]:
    """The request's changes, recomputed when an open document no longer holds the text
    they were computed against."""
    changes = list(request.changes)
    if request.recompute is None:
        return changes
    for change in changes:
        if change.old_text is None:
            continue
        text = documents.path_text(change.path)
        if text is not None and text != change.old_text:
            log.info("%s changed since the patch was computed; recomputing it", change.path)
            return request.recompute()
    return changes


def _open_versions(changes: Sequence[FileChange], documents: Documents) -> dict[str, int]:
    """uri -> version of every open document the changes edit."""
    versions: dict[str, int] = {}
    for change in changes:
        if change.kind == "add":
            continue
        uri = change.path.as_uri()
        version = documents.version(uri)
        if version is not None:
            versions[uri] = version
    return versions


def _stale(
    reason: str | None, sent: dict[str, int], documents: Documents, *, by_version: bool
) -> bool:
    """Was the edit refused because a document changed under it? The client says so
    (`failureReason` naming a version), or a document's version moved meanwhile."""
    if reason is not None and "version" in reason.lower():
        return True
    return by_version and any(documents.version(uri) != v for uri, v in sent.items())


def _no_longer_applies(exc: ApplyPatchError) -> str:
    return f"the file changed in the editor meanwhile and the patch no longer applies: {exc}"


def _label(request: ChangeRequest) -> str:
    names = ", ".join(c.path.name for c in request.changes[:3])
    more = f" and {len(request.changes) - 3} more" if len(request.changes) > 3 else ""
    return f"Codex: edit {names}{more}"
