"""The model's risk assessment on command approvals (issue 17, item 1), through the real
server and the mock model: with `experimental_sandbox_command_assessment = true` a
separate request (no history, no tools) is made before the approval, whose `risk` carries
the answer; a slow or garbled answer means `risk: null` within the budget; off, no
request is made."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as lsp

from codex_lsp.mock_model import MockModelServer, MockResponse, text_response, tool_call_response
from tests.conftest import ClientFactory
from tests.lsp_client import CodexClient, mock_config, plain

APPROVAL = "codex/item/commandExecution/requestApproval"
ASSESSMENT = {
    "description": "Deletes the build folder and everything in it",
    "risk_level": "high",
    "risk_categories": ["destructive", "data_loss"],
}
# The contract's bound: the approval is sent no later than 5 s after the assessment began.
BOUND_S = 5.5


def shell(script: str) -> MockResponse:
    return tool_call_response("shell", {"command": ["bash", "-c", script]}, call_id="call_1")


@pytest.fixture
def assessment_on(codex_home: Path, mock_model: MockModelServer) -> Path:
    (codex_home / "config.toml").write_text(
        "experimental_sandbox_command_assessment = true\n" + mock_config(mock_model.url)
    )
    return codex_home


class Approvals:
    """Answers command approvals with `decision` and notes when each arrived."""

    def __init__(self, decision: Any = "accept", title: str | None = "Run") -> None:
        self.decision = decision
        self.title = title
        self.asked: list[tuple[float, Any]] = []

    def install(self, client: CodexClient) -> None:
        @client.lc.feature(APPROVAL)  # type: ignore[untyped-decorator]
        def approval(params: Any) -> dict[str, Any]:
            self.asked.append((time.monotonic(), plain(params)))
            return {"decision": self.decision}

        @client.lc.feature(lsp.WINDOW_SHOW_MESSAGE_REQUEST)  # type: ignore[untyped-decorator]
        def show(params: lsp.ShowMessageRequestParams) -> lsp.MessageActionItem | None:
            self.asked.append((time.monotonic(), params))
            return lsp.MessageActionItem(title=self.title) if self.title else None


def is_assessment(body: Any) -> bool:
    return isinstance(body, dict) and "assess the risk" in str(body.get("instructions"))


async def _run(
    make_client: ClientFactory,
    mock_model: MockModelServer,
    assessment: MockResponse | None,
    *,
    custom: bool = True,
    model: str | None = None,
) -> tuple[Approvals, dict[str, Any]]:
    """One turn whose command is asked about; the approvals and the turn."""
    approvals = Approvals()
    client = await make_client(
        codex_caps={"approvals": custom, "deltas": True}, before_start=approvals.install
    )
    overrides = {"model": model} if model is not None else {}
    thread = (await client.start_thread(approvalPolicy="untrusted", **overrides))["thread"]
    responses = [shell("touch marker.txt")]
    if assessment is not None:
        responses.append(assessment)
    mock_model.enqueue(*responses, text_response("done"))
    turn = await client.turn(thread["id"], "please make the marker")
    return approvals, turn


@pytest.mark.usefixtures("assessment_on")
async def test_the_approval_carries_the_models_assessment(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    answer = text_response("```json\n" + json.dumps(ASSESSMENT) + "\n```")
    approvals, turn = await _run(make_client, mock_model, answer)
    assert turn["status"] == "completed" and (workspace / "marker.txt").exists()
    ((_at, asked),) = approvals.asked
    assert asked["risk"] == {
        "description": ASSESSMENT["description"],
        "riskLevel": "high",
        "riskCategories": ["destructive", "data_loss"],
    }
    assert asked["command"] == "touch marker.txt"
    # The side request: our instructions, the command, none of the thread's history, no tools.
    bodies = [r.body for r in mock_model.requests]
    assert [is_assessment(b) for b in bodies] == [False, True, False]
    side = bodies[1]
    assert not side.get("tools")
    assert len(side["input"]) == 1 and "touch marker.txt" in json.dumps(side["input"])
    assert "please make the marker" not in json.dumps(side)
    assert side["text"]["format"]["type"] == "json_schema"
    assert side["reasoning"]["effort"] == "low"  # a reasoning model answers faster
    # Not a turn, not an item: the turn shows the command and the answer only.
    assert [i["type"] for i in turn["items"]] == ["userMessage", "commandExecution", "agentMessage"]
    assert len(approvals.asked) == 1


@pytest.mark.usefixtures("assessment_on")
async def test_the_assessment_asks_the_threads_own_model(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    # The thread's model (here chosen at thread start, like `exec -m`), not config.toml's.
    answer = text_response(json.dumps(ASSESSMENT))
    approvals, turn = await _run(make_client, mock_model, answer, model="gpt-5.1-codex-mini")
    assert turn["status"] == "completed"
    assert approvals.asked[0][1]["risk"]["riskLevel"] == "high"
    assert [r.body["model"] for r in mock_model.requests] == ["gpt-5.1-codex-mini"] * 3


@pytest.mark.usefixtures("assessment_on")
async def test_a_plain_client_reads_the_risk_in_the_prompt(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    answer = text_response(json.dumps(ASSESSMENT))
    approvals, turn = await _run(make_client, mock_model, answer, custom=False)
    assert turn["status"] == "completed" and (workspace / "marker.txt").exists()
    ((_at, asked),) = approvals.asked
    assert asked.message.splitlines()[-1] == (
        "Risk: high \u2014 Deletes the build folder and everything in it (destructive, data_loss)"
    )


@pytest.mark.usefixtures("assessment_on")
@pytest.mark.parametrize(
    "assessment",
    [
        # Valid, but only after 8 s.
        text_response(
            json.dumps(ASSESSMENT), chunks=[json.dumps(ASSESSMENT)], delay_ms_between_events=2000
        ),
        text_response("I think this command is rather risky."),
        text_response(json.dumps({**ASSESSMENT, "risk_level": "catastrophic"})),
        text_response(json.dumps([ASSESSMENT])),
        MockResponse(items=[], hang_after_events=0),
    ],
    ids=["answers-in-8s", "prose", "unknown-level", "not-an-object", "never-answers"],
)
async def test_a_slow_or_garbled_assessment_means_risk_null_on_time(
    make_client: ClientFactory,
    mock_model: MockModelServer,
    workspace: Path,
    assessment: MockResponse,
) -> None:
    approvals, turn = await _run(make_client, mock_model, assessment)
    assert turn["status"] == "completed" and (workspace / "marker.txt").exists()
    ((arrived, asked),) = approvals.asked
    assert asked["risk"] is None
    side = next(r for r in mock_model.requests if is_assessment(r.body))
    elapsed = arrived - side.received_at
    assert elapsed < BOUND_S, f"the approval came {elapsed:.2f} s after the assessment began"


async def test_off_no_side_request(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path
) -> None:
    approvals, turn = await _run(make_client, mock_model, None)
    assert turn["status"] == "completed" and (workspace / "marker.txt").exists()
    ((_at, asked),) = approvals.asked
    assert asked["risk"] is None
    assert len(mock_model.requests) == 2
    assert not any(is_assessment(r.body) for r in mock_model.requests)
