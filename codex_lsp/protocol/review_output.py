"""The structured result of a review: findings with priorities, locations and a verdict."""

from __future__ import annotations

from typing import Literal

from .base import WireModel


class ReviewLineRange(WireModel):
    """Lines of a file, 1-based and inclusive, as the reviewer wrote them."""

    start: int
    end: int


class ReviewCodeLocation(WireModel):
    """Where a finding is: an absolute file path and a line range."""

    absolute_file_path: str
    line_range: ReviewLineRange


class ReviewFinding(WireModel):
    """One problem the reviewer found. Priority 0 is the most urgent (P0), 3 the least."""

    title: str
    body: str
    confidence_score: float
    priority: Literal[0, 1, 2, 3]
    code_location: ReviewCodeLocation


class ReviewOutput(WireModel):
    """A review's findings and its overall verdict on the change."""

    findings: list[ReviewFinding]
    overall_correctness: str
    overall_explanation: str
    overall_confidence_score: float
