"""Review mode through the real server: `codex/review/start` with each target, the
delegated reviewer (its own history, read-only tools), findings as the exitedReviewMode
item's `output` and as diagnostics, the "Ask Codex to fix" action, detached delivery,
plain-text answers, interrupts and a restart."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as lsp
from lsprotocol.converters import get_converter
from pygls.exceptions import JsonRpcException

from codex_lsp.mock_model import (
    MockModelServer,
    hang_response,
    text_response,
    tool_call_response,
)
from tests.conftest import ClientFactory
from tests.e2e.editor_helpers import eventually, model_text
from tests.e2e.test_editor_code_actions import code_actions
from tests.e2e.threads_helpers import completed_items, conversation, run_turn
from tests.e2e.tool_helpers import Answers
from tests.lsp_client import CodexClient

CONVERTER = get_converter()
PARENT_WORD = "PARENT-ONLY-PLATYPUS"
ORIGINAL = "def total(items):\n    return sum(items)\n"
CHANGED = (
    "def total(items):\n"
    "    result = 0\n"
    "    for i in range(len(items) - 1):\n"
    "        result += items[i]\n"
    "    return result\n"
)


def git(cwd: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    )
    return out.stdout.strip()


@pytest.fixture
def repo(workspace: Path) -> Path:
    git(workspace, "init", "-q", "-b", "main")
    (workspace / "calc.py").write_text(ORIGINAL)
    git(workspace, "add", ".")
    git(workspace, "commit", "-q", "-m", "initial")
    return workspace


def finding(title: str, path: Path, start: int, end: int, priority: int) -> dict[str, Any]:
    return {
        "title": title,
        "body": f"Body of {title}.",
        "confidence_score": 0.9,
        "priority": priority,
        "code_location": {
            "absolute_file_path": str(path),
            "line_range": {"start": start, "end": end},
        },
    }


def review_json(*findings: dict[str, Any], verdict: str = "patch is incorrect") -> str:
    return json.dumps(
        {
            "findings": list(findings),
            "overall_correctness": verdict,
            "overall_explanation": "Explained.",
            "overall_confidence_score": 0.8,
        }
    )


async def review(
    client: CodexClient, thread_id: str, target: dict[str, Any], **extra: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Start a review and wait for its end: (start result, completed turn)."""
    started = await client.request(
        "codex/review/start", {"threadId": thread_id, "target": target, **extra}
    )
    turn_id = started["turn"]["id"]
    done = await client.wait_for("codex/turn/completed", lambda p: p["turn"]["id"] == turn_id)
    return started, done["turn"]


def diagnostics_for(client: CodexClient, path: Path) -> list[dict[str, Any]]:
    """The latest diagnostics published for `path` (pytest-lsp's client keeps them)."""
    published = client.lc.diagnostics
    assert path.as_uri() in published, f"no diagnostics published for {path}"
    return [CONVERTER.unstructure(d, lsp.Diagnostic) for d in published[path.as_uri()]]


async def start(make_client: ClientFactory, **kwargs: Any) -> CodexClient:
    return await make_client(capabilities="visual-studio-code", **kwargs)


