"""An in-memory `LogPipeline` and thread settings for the unit tests of the sink."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codex_lsp.core.config.model import CodexConfig
from codex_lsp.core.config.settings import ThreadRequest, ThreadSettings, resolve
from codex_lsp.core.telemetry.sink import AttributeValue, TelemetrySink
from codex_lsp.protocol.initialize import EditorSettings


@dataclass
class MemoryPipeline:
    """Keeps every event; `shutdown` answers as told."""

    events: list[tuple[str, dict[str, AttributeValue], int]] = field(default_factory=list)
    closed: bool = False

    def emit(self, name: str, attributes: dict[str, AttributeValue], timestamp_ns: int) -> None:
        self.events.append((name, attributes, timestamp_ns))

    def shutdown(self, timeout: float) -> bool:
        self.closed = True
        return True

    def named(self, name: str) -> list[dict[str, Any]]:
        """The attributes of the events called `name`."""
        return [attrs for n, attrs, _ in self.events if n == name]


def settings(tmp_path: Path, **config: Any) -> ThreadSettings:
    """Thread settings from a config with the mock provider (an `env_key`)."""
    base: dict[str, Any] = {
        "model": "gpt-5.1-codex",
        "model_provider": "mock",
        "model_providers": {
            "mock": {"name": "Mock", "base_url": "http://127.0.0.1:9/v1", "env_key": "MOCK_API_KEY"}
        },
    }
    return resolve(
        CodexConfig.model_validate({**base, **config}),
        EditorSettings(),
        ThreadRequest(),
        str(tmp_path),
    )


def sink(pipeline: MemoryPipeline, **kwargs: Any) -> TelemetrySink:
    """A sink over `pipeline` (terminal `Neovim`)."""
    return TelemetrySink(pipeline, terminal_type=lambda: "Neovim", **kwargs)
