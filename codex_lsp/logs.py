"""Logging: stderr (never stdout, which carries the protocol), an optional file, and the
client's `window/logMessage` for warnings and errors.

Every handler set up here redacts secrets (`core.redact`) from every record it handles,
whichever logger made it (ours, pygls quoting a raw message, asyncio, the SDK): the
message with its arguments, the exception text and the stack. A log file is created
readable by its owner only (0600); an existing one under `$CODEX_HOME` is set to 0600.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from .core.private_files import ensure_private_file, private_dir
from .core.redact import redact

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_formatter = logging.Formatter()


class RedactingFilter(logging.Filter):
    """Redacts secrets from a record, in place (every later handler sees the clean one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep its parts, redacted
            message = f"{record.msg!s} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            text = record.exc_text or _formatter.formatException(record.exc_info)
            # Formatters use `exc_text` when it is set; the exception stays for filters.
            record.exc_text = redact(text)
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


REDACTING_FILTER = RedactingFilter()


def setup_logging(level: str = "INFO", log_file: str | None = None) -> None:
    """Configure the root logger. pygls logs every message body at INFO, so it is kept at
    WARNING: bodies may carry secrets (and what it logs at WARNING is redacted)."""
    root = logging.getLogger()
    root.setLevel(level.upper())
    handler: logging.Handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(REDACTING_FILTER)
    root.addHandler(handler)
    if log_file:
        private_dir(Path(log_file).absolute().parent)
        ensure_private_file(log_file, tighten=_under_codex_home(log_file))
        file_handler = logging.FileHandler(log_file, encoding="utf-8")
        file_handler.setFormatter(logging.Formatter(FORMAT))
        file_handler.addFilter(REDACTING_FILTER)
        root.addHandler(file_handler)
    _route_uncaught_exceptions()
    for noisy in ("pygls", "httpx", "httpx2", "httpcore", "openai", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("pygls.protocol.json_rpc").addFilter(_drop_answered_client_errors)


def _drop_answered_client_errors(record: logging.LogRecord) -> bool:
    """pygls logs a traceback for every error response; invalid params are the client's
    mistake, already answered with -32602, and not worth a traceback in the server log."""
    exc = record.exc_info[1] if record.exc_info else None
    return not (exc is not None and getattr(exc, "code", None) == -32602)


def _under_codex_home(path: str) -> bool:
    from .core.home import codex_home

    try:
        return Path(path).resolve().is_relative_to(codex_home().resolve())
    except (OSError, RuntimeError):
        return False


def _route_uncaught_exceptions() -> None:
    """Uncaught exceptions (main thread, other threads) are logged, hence redacted, instead
    of Python printing their traceback straight to stderr."""
    log = logging.getLogger("codex_lsp")

    def excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        log.critical("uncaught exception", exc_info=(kind, exc, tb))

    def thread_excepthook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit or args.exc_value is None:
            return
        name = args.thread.name if args.thread is not None else "?"
        log.critical(
            "uncaught exception in thread %s",
            name,
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
        )

    sys.excepthook = excepthook
    threading.excepthook = thread_excepthook


class ClientLogHandler(logging.Handler):
    """Forwards records to the editor (`window/logMessage`), secrets redacted."""

    def __init__(self, send: Callable[[int, str], None], level: int = logging.WARNING) -> None:
        super().__init__(level)
        self._send = send
        self._busy = False
        self.addFilter(REDACTING_FILTER)

    def emit(self, record: logging.LogRecord) -> None:
        if self._busy:  # a failure while sending must not recurse
            return
        self._busy = True
        try:
            self._send(record.levelno, f"{record.name}: {record.getMessage()}")
        except Exception:
            pass
        finally:
            self._busy = False
