"""What a user puts into a turn: text, images, file mentions, editor documents."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .base import WireModel


class Position(WireModel):
    """A zero-based LSP position."""

    line: int = Field(ge=0)
    character: int = Field(ge=0)


class Range(WireModel):
    """An LSP range (end exclusive)."""

    start: Position
    end: Position


class TextInput(WireModel):
    """Plain text typed by the user."""

    type: Literal["text"] = "text"
    text: str


class ImageInput(WireModel):
    """An image by URL (http(s) or data URL)."""

    type: Literal["image"] = "image"
    url: str


class LocalImageInput(WireModel):
    """An image file on the machine running the server."""

    type: Literal["localImage"] = "localImage"
    path: str


class MentionInput(WireModel):
    """An `@file` mention: the file is named to the model."""

    type: Literal["mention"] = "mention"
    name: str
    path: str


class DocumentInput(WireModel):
    """An editor document (or a range of it); the server reads the synced buffer."""

    type: Literal["document"] = "document"
    uri: str
    range: Range | None = None


UserInput = Annotated[
    TextInput | ImageInput | LocalImageInput | MentionInput | DocumentInput,
    Field(discriminator="type"),
]
