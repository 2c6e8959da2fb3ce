"""commandActions for realistic commands: reads, listings, searches, noise, `cd`."""

from __future__ import annotations

from typing import Any

import pytest

from codex_lsp.core.tools.command_actions import (
    command_text,
    is_sed_print_script,
    parse_command_actions,
    parse_script,
    shell_script,
)

CWD = "/repo"


def actions(script: str) -> list[dict[str, Any]]:
    return [a.wire() for a in parse_command_actions(["bash", "-lc", script], CWD)]


def read(command: str, name: str, path: str) -> dict[str, Any]:
    return {"type": "read", "command": command, "name": name, "path": path}


def listing(command: str, path: str | None = None) -> dict[str, Any]:
    return {"type": "listFiles", "command": command, "path": path}


def search(command: str, query: str | None, path: str | None = None) -> dict[str, Any]:
    return {"type": "search", "command": command, "query": query, "path": path}


def unknown(command: str) -> dict[str, Any]:
    return {"type": "unknown", "command": command}


CASES: list[tuple[str, list[dict[str, Any]]]] = [
    # reads
    ("cat README.md", [read("cat README.md", "README.md", "/repo/README.md")]),
    ("sed -n 1,80p src/app.py", [read("sed -n 1,80p src/app.py", "app.py", "/repo/src/app.py")]),
    ("sed -n '120,200p' lib/x.rs", [read("sed -n '120,200p' lib/x.rs", "x.rs", "/repo/lib/x.rs")]),
    ("head -n 50 setup.cfg", [read("head -n 50 setup.cfg", "setup.cfg", "/repo/setup.cfg")]),
    ("tail -20 log.txt", [read("tail -20 log.txt", "log.txt", "/repo/log.txt")]),
    ("nl -ba a.py | sed -n '1,40p'", [read("nl -ba a.py", "a.py", "/repo/a.py")]),
    ("cat -n /etc/hosts", [read("cat -n /etc/hosts", "hosts", "/etc/hosts")]),
    ("less docs/guide.md", [read("less docs/guide.md", "guide.md", "/repo/docs/guide.md")]),
    (
        "cat a.txt b.txt",
        [
            read("cat a.txt b.txt", "a.txt", "/repo/a.txt"),
            read("cat a.txt b.txt", "b.txt", "/repo/b.txt"),
        ],
    ),
    (
        "cat pyproject.toml | head -n 30",
        [read("cat pyproject.toml", "pyproject.toml", "/repo/pyproject.toml")],
    ),
    ("cat ../other/x.py", [read("cat ../other/x.py", "x.py", "/other/x.py")]),
    # listings
    ("ls -la", [listing("ls -la")]),
    (
        "ls src tests",
        [listing("ls src tests", "/repo/src"), listing("ls src tests", "/repo/tests")],
    ),
    ("tree -L 2 src", [listing("tree -L 2 src", "/repo/src")]),
    ("find . -type f | wc -l", [listing("find . -type f", "/repo")]),
    ("rg --files | head -n 100", [listing("rg --files")]),
    ("rg --files src", [listing("rg --files src", "/repo/src")]),
    ("git ls-files", [listing("git ls-files")]),
    ("fd", [listing("fd")]),
    # searches
    ("rg -n foo", [search("rg -n foo", "foo")]),
    ("rg -n 'def main' src", [search("rg -n 'def main' src", "def main", "/repo/src")]),
    ("rg -e needle -g '*.py' lib", [search("rg -e needle -g '*.py' lib", "needle", "/repo/lib")]),
    ("grep -rn TODO src", [search("grep -rn TODO src", "TODO", "/repo/src")]),
    (
        "grep -R --include=*.py -n 'import os' .",
        [search("grep -R --include=*.py -n 'import os' .", "import os", "/repo")],
    ),
    (
        "git grep -n parse_args -- src",
        [search("git grep -n parse_args -- src", "parse_args", "/repo/src")],
    ),
    ("ag TODO", [search("ag TODO", "TODO")]),
    ("find src -name '*.py'", [search("find src -name '*.py'", "*.py", "/repo/src")]),
    ("fd test_ tests", [search("fd test_ tests", "test_", "/repo/tests")]),
    ("rg -l foo | xargs wc -l", [search("rg -l foo", "foo"), unknown("xargs wc -l")]),
    ("ls | grep -i readme", [listing("ls"), search("grep -i readme", "readme")]),
    # cd changes the base of later paths and is itself dropped
    ("cd src && rg -n foo | head", [search("rg -n foo", "foo", "/repo/src")]),
    ("cd src && cat main.py", [read("cat main.py", "main.py", "/repo/src/main.py")]),
    ("cd /tmp && ls", [listing("ls", "/tmp")]),
    ("cd a && cd b && ls ..", [listing("ls ..", "/repo/a")]),
    # sequences: one action per meaningful command
    ("git status && git diff", [unknown("git status"), unknown("git diff")]),
    (
        "ls src; cat src/a.py",
        [listing("ls src", "/repo/src"), read("cat src/a.py", "a.py", "/repo/src/a.py")],
    ),
    (
        "echo '--- a'; cat a; echo '--- b'; cat b",
        [read("cat a", "a", "/repo/a"), read("cat b", "b", "/repo/b")],
    ),
    (
        "cat missing.txt 2>/dev/null || true",
        [read("cat missing.txt 2>/dev/null", "missing.txt", "/repo/missing.txt")],
    ),
    ("ls; ls", [listing("ls")]),
    # unknown: writes, other programs, pipelines that do more than shape output
    ("echo hi", [unknown("echo hi")]),
    ("echo hi > notes.txt", [unknown("echo hi > notes.txt")]),
    ("cat a > b", [unknown("cat a > b")]),
    ("sed -i 's/a/b/' f.py", [unknown("sed -i 's/a/b/' f.py")]),
    ("sed 's/a/b/' f.py", [unknown("sed 's/a/b/' f.py")]),
    ("find . -name '*.pyc' -delete", [unknown("find . -name '*.pyc' -delete")]),
    ("pytest -q tests", [unknown("pytest -q tests")]),
    ("python -m pytest | tail -n 20", [unknown("python -m pytest")]),
    ("npm test 2>&1 | head -50", [unknown("npm test 2>&1")]),
    ("cd src", [unknown("cd src")]),
    ("wc -l a.py", [unknown("wc -l a.py")]),
    ("for f in *.py; do cat $f; done", [unknown("for f in *.py; do cat $f; done")]),
    ("(cd src && ls)", [unknown("(cd src && ls)")]),
    ("echo $((1 + 2))", [unknown("echo $((1 + 2))")]),
    ("cat 'unterminated", [unknown("cat 'unterminated")]),
]


