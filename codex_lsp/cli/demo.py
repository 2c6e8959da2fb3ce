"""`codex-lsp demo`: a real turn through the real agent, against a simulated model.

The bundled mock model runs on 127.0.0.1 and answers with a scripted stream, so someone
without an API key sees the product work end to end: threads, streamed reasoning and
answer, persistence. Nothing leaves this machine.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from ..mock_model import MockModelServer, reasoning_then_text
from .exec_run import run_exec

PROMPT = "What is codex-lsp?"
SUMMARY = [
    "**Explaining the product**\n\nThe user wants a short overview of what codex-lsp does "
    "and how an editor talks to it.",
]
ANSWER = (
    "codex-lsp is a coding agent served to your editor as a language server. "
    "You start threads and send turns; the agent's reasoning and answer stream into the "
    "editor as they are written, commands and file edits pass through your approval, and "
    "every thread is saved so you can resume, fork or archive it later.\n\n"
    "To use it for real, point `$CODEX_HOME/config.toml` at a model provider (OpenAI, or a "
    "local Ollama / vLLM / LM Studio server) and run `codex-lsp` from your editor's LSP "
    'client, or `codex-lsp exec "your prompt"` in a terminal.'
)


async def run_demo(*, json_mode: bool = False) -> int:
    """Run one scripted turn; returns the exit code."""
    banner = (
        "codex-lsp demo: the model is SIMULATED (a scripted mock on 127.0.0.1); "
        "the agent, streaming and persistence are real."
    )
    print(banner, file=sys.stderr)
    async with MockModelServer() as mock:
        mock.enqueue(
            reasoning_then_text(SUMMARY, ANSWER, delay_ms_between_events=15.0),
        )
        with tempfile.TemporaryDirectory(prefix="codex-lsp-demo-") as tmp:
            home = Path(tmp)
            (home / "config.toml").write_text(
                'model = "gpt-5.1-codex"\n'
                'model_provider = "demo"\n'
                "[model_providers.demo]\n"
                'name = "simulated model"\n'
                f'base_url = "{mock.url}"\n'
                'wire_api = "responses"\n',
                encoding="utf-8",
            )
            print(f"> {PROMPT}", file=sys.stderr)
            code = await run_exec(PROMPT, home=home, json_mode=json_mode, cwd=os.getcwd())
            saved = sorted((home / "sessions").rglob("*.jsonl"))
            if saved:
                print(f"(thread saved as {saved[0].name}; removed with the demo)", file=sys.stderr)
            return code
