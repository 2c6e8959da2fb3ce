"""The `codex-lsp` argument parser and the dispatch of its commands: serve an editor
(default), `exec`, `review`, `demo`, `schema`, `login`, `logout`. Each command imports what
it needs when it runs."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..protocol.review import ReviewTarget


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `codex-lsp`."""
    parser = argparse.ArgumentParser(
        prog="codex-lsp",
        description="A Codex-style coding agent served to editors as a language server.",
    )
    parser.add_argument("--stdio", action="store_true", help="serve over stdin/stdout (default)")
    parser.add_argument("--tcp", action="store_true", help="serve over TCP")
    parser.add_argument("--host", default="127.0.0.1", help="TCP host (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=2087, help="TCP port (default 2087)")
    parser.add_argument("--log-file", help="also write logs to this file")
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING, ERROR")
    sub = parser.add_subparsers(dest="command")

    ex = sub.add_parser("exec", help="run one turn in the current directory")
    ex.add_argument("prompt", help="what to ask the agent")
    ex.add_argument("--json", action="store_true", help="print notifications as JSON lines")
    ex.add_argument("-m", "--model", help="model to use")
    ex.add_argument("--provider", help="model provider id from config.toml")
    ex.add_argument("-C", "--cd", dest="cwd", help="working directory")
    _add_review_parser(sub)

    demo = sub.add_parser("demo", help="a scripted turn against a bundled, simulated model")
    demo.add_argument("--json", action="store_true", help="print notifications as JSON lines")

    schema = sub.add_parser(
        "schema",
        help="write the protocol's JSON Schema into a folder",
        description="Write the protocol's JSON Schema (codex_lsp.schema.json and types/*.json) "
        "into DIR, created if missing; per-type files no longer generated are removed.",
    )
    schema.add_argument("out", nargs="?", metavar="DIR", help="the folder to write into")
    schema.add_argument("--out", dest="out_option", metavar="DIR", help="the same, as an option")

    login = sub.add_parser("login", help="store an OpenAI API key read from stdin")
    login.add_argument(
        "--with-api-key",
        action="store_true",
        help="read the key from stdin (the default; accepted for Codex compatibility)",
    )
    login_sub = login.add_subparsers(dest="login_command")
    login_sub.add_parser("status", help="show whether a key is available and from where")
    sub.add_parser("logout", help="remove the stored API key from every credential store")
    return parser


REVIEW_EPILOG = """\
output:
  stdout: one line per finding, most urgent first, then by file and line:
    path:line: [P1] title (lines 3-4)
  then the verdict line. The reviewer's progress and the full review (with each
  finding's explanation) go to stderr. When the reviewer does not answer with a
  structured review, its text is printed instead.
  --json: one JSON object, the review output in wire form (findings, overallCorrectness,
  overallExplanation, overallConfidenceScore) plus "review" (the rendered text); or
  {"output": null, "review": "<answer>"}.

exit status:
  0  reviewed; no P0 or P1 finding (also when the answer was plain text)
  1  a P0 or P1 finding; or the review failed (e.g. a model error) or was interrupted,
     as for `codex-lsp exec` (the error is on stderr, nothing on stdout)
  2  usage error, or a target that cannot be reviewed (not a git repository, unknown
     branch or commit, nothing to review), or bad settings

The review is saved as a thread, as `codex-lsp exec` turns are.
"""


def _add_review_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    review = sub.add_parser(
        "review",
        help="review changes in a git repository and print the findings",
        description="Review changes with a delegated reviewer (read-only sandbox). Without "
        "a target option: the uncommitted changes (staged, unstaged and untracked).",
        epilog=REVIEW_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    target = review.add_mutually_exclusive_group()
    target.add_argument(
        "--uncommitted", action="store_true", help="the uncommitted changes (the default)"
    )
    target.add_argument(
        "--base", metavar="BRANCH", help="the changes against BRANCH (from their merge base)"
    )
    target.add_argument("--commit", metavar="SHA", help="the changes of one commit")
    target.add_argument(
        "--custom", metavar="INSTRUCTIONS", help="review what these instructions ask for"
    )
    review.add_argument("--json", action="store_true", help="print the result as one JSON object")
    review.add_argument(
        "-m", "--model", help="the reviewer's model (wins over review_model in config.toml)"
    )
    review.add_argument("--provider", help="model provider id from config.toml")
    review.add_argument(
        "-C",
        "--cd",
        "--cwd",
        dest="cwd",
        metavar="DIR",
        help="directory in the repository to review (default: the current directory)",
    )


def _review_target(args: argparse.Namespace) -> ReviewTarget:
    from ..protocol.review import (
        BaseBranchTarget,
        CommitTarget,
        CustomTarget,
        UncommittedChangesTarget,
    )

    if args.base is not None:
        return BaseBranchTarget(branch=args.base)
    if args.commit is not None:
        return CommitTarget(sha=args.commit)
    if args.custom is not None:
        return CustomTarget(instructions=args.custom)
    return UncommittedChangesTarget()


def _serve(args: argparse.Namespace) -> int:
    from ..core.home import codex_home
    from ..logs import setup_logging
    from ..server.serve import serve_stdio, serve_tcp

    setup_logging(args.log_level, args.log_file)
    home = codex_home()
    if args.tcp:
        return asyncio.run(serve_tcp(home, args.host, args.port))
    return asyncio.run(serve_stdio(home))


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "schema":
        from ..protocol.schema import write_schemas

        out = args.out or args.out_option
        if out is None:
            parser.error("schema: name the folder to write into: codex-lsp schema DIR")
        written = write_schemas(Path(out))
        print(f"wrote {len(written)} schema files to {out}")
        from ..server.capabilities import write_snapshot

        print(f"wrote the initialize capability snapshot to {write_snapshot()}")
        return 0
    if args.command == "exec":
        from ..lazy import importing

        with importing():
            from ..core.home import codex_home
            from ..logs import setup_logging
            from .exec_run import run_exec

        setup_logging("WARNING")
        return asyncio.run(
            run_exec(
                args.prompt,
                home=codex_home(),
                json_mode=args.json,
                model=args.model,
                provider=args.provider,
                cwd=args.cwd,
            )
        )
    if args.command == "review":
        from ..core.home import codex_home
        from ..logs import setup_logging
        from .review_run import review

        setup_logging("WARNING")
        return review(
            _review_target(args),
            home=codex_home(),
            json_mode=args.json,
            model=args.model,
            provider=args.provider,
            cwd=args.cwd,
        )
    if args.command in ("login", "logout"):
        from ..core.home import codex_home
        from ..logs import setup_logging
        from . import auth

        setup_logging("WARNING")
        if args.command == "logout":
            return auth.run_logout(codex_home())
        if args.login_command == "status":
            return auth.run_login_status(codex_home())
        return auth.run_login(codex_home())
    if args.command == "demo":
        from ..logs import setup_logging
        from .demo import run_demo

        setup_logging("WARNING")
        return asyncio.run(run_demo(json_mode=args.json))
    return _serve(args)


if __name__ == "__main__":
    sys.exit(main())
