"""Test data for the benchmarks: CODEX_HOME directories and rollout files written directly.

The records mirror what `TurnRunner` writes for a plain text turn (see
`codex_lsp/core/turns/runner.py`), in the order a real server writes them: `turn_context`,
`turn_started`, the environment-context `response_item` (first turn only), the userMessage
`item_completed`, the user `response_item`, the agentMessage `item_completed`,
`token_usage`, the assistant `response_item`, `turn_completed`.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from codex_lsp.core.threads.paths import index_path, sessions_root
from codex_lsp.core.threads.rollout import RolloutRecord, RolloutWriter, SessionMeta
from codex_lsp.protocol.account import TokenUsage, TokenUsageBreakdown
from codex_lsp.protocol.items import AgentMessageItem, UserMessageItem
from codex_lsp.protocol.user_input import TextInput

__all__ = [
    "CONFIG_TEMPLATE",
    "copy_tree",
    "cwd_for",
    "delete_index",
    "long_thread_records",
    "new_home",
    "provider_for",
    "short_thread_records",
    "write_rollout",
]

CONFIG_TEMPLATE = """model = "gpt-5.1-codex"
model_provider = "mock"
[model_providers.mock]
name = "mock"
base_url = "{base_url}"
env_key = "MOCK_API_KEY"
wire_api = "responses"
"""

_PROVIDERS = ("openai", "mock", "ollama")
_MODELS = {"openai": "gpt-5.1-codex", "mock": "gpt-5.1-codex", "ollama": "qwen3-coder"}
_AGENT_TEXT = (
    "I looked at the module and the failing test. The cache key ignores the `cwd` argument, "
    "so two workspaces share one entry; I changed `_key()` to include it and added a test "
    "that lists threads from two directories. All 214 tests pass now. "
)


def new_home(root: Path, name: str, base_url: str) -> Path:
    """A fresh CODEX_HOME under `root` whose config points at the mock model."""
    home = root / name
    home.mkdir(parents=True)
    (home / "config.toml").write_text(CONFIG_TEMPLATE.format(base_url=base_url))
    return home


def delete_index(home: Path) -> None:
    """Remove the SQLite thread index (and its WAL files) so it gets rebuilt."""
    db = index_path(home)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def _usage(turn: int, last_in: int, last_out: int) -> dict[str, Any]:
    total = TokenUsageBreakdown(
        input_tokens=last_in * (turn + 1),
        cached_input_tokens=last_in * turn // 2,
        output_tokens=last_out * (turn + 1),
        total_tokens=(last_in + last_out) * (turn + 1),
    )
    last = TokenUsageBreakdown(
        input_tokens=last_in,
        cached_input_tokens=last_in // 2,
        output_tokens=last_out,
        total_tokens=last_in + last_out,
    )
    return TokenUsage(total=total, last=last, model_context_window=272_000).wire()


def _turn(
    ts_ms: int,
    index: int,
    *,
    cwd: str,
    provider: str,
    user_text: str,
    agent_text: str,
    first: bool,
) -> list[RolloutRecord]:
    """The records of one completed text turn (timestamps 1 ms apart from `ts_ms`)."""
    turn_id = str(uuid.uuid4())
    context = {
        "turnId": turn_id,
        "cwd": cwd,
        "model": _MODELS[provider],
        "modelProvider": provider,
        "approvalPolicy": "on-request",
        "sandbox": {"type": "workspaceWrite", "writableRoots": [], "networkAccess": False},
        "effort": "medium",
        "summary": "auto",
    }
    user = UserMessageItem(id=f"user_{uuid.uuid4().hex[:24]}", content=[TextInput(text=user_text)])
    agent = AgentMessageItem(id=f"msg_{uuid.uuid4().hex[:24]}", text=agent_text)
    payloads: list[tuple[str, dict[str, Any]]] = [
        ("turn_context", context),
        ("turn_started", {"turnId": turn_id}),
    ]
    if first:
        env = (
            f"<environment_context>\n  <cwd>{cwd}</cwd>\n  <approval_policy>on-request"
            "</approval_policy>\n  <sandbox_mode>workspace-write</sandbox_mode>\n"
            "  <network_access>restricted</network_access>\n  <shell>bash</shell>\n"
            "</environment_context>"
        )
        item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": env}]}
        payloads.append(("response_item", {"turnId": turn_id, "item": item}))
    payloads += [
        ("item_completed", {"turnId": turn_id, "item": user.wire()}),
        (
            "response_item",
            {
                "turnId": turn_id,
                "item": {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": user_text}],
                },
            },
        ),
        ("item_completed", {"turnId": turn_id, "item": agent.wire()}),
        ("token_usage", {"turnId": turn_id, "tokenUsage": _usage(index, 3_000, 120)}),
        (
            "response_item",
            {
                "turnId": turn_id,
                "item": {
                    "type": "message",
                    "role": "assistant",
                    "id": agent.id,
                    "content": [{"type": "output_text", "text": agent_text}],
                },
            },
        ),
        ("turn_completed", {"turnId": turn_id, "status": "completed", "error": None}),
    ]
    return [RolloutRecord(ts_ms + n, kind, payload) for n, (kind, payload) in enumerate(payloads)]


def short_thread_records(
    created_at: int, number: int, cwd: str, provider: str
) -> list[RolloutRecord]:
    """One short completed turn, like a typical quick question."""
    return _turn(
        created_at * 1000 + 5,
        0,
        cwd=cwd,
        provider=provider,
        user_text=f"Why does test_{number} fail on CI but not locally? Look at conftest.py.",
        agent_text=_AGENT_TEXT,
        first=True,
    )


def long_thread_records(
    created_at: int, turns: int, cwd: str, provider: str = "mock"
) -> list[RolloutRecord]:
    """`turns` completed turns (user message + agent message + response items each)."""
    records: list[RolloutRecord] = []
    for index in range(turns):
        records += _turn(
            created_at * 1000 + 1_000 * index,
            index,
            cwd=cwd,
            provider=provider,
            user_text=f"Step {index}: now refactor the next function in src/module_{index}.py "
            "the same way and run the tests again.",
            agent_text=f"Step {index} done. " + _AGENT_TEXT,
            first=index == 0,
        )
    return records


def write_rollout(
    home: Path,
    *,
    created_at: int,
    cwd: str,
    provider: str,
    records: Sequence[RolloutRecord],
    thread_id: str | None = None,
) -> tuple[str, Path]:
    """Write one rollout (meta + `records`) under `home`; `(thread id, path)`."""
    meta = SessionMeta(
        id=thread_id or str(uuid.uuid4()),
        created_at=created_at,
        cwd=cwd,
        model_provider=provider,
        model=_MODELS.get(provider, "gpt-5.1-codex"),
        forked_from_id=None,
    )
    writer = RolloutWriter.create(sessions_root(home), meta, records=records)
    writer.close()
    return meta.id, writer.path


def provider_for(number: int) -> str:
    """Model providers vary across generated threads."""
    return _PROVIDERS[number % len(_PROVIDERS)]


def cwd_for(number: int, root: str = "/home/dev/src") -> str:
    """Working directories vary across generated threads (20 projects under `root`; the
    server checks that a `thread/list` `cwd` filter names a directory that exists)."""
    return os.path.join(root, f"project-{number % 20:02d}")


def copy_tree(src: Path, dst: Path) -> None:
    """Copy a CODEX_HOME (used to give each server run an untouched copy)."""
    shutil.copytree(src, dst)
