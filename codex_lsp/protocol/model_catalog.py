"""The model/list request."""

from __future__ import annotations

from pydantic import Field

from .base import WireModel
from .enums import ReasoningEffort


class ReasoningEffortOption(WireModel):
    """A reasoning effort a model supports."""

    reasoning_effort: ReasoningEffort
    description: str


class Model(WireModel):
    """A model the user can pick."""

    id: str
    model: str
    display_name: str
    description: str
    hidden: bool = False
    is_default: bool = False
    default_reasoning_effort: ReasoningEffort | None = None
    supported_reasoning_efforts: list[ReasoningEffortOption] = Field(default_factory=list)


class ModelListParams(WireModel):
    """`codex/model/list` params."""

    cursor: str | None = None
    limit: int | None = Field(default=None, ge=1)
    include_hidden: bool | None = None


class ModelListResult(WireModel):
    """A page of models."""

    data: list[Model]
    next_cursor: str | None = None
