"""The two ways a patch can fail: it is not a valid patch, or it does not fit the files."""

from __future__ import annotations


class ApplyPatchError(Exception):
    """Base class of the errors apply_patch raises; `str(err)` is meant for the model."""


class PatchParseError(ApplyPatchError):
    """The patch text does not follow the `*** Begin Patch` grammar.

    `line` is the 1-based line number in the text the model sent (0 when the error is not
    about one line); the message starts with ``line N:``.
    """

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        self.reason = message
        super().__init__(f"line {line}: {message}" if line > 0 else message)


class PatchApplyError(ApplyPatchError):
    """The patch is well formed but does not apply to the current files.

    `path` is the file as the patch names it and `chunk` the 1-based chunk of an
    `*** Update File` section that did not apply (None for file-level errors).
    """

    def __init__(self, message: str, *, path: str | None = None, chunk: int | None = None) -> None:
        self.path = path
        self.chunk = chunk
        super().__init__(message)
