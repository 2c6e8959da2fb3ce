"""The review/start request."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .base import WireModel
from .thread import Turn


class UncommittedChangesTarget(WireModel):
    """Review the working tree's uncommitted changes."""

    type: Literal["uncommittedChanges"] = "uncommittedChanges"


class BaseBranchTarget(WireModel):
    """Review the changes against a base branch."""

    type: Literal["baseBranch"] = "baseBranch"
    branch: str


class CommitTarget(WireModel):
    """Review one commit."""

    type: Literal["commit"] = "commit"
    sha: str
    title: str | None = None


class CustomTarget(WireModel):
    """Review following free-form instructions."""

    type: Literal["custom"] = "custom"
    instructions: str


ReviewTarget = Annotated[
    UncommittedChangesTarget | BaseBranchTarget | CommitTarget | CustomTarget,
    Field(discriminator="type"),
]


class ReviewStartParams(WireModel):
    """`codex/review/start` params."""

    thread_id: str
    target: ReviewTarget
    delivery: Literal["inline", "detached"] | None = None


class ReviewStartResult(WireModel):
    """`codex/review/start` result."""

    turn: Turn
    review_thread_id: str
