"""The risk assessment's parsing and budget (issue 17, item 1), without a server: the
strict parse of the model's answer, and `assess_command` returning on time whatever the
model client does."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest

from codex_lsp.core.approvals.risk import assess_command, parse_assessment, risk_line
from codex_lsp.core.model.client import ModelClient
from codex_lsp.core.model.errors import ModelError
from codex_lsp.core.model.prompt import Prompt
from codex_lsp.core.model.stream_events import ModelEvent, TextDelta

GOOD = {"description": "Lists files", "risk_level": "low", "risk_categories": []}


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(GOOD),
        f"  {json.dumps(GOOD)}\n",
        f"```json\n{json.dumps(GOOD)}\n```",
        f"```\n{json.dumps(GOOD)}\n```",
        json.dumps({"description": "Lists files", "risk_level": "low"}),
    ],
)
def test_valid_answers(text: str) -> None:
    risk = parse_assessment(text)
    assert risk is not None
    assert risk.wire() == {"description": "Lists files", "riskLevel": "low", "riskCategories": []}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "low risk",
        "Here it is: " + json.dumps(GOOD),
        json.dumps(GOOD) + " trailing words",
        f"```json\n{json.dumps(GOOD)}\n```\nand more",
        json.dumps([GOOD]),
        json.dumps({**GOOD, "risk_level": "LOW!"}),
        json.dumps({**GOOD, "risk_level": None}),
        json.dumps({**GOOD, "description": ""}),
        json.dumps({**GOOD, "description": 3}),
        json.dumps({**GOOD, "risk_categories": "destructive"}),
        json.dumps({**GOOD, "risk_categories": [1]}),
    ],
)
def test_garbage_is_no_assessment(text: str) -> None:
    assert parse_assessment(text) is None


def test_the_prompt_line() -> None:
    answer = {
        "description": "Deletes  the\nbuild folder",
        "risk_level": "high",
        "risk_categories": ["destructive", " data_loss "],
    }
    risk = parse_assessment(json.dumps(answer))
    assert risk is not None
    assert risk_line(risk) == "Risk: high \u2014 Deletes the build folder (destructive, data_loss)"


class FakeClient:
    """A model client whose stream answers `text` after `delay` s, or raises `error`."""

    def __init__(self, text: str = "", delay: float = 0.0, error: Exception | None = None):
        self.text, self.delay, self.error = text, delay, error
        self.prompts: list[Prompt] = []
        self.closed = asyncio.Event()

    async def stream(self, prompt: Prompt, attempt: int = 1) -> AsyncIterator[ModelEvent]:
        self.prompts.append(prompt)
        try:
            await asyncio.sleep(self.delay)
            if self.error is not None:
                raise self.error
            yield TextDelta("msg", self.text)
        finally:
            self.closed.set()


async def _assess(client: FakeClient, budget: float = 1.0) -> tuple[Any, float]:
    started = time.monotonic()
    risk = await assess_command(
        cast(ModelClient, client), "gpt-5.1-codex", "rm -rf b", ["rm", "-rf", "b"], "/w", None,
        budget_s=budget,
    )  # fmt: skip
    return risk, time.monotonic() - started


async def test_an_answer_within_the_budget_is_used() -> None:
    client = FakeClient(json.dumps(GOOD), delay=0.05)
    risk, _elapsed = await _assess(client)
    assert risk is not None and risk.description == "Lists files"
    (prompt,) = client.prompts
    assert prompt.tools == [] and len(prompt.input) == 1
    assert "rm -rf b" in json.dumps(prompt.input) and prompt.output_schema is not None


async def test_a_late_answer_is_abandoned_on_time() -> None:
    client = FakeClient(json.dumps(GOOD), delay=30)
    risk, elapsed = await _assess(client, budget=0.3)
    assert risk is None and elapsed < 1.0
    # The abandoned request is closed, not left running.
    await asyncio.wait_for(client.closed.wait(), 5)


async def test_a_model_error_is_no_assessment() -> None:
    client = FakeClient(error=ModelError("boom", "internalServerError"))
    risk, elapsed = await _assess(client)
    assert risk is None and elapsed < 1.0


async def test_an_interrupt_cancels_the_assessment() -> None:
    client = FakeClient(json.dumps(GOOD), delay=30)
    task = asyncio.ensure_future(_assess(client, budget=10))
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(client.closed.wait(), 5)
