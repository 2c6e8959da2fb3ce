"""Remembered command rules (Codex's exec-policy amendments).

A command approval proposes an argv prefix (`propose_prefix`); a user who answers
`acceptWithExecpolicyAmendment` stores it for the thread's `cwd` (`RuleStore`), and later
commands of a thread in that folder whose words start with it run without asking (inside
the sandbox, as before: a rule never lifts the sandbox, see `policy.command_verdict`).

What a command's words are (`command_words`): its argv, or the words of the script of
`bash -c "<script>"` / `sh -lc ...` when the script is one simple command: no pipes, lists,
redirections, substitutions, expansions, globs or leading assignments. Anything else has
no words: it is never proposed and no rule matches it, so `npm test && rm -rf ~` is not
allowed by a rule for `npm test`.

What is proposed: the program and its subcommand (`git status`, `npm test`, `cargo build`),
the script of an interpreter (`python manage.py`, `python -m pytest`), or the program alone
when it has no subcommand (`pytest`, `touch`). Never a shell, an interpreter, `sudo`, `env`
or another command that runs the rest of its arguments as a command, never a program that
only destroys (`rm`, `dd`, `chmod`, `kill`, ...), and nothing when unsure.

Rules live in `$CODEX_HOME/rules/remembered_commands.json` (0600, folder 0700).
"""

from __future__ import annotations

import json
import logging
import os
import re
import shlex
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..private_files import write_private_atomic

log = logging.getLogger(__name__)

RULES_DIR = "rules"
RULES_FILE = "remembered_commands.json"
LOCK_FILE = ".remembered_commands.lock"

SHELLS = frozenset(
    {
        "sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "fish", "csh", "tcsh", "nu",
        "xonsh", "elvish", "busybox", "pwsh", "powershell", "powershell.exe", "cmd",
        "cmd.exe",
    }
)  # fmt: skip
# Programs that run code given on their command line or from a script file.
INTERPRETERS = frozenset(
    {
        "python", "python2", "python3", "pypy", "pypy3", "py", "node", "nodejs", "deno",
        "perl", "ruby", "irb", "php", "lua", "luajit", "tclsh", "wish", "rscript", "r",
        "julia", "osascript", "jshell", "groovy", "scala", "ghci", "runghc", "erl",
        "escript", "elixir", "iex", "swift", "awk", "gawk", "mawk", "nawk", "sed", "jq",
    }
)  # fmt: skip
# Programs that run (some of) their arguments as another command, or with more rights.
WRAPPERS = frozenset(
    {
        "sudo", "doas", "su", "pkexec", "runas", "env", "xargs", "nohup", "nice", "ionice",
        "time", "timeout", "command", "builtin", "exec", "eval", "source", ".", "stdbuf",
        "setsid", "chroot", "unshare", "nsenter", "strace", "ltrace", "gdb", "lldb",
        "valgrind", "watch", "flock", "taskset", "chrt", "caffeinate", "script", "expect",
        "parallel", "ssh", "systemd-run", "firejail", "bwrap", "docker", "podman", "find",
        "fakeroot", "proot", "open", "xdg-open", "start",
    }
)  # fmt: skip
# Programs whose every use is destructive or changes the system: no rule is offered.
DESTRUCTIVE = frozenset(
    {
        "rm", "rmdir", "dd", "shred", "wipefs", "mkfs", "mkswap", "fdisk", "sfdisk",
        "parted", "chmod", "chown", "chgrp", "chattr", "kill", "killall", "pkill",
        "truncate", "reboot", "shutdown", "halt", "poweroff", "mount", "umount",
        "crontab", "passwd", "useradd", "userdel", "usermod", "iptables", "nft",
        "systemctl", "launchctl", "sysctl", "diskutil", "rimraf",
    }
)  # fmt: skip
# Programs driven by a subcommand: a rule needs it (never `git` alone).
SUBCOMMAND_TOOLS = frozenset(
    {
        "git", "hg", "svn", "gh", "npm", "pnpm", "yarn", "bun", "cargo", "go", "rustup",
        "dotnet", "pip", "pip3", "uv", "poetry", "pipenv", "pdm", "hatch", "conda",
        "mamba", "bundle", "gem", "rake", "mix", "composer", "kubectl", "helm",
        "terraform", "brew", "apt", "apt-get", "dnf", "yum", "flutter", "dart", "gradle",
        "mvn", "sbt", "lein", "stack", "cabal", "opam", "dune", "nix", "bazel", "just",
        "task", "tox", "nox", "vitest", "ruff", "cmake", "meson", "zig",
    }
)  # fmt: skip
# Subcommands that run what the next word names (`npm run build`, `uv run pytest`).
DISPATCHERS = frozenset({"run", "exec", "x", "dlx", "tool", "run-script"})
# Programs that download and run the package the next word names.
PACKAGE_RUNNERS = frozenset({"npx", "pnpx", "bunx", "uvx"})

