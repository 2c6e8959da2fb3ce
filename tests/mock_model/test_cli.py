"""The ``python -m codex_lsp.mock_model`` CLI, run as a real subprocess."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from importlib import resources
from pathlib import Path

import pytest
from openai import AsyncOpenAI
from openai.types.responses import ResponseCompletedEvent, ResponseFunctionToolCall

import codex_lsp

from .helpers import TIMEOUT, collect, within

REPO_ROOT = Path(codex_lsp.__file__).resolve().parents[1]


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
async def test_cli_serves_script_and_exits_cleanly(tmp_path: Path, stop_signal: int) -> None:
    script = resources.files("codex_lsp.mock_model").joinpath("scripts/example.json")
    port_file = tmp_path / "port"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "codex_lsp.mock_model",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--script",
        str(script),
        "--port-file",
        str(port_file),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        line = await within(proc.stdout.readline(), 20)
        info = json.loads(line)
        assert set(info) == {"url", "port"}
        assert info["url"] == f"http://127.0.0.1:{info['port']}/v1"
        assert int(port_file.read_text().strip()) == info["port"]

        sdk = AsyncOpenAI(base_url=info["url"], api_key="x", max_retries=0, timeout=TIMEOUT)
        try:
            first = await collect(
                await within(sdk.responses.create(model="m", input="hi", stream=True))
            )
            second = await collect(
                await within(sdk.responses.create(model="m", input="hi", stream=True))
            )
        finally:
            await sdk.close()
        assert isinstance(first[-1], ResponseCompletedEvent)
        call = first[-1].response.output[-1]
        assert isinstance(call, ResponseFunctionToolCall) and call.call_id == "call_example_1"
        assert isinstance(second[-1], ResponseCompletedEvent)
        assert second[-1].response.output_text.startswith("The directory contains")
        usage = second[-1].response.usage
        assert usage is not None and usage.input_tokens_details.cached_tokens == 1024

        proc.send_signal(stop_signal)
        assert await within(proc.wait(), 15) == 0
        assert await within(proc.stdout.read()) == b""  # exactly one line on stdout
        stderr = await within(proc.stderr.read())
        assert b"Traceback" not in stderr
    finally:
        if proc.returncode is None:
            os.kill(proc.pid, signal.SIGKILL)
            await asyncio.wait_for(proc.wait(), 10)
