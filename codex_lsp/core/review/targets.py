"""A review target made concrete: its git diff (bounded, per file), files and description.

The server computes the diff itself, so the reviewer starts from exactly the changes:
uncommitted (staged + unstaged against HEAD, plus untracked files), against a base branch
(from the merge base to the working tree), one commit, or free-form instructions. The
diff is parsed with `unidiff` and bounded per file and in total; what is cut is named in
a note so the reviewer knows to read the rest from disk.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path

from unidiff.errors import UnidiffParseError
from unidiff.patch import PatchSet

from ...protocol.review import (
    BaseBranchTarget,
    CommitTarget,
    CustomTarget,
    ReviewTarget,
    UncommittedChangesTarget,
)

# What the reviewer is sent of the diff: per file and in all (characters).
FILE_DIFF_CHARS = 40_000
TOTAL_DIFF_CHARS = 200_000
# A file is cut only if this much of it still fits; else it is named, not shown.
MIN_FILE_CHARS = 1_000
# Untracked files shown in an uncommitted review (each as a whole-file diff).
MAX_UNTRACKED = 200
GIT_TIMEOUT = 30.0


class ReviewTargetError(ValueError):
    """The target cannot be reviewed (not a repository, unknown branch or commit, nothing
    to review); the message says why."""


@dataclass(frozen=True)
class BoundedDiff:
    """A diff as the reviewer gets it, with the files it touches and what was cut."""

    text: str
    files: list[str]
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ReviewRequest:
    """What the reviewer is asked: a one-line description, the task text with the diff,
    and the (absolute) files the diff touches."""

    description: str
    task: str
    root: str
    files: list[str]


async def _git(cwd: str, *args: str, ok_codes: tuple[int, ...] = (0,)) -> str:
    env = {
        **os.environ,
        "LC_ALL": "C",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_PAGER": "cat",
        "GIT_OPTIONAL_LOCKS": "0",
    }
    try:
        proc = await asyncio.create_subprocess_exec(
            "git",
            *args,
            cwd=cwd,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except FileNotFoundError as exc:
        raise ReviewTargetError("git is not installed (reviews of changes need it)") from exc
    try:
        out, err = await asyncio.wait_for(proc.communicate(), GIT_TIMEOUT)
    except TimeoutError as exc:
        proc.kill()
        await proc.wait()
        raise ReviewTargetError(f"git {args[0]} took longer than {GIT_TIMEOUT:.0f} s") from exc
    if proc.returncode not in ok_codes:
        message = err.decode(errors="replace").strip().splitlines()
        raise ReviewTargetError(message[-1] if message else f"git {args[0]} failed")
    return out.decode(errors="replace")


async def repository_root(cwd: str) -> str:
    """The top level of the git work tree holding `cwd`."""
    try:
        return (await _git(cwd, "rev-parse", "--show-toplevel")).strip()
    except ReviewTargetError as exc:
        raise ReviewTargetError(f"{cwd} is not in a git repository: {exc}") from exc


async def _has_head(root: str) -> bool:
    try:
        await _git(root, "rev-parse", "--verify", "--quiet", "HEAD")
        return True
    except ReviewTargetError:
        return False


async def uncommitted_diff(root: str) -> str:
    """Staged and unstaged changes against HEAD, then each untracked file as added."""
    flags = ("--no-color", "--no-ext-diff", "--no-renames")
    if await _has_head(root):
        text = await _git(root, "diff", *flags, "HEAD")
    else:  # a repository without commits: everything staged, then the work tree
        text = await _git(root, "diff", *flags, "--cached")
        text += await _git(root, "diff", *flags)
    listed = await _git(root, "ls-files", "--others", "--exclude-standard", "-z")
    untracked = [p for p in listed.split("\0") if p][:MAX_UNTRACKED]
    for path in untracked:
        text += await _git(
            root, "diff", *flags, "--no-index", "--", os.devnull, path, ok_codes=(0, 1)
        )
    return text


def bound_diff(text: str, root: str) -> BoundedDiff:
    """Cut the diff per file and in total; name every cut in `notes`."""
    try:
        patch = PatchSet(text)
    except UnidiffParseError:
        patch = PatchSet("")
    if not len(patch):  # not a diff unidiff understands: cut by characters
        cut = text[:TOTAL_DIFF_CHARS]
        note = f"The diff was cut at {TOTAL_DIFF_CHARS} of {len(text)} characters."
        return BoundedDiff(cut, [], [note] if len(cut) < len(text) else [])
    parts: list[str] = []
    files: list[str] = []
    notes: list[str] = []
    total = 0
    for patched in patch:
        relative = patched.path
        files.append(str(Path(root, relative)))
        body = str(patched)
        limit = min(FILE_DIFF_CHARS, TOTAL_DIFF_CHARS - total)
        if len(body) > limit and limit < MIN_FILE_CHARS:
            notes.append(f"{relative}: not shown (the diff reached its size limit); read it.")
            continue
        if len(body) > limit:
            shown = body[: body.rfind("\n", 0, limit) + 1]
            notes.append(
                f"{relative}: diff cut after {shown.count(chr(10))} of {body.count(chr(10))} "
                "lines; read the file for the rest."
            )
            body = shown
        parts.append(body)
        total += len(body)
    return BoundedDiff("".join(parts), files, notes)


def _one_line(text: str, limit: int = 80) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


async def prepare_review(target: ReviewTarget, cwd: str) -> ReviewRequest:
    """The review request for `target` in the repository holding `cwd`."""
    if isinstance(target, CustomTarget):
        instructions = target.instructions.strip()
        if not instructions:
            raise ReviewTargetError("custom review instructions are empty")
        return ReviewRequest(
            description=f"custom: {_one_line(instructions)}",
            task=instructions,
            root=cwd,
            files=[],
        )
    root = await repository_root(cwd)
    if isinstance(target, UncommittedChangesTarget):
        description = "uncommitted changes"
        intro = "Review the uncommitted changes in the working tree (staged, unstaged, untracked)."
        raw = await uncommitted_diff(root)
    elif isinstance(target, BaseBranchTarget):
        branch = target.branch.strip()
        if not branch or branch.startswith("-"):
            raise ReviewTargetError(f"invalid branch name {target.branch!r}")
        try:
            base = (await _git(root, "merge-base", "HEAD", branch)).strip()
        except ReviewTargetError as exc:
            raise ReviewTargetError(f"no merge base with branch {branch!r}: {exc}") from exc
        description = f"changes against {branch}"
        intro = (
            f"Review the changes against the base branch {branch!r}: the diff from their "
            f"merge base {base[:12]} to the working tree."
        )
        raw = await _git(root, "diff", "--no-color", "--no-ext-diff", "--no-renames", base)
    else:
        assert isinstance(target, CommitTarget)
        sha = target.sha.strip()
        if not sha or sha.startswith("-"):
            raise ReviewTargetError(f"invalid commit {target.sha!r}")
        try:
            full = (await _git(root, "rev-parse", "--verify", f"{sha}^{{commit}}")).strip()
        except ReviewTargetError as exc:
            raise ReviewTargetError(f"unknown commit {sha!r}") from exc
        subject = target.title or (await _git(root, "log", "-1", "--format=%s", full)).strip()
        description = f"commit {full[:7]}: {_one_line(subject, 60)}"
        intro = f"Review the changes of commit {full[:12]} ({subject!r})."
        raw = await _git(
            root, "show", "--no-color", "--no-ext-diff", "--no-renames", "--format=", full
        )
    if not raw.strip():
        raise ReviewTargetError(f"there is nothing to review: no {description}")
    diff = bound_diff(raw, root)
    notes = "".join(f"\nNote: {n}" for n in diff.notes)
    task = f"{intro}\nRepository root: {root}\n\n```diff\n{diff.text}```\n{notes}".rstrip() + "\n"
    return ReviewRequest(description=description, task=task, root=root, files=diff.files)
