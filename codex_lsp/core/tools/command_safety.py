"""Commands known to only read: what the `untrusted` approval policy runs without asking.

Conservative by design: anything not recognised, any option that could write a file or
run another program, and any shell feature beyond plain words joined by `&&`, `||`, `;`
and `|` (variables, command substitution, subshells, redirections to files, ...) makes a
command not known-safe. A false "unsafe" costs one approval prompt; a false "safe" could
cost the user's files."""

from __future__ import annotations

import os
import re
from collections.abc import Callable

from .command_actions import (
    Redirect,
    SimpleCommand,
    is_sed_print_script,
    operands,
    parse_script,
    shell_script,
)

_SAFE_OPERATORS = frozenset({"&&", "||", ";", "|", "|&"})
# Where a command given by absolute path may live (`/usr/bin/ls` is `ls`; `./ls` is not).
_SYSTEM_BIN_DIRS = frozenset({"/bin", "/usr/bin", "/usr/local/bin", "/opt/homebrew/bin"})

# Read-only whatever their arguments (no option writes files or runs programs).
_ALWAYS_SAFE = frozenset(
    {"cat", "cd", "cut", "echo", "false", "true", "head", "tail", "id", "ls", "nl"}
    | {"paste", "pwd", "rev", "seq", "stat", "tr", "uname", "wc", "which", "whoami"}
    | {"basename", "dirname", "realpath", "readlink", "grep", "egrep", "fgrep", "diff"}
    | {"cmp", "du", "df", "tac"}
)
# Commands whose arguments may carry unquoted globs in a script: whatever file names a
# glob expands to (even `-rf`), none of their options writes or runs anything.
_GLOB_SAFE = _ALWAYS_SAFE - {"cd"}


def is_known_safe(argv: list[str]) -> bool:
    """True only when `argv` (or its `bash -lc` / `sh -c` script) just reads."""
    if not argv:
        return False
    script = shell_script(argv)
    if script is None:
        return _safe_words(argv)
    parsed = parse_script(script)
    if parsed is None or not parsed.commands:
        return False
    if not parsed.operators <= _SAFE_OPERATORS:
        return False
    return all(_safe_simple_command(cmd) for cmd in parsed.commands)


def _safe_simple_command(cmd: SimpleCommand) -> bool:
    if cmd.assignments or cmd.expands or not cmd.words:
        return False
    if not all(_safe_redirect(r) for r in cmd.redirects):
        return False
    if cmd.globbed and cmd.globbed[0]:
        return False
    if any(cmd.globbed[1:]) and _command_name(cmd.words[0]) not in _GLOB_SAFE:
        return False
    return _safe_words(cmd.words)


def _safe_redirect(redirect: Redirect) -> bool:
    """Output to /dev/null or another descriptor, or input from a file."""
    kind, target = redirect.kind, redirect.target
    if kind in (">", ">>", "&>", "&>>", ">|"):
        return target == "/dev/null"
    if kind == ">&":
        return isinstance(target, int) or target == "/dev/null"
    if kind == "<":
        return isinstance(target, str)
    return False


def _command_name(word: str) -> str | None:
    if "/" not in word:
        return word
    directory, name = os.path.split(word)
    return name if directory in _SYSTEM_BIN_DIRS else None


def _safe_words(words: list[str]) -> bool:
    name = _command_name(words[0]) if words else None
    if name is None:
        return False
    if name in _ALWAYS_SAFE:
        return True
    check = _CHECKS.get(name)
    return check is not None and check(words[1:])


# --------------------------------------------------------------------------- options


def _short_clusters(args: list[str]) -> list[str]:
    """The letters of every short-option cluster (`-rn` -> `rn`) before `--`."""
    out: list[str] = []
    for arg in args:
        if arg == "--":
            break
        if arg.startswith("-") and not arg.startswith("--") and len(arg) > 1:
            out.append(arg[1:])
    return out


