"""The sandbox policy a thread's commands and file writes run under."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .base import WireModel


class ReadOnlySandbox(WireModel):
    """Commands may read anything and write nothing."""

    type: Literal["readOnly"] = "readOnly"
    network_access: bool = False


class WorkspaceWriteSandbox(WireModel):
    """Commands may write the cwd, the temp directories and `writableRoots`; `.git` stays
    read-only."""

    type: Literal["workspaceWrite"] = "workspaceWrite"
    writable_roots: list[str] = Field(default_factory=list)
    network_access: bool = False


class DangerFullAccessSandbox(WireModel):
    """No sandbox at all."""

    type: Literal["dangerFullAccess"] = "dangerFullAccess"


SandboxPolicy = Annotated[
    ReadOnlySandbox | WorkspaceWriteSandbox | DangerFullAccessSandbox,
    Field(discriminator="type"),
]
