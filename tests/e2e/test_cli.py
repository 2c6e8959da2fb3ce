"""The commands a newcomer runs: `exec`, `exec --json`, `demo`, `--tcp`; and secrets."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from codex_lsp.mock_model import MockModelServer, reasoning_then_text, text_response

SECRET = "sk-test-SECRET-0123456789abcdef"


def _env(home: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "CODEX_HOME": str(home), "MOCK_API_KEY": SECRET, **extra}


async def _run(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "codex_lsp",
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    return subprocess.CompletedProcess(args, proc.returncode, out.decode(), err.decode())


async def test_exec_renders_the_turn(
    codex_home: Path, workspace: Path, mock_model: MockModelServer
) -> None:
    mock_model.enqueue(reasoning_then_text(["Planning the reply."], "Hello from exec."))
    result = await _run("exec", "say hello", env=_env(codex_home), cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert "Hello from exec." in result.stdout
    assert "Planning the reply." in result.stdout
    assert mock_model.requests[0].body["input"][-1]["content"][0]["text"] == "say hello"
    rollouts = list((codex_home / "sessions").rglob("*.jsonl"))
    assert len(rollouts) == 1


async def test_exec_json_prints_notifications(
    codex_home: Path, workspace: Path, mock_model: MockModelServer
) -> None:
    mock_model.enqueue(text_response("json mode answer"))
    result = await _run("exec", "--json", "hi", env=_env(codex_home), cwd=workspace)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    methods = [line["method"] for line in lines]
    assert methods[0] == "codex/thread/started"
    assert methods.index("codex/turn/started") < methods.index("codex/turn/completed")
    deltas = [x["params"]["delta"] for x in lines if x["method"].endswith("agentMessage/delta")]
    assert "".join(deltas) == "json mode answer"


async def test_exec_fails_clearly_without_a_model(codex_home: Path, workspace: Path) -> None:
    (codex_home / "config.toml").write_text(
        (codex_home / "config.toml").read_text().replace("127.0.0.1:", "127.0.0.1:1")
    )
    result = await _run("exec", "hi", env=_env(codex_home), cwd=workspace)
    assert result.returncode == 1
    assert "cannot reach the model" in result.stderr


async def test_demo_runs_without_any_setup(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith("API_KEY")}
    env["CODEX_HOME"] = str(tmp_path / "untouched")
    result = await _run("demo", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "SIMULATED" in result.stderr
    assert "codex-lsp is a coding agent" in result.stdout
    assert not (tmp_path / "untouched").exists()


async def test_secret_never_reaches_files_or_logs(
    codex_home: Path, workspace: Path, mock_model: MockModelServer
) -> None:
    mock_model.enqueue(text_response("fine"))
    log = codex_home / "server.log"
    result = await _run(
        "--log-level",
        "DEBUG",
        "--log-file",
        str(log),
        "exec",
        "hi",
        env=_env(codex_home),
        cwd=workspace,
    )
    assert result.returncode == 0, result.stderr
    assert mock_model.requests[0].headers["authorization"] == f"Bearer {SECRET}"
    for path in codex_home.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    assert SECRET not in result.stdout and SECRET not in result.stderr


async def test_tcp_transport_serves_initialize(codex_home: Path, workspace: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "codex_lsp",
        "--tcp",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        env=_env(codex_home),
        cwd=workspace,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.1)
        else:
            raise AssertionError("server did not listen")
        body = json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {"processId": None, "rootUri": None, "capabilities": {}},
            }
        ).encode()
        writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        await writer.drain()
        header = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 15)
        length = int(header.split(b"Content-Length: ")[1].split(b"\r\n")[0])
        reply = json.loads(await asyncio.wait_for(reader.readexactly(length), 15))
        assert (
            "codex/turn/start"
            in reply["result"]["capabilities"]["experimental"]["codex"]["methods"]
        )
        writer.close()
    finally:
        if proc.returncode is None:
            os.kill(proc.pid, signal.SIGKILL)
        await asyncio.wait_for(proc.wait(), 15)