def _has_long(args: list[str], *names: str) -> bool:
    """True when a long option abbreviates (GNU style) or equals one of `names`."""
    for arg in args:
        if arg == "--":
            break
        if arg.startswith("--") and len(arg) > 2:
            key = arg[2:].split("=", 1)[0]
            if any(name.startswith(key) for name in names):
                return True
    return False


def _short_has(args: list[str], letters: str) -> bool:
    return any(ch in cluster for cluster in _short_clusters(args) for ch in letters)


def _rg(args: list[str]) -> bool:
    for arg in args:
        if arg == "--":
            break
        key = arg.split("=", 1)[0]
        if key in ("--pre", "--hostname-bin", "--search-zip"):
            return False
    return not _short_has(args, "z")


_FIND_UNSAFE = frozenset(
    {"-exec", "-execdir", "-ok", "-okdir", "-delete", "-fls", "-fprint", "-fprint0"} | {"-fprintf"}
)


def _find(args: list[str]) -> bool:
    return not any(arg in _FIND_UNSAFE for arg in args)


def _sed(args: list[str]) -> bool:
    """`sed -n <print-only script> [file ...]`."""
    if len(args) < 2 or args[0] not in ("-n", "--quiet", "--silent"):
        return False
    rest = args[1:]
    if rest[0] == "-e":
        if len(rest) < 2:
            return False
        rest = rest[1:]
    script, files = rest[0], rest[1:]
    return is_sed_print_script(script) and not any(f.startswith("-") for f in files)


def _sort(args: list[str]) -> bool:
    if _has_long(args, "output", "compress-program"):
        return False
    # `-o FILE` writes; letters after `-k`/`-t`/`-S`/`-T` are values, but reject anyway.
    return not _short_has(args, "o")


def _uniq(args: list[str]) -> bool:
    # A second operand is an output file.
    found = operands(args, ("-f", "-s", "-w", "--skip-fields", "--skip-chars"))
    return len(found) <= 1


def _tree(args: list[str]) -> bool:
    return not _short_has(args, "o") and not _has_long(args, "output")


def _date(args: list[str]) -> bool:
    return not _short_has(args, "s") and not _has_long(args, "set")


def _file(args: list[str]) -> bool:
    return not _short_has(args, "C") and not _has_long(args, "compile")


_GIT_READ_ONLY = frozenset({"status", "log", "diff", "show", "branch", "ls-files", "rev-parse"})
_GIT_SAFE_GLOBAL = frozenset({"--no-pager", "-P", "--no-optional-locks"})


def _git(args: list[str]) -> bool:
    i = 0
    while i < len(args) and args[i].startswith("-"):
        if args[i] == "-C" and i + 1 < len(args):
            i += 2
        elif args[i] in _GIT_SAFE_GLOBAL:
            i += 1
        else:
            return False  # -c, --exec-path, --git-dir, ...: could run other programs
    if i >= len(args) or args[i] not in _GIT_READ_ONLY:
        return False
    sub, rest = args[i], args[i + 1 :]
    if _has_long(rest, "output", "ext-diff", "textconv", "exec", "paginate", "open-files"):
        return False
    if sub == "branch":
        return _git_branch(rest)
    return True


_GIT_BRANCH_LISTING = frozenset(
    {"--list", "-l", "--show-current", "-a", "--all", "-r", "--remotes", "-v", "-vv"}
    | {"--verbose", "--no-color", "--color"}
)


def _git_branch(args: list[str]) -> bool:
    """`git branch` only when it lists (any other argument may create, move or delete)."""
    return all(
        arg in _GIT_BRANCH_LISTING or re.match(r"--(format|sort|contains|merged)=", arg)
        for arg in args
    )


_CHECKS: dict[str, Callable[[list[str]], bool]] = {
    "rg": _rg,
    "find": _find,
    "sed": _sed,
    "sort": _sort,
    "uniq": _uniq,
    "tree": _tree,
    "date": _date,
    "file": _file,
    "git": _git,
}