# Interpreters whose first argument is a program text, not a script file.
_NO_SCRIPT_RULES = frozenset({"awk", "gawk", "mawk", "nawk", "sed", "jq"})
SHELL_FLAGS = frozenset({"-c", "-lc", "-cl"})
MAX_PREFIX = 3

_PROGRAM = re.compile(r"^[\w./+-]+$")
_SUBCOMMAND = re.compile(r"^[A-Za-z][\w:-]*$")
_PACKAGE = re.compile(r"^@?[A-Za-z0-9][\w@/.-]*$")
_SCRIPT = re.compile(r"^[\w./+-]*[./][\w./+-]*$")
_MODULE = re.compile(r"^[A-Za-z_][\w.]*$")
_VERSIONED = re.compile(r"^(python|pypy|pip|ruby|perl|php|lua|node)[\d.]*$")
# Characters that make a shell script more than one simple command, or expand words.
_SHELL_SPECIAL = frozenset("$`*?[]{}\\#~!\n\r;&|<>()")


def base_name(program: str) -> str:
    """`/usr/bin/python3.12` -> `python` (lowercase, versions stripped); `bash` -> `bash`."""
    name = os.path.basename(program).lower()
    match = _VERSIONED.match(name)
    return match.group(1) if match else name


def _runs_anything(program: str) -> bool:
    name = base_name(program)
    return name in SHELLS or name in INTERPRETERS or name in WRAPPERS


def _script_words(script: str) -> list[str] | None:
    """The words of a shell script that is one simple command, else None."""
    if not script.strip() or any(ch in _SHELL_SPECIAL for ch in script):
        return None
    try:
        words = shlex.split(script, comments=False, posix=True)
    except ValueError:
        return None
    return words or None


def command_words(argv: Sequence[str]) -> list[str] | None:
    """The words a rule is matched against: `argv`, or the words of a shell wrapper's
    script when it is one simple command; None when unsure."""
    if not argv:
        return None
    words = list(argv)
    if base_name(words[0]) in SHELLS and len(words) >= 2 and words[1] in SHELL_FLAGS:
        if len(words) != 3:
            return None
        inner = _script_words(words[2])
        if inner is None:
            return None
        words = inner
    program = words[0]
    if not _PROGRAM.match(program) or "=" in program:
        return None  # an assignment (`FOO=1 cmd`), or not a plain program path
    return words


def _interpreter_prefix(words: list[str]) -> list[str] | None:
    """`python manage.py` -> it; `python -m pytest` -> it; anything else: None."""
    if len(words) < 2:
        return None
    first = words[1]
    if first == "-m" and len(words) >= 3 and _MODULE.match(words[2]):
        return words[:3]
    if not first.startswith("-") and _SCRIPT.match(first):
        return words[:2]
    return None


def propose_prefix(argv: Sequence[str]) -> list[str] | None:
    """The argv prefix to offer as a remembered rule for this command (None: none)."""
    words = command_words(argv)
    if words is None:
        return None
    program = words[0]
    name = base_name(program)
    if name in DESTRUCTIVE or name in WRAPPERS or name.startswith("mkfs"):
        return None
    if name in SHELLS or name in INTERPRETERS:
        prefix = None if name in _NO_SCRIPT_RULES else _interpreter_prefix(words)
    elif name in PACKAGE_RUNNERS:
        prefix = _runner_prefix(words)
    else:
        prefix = _subcommand_prefix(words, needs_subcommand=name in SUBCOMMAND_TOOLS)
    return prefix if prefix is not None and is_safe_prefix(prefix) else None


def _runner_prefix(words: list[str]) -> list[str] | None:
    """`npx prettier --check .` -> `npx prettier` (the package must be named)."""
    if len(words) < 2 or not _PACKAGE.match(words[1]):
        return None
    # `@scope/name@1.2` -> `scope/name`: its last part must not be a shell or the like.
    package = words[1].lstrip("@").split("@")[0]
    if _runs_anything(package) or base_name(package) in DESTRUCTIVE:
        return None
    return words[:2]


def _subcommand_prefix(words: list[str], *, needs_subcommand: bool) -> list[str] | None:
    prefix = [words[0]]
    rest = words[1:]
    if rest and _SUBCOMMAND.match(rest[0]):
        prefix.append(rest[0])
        if rest[0] in DISPATCHERS and needs_subcommand:
            # `npm run build`, `uv run pytest`: what runs must be named, and safe.
            if len(rest) < 2 or not _PACKAGE.match(rest[1]) or _runs_anything(rest[1]):
                return None
            prefix.append(rest[1])
    elif needs_subcommand:
        return None
    return prefix[:MAX_PREFIX]


