"""What the model is told: base instructions, `AGENTS.md`, and the environment context."""

from __future__ import annotations

import os
from functools import cache
from importlib import resources
from pathlib import Path

from ..protocol.sandbox import SandboxPolicy

AGENTS_FILE = "AGENTS.md"
AGENTS_MAX_BYTES = 32 * 1024
ENV_OPEN, ENV_CLOSE = "<environment_context>", "</environment_context>"
AGENTS_OPEN = "<user_instructions>"


@cache
def base_instructions() -> str:
    """Our own base instructions, shipped with the package."""
    return (
        resources.files("codex_lsp.core")
        .joinpath("prompts/base_instructions.md")
        .read_text(encoding="utf-8")
    )


def agents_md(cwd: str) -> str | None:
    """`AGENTS.md` of the workspace root (capped in size), if there is one."""
    path = Path(cwd) / AGENTS_FILE
    try:
        with path.open("rb") as fh:
            data = fh.read(AGENTS_MAX_BYTES)
    except OSError:
        return None
    text = data.decode("utf-8", errors="replace").strip()
    return text or None


def _sandbox_lines(policy: SandboxPolicy) -> list[str]:
    if policy.type == "dangerFullAccess":
        return [
            "  <sandbox_mode>danger-full-access</sandbox_mode>",
            "  <network_access>enabled</network_access>",
        ]
    mode = "read-only" if policy.type == "readOnly" else "workspace-write"
    lines = [f"  <sandbox_mode>{mode}</sandbox_mode>"]
    if policy.type == "workspaceWrite" and policy.writable_roots:
        lines.append("  <writable_roots>")
        lines += [f"    <root>{root}</root>" for root in policy.writable_roots]
        lines.append("  </writable_roots>")
    network = "enabled" if policy.network_access else "restricted"
    lines.append(f"  <network_access>{network}</network_access>")
    return lines


def environment_context(cwd: str, approval_policy: str, sandbox: SandboxPolicy) -> str:
    """The environment the model works in, as a tagged block."""
    shell = os.path.basename(os.environ.get("SHELL", "")) or "sh"
    lines = [
        ENV_OPEN,
        f"  <cwd>{cwd}</cwd>",
        f"  <approval_policy>{approval_policy}</approval_policy>",
        *_sandbox_lines(sandbox),
        f"  <shell>{shell}</shell>",
        ENV_CLOSE,
    ]
    return "\n".join(lines)


def user_text_message(text: str) -> dict[str, object]:
    """A user-role input message in Responses form."""
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def developer_message(text: str) -> dict[str, object]:
    """A developer-role input message in Responses form."""
    return {
        "type": "message",
        "role": "developer",
        "content": [{"type": "input_text", "text": text}],
    }


def agents_message(cwd: str) -> dict[str, object] | None:
    """`AGENTS.md` as a user message the model treats as standing instructions."""
    text = agents_md(cwd)
    if text is None:
        return None
    body = f"# AGENTS.md instructions for {cwd}\n\n{AGENTS_OPEN}\n{text}\n</user_instructions>"
    return user_text_message(body)
