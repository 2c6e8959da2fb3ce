"""A plain LSP client (no `experimental.codex`: Neovim with only `vim.lsp.enable`, any generic
client) is not blind: the real server keeps a transcript of each thread under
`$CODEX_HOME/transcripts/`, opens it with `window/showDocument` (without focus, once per
thread and connection), announces each turn's end with `window/showMessage`, and asks to
approve a file change with its hunk count and diff."""

from __future__ import annotations

import asyncio
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp

from codex_lsp.mock_model import (
    MockModelServer,
    custom_tool_call_response,
    hang_response,
    reasoning_then_text,
    text_response,
    tool_call_response,
)
from codex_lsp.server.diff_text import (
    ChangeView,
    DiffStats,
    change_prompt,
    code_span,
    diff_stats,
    excerpt_lines,
)
from tests.conftest import ClientFactory
from tests.e2e.test_neovim import ORIGINAL, TWO_HUNKS
from tests.e2e.tool_helpers import Answers
from tests.lsp_client import TIMEOUT, CodexClient

COMMAND = "echo hi > ran.txt && echo hi"
ANSWER = "All done.\nThe file has two new lines."


class Window:
    """What the server showed the user: `window/showMessage` and `window/showDocument`
    (recorded by pytest-lsp's own handlers, which this wraps to wake waiters)."""

    def __init__(self, client: CodexClient) -> None:
        self.client = client
        self._changed = asyncio.Event()
        features = client.lc.protocol.fm.features
        for method in (lsp.WINDOW_SHOW_MESSAGE, lsp.WINDOW_SHOW_DOCUMENT):
            features[method] = self._wake(features[method])

    def _wake(self, handler: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def run(params: Any) -> Any:
            result = handler(params)
            self._changed.set()
            return result

        return run

    @property
    def messages(self) -> list[str]:
        return [m.message for m in self.client.lc.messages if m.message.startswith("Codex:")]

    @property
    def documents(self) -> list[lsp.ShowDocumentParams]:
        """The transcripts shown (changed files are shown too: see test_editor_documents)."""
        return [d for d in self.client.lc.shown_documents if "/transcripts/" in d.uri]

    async def wait(self, what: str, check: Callable[[], bool]) -> None:
        async with asyncio.timeout(TIMEOUT):
            while not check():
                self._changed.clear()
                await self._changed.wait()


def transcript(home: Path, thread_id: str) -> Path:
    return home / "transcripts" / f"{thread_id}.md"


async def file_contains(path: Path, text: str) -> None:
    """Wait until the file holds `text`. The file is all a reader gets (no notification
    says it was written), so it is read again every 50 ms, within the timeout."""
    async with asyncio.timeout(TIMEOUT):
        while not (path.exists() and text in path.read_text()):  # noqa: ASYNC110 (no event)
            await asyncio.sleep(0.05)


async def plain_client(make_client: ClientFactory, answers: Answers) -> tuple[CodexClient, Window]:
    holder: list[Window] = []

    def install(client: CodexClient) -> None:
        answers.install(client)
        holder.append(Window(client))

    # Neovim's recorded capabilities: applyEdit without change annotations, showDocument.
    client = await make_client(capabilities="neovim@v0.10.0", before_start=install)
    return client, holder[0]


async def test_a_turn_is_readable_in_the_transcript_the_server_opens(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path, codex_home: Path
) -> None:
    (workspace / "notes.txt").write_text(ORIGINAL)
    answers = Answers()
    answers.titles = ["Run", "Apply"]
    client, window = await plain_client(make_client, answers)
    thread = (await client.start_thread(approvalPolicy="untrusted"))["thread"]["id"]
    mock_model.enqueue(
        tool_call_response("shell", {"command": ["bash", "-c", COMMAND]}, call_id="c1"),
        custom_tool_call_response("apply_patch", TWO_HUNKS, call_id="p1"),
        reasoning_then_text(["Checking the result."], ANSWER),
    )
    turn = await client.turn(thread, "please run a command and edit notes.txt")
    assert turn["status"] == "completed", turn

    # The approval of the edit carries its hunks and diff.
    prompts = [p.message for m, p in answers.requests if m == lsp.WINDOW_SHOW_MESSAGE_REQUEST]
    assert len(prompts) == 2, prompts
    assert prompts[0] == f"Codex wants to run: {COMMAND}\nin {workspace}"
    change = prompts[1]
    assert change.startswith(f"Codex wants to change {workspace / 'notes.txt'} (2 hunks, +2 -2)")
    for line in (
        "@@ -1,6 +1,6 @@",
        "@@ -23,7 +23,7 @@",
        "-line 3",
        "+line three",
        "-line 26",
        "+line twenty-six",
    ):
        assert f"\n{line}\n" in change + "\n", line

    # The transcript: announced, then shown once, without focus, at the turn.
    await window.wait("the transcript shown", lambda: bool(window.documents))
    path = transcript(codex_home, thread)
    (shown,) = window.documents
    assert shown.uri == path.as_uri() and shown.take_focus is False
    text = path.read_text()
    assert shown.selection is not None
    assert text.splitlines()[shown.selection.start.line].startswith("## Turn 1 · ")
    assert window.messages == ["Codex: All done."]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert text.startswith(f"# Codex thread {thread}\n")
    assert "### You\n\nplease run a command and edit notes.txt\n" in text
    assert f"**Ran** `{COMMAND}` · exit 0 · " in text
    assert "```text\nhi\n```" in text
    assert "**Edited** `notes.txt` · 2 hunks, +2 -2\n```diff\n" in text
    assert "+line twenty-six\n" in text
    assert "> Checking the result." in text
    assert f"\n\n{ANSWER}\n\n_Turn completed · " in text
    order = [text.index(s) for s in ("### You", "**Ran**", "**Edited**", ANSWER, "_Turn completed")]
    assert order == sorted(order)

    # A second turn: appended and announced; the document is not shown again.
    mock_model.enqueue(text_response("Second answer."))
    await client.turn(thread, "and now?")
    await window.wait("the second announcement", lambda: len(window.messages) == 2)
    assert window.messages[-1] == "Codex: Second answer."
    text = path.read_text()
    assert "## Turn 2 · " in text and "### You\n\nand now?\n" in text
    assert text.rstrip().endswith("_") and "Second answer." in text
    assert len(window.documents) == 1


async def test_the_transcript_follows_a_running_turn_and_its_interruption(
    make_client: ClientFactory, mock_model: MockModelServer, workspace: Path, codex_home: Path
) -> None:
    answers = Answers()
    client, window = await plain_client(make_client, answers)
    thread = (await client.start_thread(approvalPolicy="never"))["thread"]["id"]
    mock_model.enqueue(
        tool_call_response("shell", {"command": ["bash", "-c", "echo early"]}, call_id="c1"),
        hang_response(4),
    )
    started = await client.request(
        "codex/turn/start", {"threadId": thread, "input": [{"type": "text", "text": "go"}]}
    )
    turn_id = started["turn"]["id"]
    await client.wait_for(
        "codex/item/started",
        lambda p: p["turnId"] == turn_id and p["item"]["type"] == "agentMessage",
    )
    path = transcript(codex_home, thread)
    # Written while the turn runs (the command's item completed before the hang).
    ran = "**Ran** `echo early` · exit 0"
    await file_contains(path, ran)
    assert "_Turn" not in path.read_text()
    await client.request("codex/turn/interrupt", {"threadId": thread, "turnId": turn_id})
    await window.wait("the end announced", lambda: bool(window.messages))
    assert window.messages == ["Codex: turn interrupted"]
    warnings = [m for m in client.lc.messages if m.message == "Codex: turn interrupted"]
    assert warnings[0].type == lsp.MessageType.Warning
    assert "_Turn interrupted · " in path.read_text()


async def test_clients_with_the_codex_ui_get_no_transcript(
    make_client: ClientFactory, mock_model: MockModelServer, codex_home: Path
) -> None:
    client = await make_client(codex_caps={"approvals": False, "deltas": True})
    thread = (await client.start_thread())["thread"]["id"]
    mock_model.enqueue(text_response("hello"))
    await client.turn(thread, "hi")
    # The turn's own notifications are all sent before the thread goes idle.
    await client.wait_for("codex/thread/status/changed", lambda p: p["status"]["type"] == "idle")
    assert not (codex_home / "transcripts").exists()
    assert [m for m in client.lc.messages if m.message.startswith("Codex:")] == []
    assert client.lc.shown_documents == []


async def test_ephemeral_threads_are_announced_but_keep_no_transcript(
    make_client: ClientFactory, mock_model: MockModelServer, codex_home: Path
) -> None:
    answers = Answers()
    client, window = await plain_client(make_client, answers)
    thread = (await client.start_thread(ephemeral=True))["thread"]["id"]
    mock_model.enqueue(text_response("Nothing kept."))
    await client.turn(thread, "hi")
    await window.wait("the end announced", lambda: bool(window.messages))
    assert window.messages == ["Codex: Nothing kept."]
    assert not transcript(codex_home, thread).exists()
    assert window.documents == []


async def test_a_resumed_thread_appends_to_its_transcript(
    make_client: ClientFactory, mock_model: MockModelServer, codex_home: Path
) -> None:
    answers = Answers()
    first, window = await plain_client(make_client, answers)
    thread = (await first.start_thread())["thread"]["id"]
    mock_model.enqueue(text_response("First answer."))
    await first.turn(thread, "first question")
    await window.wait("shown", lambda: bool(window.documents))
    await first.stop()
    path = transcript(codex_home, thread)
    before = path.read_text()

    second, window = await plain_client(make_client, Answers())
    await second.request("codex/thread/resume", {"threadId": thread})
    mock_model.enqueue(text_response("Second answer."))
    await second.turn(thread, "second question")
    # Shown again: once per thread on each connection.
    await window.wait("shown", lambda: bool(window.documents))
    text = path.read_text()
    assert text.startswith(before.rstrip("\n"))
    assert text.count("## Turn 1") == 1 and "## Turn 2 · " in text
    assert text.index("second question") > text.index("First answer.")
    (shown,) = window.documents
    assert text.splitlines()[shown.selection.start.line].startswith("## Turn 2")  # type: ignore[union-attr]


# ---- the text helpers (pure) -------------------------------------------------------------


def test_diff_stats_count_lines_by_hunk_headers() -> None:
    # Changed lines that look like file headers ("--- x" removed, "+++ y" added) count.
    diff = (
        "--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n--- old\n+++ new\n c\n"
        "@@ -10 +10,2 @@\n-z\n+y\n+w\n\\ No newline at end of file\n"
    )
    assert diff_stats(diff) == DiffStats(added=3, removed=2, hunks=2)
    assert diff_stats("--- /dev/null\n+++ b/n\n@@ -0,0 +1,2 @@\n+a\n+b\n").summary() == (
        "1 hunk, +2 -0"
    )


def test_prompt_text_is_bounded() -> None:
    lines = "".join(f"+line {i}\n" for i in range(100))
    diff = f"--- /dev/null\n+++ b/big.txt\n@@ -0,0 +1,100 @@\n{lines}"
    view = ChangeView("add", "/w/big.txt", None, diff, "/w")
    text = change_prompt([view], "a reason")
    shown = text.splitlines()
    assert shown[:2] == ["Codex wants to change big.txt (1 hunk, +100 -0)", "Reason: a reason"]
    assert len(shown) == 2 + 40 and shown[-1] == "… 64 more lines"
    assert code_span("a `b` c") == "``a `b` c``" and code_span("`x") == "`` `x ``"
    assert code_span("ls  -la\n") == "`ls -la`"
    assert excerpt_lines([str(i) for i in range(10)], 5) == ["0", "1", "… 6 more lines", "8", "9"]
