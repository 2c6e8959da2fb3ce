"""`codex-lsp review` as a user runs it: a real subprocess in a temporary git repository,
the mock model over HTTP on 127.0.0.1 (CODEX_HOME's config.toml points at it). Findings on
stdout as `path:line: [P1] title` lines or one JSON object, progress on stderr, exit codes
1 (P0/P1 finding, failed or interrupted review), 0 (none), 2 (usage, unreviewable target)."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from pathlib import Path

from codex_lsp.mock_model import (
    MockModelServer,
    error_response,
    hang_response,
    reasoning_then_text,
    text_response,
    tool_call_response,
)
from tests.e2e.editor_helpers import model_text
from tests.e2e.test_cli import _env, _run
from tests.e2e.test_review import CHANGED, finding, git, review_json
from tests.e2e.test_review import repo as repo  # the fixture: a git repository on main

TIMEOUT = 60


def set_review_model(home: Path, model: str) -> None:
    config = home / "config.toml"
    config.write_text(f'review_model = "{model}"\n' + config.read_text())


async def test_uncommitted_findings_as_lines_and_exit_1(
    codex_home: Path, repo: Path, mock_model: MockModelServer
) -> None:
    (repo / "calc.py").write_text(CHANGED)
    (repo / "notes.py").write_text("TODO = 'write notes'\n")
    set_review_model(codex_home, "config-reviewer")
    findings = [
        finding("Name the constant", repo / "notes.py", 1, 1, 3),
        finding("Skips the last item", repo / "calc.py", 3, 4, 1),
    ]
    mock_model.enqueue(
        tool_call_response("shell", {"command": ["cat", "calc.py"]}),
        reasoning_then_text(["Reading the loop bounds."], review_json(*findings)),
    )
    result = await _run("review", env=_env(codex_home), cwd=repo)

    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        "calc.py:3: [P1] Skips the last item (lines 3-4)",
        "notes.py:1: [P3] Name the constant",
        "verdict: patch is incorrect (2 findings, confidence 0.80): Explained.",
    ]
    # Progress and the full review on stderr, never on stdout.
    assert "reviewing uncommitted changes" in result.stderr
    assert "$ cat calc.py" in result.stderr
    assert "Reading the loop bounds." in result.stderr
    assert "Body of Skips the last item." in result.stderr
    assert "Reading the loop bounds." not in result.stdout
    # The reviewer got the diff (untracked file included), with config's review_model.
    body = mock_model.requests[0].body
    assert body["model"] == "config-reviewer"
    sent = model_text(body)
    assert "+    for i in range(len(items) - 1):" in sent
    assert "+TODO = 'write notes'" in sent
    assert len(list((codex_home / "sessions").rglob("*.jsonl"))) == 1


async def test_json_output_and_model_flag(
    codex_home: Path, repo: Path, mock_model: MockModelServer
) -> None:
    (repo / "calc.py").write_text(CHANGED)
    sub = repo / "sub"
    sub.mkdir()
    (sub / "util.py").write_text("X = 1\n")
    set_review_model(codex_home, "config-reviewer")
    findings = [
        finding("Unbounded loop", repo / "calc.py", 3, 3, 2),
        finding("Unused constant", sub / "util.py", 1, 1, 3),
    ]
    mock_model.enqueue(text_response(review_json(*findings, verdict="patch is correct")))
    result = await _run(
        "review", "--json", "-m", "cli-reviewer", "-C", str(sub), env=_env(codex_home), cwd=repo
    )

    assert result.returncode == 0, result.stderr  # P2 and P3 only
    (line,) = result.stdout.splitlines()
    printed = json.loads(line)
    assert printed["findings"] == [
        {
            "title": f["title"],
            "body": f["body"],
            "confidenceScore": f["confidence_score"],
            "priority": f["priority"],
            "codeLocation": {
                "absoluteFilePath": f["code_location"]["absolute_file_path"],
                "lineRange": f["code_location"]["line_range"],
            },
        }
        for f in findings
    ]
    assert printed["overallCorrectness"] == "patch is correct"
    assert printed["overallExplanation"] == "Explained."
    assert printed["overallConfidenceScore"] == 0.8
    assert "[P2] Unbounded loop" in printed["review"]
    assert mock_model.requests[0].body["model"] == "cli-reviewer"  # -m wins over review_model

    # The same review as lines from the subdirectory: its files relative to it, the
    # others (outside it) absolute.
    mock_model.enqueue(text_response(review_json(*findings, verdict="patch is correct")))
    result = await _run("review", "--cwd", str(sub), env=_env(codex_home), cwd=repo)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:2] == [
        f"{repo / 'calc.py'}:3: [P2] Unbounded loop",
        "util.py:1: [P3] Unused constant",
    ]
    assert mock_model.requests[1].body["model"] == "config-reviewer"


async def test_base_branch_and_commit_reach_the_model(
    codex_home: Path, repo: Path, mock_model: MockModelServer
) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "calc.py").write_text(CHANGED)
    git(repo, "commit", "-q", "-am", "Loop by hand")
    sha = git(repo, "rev-parse", "HEAD")
    (repo / "calc.py").write_text(CHANGED + "\nprint(total([1]))\n")  # uncommitted, too

    mock_model.enqueue(text_response(review_json(verdict="patch is correct")))
    result = await _run("review", "--base", "main", env=_env(codex_home), cwd=repo)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "verdict: patch is correct (0 findings, confidence 0.80): Explained.\n"
    assert "reviewing changes against main" in result.stderr
    sent = model_text(mock_model.requests[0].body)
    assert "against the base branch 'main'" in sent
    assert "+    result = 0" in sent and "+print(total([1]))" in sent

    mock_model.enqueue(text_response(review_json(verdict="patch is correct")))
    result = await _run("review", "--commit", sha[:10], env=_env(codex_home), cwd=repo)
    assert result.returncode == 0, result.stderr
    sent = model_text(mock_model.requests[1].body)
    assert f"commit {sha[:12]} ('Loop by hand')" in sent
    assert "+    result = 0" in sent and "print(total([1]))" not in sent

    custom = "Check calc.py for integer overflow only."
    mock_model.enqueue(text_response(review_json(verdict="patch is correct")))
    result = await _run("review", "--custom", custom, env=_env(codex_home), cwd=repo)
    assert result.returncode == 0, result.stderr
    assert custom in model_text(mock_model.requests[2].body)


async def test_plain_text_answer_is_printed(
    codex_home: Path, repo: Path, mock_model: MockModelServer
) -> None:
    (repo / "calc.py").write_text(CHANGED)
    answer = "Looks fine to me, nothing to flag."
    mock_model.enqueue(text_response(answer))
    result = await _run("review", env=_env(codex_home), cwd=repo)
    assert result.returncode == 0, result.stderr
    assert result.stdout == answer + "\n"

    mock_model.enqueue(text_response(answer))
    result = await _run("review", "--json", env=_env(codex_home), cwd=repo)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"output": None, "review": answer}


async def test_unreviewable_targets_exit_2(
    codex_home: Path, repo: Path, tmp_path: Path, mock_model: MockModelServer
) -> None:
    # Not a repository; also: the review path never loads pygls/lsprotocol.
    env = _env(codex_home, PYTHONPROFILEIMPORTTIME="1")  # as `python -X importtime`
    plain = tmp_path / "plain"
    plain.mkdir()
    result = await _run("review", env=env, cwd=plain)
    assert result.returncode == 2
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: {plain} is not in a git repository: fatal: not a git repository "
        "(or any of the parent directories): .git"
    ]
    loaded = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()}
    assert "codex_lsp.cli.review_run" in loaded
    assert not {m for m in loaded if m.split(".")[0] in ("pygls", "lsprotocol")}

    for args, message in [
        ((), "error: there is nothing to review: no uncommitted changes"),
        (("--base", "no-such-branch"), "error: no merge base with branch 'no-such-branch'"),
        (("--commit", "0123456789abcdef"), "error: unknown commit '0123456789abcdef'"),
        (("--custom", " "), "error: custom review instructions are empty"),
        (("--cwd", str(repo / "missing")), f"error: {repo / 'missing'} is not a directory"),
    ]:
        result = await _run("review", *args, env=_env(codex_home), cwd=repo)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.startswith(message), (args, result.stderr)
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert result.stdout == ""

    result = await _run("review", "--base", "main", "--commit", "x", env=_env(codex_home), cwd=repo)
    assert result.returncode == 2
    assert "not allowed with argument" in result.stderr
    assert mock_model.requests == []


async def test_failed_and_interrupted_reviews_exit_1(
    codex_home: Path, repo: Path, mock_model: MockModelServer
) -> None:
    (repo / "calc.py").write_text(CHANGED)
    mock_model.enqueue(error_response(400, body={"error": {"message": "model says no"}}))
    result = await _run("review", "--json", env=_env(codex_home), cwd=repo)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "model says no" in result.stderr

    mock_model.enqueue(hang_response(2))
    before = len(mock_model.requests)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "codex_lsp",
        "review",
        env=_env(codex_home),
        cwd=repo,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await mock_model.wait_for_requests(before + 1, timeout=TIMEOUT)
        proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 1, err.decode()
    assert out == b""
    assert "[turn interrupted]" in err.decode()
    await mock_model.wait_for_disconnect(-1, timeout=TIMEOUT)


def test_help_lists_review_without_loading_pygls() -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "codex_lsp", *args],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=True,
        )

    assert "review" in run("--help").stdout
    done = run("review", "--help")
    for needle in ("--base BRANCH", "--commit SHA", "--custom", "--json", "exit status:"):
        assert needle in done.stdout
    loaded = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    assert "codex_lsp.cli.commands" in loaded
    assert not {m for m in loaded if m.split(".")[0] in ("pygls", "lsprotocol")}
