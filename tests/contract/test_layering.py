"""The layers of DESIGN.md: core never imports pygls/lsprotocol or the server; protocol
imports nothing else of the project; core/text (lines, hunks, diffs, file changes) imports
nothing else of the project; the command line loads pygls only to serve."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "codex_lsp"


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package_parts = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1]
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package_parts[: len(package_parts) - node.level + 1])
                names.append(".".join([*base, node.module] if node.module else base))
            elif node.module:
                names.append(node.module)
    return names


def test_core_does_not_import_lsp() -> None:
    for path in (PACKAGE / "core").rglob("*.py"):
        for name in _imports(path):
            assert not name.startswith(("pygls", "lsprotocol")), f"{path}: {name}"
            assert not name.startswith("codex_lsp.server"), f"{path}: {name}"


def test_protocol_imports_nothing_of_the_project() -> None:
    for path in (PACKAGE / "protocol").rglob("*.py"):
        for name in _imports(path):
            if name.startswith("codex_lsp"):
                assert name.startswith("codex_lsp.protocol"), f"{path}: {name}"
            assert not name.startswith(("pygls", "lsprotocol")), f"{path}: {name}"


def test_only_server_imports_pygls() -> None:
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if "server" in relative.parts or relative.as_posix() == "cli/commands.py":
            continue
        for name in _imports(path):
            assert not name.startswith(("pygls", "lsprotocol")), f"{path}: {name}"


def test_text_imports_nothing_else_of_the_project() -> None:
    paths = list((PACKAGE / "core" / "text").rglob("*.py"))
    assert paths
    for path in paths:
        for name in _imports(path):
            if name.startswith("codex_lsp"):
                assert name.startswith("codex_lsp.core.text"), f"{path}: {name}"


def test_cli_commands_other_than_serve_do_not_load_pygls() -> None:
    modules = [
        "codex_lsp.cli",
        "codex_lsp.cli.exec_run",
        "codex_lsp.cli.auth",
        "codex_lsp.cli.demo",
    ]
    code = (
        f"import {', '.join(modules)}, sys; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pygls', 'lsprotocol'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout
