"""The model's risk assessment of a command, asked before the command's approval is sent
(`experimental_sandbox_command_assessment = true`).

A separate request to the thread's model: none of the thread's history, no tools, our own
instructions asking for `{description, risk_level, risk_categories}` (as a structured
output where the wire supports it). The answer is parsed strictly (a fenced JSON block is
accepted; anything else is no assessment). The whole call has a fixed budget: when it is
spent the approval goes out with `risk: null` and the request is abandoned in the
background. Nothing of it is shown as a turn or an item.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, get_args

from ...protocol.approvals import CommandApprovalParams, CommandRisk
from ...protocol.enums import RiskLevel
from ..tasks import spawn

if TYPE_CHECKING:
    from ..model.client import ModelClient

log = logging.getLogger(__name__)

# The approval is sent at most this long after the assessment started (contract: 5 s;
# the rest is left for abandoning the request and sending the approval).
ASSESSMENT_BUDGET_S = 4.5
MAX_DESCRIPTION = 500
MAX_CATEGORIES = 8

INSTRUCTIONS = """\
You assess the risk of one shell command that a coding agent wants to run on the user's \
machine, before the user decides whether to allow it. You see only the command, the folder \
it runs in and the agent's reason, never the conversation. Do not run anything.

Answer with one JSON object and nothing else:
{"description": "<one short sentence: what the command does>", \
"risk_level": "low" | "medium" | "high", "risk_categories": ["<category>", ...]}

risk_level: "low" reads or builds inside the project; "medium" changes files in the project, \
installs packages or uses the network; "high" deletes or overwrites data, changes the \
system or other users' files, escalates privileges, or sends data out.
risk_categories (empty when none applies): "destructive", "data_loss", "network", \
"privilege_escalation", "system_modification", "secrets", "package_install", \
"code_execution", "resource_intensive".
"""

OUTPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "description": {"type": "string"},
        "risk_level": {"type": "string", "enum": list(get_args(RiskLevel))},
        "risk_categories": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["description", "risk_level", "risk_categories"],
    "additionalProperties": False,
}

_FENCE = re.compile(r"^```(?:json)?\s*\n(.*?)\n?```$", re.DOTALL)


def assessment_input(command: str, argv: Sequence[str], cwd: str, reason: str | None) -> str:
    """The one user message of the assessment request."""
    lines = [f"Command: {command}", f"Argv: {json.dumps(list(argv))}", f"Folder: {cwd}"]
    if reason:
        lines.append(f"Agent's reason: {reason}")
    return "\n".join(lines)


def risk_line(risk: CommandRisk) -> str:
    """`Risk: high — deletes files (destructive, data_loss)`: how prompts show it."""
    line = f"Risk: {risk.risk_level} \u2014 {risk.description}"
    if risk.risk_categories:
        line += f" ({', '.join(risk.risk_categories)})"
    return line


def parse_assessment(text: str) -> CommandRisk | None:
    """The assessment in the model's answer: one JSON object (alone, or as the only fenced
    block) with a non-empty `description`, a known `risk_level` and a list of strings as
    `risk_categories`; anything else is None."""
    body = text.strip()
    fenced = _FENCE.match(body)
    if fenced is not None:
        body = fenced.group(1).strip()
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    description, level = data.get("description"), data.get("risk_level")
    categories = data.get("risk_categories", [])
    if not isinstance(description, str) or not description.strip():
        return None
    if level not in get_args(RiskLevel):
        return None
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        return None
    return CommandRisk.model_validate(
        {
            "description": " ".join(description.split())[:MAX_DESCRIPTION],
            "risk_level": level,
            "risk_categories": [c.strip() for c in categories if c.strip()][:MAX_CATEGORIES],
        }
    )


async def _ask_model(client: ModelClient, model: str, message: str) -> str | None:
    """The text of the model's answer to the assessment request (None: it failed)."""
    from ..model.prompt import Prompt
    from ..model.stream_events import OutputItemDone, TextDelta

    prompt = Prompt(
        model=model,
        instructions=INSTRUCTIONS,
        input=[
            {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": message}],
            }
        ],
        tools=[],
        output_schema=OUTPUT_SCHEMA,
        parallel_tool_calls=False,
    )
    if prompt.wants_reasoning():
        prompt.reasoning_effort = "low"  # an answer within the budget matters more
    deltas: list[str] = []
    final: str | None = None
    events = client.stream(prompt)
    try:
        async for event in events:
            if isinstance(event, TextDelta):
                deltas.append(event.delta)
            elif isinstance(event, OutputItemDone) and event.item.get("type") == "message":
                final = "".join(
                    str(part.get("text", ""))
                    for part in event.item.get("content") or []
                    if isinstance(part, dict)
                )
    except Exception as exc:  # a model error, a broken stream: no assessment
        log.info("the command's risk assessment failed: %s", exc)
        return None
    finally:
        # Abandoned (the budget passed) or done: the HTTP stream is closed now.
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await aclose()
    return final if final is not None else "".join(deltas)


async def assess_command(
    client: ModelClient,
    model: str,
    command: str,
    argv: Sequence[str],
    cwd: str,
    reason: str | None,
    *,
    budget_s: float = ASSESSMENT_BUDGET_S,
) -> CommandRisk | None:
    """Ask `model` to assess the command; None when the call fails, its answer is not a
    valid assessment, or `budget_s` passes first (the request is then abandoned: this
    returns on time whatever the connection does)."""
    message = assessment_input(command, argv, cwd, reason)
    task = spawn(_ask_model(client, model, message), name="command-risk-assessment")
    try:
        done, _pending = await asyncio.wait({task}, timeout=budget_s)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if not done:
        task.cancel()
        log.info("the command's risk assessment took longer than %.1f s: sent without it", budget_s)
        return None
    text = None if task.cancelled() else task.result()
    if text is None:
        return None
    risk = parse_assessment(text)
    if risk is None:
        log.info("the model's risk assessment was not a valid JSON assessment: ignored")
    return risk


def model_assessor(
    client: ModelClient, model: str
) -> Callable[[CommandApprovalParams, Sequence[str]], Awaitable[CommandRisk | None]]:
    """The gate's assessor (`CommandAdvisor.assess`) asking `model` through `client`."""

    async def assess(params: CommandApprovalParams, argv: Sequence[str]) -> CommandRisk | None:
        return await assess_command(client, model, params.command, argv, params.cwd, params.reason)

    return assess
