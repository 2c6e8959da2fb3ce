"""update_plan: validation, the core event, and the `codex/turn/plan/updated` notification."""

from __future__ import annotations

import json
from typing import Any

import pytest

from codex_lsp.core.events import CoreEvent, PlanUpdated
from codex_lsp.core.tools.base import ToolCall, ToolCaps, ToolContext, ToolError
from codex_lsp.core.tools.update_plan import UpdatePlanTool
from codex_lsp.protocol.notifications import PlanStep
from codex_lsp.server.notifications import to_notification


def make_ctx(events: list[CoreEvent]) -> ToolContext:
    return ToolContext("thr_1", "turn_1", "/", events.append, lambda i: None, lambda i: None)


async def update(events: list[CoreEvent], payload: Any) -> str:
    call = ToolCall("c1", "update_plan", "function_call", json.dumps(payload))
    return (await UpdatePlanTool().run(call, make_ctx(events))).output


async def test_emits_the_plan_with_wire_statuses() -> None:
    events: list[CoreEvent] = []
    out = await update(
        events,
        {
            "explanation": "Fixing the parser",
            "plan": [
                {"step": "Read the code", "status": "completed"},
                {"step": "Write the fix", "status": "in_progress"},
                {"step": "Run the tests", "status": "pending"},
            ],
        },
    )
    assert out == "Plan updated"
    assert events == [
        PlanUpdated(
            thread_id="thr_1",
            turn_id="turn_1",
            explanation="Fixing the parser",
            plan=[
                PlanStep(step="Read the code", status="completed"),
                PlanStep(step="Write the fix", status="inProgress"),
                PlanStep(step="Run the tests", status="pending"),
            ],
        )
    ]


async def test_notification_shape() -> None:
    events: list[CoreEvent] = []
    await update(events, {"plan": [{"step": "Only step", "status": "in_progress"}]})
    method, params = to_notification(events[0])
    assert method == "codex/turn/plan/updated"
    assert params == {
        "threadId": "thr_1",
        "turnId": "turn_1",
        "explanation": None,
        "plan": [{"step": "Only step", "status": "inProgress"}],
    }


async def test_blank_explanation_is_none_and_empty_plan_is_allowed() -> None:
    events: list[CoreEvent] = []
    await update(events, {"explanation": "  ", "plan": []})
    assert events == [PlanUpdated("thr_1", "turn_1", None, [])]


async def test_lenient_status_spellings() -> None:
    events: list[CoreEvent] = []
    await update(
        events,
        {"plan": [{"step": "a", "status": "inProgress"}, {"step": "b", "status": " Completed"}]},
    )
    event = events[0]
    assert isinstance(event, PlanUpdated)
    assert [s.status for s in event.plan] == ["inProgress", "completed"]


async def test_at_most_one_step_in_progress() -> None:
    events: list[CoreEvent] = []
    with pytest.raises(ToolError) as info:
        await update(
            events,
            {
                "plan": [
                    {"step": "one", "status": "in_progress"},
                    {"step": "two", "status": "in_progress"},
                ]
            },
        )
    assert str(info.value) == ("at most one step can be in_progress at a time; 2 are: 'one'; 'two'")
    assert events == []


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"plan": [{"step": "x", "status": "done"}]}, "plan.0.status: Input should be"),
        ({"plan": [{"status": "pending"}]}, "plan.0.step: Field required"),
        ({"explanation": "no plan"}, "plan: Field required"),
        ({"plan": "step one"}, "plan: Input should be a valid list"),
    ],
)
async def test_invalid_arguments(payload: Any, expected: str) -> None:
    events: list[CoreEvent] = []
    with pytest.raises(ToolError) as info:
        await update(events, payload)
    assert str(info.value).startswith("invalid arguments for update_plan: ")
    assert expected in str(info.value)
    assert events == []


def test_spec_shape() -> None:
    spec = UpdatePlanTool().spec(ToolCaps())
    assert spec is not None
    assert spec["name"] == "update_plan"
    assert spec["strict"] is False
    params = spec["parameters"]
    assert params["required"] == ["plan"]
    item = params["properties"]["plan"]["items"]
    assert item["required"] == ["step", "status"]
    assert item["properties"]["status"]["enum"] == ["pending", "in_progress", "completed"]
    assert UpdatePlanTool.parallel_safe is False
