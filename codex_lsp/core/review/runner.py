"""The review turn: `enteredReviewMode`, a delegated reviewer, `exitedReviewMode`.

The reviewer is a child agent (`core/agents/delegate.py`) with the review instructions,
the thread's `review_model` (else its model), a read-only sandbox and read-only tools; its
task holds the target's diff, which never enters the parent's model history. Its reasoning
and commands are shown as items of the review turn; its raw answer is not: the answer is
parsed into `ReviewOutput` and shown as the `exitedReviewMode` item. With inline delivery
the parent's model is told the result (not the diff) for its next turn.
"""

from __future__ import annotations

import asyncio

from ...protocol.items import EnteredReviewModeItem, ExitedReviewModeItem
from ...protocol.review_output import ReviewOutput
from ...protocol.sandbox import ReadOnlySandbox
from ...protocol.thread import Turn
from .. import events as ev
from ..agents.delegate import DelegateSpec, run_delegate
from ..instructions import user_text_message
from ..model.client import ModelClient
from ..threads.loaded import LoadedThread
from ..tools.defaults import reviewer_tools
from ..turns.lifecycle import TurnFailed, TurnLifecycle
from ..turns.stream_state import new_id
from ..workspace.view import WorkspaceView
from .findings import parse_review_output, render_review, review_summary_for_model
from .instructions import REVIEW_INSTRUCTIONS
from .targets import ReviewRequest

INTERRUPTED_TEXT = "The review was stopped before it finished."
NO_ANSWER_TEXT = "The reviewer gave no answer."


class ReviewRunner(TurnLifecycle):
    """Runs one review turn; the owner cancels the task to interrupt it (and the reviewer)."""

    def __init__(
        self,
        thread: LoadedThread,
        turn: Turn,
        request: ReviewRequest,
        client: ModelClient,
        emit: ev.EventSink,
        *,
        inline: bool,
        workspace: WorkspaceView | None = None,
    ) -> None:
        super().__init__(thread, turn, emit)
        self.request = request
        self.client = client
        self.inline = inline
        self.workspace = workspace
        self._entered = False
        self._exited = False

    async def _body(self) -> None:
        request = self.request
        self._record("turn_started", {"turnId": self.turn.id})
        if not self.thread.preview:
            self.thread.preview = f"Review: {request.description}"
        entered = EnteredReviewModeItem(id=new_id("review"), review=request.description)
        self._item_started(entered)
        self._item_completed(entered)
        self._entered = True
        spec = DelegateSpec(
            instructions=REVIEW_INSTRUCTIONS,
            task=request.task,
            model=self.thread.settings.review_model,
            sandbox=ReadOnlySandbox(),
            tools=reviewer_tools,
            hidden_items=frozenset({"agentMessage"}),
        )
        result = await run_delegate(
            self.thread, self.turn, spec, self.client, self.emit, self.workspace
        )
        if result.status == "interrupted":
            raise asyncio.CancelledError
        if result.status == "failed":
            error = result.error
            if error is None:
                raise TurnFailed("the reviewer failed")
            raise TurnFailed(error.message, error.codex_error_info, error.additional_details)
        answer = (result.last_message or "").strip()
        output = parse_review_output(answer, request.root)
        if output is not None:
            text = render_review(output, request.root, request.files)
        else:
            text = answer or NO_ANSWER_TEXT
        self._exit(text, output)
        if self.inline:
            item = user_text_message(review_summary_for_model(request.description, text))
            self.thread.model_items.append(item)
            self._record("response_item", {"turnId": self.turn.id, "item": item})

    def _exit(self, text: str, output: ReviewOutput | None) -> None:
        self._exited = True
        exited = ExitedReviewModeItem(id=new_id("review"), review=text, output=output)
        self._item_started(exited)
        self._item_completed(exited)

    def _stopping(self) -> None:
        if self._entered and not self._exited:
            self._exit(INTERRUPTED_TEXT, None)
