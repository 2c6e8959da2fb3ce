"""Built-in facts about OpenAI's coding models: pickable presets and context windows.

The presets feed `codex/model/list` for the OpenAI provider; the context windows feed the
token-usage numbers of every thread (`settings.context_window_for`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...protocol.enums import ReasoningEffort

# Share of the context window after which a thread is compacted automatically.
AUTO_COMPACT_SHARE = 0.9

_EFFORT_TEXT: dict[ReasoningEffort, str] = {
    "none": "No reasoning: the fastest answers",
    "minimal": "Fastest responses with very little reasoning",
    "low": "Fast responses with light reasoning",
    "medium": "Balances speed and reasoning depth; adapts to the task",
    "high": "Deeper reasoning for complex or ambiguous problems",
    "xhigh": "Extra-deep reasoning for the hardest, long-running tasks",
}


@dataclass(frozen=True)
class EffortOption:
    """A reasoning effort a model supports, with the text a picker shows beside it."""

    effort: ReasoningEffort
    description: str


def _efforts(*efforts: ReasoningEffort) -> tuple[EffortOption, ...]:
    return tuple(EffortOption(e, _EFFORT_TEXT[e]) for e in efforts)


@dataclass(frozen=True)
class ModelPreset:
    """A model the user can pick, with what the agent needs to know about it."""

    model: str
    display_name: str
    description: str
    context_window: int
    default_effort: ReasoningEffort
    efforts: tuple[EffortOption, ...]
    hidden: bool = False

    @property
    def auto_compact_token_limit(self) -> int:
        """Tokens of context after which the thread is compacted (90% of the window)."""
        return int(self.context_window * AUTO_COMPACT_SHARE)


PRESETS: tuple[ModelPreset, ...] = (
    ModelPreset(
        model="gpt-5.1-codex-max",
        display_name="GPT-5.1 Codex Max",
        description="Codex flagship for long, deep agentic coding tasks.",
        context_window=272_000,
        default_effort="medium",
        efforts=_efforts("low", "medium", "high", "xhigh"),
    ),
    ModelPreset(
        model="gpt-5.1-codex",
        display_name="GPT-5.1 Codex",
        description="Optimized for agentic coding in Codex.",
        context_window=272_000,
        default_effort="medium",
        efforts=_efforts("low", "medium", "high"),
    ),
    ModelPreset(
        model="gpt-5.1-codex-mini",
        display_name="GPT-5.1 Codex Mini",
        description="Optimized for Codex; cheaper and faster, but less capable.",
        context_window=272_000,
        default_effort="medium",
        efforts=_efforts("medium", "high"),
    ),
    ModelPreset(
        model="gpt-5.1",
        display_name="GPT-5.1",
        description="Broad world knowledge with strong general reasoning.",
        context_window=272_000,
        default_effort="medium",
        efforts=_efforts("low", "medium", "high"),
    ),
    ModelPreset(
        model="gpt-5-codex",
        display_name="GPT-5 Codex",
        description="Previous Codex-optimized model.",
        context_window=272_000,
        default_effort="medium",
        efforts=_efforts("low", "medium", "high"),
        hidden=True,
    ),
    ModelPreset(
        model="gpt-5-codex-mini",
        display_name="GPT-5 Codex Mini",
        description="Previous small Codex model; cheaper and faster, but less capable.",
        context_window=272_000,
        default_effort="medium",
        efforts=_efforts("medium", "high"),
        hidden=True,
    ),
    ModelPreset(
        model="gpt-5",
        display_name="GPT-5",
        description="Previous general model with broad knowledge and reasoning.",
        context_window=272_000,
        default_effort="medium",
        efforts=_efforts("minimal", "low", "medium", "high"),
        hidden=True,
    ),
)

# Context windows of model families without a preset, longest prefix wins.
FAMILY_CONTEXT_WINDOWS: dict[str, int] = {
    "gpt-5": 272_000,
    "gpt-4.1": 1_047_576,
    "gpt-4o": 128_000,
    "o3": 200_000,
    "o4-mini": 200_000,
    "codex-mini": 200_000,
    "gpt-oss": 131_072,
}


def preset_for(model: str) -> ModelPreset | None:
    """The preset of exactly this model, if there is one."""
    return next((p for p in PRESETS if p.model == model), None)


def known_context_window(model: str) -> int | None:
    """The model's context window: its preset's, else its family's (longest prefix)."""
    preset = preset_for(model)
    if preset is not None:
        return preset.context_window
    best = max(
        (prefix for prefix in FAMILY_CONTEXT_WINDOWS if model.startswith(prefix)),
        key=len,
        default=None,
    )
    return FAMILY_CONTEXT_WINDOWS[best] if best is not None else None


def known_auto_compact_limit(model: str) -> int | None:
    """90% of the model's known context window, or None when the window is unknown."""
    window = known_context_window(model)
    return int(window * AUTO_COMPACT_SHARE) if window is not None else None