def is_safe_prefix(prefix: Sequence[str]) -> bool:
    """May this prefix be remembered from an approval answer? Never a shell, interpreter
    or wrapper alone (or with only its flags), never a destructive program, nothing empty."""
    if not prefix or any(not isinstance(w, str) or not w for w in prefix):
        return False
    words = command_words(prefix)
    if words is None or words != list(prefix):
        return False
    name = base_name(prefix[0])
    if name in DESTRUCTIVE or name in WRAPPERS or name.startswith("mkfs"):
        return False
    if name in SHELLS or name in INTERPRETERS:
        return name not in _NO_SCRIPT_RULES and _interpreter_prefix(list(prefix)) is not None
    if name in PACKAGE_RUNNERS:
        return len(prefix) >= 2 and _runner_prefix(list(prefix)) is not None
    if name in SUBCOMMAND_TOOLS:
        if len(prefix) < 2 or prefix[1].startswith("-"):
            return False
        if prefix[1] in DISPATCHERS:
            return len(prefix) >= 3 and not _runs_anything(prefix[2])
    return True


def prefix_matches(prefix: Sequence[str], argv: Sequence[str]) -> bool:
    """Do the words of `argv` start with `prefix`?"""
    words = command_words(argv)
    return bool(prefix) and words is not None and words[: len(prefix)] == list(prefix)


# ---- storage ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """Commands starting with `prefix` run without asking in threads whose cwd is `cwd`."""

    cwd: str
    prefix: tuple[str, ...]

    def wire(self) -> dict[str, Any]:
        """`{cwd, prefix}` as `codex/config/read` shows it."""
        return {"cwd": self.cwd, "prefix": list(self.prefix)}


class RulesError(ValueError):
    """A rules value that is not a list of `{cwd, prefix}`."""


def parse_rules(value: Any) -> list[Rule]:
    """Rules from their wire form (a list of `{cwd, prefix}`); raises `RulesError`."""
    if not isinstance(value, list):
        raise RulesError("approvals.rules must be a list of {cwd, prefix}")
    rules: list[Rule] = []
    for index, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise RulesError(f"approvals.rules[{index}] must be an object {{cwd, prefix}}")
        cwd, prefix = entry.get("cwd"), entry.get("prefix")
        if not isinstance(cwd, str) or not os.path.isabs(cwd):
            raise RulesError(f"approvals.rules[{index}].cwd must be an absolute path")
        if (
            not isinstance(prefix, list)
            or not prefix
            or not all(isinstance(w, str) and w for w in prefix)
        ):
            raise RulesError(
                f"approvals.rules[{index}].prefix must be a non-empty list of non-empty strings"
            )
        rules.append(Rule(os.path.normpath(cwd), tuple(prefix)))
    return _unique(rules)


def _unique(rules: Iterable[Rule]) -> list[Rule]:
    return list(dict.fromkeys(rules))


class RuleStore:
    """The remembered rules under one `$CODEX_HOME`: read from disk on every use (a small
    file, shared by every server and `exec` on that home), written atomically."""

    def __init__(self, home: Path) -> None:
        self.path = home / RULES_DIR / RULES_FILE

    def version(self) -> str:
        """The file's version (as `config.toml`'s: a hash of its bytes; empty: missing)."""
        from ..config.loader import content_version

        try:
            return content_version(self.path.read_bytes())
        except FileNotFoundError:
            return content_version(b"")

    def load(self) -> list[Rule]:
        """Every stored rule (none when the file is missing or unreadable)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            log.warning("cannot read the remembered command rules in %s: %s", self.path, exc)
            return []
        try:
            return parse_rules(data.get("rules") if isinstance(data, dict) else None)
        except RulesError as exc:
            log.warning("ignoring the remembered command rules in %s: %s", self.path, exc)
            return []

    def save(self, rules: Sequence[Rule]) -> None:
        """Replace every stored rule (0600 file in a 0700 folder)."""
        payload = {"version": 1, "rules": [r.wire() for r in _unique(rules)]}
        write_private_atomic(self.path, json.dumps(payload, indent=2) + "\n")

    def update(self, change: Callable[[list[Rule]], list[Rule]]) -> None:
        """Replace the rules with `change(rules)` under an advisory lock: servers and
        `exec` sharing the home never lose each other's rules. What `change` raises
        leaves the file as it was."""
        from ..config.service import _file_lock

        with _file_lock(self.path.parent / LOCK_FILE):
            self.save(change(self.load()))

    def add(self, cwd: str, prefix: Sequence[str]) -> None:
        """Remember `prefix` for `cwd` (kept once)."""
        self.update(lambda rules: [*rules, Rule(os.path.normpath(cwd), tuple(prefix))])

    def allows(self, argv: Sequence[str], cwd: str) -> Rule | None:
        """The rule that lets `argv` run without asking in a thread whose cwd is `cwd`."""
        folder = os.path.normpath(cwd)
        for rule in self.load():
            if rule.cwd == folder and prefix_matches(rule.prefix, argv):
                return rule
        return None