async def test_uncommitted_review_findings_diagnostics_and_fix(
    make_client: ClientFactory, mock_model: MockModelServer, repo: Path
) -> None:
    (repo / "calc.py").write_text(CHANGED)
    (repo / "notes.py").write_text("TODO = 'write notes'\n")
    other = repo / "untouched.py"
    other.write_text("x = 1\n")
    git(repo, "add", "untouched.py")
    git(repo, "commit", "-q", "-m", "untouched")
    client = await start(make_client)
    thread_id = (await client.start_thread(cwd=str(repo)))["thread"]["id"]
    await run_turn(client, mock_model, thread_id, f"Remember {PARENT_WORD}.", "Noted.")

    findings = [
        finding("Skips the last item", repo / "calc.py", 3, 4, 1),
        finding("Name the constant", repo / "notes.py", 1, 1, 3),
        finding("Unrelated file", other, 1, 1, 2),
    ]
    mock_model.enqueue(text_response("```json\n" + review_json(*findings) + "\n```\nDone."))
    started, turn = await review(client, thread_id, {"type": "uncommittedChanges"})
    assert started["reviewThreadId"] == thread_id
    assert turn["status"] == "completed", turn

    # The reviewer's request: the review instructions and the diff, none of the parent's
    # conversation, and only read-only tools.
    body = mock_model.requests[1].body
    sent = model_text(body)
    assert "meticulous code reviewer" in body["instructions"]
    assert "+    for i in range(len(items) - 1):" in sent
    assert "+TODO = 'write notes'" in sent  # the untracked file
    assert PARENT_WORD not in json.dumps(body)
    tools = {t.get("name") for t in body["tools"]}
    assert {"shell", "read_file"} <= tools and "apply_patch" not in tools

    items = completed_items(client, turn["id"])
    assert [i["type"] for i in items] == ["enteredReviewMode", "exitedReviewMode"]
    assert items[0]["review"] == "uncommitted changes"
    output = items[1]["output"]
    assert [f["title"] for f in output["findings"]] == [f["title"] for f in findings]
    assert output["findings"][0]["codeLocation"] == {
        "absoluteFilePath": str(repo / "calc.py"),
        "lineRange": {"start": 3, "end": 4},
    }
    assert output["overallCorrectness"] == "patch is incorrect"
    assert "[P1] Skips the last item" in items[1]["review"]
    assert "outside the reviewed changes" in items[1]["review"].split("Unrelated file")[1]

    (calc,) = diagnostics_for(client, repo / "calc.py")
    assert calc["range"] == {
        "start": {"line": 2, "character": 0},
        "end": {"line": 3, "character": len("        result += items[i]")},
    }
    assert calc["severity"] == lsp.DiagnosticSeverity.Error
    assert calc["code"] == "P1" and calc["source"] == "codex review"
    assert calc["message"] == "Skips the last item\n\nBody of Skips the last item."
    assert calc["data"] == {"threadId": thread_id, "turnId": turn["id"], "findingIndex": 0}
    (notes,) = diagnostics_for(client, repo / "notes.py")
    assert notes["severity"] == lsp.DiagnosticSeverity.Information and notes["code"] == "P3"
    (unrelated,) = diagnostics_for(client, other)
    assert unrelated["severity"] == lsp.DiagnosticSeverity.Warning

    # Inline delivery: the next turn's model sees the findings, not the diff.
    await run_turn(client, mock_model, thread_id, "What did the review say?", "Two bugs.")
    next_request = mock_model.requests[2].body
    history = "\n".join(t for _r, t in conversation(next_request))
    assert "Skips the last item" in history and PARENT_WORD in history
    assert "range(len(items) - 1)" not in history

    # The finding's quick fix starts a turn on the review's thread that names it.
    params = lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=(repo / "calc.py").as_uri()),
        range=lsp.Range(lsp.Position(2, 4), lsp.Position(2, 4)),
        context=lsp.CodeActionContext(
            diagnostics=[client.lc.protocol._converter.structure(calc, lsp.Diagnostic)]
        ),
    )
    (fix,) = await code_actions(client, params)
    assert fix["title"] == "Ask Codex to fix: Skips the last item"
    assert fix["kind"] == "quickfix" and fix["isPreferred"] is True
    (arg,) = fix["command"]["arguments"]
    assert arg["threadId"] == thread_id
    mock_model.enqueue(text_response("Fixed."))
    asked = await client.request(
        lsp.WORKSPACE_EXECUTE_COMMAND,
        lsp.ExecuteCommandParams(command=fix["command"]["command"], arguments=[arg]),
    )
    assert asked["threadId"] == thread_id
    await client.wait_for("codex/turn/completed", lambda p: p["turn"]["id"] == asked["turnId"])
    fix_text = model_text(mock_model.requests[3].body)
    assert "Fix this finding of the code review (P1): Skips the last item" in fix_text
    assert f"lines 3-4 of {repo / 'calc.py'}" in fix_text

    # After a restart, resuming the thread shows its last review's findings again.
    await client.stop()
    again = await start(make_client)
    await again.request("codex/thread/resume", {"threadId": thread_id})
    (restored,) = diagnostics_for(again, repo / "calc.py")
    assert restored == calc
    assert len(diagnostics_for(again, repo / "notes.py")) == 1
    # A fork holds the same review: its findings are not shown twice.
    await again.request("codex/thread/fork", {"threadId": thread_id})
    assert diagnostics_for(again, repo / "calc.py") == [calc]
    client = again

    # codex.clearReview empties every file's review diagnostics.
    cleared = await client.request(
        lsp.WORKSPACE_EXECUTE_COMMAND,
        lsp.ExecuteCommandParams(command="codex.clearReview", arguments=[{}]),
    )
    assert cleared == 3
    for path in (repo / "calc.py", repo / "notes.py", other):
        assert diagnostics_for(client, path) == []


