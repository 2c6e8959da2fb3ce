"""File changes as the protocol shows them, and what to tell the model about them."""

from __future__ import annotations

from collections.abc import Sequence

from ...protocol.items import FileUpdateChange
from ..text import FileChange


def wire_changes(changes: Sequence[FileChange]) -> list[FileUpdateChange]:
    """The `changes` of a fileChange item."""
    return [FileUpdateChange.model_validate(change.to_protocol()) for change in changes]


def rejected_note(rejected: dict[str, list[int]]) -> str:
    """Tell the model which hunks the user left out."""
    parts = [
        f"{path}: hunk{'s' if len(hunks) > 1 else ''} {', '.join(str(h) for h in hunks)}"
        for path, hunks in sorted(rejected.items())
    ]
    return (
        "The user applied only part of this patch and rejected these hunks (the file now "
        "contains the accepted hunks only): " + "; ".join(parts)
    )


def edited_note(edited: dict[str, str]) -> str:
    """Tell the model the user changed its proposal before accepting it, and how."""
    diffs = "".join(diff for _path, diff in sorted(edited.items()))
    return (
        "The user edited your change before accepting it; the file now holds their version. "
        "Differences from what you proposed (--- your proposal, +++ the file now):\n" + diffs
    )
