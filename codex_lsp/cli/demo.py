"""`codex-lsp demo`: a real turn through the real agent, against a simulated model.

The bundled mock model runs on 127.0.0.1 and answers with a scripted stream, so someone
without an API key sees what the product does, offline: the agent looks around (a command
and its output), proposes an edit whose diff is shown and approved, runs the changed code
(another approval), and streams its answer. The project is a small file in a temporary
folder, removed afterwards with the thread.

Approvals are asked on the terminal. When stdin is not a terminal (a pipe, CI) the demo
approves by itself and says so on each prompt.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from ..mock_model import (
    CustomToolCallItem,
    FunctionCallItem,
    MessageItem,
    MockModelServer,
    MockResponse,
    ReasoningItem,
)
from .approvals import TerminalApprovals
from .exec_run import run_exec

PROMPT = "Make greet() in greet.py friendlier, and show me that it works."
FILE = "greet.py"
ORIGINAL = 'def greet(name):\n    return "Hello " + name\n'
PATCH = f"""*** Begin Patch
*** Update File: {FILE}
@@
 def greet(name):
-    return "Hello " + name
+    \"\"\"Greet `name` warmly.\"\"\"
+    return f"Hello, {{name}}! Nice to see you."
*** End Patch"""
ANSWER = (
    "Done: `greet()` now says *Hello, world! Nice to see you.* I read the file, changed "
    "it with your approval, and ran it to check.\n\n"
    "That was codex-lsp: a coding agent served to your editor as a language server. Its "
    "reasoning and answer stream in as they are written, commands and file edits pass "
    "through your approval (in the editor: per hunk, in its own diff view), and every "
    "thread is saved so you can resume, fork or archive it.\n\n"
    "To use it for real, point `$CODEX_HOME/config.toml` at a model provider (OpenAI, or a "
    "local Ollama / vLLM / LM Studio server) and run `codex-lsp` from your editor's LSP "
    'client, or `codex-lsp exec "your prompt"` in a terminal.'
)
AUTO_APPROVE = "stdin is not a terminal: the demo approves by itself"


def _shell(command: list[str], call_id: str) -> FunctionCallItem:
    return FunctionCallItem(
        name="shell", arguments=json.dumps({"command": command}), call_id=call_id
    )


def script() -> list[MockResponse]:
    """What the simulated model answers, request by request."""
    run = 'from greet import greet; print(greet("world"))'
    return [
        MockResponse(
            items=[
                ReasoningItem(summary=["**Looking around**\n\nFirst, what is in the project."]),
                _shell(["bash", "-c", f"ls && cat {FILE}"], "demo_look"),
            ],
            delay_ms_between_events=10.0,
        ),
        MockResponse(
            items=[
                ReasoningItem(summary=["**Editing**\n\nA friendlier greeting, documented."]),
                CustomToolCallItem(name="apply_patch", input=PATCH, call_id="demo_edit"),
            ],
            delay_ms_between_events=10.0,
        ),
        MockResponse(
            items=[_shell([sys.executable, "-c", run], "demo_run")],
            delay_ms_between_events=10.0,
        ),
        MockResponse(
            items=[
                ReasoningItem(summary=["**Wrapping up**\n\nIt works; time to say so."]),
                MessageItem(text=ANSWER),
            ],
            delay_ms_between_events=15.0,
        ),
    ]


async def run_demo(*, json_mode: bool = False) -> int:
    """Run the scripted turn; returns the exit code."""
    interactive = sys.stdin.isatty()
    print(
        "codex-lsp demo: the model is SIMULATED (a scripted mock on 127.0.0.1); the agent, "
        "its tools, approvals and persistence are real. Nothing leaves this machine.",
        file=sys.stderr,
    )
    if not interactive:
        print(f"({AUTO_APPROVE}.)", file=sys.stderr)
    async with MockModelServer() as mock:
        mock.enqueue(*script())
        with tempfile.TemporaryDirectory(prefix="codex-lsp-demo-") as tmp:
            home = Path(tmp) / "home"
            project = Path(tmp) / "project"
            home.mkdir()
            project.mkdir()
            (project / FILE).write_text(ORIGINAL, encoding="utf-8")
            (home / "config.toml").write_text(
                'model = "gpt-5.1-codex"\n'
                'model_provider = "demo"\n'
                'approval_policy = "untrusted"\n'
                "[model_providers.demo]\n"
                'name = "simulated model"\n'
                f'base_url = "{mock.url}"\n'
                'wire_api = "responses"\n',
                encoding="utf-8",
            )
            print(f"(project: {project}, one file: {FILE})", file=sys.stderr)
            print(f"> {PROMPT}", file=sys.stderr)
            approvals = TerminalApprovals(interactive, auto_approve=AUTO_APPROVE, cwd=str(project))
            code = await run_exec(
                PROMPT, home=home, json_mode=json_mode, cwd=str(project), approvals=approvals
            )
            saved = sorted((home / "sessions").rglob("*.jsonl"))
            if saved:
                print(
                    f"(thread saved as {saved[0].name}; removed with the demo's folder)",
                    file=sys.stderr,
                )
            return code
