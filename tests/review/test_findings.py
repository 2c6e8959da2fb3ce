"""The reviewer's answer parsed tolerantly into ReviewOutput, and rendered."""

from __future__ import annotations

import json

import pytest

from codex_lsp.core.review.findings import parse_review_output, render_review

ROOT = "/repo"
ANSWER = {
    "findings": [
        {
            "title": "Close the file",
            "body": "It leaks on error.",
            "confidence_score": 0.9,
            "priority": 1,
            "code_location": {
                "absolute_file_path": "/repo/a.py",
                "line_range": {"start": 3, "end": 5},
            },
        }
    ],
    "overall_correctness": "patch is incorrect",
    "overall_explanation": "One leak.",
    "overall_confidence_score": 0.75,
}


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(ANSWER),
        "```json\n" + json.dumps(ANSWER, indent=2) + "\n```\n",
        "Here is my review:\n```\n" + json.dumps(ANSWER) + "\n```\nLet me know.",
        "Review follows. " + json.dumps(ANSWER) + " That is all {not json}.",
    ],
    ids=["bare", "fenced-json", "fenced-prose", "inline-trailing"],
)
def test_json_is_found_wherever_the_model_puts_it(text: str) -> None:
    output = parse_review_output(text, ROOT)
    assert output is not None
    (finding,) = output.findings
    assert finding.title == "Close the file" and finding.priority == 1
    assert finding.code_location.absolute_file_path == "/repo/a.py"
    assert (finding.code_location.line_range.start, finding.code_location.line_range.end) == (3, 5)
    assert output.overall_correctness == "patch is incorrect"
    assert output.overall_confidence_score == 0.75


def test_loose_fields_are_normalized() -> None:
    raw = {
        "findings": [
            {
                "title": "  Spaced\n title ",
                "priority": "P0",
                "confidenceScore": "0.4",
                "codeLocation": {
                    "absoluteFilePath": "src/b.py",
                    "lineRange": {"start": 9, "end": 7},
                },
            },
            {"title": "no location", "priority": 2},
            {
                "title": "bad priority",
                "priority": "high",
                "code_location": {"absolute_file_path": "/repo/c.py", "line_range": {"start": 0}},
            },
            "not an object",
        ],
        "overall_correctness": "patch is correct",
    }
    output = parse_review_output(json.dumps(raw), ROOT)
    assert output is not None
    first, second = output.findings
    assert first.title == "Spaced title" and first.priority == 0
    assert first.confidence_score == 0.4 and first.body == ""
    assert first.code_location.absolute_file_path == "/repo/src/b.py"
    assert (first.code_location.line_range.start, first.code_location.line_range.end) == (7, 9)
    assert second.priority == 2  # unknown priority: normal
    assert (second.code_location.line_range.start, second.code_location.line_range.end) == (1, 1)
    assert output.overall_explanation == "" and output.overall_confidence_score == 0.0


@pytest.mark.parametrize(
    "text", ["Looks good to me.", "", '{"verdict": "fine"}', "```json\n{broken\n```"]
)
def test_no_review_object_gives_none(text: str) -> None:
    assert parse_review_output(text, ROOT) is None


def test_render_flags_findings_outside_the_change(tmp_path: object) -> None:
    output = parse_review_output(json.dumps(ANSWER), ROOT)
    assert output is not None
    text = render_review(output, ROOT, ["/repo/other.py"])
    assert text.startswith("**Verdict:** patch is incorrect (confidence 0.75)")
    assert (
        "1. **[P1] Close the file** `a.py:3-5` (outside the reviewed changes; file not found)"
        in text
    )
    assert "   It leaks on error." in text
    empty = output.model_copy(update={"findings": []})
    assert "No findings." in render_review(empty, ROOT, [])
