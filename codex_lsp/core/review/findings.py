"""The reviewer's answer: parsed tolerantly into `ReviewOutput`, rendered as Markdown.

Models wrap JSON in prose or fences, write camelCase, give priorities as "P1" or paths
relative to the repository; all of that is accepted. An answer with no review object in
it gives None (the review then shows the answer's text). Findings that are not usable (no
title, no location) are dropped; the rest keep the reviewer's order.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterator
from typing import Any, cast

from ...protocol.review_output import (
    ReviewCodeLocation,
    ReviewFinding,
    ReviewLineRange,
    ReviewOutput,
)

_FENCE = re.compile(r"```[a-zA-Z0-9_-]*\s*\n(.*?)```", re.DOTALL)
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _snake(key: str) -> str:
    return _CAMEL.sub("_", key).lower()


def _snake_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {_snake(str(k)): _snake_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_snake_keys(v) for v in value]
    return value


def _objects(text: str) -> Iterator[dict[str, Any]]:
    """JSON objects in `text`: the whole text, fenced blocks, then any `{` that starts one."""
    candidates = [text.strip(), *(m.group(1).strip() for m in _FENCE.finditer(text))]
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            yield value
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", text):
        try:
            value, _end = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        if isinstance(value, dict):
            yield value


def _score(value: Any, default: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return default
    try:
        number = float(value)
    except ValueError:
        return default
    if math.isnan(number):
        return default
    return min(max(number, 0.0), 1.0)


def _priority(value: Any) -> int | None:
    if isinstance(value, str):
        value = value.strip().upper().removeprefix("P")
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return min(max(number, 0), 3)


def _line(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return max(number, 1)


def _finding(raw: Any, root: str) -> ReviewFinding | None:
    if not isinstance(raw, dict):
        return None
    title = raw.get("title")
    location = raw.get("code_location")
    if not isinstance(title, str) or not title.strip() or not isinstance(location, dict):
        return None
    path = location.get("absolute_file_path") or location.get("file_path") or location.get("path")
    lines = location.get("line_range")
    if not isinstance(path, str) or not path.strip():
        return None
    if isinstance(lines, dict):
        start, end = _line(lines.get("start")), _line(lines.get("end"))
    else:
        start, end = _line(location.get("line") or location.get("start_line")), None
    if start is None:
        return None
    end = start if end is None else end
    if end < start:
        start, end = end, start
    priority = _priority(raw.get("priority"))
    body = raw.get("body")
    return ReviewFinding(
        title=" ".join(title.split()),
        body=body.strip() if isinstance(body, str) else "",
        confidence_score=_score(raw.get("confidence_score"), 0.5),
        priority=cast(Any, 2 if priority is None else priority),
        code_location=ReviewCodeLocation(
            absolute_file_path=os.path.normpath(os.path.join(root, path.strip())),
            line_range=ReviewLineRange(start=start, end=end),
        ),
    )


def parse_review_output(text: str, root: str) -> ReviewOutput | None:
    """The review object in the reviewer's answer, or None when there is none."""
    for candidate in _objects(text):
        raw = _snake_keys(candidate)
        findings = raw.get("findings")
        if not isinstance(findings, list):
            continue
        parsed = [f for f in (_finding(item, root) for item in findings) if f is not None]
        correctness = raw.get("overall_correctness")
        explanation = raw.get("overall_explanation")
        return ReviewOutput(
            findings=parsed,
            overall_correctness=correctness if isinstance(correctness, str) else "",
            overall_explanation=explanation.strip() if isinstance(explanation, str) else "",
            overall_confidence_score=_score(raw.get("overall_confidence_score"), 0.0),
        )
    return None


def _where(finding: ReviewFinding, root: str) -> str:
    location = finding.code_location
    path = location.absolute_file_path
    shown = os.path.relpath(path, root) if path.startswith(root + os.sep) else path
    lines = location.line_range
    span = f"{lines.start}" if lines.start == lines.end else f"{lines.start}-{lines.end}"
    return f"{shown}:{span}"


def render_review(output: ReviewOutput, root: str, reviewed_files: list[str]) -> str:
    """The review as Markdown: the verdict, then each finding with its place. A finding in
    a file the change did not touch says so (its location may be less trustworthy)."""
    lines: list[str] = []
    verdict = output.overall_correctness or "no verdict"
    lines.append(f"**Verdict:** {verdict} (confidence {output.overall_confidence_score:.2f})")
    if output.overall_explanation:
        lines += ["", output.overall_explanation]
    if not output.findings:
        lines += ["", "No findings."]
    reviewed = set(reviewed_files)
    for number, finding in enumerate(output.findings, 1):
        path = finding.code_location.absolute_file_path
        flags = []
        if reviewed and path not in reviewed:
            flags.append("outside the reviewed changes")
        if not os.path.exists(path):
            flags.append("file not found")
        flag = f" ({'; '.join(flags)})" if flags else ""
        lines += [
            "",
            f"{number}. **[P{finding.priority}] {finding.title}** `{_where(finding, root)}`{flag}",
        ]
        if finding.body:
            lines += ["   " + line if line else "" for line in finding.body.splitlines()]
    return "\n".join(lines)


def review_summary_for_model(description: str, rendered: str) -> str:
    """What the parent thread's model is told after an inline review."""
    return (
        "<review_result>\n"
        f"The user ran a code review of the {description}. The reviewer's result:\n\n"
        f"{rendered}\n"
        "</review_result>"
    )
