"""The macOS Seatbelt profile generated for each mode (it cannot run here)."""

from __future__ import annotations

from pathlib import Path

from codex_lsp.core.sandbox import plan_for
from codex_lsp.core.sandbox.macos_seatbelt import (
    SANDBOX_EXEC,
    SeatbeltBackend,
    seatbelt_profile,
)
from codex_lsp.protocol.sandbox import ReadOnlySandbox, WorkspaceWriteSandbox


def test_read_only_profile(workspace: Path) -> None:
    profile = seatbelt_profile(plan_for(ReadOnlySandbox(), workspace))
    text = profile.text
    assert text.startswith("(version 1)\n(deny default)\n")
    assert "(allow file-read*)" in text
    assert '(require-all (path "/dev/null") (vnode-type CHARACTER-DEVICE))' in text
    assert "(allow file-write*\n" not in text  # no writable root
    assert "network-outbound" not in text
    assert profile.params == {}
    assert text.count("(") == text.count(")")


def test_workspace_write_profile_excludes_git(workspace: Path) -> None:
    plan = plan_for(WorkspaceWriteSandbox(), workspace)
    profile = seatbelt_profile(plan)
    root = str(workspace.resolve())
    assert profile.params["WRITABLE_ROOT_0"] == root
    assert profile.params["WRITABLE_ROOT_0_RO_0"] == root + "/.git"
    assert (
        '(require-all (subpath (param "WRITABLE_ROOT_0")) '
        '(require-not (subpath (param "WRITABLE_ROOT_0_RO_0"))))'
    ) in profile.text
    # The temp dir (root 1) contains the workspace here: its .git is excluded there too.
    assert profile.params["WRITABLE_ROOT_1"] == str(plan.writable_roots[1])
    assert profile.params["WRITABLE_ROOT_1_RO_0"] == root + "/.git"
    assert root not in profile.text  # paths only travel as parameters
    assert "network-outbound" not in profile.text
    assert profile.text.count("(") == profile.text.count(")")


def test_roots_without_git_are_plain_subpaths(tmp_path: Path) -> None:
    plan = plan_for(WorkspaceWriteSandbox(), tmp_path)
    profile = seatbelt_profile(plan)
    assert '(allow file-write*\n  (subpath (param "WRITABLE_ROOT_0"))' in profile.text
    assert "require-not" not in profile.text


def test_network_on_profile_and_argv(workspace: Path) -> None:
    plan = plan_for(WorkspaceWriteSandbox(network_access=True), workspace)
    profile = seatbelt_profile(plan)
    assert "(allow network-outbound)" in profile.text
    assert "(allow system-socket)" in profile.text
    launch = SeatbeltBackend().launch(plan, ["ls", "-l"], pty=False)
    assert launch.argv[:3] == (SANDBOX_EXEC, "-p", profile.text)
    assert f"-DWRITABLE_ROOT_0={workspace.resolve()}" in launch.argv
    assert launch.argv[-3:] == ("--", "ls", "-l")
    assert launch.env["CODEX_SANDBOX"] == "seatbelt"
    assert "CODEX_SANDBOX_NETWORK_DISABLED" not in launch.env
    read_only = plan_for(ReadOnlySandbox(), workspace)
    assert SeatbeltBackend().launch(read_only, ["ls"], pty=False).env == {
        "CODEX_SANDBOX": "seatbelt",
        "CODEX_SANDBOX_NETWORK_DISABLED": "1",
    }
