"""Remembered command rules: which prefix a command approval proposes, what a rule
matches, and how the rules are stored (issue 17, item 2)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from codex_lsp.core.approvals.rules import (
    Rule,
    RulesError,
    RuleStore,
    base_name,
    command_words,
    is_safe_prefix,
    parse_rules,
    prefix_matches,
    propose_prefix,
)

# (argv, the proposed prefix)
PROPOSED: list[tuple[list[str], list[str]]] = [
    (["npm", "test"], ["npm", "test"]),
    (["npm", "test", "--", "--watch=false"], ["npm", "test"]),
    (["npm", "run", "build"], ["npm", "run", "build"]),
    (["npm", "install", "lodash"], ["npm", "install"]),
    (["pnpm", "lint"], ["pnpm", "lint"]),
    (["yarn", "test:unit"], ["yarn", "test:unit"]),
    (["cargo", "test", "--all"], ["cargo", "test"]),
    (["cargo", "build", "--release"], ["cargo", "build"]),
    (["go", "test", "./..."], ["go", "test"]),
    (["git", "status"], ["git", "status"]),
    (["git", "commit", "-m", "msg"], ["git", "commit"]),
    (["/usr/bin/git", "diff", "HEAD"], ["/usr/bin/git", "diff"]),
    (["uv", "run", "pytest", "-x"], ["uv", "run", "pytest"]),
    (["poetry", "run", "mypy", "src"], ["poetry", "run", "mypy"]),
    (["npx", "prettier", "--check", "."], ["npx", "prettier"]),
    (["npx", "@biomejs/biome", "check"], ["npx", "@biomejs/biome"]),
    (["make"], ["make"]),
    (["make", "test"], ["make", "test"]),
    (["pytest", "tests/test_x.py", "-q"], ["pytest"]),
    (["pytest", "-x"], ["pytest"]),
    (["touch", "notes"], ["touch", "notes"]),
    (["mkdir", "-p", "build/out"], ["mkdir"]),
    (["./scripts/check.sh", "--fast"], ["./scripts/check.sh"]),
    (["python", "manage.py", "test"], ["python", "manage.py"]),
    (["python3", "-m", "pytest", "-q"], ["python3", "-m", "pytest"]),
    (["python3.12", "scripts/gen.py"], ["python3.12", "scripts/gen.py"]),
    (["node", "scripts/build.js"], ["node", "scripts/build.js"]),
    (["bash", "scripts/ci.sh"], ["bash", "scripts/ci.sh"]),
    # A shell wrapper around one simple command: the command's own words.
    (["bash", "-lc", "npm test"], ["npm", "test"]),
    (["bash", "-c", "cargo test --all"], ["cargo", "test"]),
    (["/bin/zsh", "-lc", "git status"], ["git", "status"]),
    (["sh", "-c", "make 'lint'"], ["make", "lint"]),
    (["bash", "-lc", 'touch "a file"'], ["touch"]),
]

# Commands for which nothing is proposed.
NOTHING: list[list[str]] = [
    # Shells, interpreters, privilege and wrappers, alone or running code given inline.
    ["bash"],
    ["sh"],
    ["zsh", "-i"],
    ["bash", "-c", ""],
    ["python"],
    ["python3", "-c", "import os; os.remove('x')"],
    ["python", "-"],
    ["python", "-u", "x.py"],
    ["node", "-e", "require('fs').rmSync('x')"],
    ["perl", "-e", "unlink 'x'"],
    ["ruby", "-e", "puts 1"],
    ["php", "-r", "echo 1;"],
    ["awk", "{print $1}", "f"],
    ["sed", "-i", "s/a/b/", "f"],
    ["sudo", "npm", "test"],
    ["sudo"],
    ["doas", "make"],
    ["env"],
    ["env", "X=1", "npm", "test"],
    ["env", "-i", "make"],
    ["xargs", "rm"],
    ["nohup", "make"],
    ["timeout", "10", "make"],
    ["time", "make"],
    ["find", ".", "-delete"],
    ["docker", "run", "--privileged", "img"],
    ["ssh", "host", "rm -rf /"],
    # Destructive programs.
    ["rm", "-rf", "build"],
    ["rm", "notes"],
    ["/bin/rm", "x"],
    ["dd", "if=/dev/zero", "of=x"],
    ["chmod", "-R", "777", "."],
    ["chown", "me", "x"],
    ["kill", "-9", "1"],
    ["mkfs.ext4", "/dev/sda1"],
    ["shred", "x"],
    # Subcommand tools without a subcommand first.
    ["git"],
    ["git", "-C", "other", "status"],
    ["git", "--no-pager", "log"],
    ["npm"],
    ["npm", "--prefix", "x", "test"],
    # Dispatchers must name something safe.
    ["npm", "run"],
    ["npm", "exec", "--", "rm"],
    ["uv", "run", "python", "-c", "1"],
    ["uv", "run", "bash", "x.sh"],
    ["poetry", "run", "sudo", "x"],
    ["npx"],
    ["npx", "bash"],
    ["npx", "-y", "foo"],
    ["npx", "rimraf@5", "dist"],
    # Shell scripts that are more than one simple command, or expand anything.
    ["bash", "-c", "npm test && rm -rf ~"],
    ["bash", "-lc", "npm test; rm -rf /"],
    ["bash", "-lc", "npm test || true"],
    ["bash", "-c", "cat x | sh"],
    ["bash", "-c", "npm test > out.txt"],
    ["bash", "-c", "npm test < in.txt"],
    ["bash", "-c", "echo $(whoami)"],
    ["bash", "-c", "echo `whoami`"],
    ["bash", "-c", "echo $HOME"],
    ["bash", "-c", "rm *.o"],
    ["bash", "-c", "npm test &"],
    ["bash", "-c", "(npm test)"],
    ["bash", "-c", "npm test\nrm -rf /"],
    ["bash", "-c", "npm test # comment"],
    ["bash", "-c", "FOO=1 npm test"],
    ["bash", "-c", "env X=1 npm test"],
    ["bash", "-c", "sudo npm test"],
    ["bash", "-c", "python -c 'print(1)'"],
    ["bash", "-c", "bash -c 'npm test'"],
    ["bash", "-c", "exec npm test"],
    ["bash", "-c", "eval npm test"],
    ["bash", "-c", "'unterminated"],
    ["bash", "-lc", "npm test", "extra-arg"],
    ["FOO=1", "npm", "test"],
    ["np$m", "test"],
    [],
]

BANNED_ALONE = {
    "bash", "sh", "zsh", "dash", "fish", "python", "python3", "node", "perl", "ruby", "php",
    "env", "sudo", "doas", "su", "xargs", "deno", "lua", "osascript", "pwsh", "powershell",
}  # fmt: skip


@pytest.mark.parametrize(("argv", "expected"), PROPOSED, ids=lambda v: " ".join(v))
def test_proposed_prefix(argv: list[str], expected: list[str]) -> None:
    prefix = propose_prefix(argv)
    assert prefix == expected
    # The prefix allows the command it was proposed for, and is itself remembered as is.
    assert prefix_matches(prefix, argv)
    assert is_safe_prefix(prefix)


@pytest.mark.parametrize("argv", NOTHING, ids=lambda v: repr(" ".join(v)))
def test_nothing_proposed(argv: list[str]) -> None:
    assert propose_prefix(argv) is None


def test_a_proposal_is_never_a_shell_interpreter_env_or_sudo_alone() -> None:
    """Over every argv of these tests, and each with its flags: no proposed prefix is
    one of the banned programs alone (or with only flags after it)."""
    argvs = [a for a, _ in PROPOSED] + NOTHING
    argvs += [[prog, *rest] for prog in sorted(BANNED_ALONE) for rest in ([], ["-c", "x"], ["-x"])]
    argvs += [["bash", "-lc", f"{prog} -c x"] for prog in sorted(BANNED_ALONE)]
    for argv in argvs:
        prefix = propose_prefix(argv)
        if prefix is None:
            continue
        name = base_name(prefix[0])
        assert not (name in BANNED_ALONE and len(prefix) == 1), (argv, prefix)
        assert name not in {"sudo", "doas", "su", "env", "xargs"}, (argv, prefix)
        assert all(not w.startswith("-") for w in prefix[1:]) or prefix[1] == "-m", (argv, prefix)


@pytest.mark.parametrize(
    "prefix",
    [
        [],
        [""],
        ["bash"],
        ["sh", "-c"],
        ["bash", "-lc", "npm test"],
        ["python3"],
        ["python", "-c"],
        ["node", "-e"],
        ["env"],
        ["env", "X=1", "npm"],
        ["sudo", "npm", "test"],
        ["git"],
        ["git", "-C"],
        ["npm", "run"],
        ["uv", "run", "python"],
        ["rm"],
        ["rm", "-rf", "build"],
        ["npx"],
        ["FOO=1", "make"],
        ["a b"],
    ],
    ids=repr,
)
def test_unsafe_prefixes_are_not_remembered(prefix: list[str]) -> None:
    assert not is_safe_prefix(prefix)


def test_command_words_unwrap_only_simple_shell_scripts() -> None:
    assert command_words(["bash", "-lc", "npm test --watch"]) == ["npm", "test", "--watch"]
    assert command_words(["npm", "test", "&&", "rm"]) == ["npm", "test", "&&", "rm"]  # literal
    assert command_words(["bash", "-lc", "npm test && rm"]) is None
    assert command_words(["bash", "-e", "-c", "npm test"]) == ["bash", "-e", "-c", "npm test"]


def test_a_rule_matches_its_prefix_and_nothing_else() -> None:
    rule = ["npm", "test"]
    assert prefix_matches(rule, ["npm", "test"])
    assert prefix_matches(rule, ["npm", "test", "--", "-t", "x"])
    assert prefix_matches(rule, ["bash", "-lc", "npm test"])
    assert not prefix_matches(rule, ["npm", "install"])
    assert not prefix_matches(rule, ["npm"])
    assert not prefix_matches(rule, ["npmx", "test"])
    assert not prefix_matches(rule, ["/usr/bin/npm", "test"])
    assert not prefix_matches(rule, ["bash", "-lc", "npm test && rm -rf ~"])
    assert not prefix_matches(rule, ["bash", "-lc", "npm test; curl x | sh"])
    assert not prefix_matches(rule, ["env", "X=1", "npm", "test"])
    assert not prefix_matches([], ["npm", "test"])


def test_store_is_private_survives_reloads_and_matches_per_folder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    project, other = str(tmp_path / "p"), str(tmp_path / "q")
    store = RuleStore(home)
    assert store.load() == [] and store.allows(["npm", "test"], project) is None
    empty_version = store.version()
    store.add(project, ["npm", "test"])
    store.add(project, ["npm", "test"])  # kept once
    store.add(project + "/", ["cargo", "test"])  # the same folder
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(store.path.parent).st_mode) == 0o700
    again = RuleStore(home)
    assert again.load() == [
        Rule(project, ("npm", "test")),
        Rule(project, ("cargo", "test")),
    ]
    assert again.version() != empty_version
    assert again.allows(["npm", "test", "-s"], project) == Rule(project, ("npm", "test"))
    assert again.allows(["npm", "test"], other) is None
    assert again.allows(["npm", "install"], project) is None
    data = json.loads(store.path.read_text())
    assert data["rules"][0] == {"cwd": project, "prefix": ["npm", "test"]}
    again.save([])
    assert store.load() == []


def test_a_broken_rules_file_means_no_rules(tmp_path: Path) -> None:
    store = RuleStore(tmp_path)
    store.path.parent.mkdir(parents=True)
    store.path.write_text("{not json")
    assert store.load() == []
    store.path.write_text(json.dumps({"rules": [{"cwd": "relative", "prefix": ["x"]}]}))
    assert store.load() == []


@pytest.mark.parametrize(
    "value",
    [
        {"cwd": "/x", "prefix": ["a"]},
        [{"cwd": "relative", "prefix": ["a"]}],
        [{"cwd": "/x", "prefix": []}],
        [{"cwd": "/x", "prefix": "npm test"}],
        [{"cwd": "/x", "prefix": ["npm", 1]}],
        [{"cwd": "/x", "prefix": ["npm", ""]}],
        [{"prefix": ["a"]}],
        ["npm test"],
    ],
    ids=repr,
)
def test_parse_rules_refuses_malformed_values(value: object) -> None:
    with pytest.raises(RulesError):
        parse_rules(value)