async def test_branch_commit_and_custom_targets(
    make_client: ClientFactory, mock_model: MockModelServer, repo: Path
) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "calc.py").write_text(CHANGED)
    git(repo, "commit", "-q", "-am", "Loop by hand")
    sha = git(repo, "rev-parse", "HEAD")
    (repo / "calc.py").write_text(CHANGED + "\nprint(total([1]))\n")  # uncommitted, too
    client = await start(make_client)
    thread_id = (await client.start_thread(cwd=str(repo)))["thread"]["id"]

    mock_model.enqueue(text_response(review_json(verdict="patch is correct")))
    _started, turn = await review(client, thread_id, {"type": "baseBranch", "branch": "main"})
    assert turn["status"] == "completed"
    sent = model_text(mock_model.requests[-1].body)
    assert "against the base branch 'main'" in sent
    assert "+    result = 0" in sent and "+print(total([1]))" in sent
    entered = completed_items(client, turn["id"])[0]
    assert entered["review"] == "changes against main"

    mock_model.enqueue(text_response(review_json(verdict="patch is correct")))
    _started, turn = await review(client, thread_id, {"type": "commit", "sha": sha[:10]})
    sent = model_text(mock_model.requests[-1].body)
    assert f"commit {sha[:12]} ('Loop by hand')" in sent
    assert "+    result = 0" in sent and "print(total([1]))" not in sent
    assert completed_items(client, turn["id"])[0]["review"] == f"commit {sha[:7]}: Loop by hand"
    exited = completed_items(client, turn["id"])[-1]
    assert exited["output"]["findings"] == [] and "No findings." in exited["review"]

    mock_model.enqueue(text_response(review_json(verdict="patch is correct")))
    custom = "Check calc.py for integer overflow only."
    _started, turn = await review(client, thread_id, {"type": "custom", "instructions": custom})
    assert custom in model_text(mock_model.requests[-1].body)
    assert completed_items(client, turn["id"])[0]["review"] == f"custom: {custom}"

    # Targets that cannot be reviewed are refused before any turn starts.
    turns_before = len(client.of("codex/turn/started"))
    for target, needle in [
        ({"type": "baseBranch", "branch": "no-such-branch"}, "no-such-branch"),
        ({"type": "commit", "sha": "0123456789abcdef"}, "unknown commit"),
        ({"type": "baseBranch", "branch": "--output=/tmp/x"}, "invalid branch"),
        ({"type": "custom", "instructions": "  "}, "empty"),
    ]:
        with pytest.raises(JsonRpcException) as info:
            await client.request("codex/review/start", {"threadId": thread_id, "target": target})
        assert info.value.code == -32602
        data = info.value.data
        assert isinstance(data, dict) and data["errors"][0]["loc"] == ["target"]
        assert needle in str(info.value.message)
    git(repo, "checkout", "-q", "calc.py")
    with pytest.raises(JsonRpcException) as info:
        await client.request(
            "codex/review/start",
            {"threadId": thread_id, "target": {"type": "uncommittedChanges"}},
        )
    assert "nothing to review" in str(info.value.message)
    assert len(client.of("codex/turn/started")) == turns_before


async def test_not_a_repository_is_refused(make_client: ClientFactory, workspace: Path) -> None:
    client = await start(make_client)
    thread_id = (await client.start_thread(cwd=str(workspace)))["thread"]["id"]
    with pytest.raises(JsonRpcException) as info:
        await client.request(
            "codex/review/start",
            {"threadId": thread_id, "target": {"type": "uncommittedChanges"}},
        )
    assert info.value.code == -32602 and "not in a git repository" in str(info.value.message)


async def test_detached_plain_text_and_restart(
    make_client: ClientFactory, mock_model: MockModelServer, repo: Path
) -> None:
    (repo / "calc.py").write_text(CHANGED)
    client = await start(make_client)
    thread_id = (await client.start_thread(cwd=str(repo)))["thread"]["id"]
    # The reviewer reads a file with a tool first: its command is an item of the review.
    mock_model.enqueue(tool_call_response("shell", {"command": ["cat", "calc.py"]}))
    mock_model.enqueue(text_response("Looks fine to me, nothing to flag."))
    started, turn = await review(
        client, thread_id, {"type": "uncommittedChanges"}, delivery="detached"
    )
    review_thread = started["reviewThreadId"]
    assert review_thread != thread_id and turn["status"] == "completed"
    order = [
        (m, p)
        for m, p, _ in client.notifications
        if (m == "codex/thread/started" and p["thread"]["id"] == review_thread)
        or (m == "codex/turn/started" and p["threadId"] == review_thread)
    ]
    assert [m for m, _ in order] == ["codex/thread/started", "codex/turn/started"]
    items = completed_items(client, turn["id"])
    assert [i["type"] for i in items] == [
        "enteredReviewMode",
        "commandExecution",
        "exitedReviewMode",
    ]
    command = items[1]
    assert "calc.py" in command["command"] and "result = 0" in command["aggregatedOutput"]
    assert items[2]["output"] is None
    assert items[2]["review"] == "Looks fine to me, nothing to flag."
    # The reviewer's second request carries its own tool output, in its own history.
    second = mock_model.requests[1].body
    assert any(i.get("type") == "function_call_output" for i in second["input"])
    assert all(d == [] for d in client.lc.diagnostics.values())

    # After a restart the review turn is still there, items and all.
    await client.stop()
    again = await start(make_client)
    resumed = await again.request("codex/thread/resume", {"threadId": review_thread})
    (saved,) = resumed["thread"]["turns"]
    assert saved["status"] == "completed"
    assert [i["type"] for i in saved["items"]] == [
        "enteredReviewMode",
        "commandExecution",
        "exitedReviewMode",
    ]
    assert saved["items"][2]["review"] == "Looks fine to me, nothing to flag."
    parent = await again.request("codex/thread/read", {"threadId": thread_id, "includeTurns": True})
    assert parent["thread"]["turns"] == []  # detached: the parent thread is untouched