@pytest.mark.parametrize(("script", "expected"), CASES, ids=[c[0] for c in CASES])
def test_script_actions(script: str, expected: list[dict[str, Any]]) -> None:
    assert actions(script) == expected


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["cat", "a b.txt"], [read("cat 'a b.txt'", "a b.txt", "/repo/a b.txt")]),
        (["ls", "-la", "src"], [listing("ls -la src", "/repo/src")]),
        (["rg", "-n", "x|y", "lib"], [search("rg -n 'x|y' lib", "x|y", "/repo/lib")]),
        (["git", "status"], [unknown("git status")]),
        (["sh", "-c", "cat x"], [read("cat x", "x", "/repo/x")]),
        (["zsh", "-lc", "ls"], [listing("ls")]),
        (["/bin/bash", "-c", "rg foo"], [search("rg foo", "foo")]),
        (["bash", "-l", "-c", "cat x"], [read("cat x", "x", "/repo/x")]),
        (["bash", "script.sh"], [unknown("bash script.sh")]),
        (["bash", "-lc", "ls", "extra"], [unknown("bash -lc ls extra")]),
        ([], [unknown("")]),
    ],
)
def test_argv_actions(argv: list[str], expected: list[dict[str, Any]]) -> None:
    assert [a.wire() for a in parse_command_actions(argv, CWD)] == expected


def test_command_text() -> None:
    assert command_text(["bash", "-lc", "cd src && ls"]) == "cd src && ls"
    assert command_text(["sh", "-c", "echo hi"]) == "echo hi"
    assert command_text(["ls", "-la", "my dir"]) == "ls -la 'my dir'"
    assert command_text(["bash", "run.sh"]) == "bash run.sh"


def test_shell_script() -> None:
    assert shell_script(["bash", "-lc", "x"]) == "x"
    assert shell_script(["bash", "-c", "x"]) == "x"
    assert shell_script(["/usr/bin/zsh", "-lc", "x"]) == "x"
    assert shell_script(["bash", "-l", "x"]) is None
    assert shell_script(["bash", "--rcfile", "f", "-c", "x"]) is None
    assert shell_script(["python", "-c", "x"]) is None


def test_parse_script_details() -> None:
    parsed = parse_script('cd a && rg -n "$X" *.py | head > out 2>&1')
    assert parsed is not None
    assert parsed.operators == {"&&", "|"}
    cd, rg, head = parsed.commands
    assert cd.words == ["cd", "a"]
    assert rg.words == ["rg", "-n", "$X", "*.py"]
    assert rg.expands is True
    assert rg.globbed == [False, False, False, True]
    assert (rg.pipe_index, rg.pipe_length) == (0, 2)
    assert (head.pipe_index, head.pipe_length) == (1, 2)
    assert [(r.kind, r.target) for r in head.redirects] == [(">", "out"), (">&", 1)]
    assert parse_script("") is None
    assert parse_script("if true; then ls; fi") is None


def test_quoted_globs_are_not_globs() -> None:
    parsed = parse_script("find . -name '*.py' -o -name \"*.rs\" -o -name \\*.c")
    assert parsed is not None
    assert not any(parsed.commands[0].globbed)


@pytest.mark.parametrize(
    ("script", "ok"),
    [
        ("1,80p", True),
        ("10p", True),
        ("$p", True),
        ("1,$p", True),
        ("5,+3p", True),
        ("1p;5p", True),
        ("1,5p\n9p", True),
        ("1,5w out", False),
        ("s/a/b/p", False),
        ("/re/p", False),
        ("p", False),
        ("", False),
    ],
)
def test_sed_print_scripts(script: str, ok: bool) -> None:
    assert is_sed_print_script(script) is ok
