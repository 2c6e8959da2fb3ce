"""is_known_safe: read-only commands pass; anything that could write or run more does not."""

from __future__ import annotations

import pytest

from codex_lsp.core.tools.command_safety import is_known_safe

SAFE_ARGV: list[list[str]] = [
    ["ls"],
    ["ls", "-la", "src"],
    ["cat", "README.md"],
    ["head", "-n", "20", "a.py"],
    ["tail", "-f", "log"],
    ["wc", "-l", "a.py"],
    ["pwd"],
    ["echo", "hi"],
    ["true"],
    ["grep", "-rn", "TODO", "."],
    ["rg", "-n", "foo", "src"],
    ["rg", "--files"],
    ["find", ".", "-name", "*.py"],
    ["find", ".", "-type", "f", "-newer", "x"],
    ["sed", "-n", "1,80p", "a.py"],
    ["sed", "-n", "10p", "a.py", "b.py"],
    ["nl", "-ba", "a.py"],
    ["stat", "a.py"],
    ["file", "a.bin"],
    ["which", "python"],
    ["whoami"],
    ["uname", "-a"],
    ["date", "+%Y"],
    ["tree", "-L", "2"],
    ["diff", "-u", "a", "b"],
    ["git", "status"],
    ["git", "log", "--oneline", "-n", "5"],
    ["git", "diff", "HEAD~1", "--stat"],
    ["git", "show", "HEAD"],
    ["git", "branch"],
    ["git", "branch", "--show-current"],
    ["git", "-C", "sub", "status"],
    ["git", "--no-pager", "log", "-p"],
    ["cut", "-d:", "-f1", "/etc/passwd"],
    ["sort", "-n", "-k2", "x"],
    ["uniq", "-c", "x"],
    ["tr", "a-z", "A-Z"],
    ["basename", "/a/b"],
    ["dirname", "/a/b"],
    ["realpath", "x"],
    ["/usr/bin/ls", "-l"],
    ["/bin/cat", "x"],
]

UNSAFE_ARGV: list[list[str]] = [
    [],
    ["rm", "-rf", "x"],
    ["./ls"],
    ["/tmp/bin/cat", "x"],
    ["find", ".", "-delete"],
    ["find", ".", "-name", "*.py", "-exec", "rm", "{}", ";"],
    ["find", ".", "-execdir", "sh", "-c", "x", ";"],
    ["find", ".", "-ok", "rm", "{}", ";"],
    ["find", ".", "-fprint", "out"],
    ["find", ".", "-fprintf", "out", "%p"],
    ["find", ".", "-fls", "out"],
    ["rg", "--pre", "sh", "foo"],
    ["rg", "--pre=./evil", "foo"],
    ["rg", "--search-zip", "foo"],
    ["rg", "-z", "foo"],
    ["rg", "-nz", "foo"],
    ["rg", "--hostname-bin=x", "foo"],
    ["sed", "-i", "s/a/b/", "f"],
    ["sed", "-n", "1,5p", "-i", "f"],
    ["sed", "-n", "1w out", "f"],
    ["sed", "s/a/b/", "f"],
    ["sed", "-n", "/x/p", "f"],
    ["sort", "-o", "out", "x"],
    ["sort", "--output=out", "x"],
    ["sort", "--out=out", "x"],
    ["sort", "-no", "out", "x"],
    ["sort", "--compress-program=sh", "x"],
    ["uniq", "in", "out"],
    ["tree", "-o", "out"],
    ["date", "-s", "2020-01-01"],
    ["date", "--set=2020-01-01"],
    ["file", "-C", "-m", "magic"],
    ["git", "push"],
    ["git", "commit", "-m", "x"],
    ["git", "checkout", "status"],
    ["git", "branch", "-d", "feature"],
    ["git", "branch", "new-feature"],
    ["git", "-c", "core.pager=sh", "log"],
    ["git", "-ccore.pager=sh", "status"],
    ["git", "--git-dir=/x/.git", "status"],
    ["git", "--exec-path=/tmp", "status"],
    ["git", "log", "--output=/tmp/x"],
    ["git", "diff", "--output", "/tmp/x"],
    ["git", "diff", "--ext-diff"],
    ["git", "show", "--textconv", "HEAD"],
    ["git"],
    ["python", "-c", "print(1)"],
    ["xargs", "rm"],
    ["awk", "{print}", "x"],
    ["less", "x"],
    ["env", "ls"],
    ["tee", "x"],
    ["cp", "a", "b"],
    ["bash", "script.sh"],
    ["bash", "-c", "ls", "extra"],
]