async def test_interrupting_the_review_interrupts_the_reviewer(
    make_client: ClientFactory, mock_model: MockModelServer, repo: Path
) -> None:
    (repo / "calc.py").write_text(CHANGED)
    client = await start(make_client)
    thread_id = (await client.start_thread(cwd=str(repo)))["thread"]["id"]
    mock_model.enqueue(hang_response(after_events=2))
    started = await client.request(
        "codex/review/start", {"threadId": thread_id, "target": {"type": "uncommittedChanges"}}
    )
    turn_id = started["turn"]["id"]
    await eventually(lambda: len(mock_model.requests) >= 1)
    await client.request("codex/turn/interrupt", {"threadId": thread_id, "turnId": turn_id})
    done = await client.wait_for("codex/turn/completed", lambda p: p["turn"]["id"] == turn_id)
    assert done["turn"]["status"] == "interrupted"
    items = completed_items(client, turn_id)
    assert items[0]["type"] == "enteredReviewMode" and items[-1]["type"] == "exitedReviewMode"
    assert items[-1]["output"] is None and "stopped" in items[-1]["review"]
    # The thread is free again.
    await run_turn(client, mock_model, thread_id, "Hello again", "Hi.")


async def test_review_command_without_a_thread_starts_one_in_the_work_tree(
    make_client: ClientFactory, mock_model: MockModelServer, repo: Path
) -> None:
    (repo / "calc.py").write_text(CHANGED)
    client = await start(make_client)
    mock_model.enqueue(text_response(review_json(finding("Off", repo / "calc.py", 2, 2, 0))))
    result = await client.request(
        lsp.WORKSPACE_EXECUTE_COMMAND,
        lsp.ExecuteCommandParams(
            command="codex.review", arguments=[{"uri": (repo / "calc.py").as_uri()}]
        ),
    )
    done = await client.wait_for(
        "codex/turn/completed", lambda p: p["turn"]["id"] == result["turn"]["id"]
    )
    assert done["turn"]["status"] == "completed"
    (started,) = client.of("codex/thread/started")
    assert started["thread"]["cwd"] == str(repo)
    (diagnostic,) = diagnostics_for(client, repo / "calc.py")
    assert diagnostic["severity"] == lsp.DiagnosticSeverity.Error and diagnostic["code"] == "P0"


async def test_reviewer_approvals_reach_the_client_under_the_review_turn(
    make_client: ClientFactory, mock_model: MockModelServer, repo: Path
) -> None:
    (repo / "calc.py").write_text(CHANGED)
    answers = Answers()
    client = await make_client(
        codex_caps={"approvals": True, "deltas": True}, before_start=answers.install
    )
    thread_id = (await client.start_thread(cwd=str(repo), approvalPolicy="untrusted"))["thread"][
        "id"
    ]
    answers.decisions.append("decline")
    answers.titles.append("Decline")
    mock_model.enqueue(
        tool_call_response("shell", {"command": ["python3", "calc.py"]}),
        text_response(review_json(verdict="patch is correct")),
    )
    _started, turn = await review(client, thread_id, {"type": "uncommittedChanges"})
    assert turn["status"] == "completed"
    ((method, asked),) = answers.requests
    assert method == "codex/item/commandExecution/requestApproval"
    assert asked["threadId"] == thread_id and asked["turnId"] == turn["id"]
    command = next(
        i for i in completed_items(client, turn["id"]) if i["type"] == "commandExecution"
    )
    assert command["status"] == "declined" and asked["itemId"] == command["id"]
    # While it waited, the parent thread said so.
    statuses = [p["status"] for p in client.of("codex/thread/status/changed")]
    assert {"type": "active", "activeFlags": ["waitingOnApproval"]} in statuses
