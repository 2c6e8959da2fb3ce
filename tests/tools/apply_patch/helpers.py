"""In-memory files for apply_patch tests."""

from __future__ import annotations

from pathlib import Path

from codex_lsp.core.text import FileChange
from codex_lsp.core.tools.apply_patch import compute_changes

CWD = Path("/work/project")


def run(patch: str, files: dict[str, str]) -> list[FileChange]:
    """compute_changes against `files` (paths relative to CWD)."""
    texts = {CWD / name: text for name, text in files.items()}
    return compute_changes(patch, CWD, texts.get)


def result(patch: str, files: dict[str, str]) -> dict[str, str]:
    """The files after the patch (relative path -> text), as write_changes would leave them."""
    texts = dict(files)
    for change in run(patch, files):
        name = change.path.relative_to(CWD).as_posix()
        if change.kind == "delete":
            del texts[name]
        elif change.move_path is not None:
            del texts[name]
            texts[change.move_path.relative_to(CWD).as_posix()] = change.new_text or ""
        else:
            texts[name] = change.new_text or ""
    return texts


def patch(*body: str) -> str:
    """A patch from its body lines."""
    return "\n".join(["*** Begin Patch", *body, "*** End Patch"]) + "\n"