@pytest.mark.parametrize("argv", SAFE_ARGV, ids=[" ".join(a) for a in SAFE_ARGV])
def test_safe_argv(argv: list[str]) -> None:
    assert is_known_safe(argv) is True


@pytest.mark.parametrize("argv", UNSAFE_ARGV, ids=[" ".join(a) or "empty" for a in UNSAFE_ARGV])
def test_unsafe_argv(argv: list[str]) -> None:
    assert is_known_safe(argv) is False


SAFE_SCRIPTS = [
    "ls",
    "ls -la && pwd",
    "git status && git diff",
    "cd src && rg -n foo | head",
    "cat a.py | grep -n def | wc -l",
    "ls; cat README.md",
    "cat missing 2>/dev/null || true",
    "ls > /dev/null 2>&1",
    "rg foo 2>&1 | head -n 5",
    "grep -c x < input.txt",
    "ls *.py",
    "cat src/*.py | wc -l",
    "grep -rn --include=*.py TODO .",
    "find . -name '*.py' | sort | uniq -c",
    "sed -n '1,80p' a.py && sed -n 100,120p a.py",
    "echo '$HOME is literal'",
    "cat ~/notes.txt",
    'echo "a;b" && echo "c|d"',
    "ls |& head",
]

UNSAFE_SCRIPTS = [
    "ls; rm a",
    "ls && rm -rf /",
    "rm -rf x",
    "echo hi > f",
    "echo hi >> f",
    "ls &> out.txt",
    "ls 2> err.txt",
    "ls >& out.txt",
    "cat <<EOF\nhi\nEOF",
    "cat <<< hi",
    "echo $(rm x)",
    "echo `rm x`",
    "echo $HOME",
    'echo "${HOME}"',
    "cat <(rm x)",
    "X=1 ls",
    "PAGER=sh git log",
    "(ls)",
    "{ ls; }",
    "for f in a; do ls; done",
    "if true; then ls; fi",
    "ls &",
    "ls & rm x",
    "find . -name *.py",
    "sort * ",
    "sed -n 1p *",
    "git log *",
    "$CMD",
    "*",
    "l?",
    "find . -delete",
    "git push",
    "sed -i 's/a/b/' f",
    "echo $((1+2))",
    "ls 'unterminated",
    "",
    "   ",
    "f() { ls; }",
    "bash -c 'rm x'",
    "ls | xargs rm",
    "ls | sh",
    "cat x | tee y",
]


@pytest.mark.parametrize("script", SAFE_SCRIPTS)
def test_safe_scripts(script: str) -> None:
    assert is_known_safe(["bash", "-lc", script]) is True
    assert is_known_safe(["sh", "-c", script]) is True


@pytest.mark.parametrize("script", UNSAFE_SCRIPTS)
def test_unsafe_scripts(script: str) -> None:
    assert is_known_safe(["bash", "-lc", script]) is False


def test_shell_flags() -> None:
    assert is_known_safe(["zsh", "-lc", "ls"]) is True
    assert is_known_safe(["bash", "-l", "-c", "ls"]) is True
    assert is_known_safe(["bash", "-i", "-c", "ls"]) is False
    assert is_known_safe(["bash", "--rcfile", "x", "-c", "ls"]) is False
    assert is_known_safe(["bash", "-lc"]) is False
