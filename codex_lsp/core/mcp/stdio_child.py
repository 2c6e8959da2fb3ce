"""Starts a stdio MCP server so that it dies with codex-lsp (Linux), as commands do.

The MCP SDK spawns its stdio servers itself (stdin/stdout pipes, stderr to a log), and
passes no extra file descriptor to them, so the server cannot hand this process the
lifeline pipe its own launcher (`core/sandbox/launcher.py`) watches. Instead the SDK is
told to run

    python -I -S -B stdio_child.py LAUNCHER_PATH SERVER_PID COMMAND [ARGS...]

and this module (standard library only, like the launcher) makes the lifeline from the
server's pid: a pidfd, which becomes readable when that process ends, however it ends.
It checks that the server is still its parent once the pidfd is open (so the pid cannot
name a later process), then runs the launcher's `main` with that lifeline: the launcher
becomes a subreaper, forks the MCP server (own session and process group, the SDK's
pipes as its stdio, this process's environment, which the SDK made), and kills its whole
tree as soon as the server ends. Closing stdin, the SDK's way to stop a server, works as
before: the launcher exits once the MCP server has.
"""

from __future__ import annotations

import importlib.util
import os
import sys

EXIT_USAGE = 2
EXIT_PARENT_GONE = 125


def _load_launcher(path: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("codex_launcher", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the launcher from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(args: list[str]) -> int:
    """See the module doc; returns the exit code."""
    if len(args) < 3:
        sys.stderr.write("usage: stdio_child.py LAUNCHER_PATH SERVER_PID COMMAND [ARGS...]\n")
        return EXIT_USAGE
    launcher_path, server_pid, argv = args[0], int(args[1]), args[2:]
    try:
        lifeline = os.pidfd_open(server_pid)
    except OSError as exc:
        sys.stderr.write(f"codex-lsp is gone ({exc.strerror}); not starting {argv[0]}\n")
        return EXIT_PARENT_GONE
    if os.getppid() != server_pid:
        sys.stderr.write(f"codex-lsp is gone; not starting {argv[0]}\n")
        return EXIT_PARENT_GONE
    launcher = _load_launcher(launcher_path)
    spec = launcher.encode_spec(argv, dict(os.environ))
    spec_fd = os.memfd_create("codex-mcp-spec", os.MFD_CLOEXEC)
    os.write(spec_fd, spec)
    # The launcher reports the command's pid and exit status; nobody reads them here (a
    # failed exec still shows: the launcher exits 127 before the server answers).
    status = os.open(os.devnull, os.O_WRONLY | os.O_CLOEXEC)
    code: int = launcher.main([str(lifeline), str(status), str(spec_fd), "pipe"])
    return code


if __name__ == "__main__":
    sys.stdout.flush()
    os._exit(main(sys.argv[1:]))
