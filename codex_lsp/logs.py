"""Logging: stderr (never stdout, which carries the protocol), an optional file, and the
client's `window/logMessage` for warnings and errors."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(level: str = "INFO", log_file: str | None = None) -> None:
    """Configure the root logger. pygls logs every message body at INFO, so it is kept at
    WARNING: bodies may carry secrets."""
    root = logging.getLogger()
    root.setLevel(level.upper())
    handler: logging.Handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    if log_file:
        file_handler = logging.FileHandler(log_file, encoding="utf-8")
        file_handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(file_handler)
    for noisy in ("pygls", "httpx", "httpx2", "httpcore", "openai", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("pygls.protocol.json_rpc").addFilter(_drop_answered_client_errors)


def _drop_answered_client_errors(record: logging.LogRecord) -> bool:
    """pygls logs a traceback for every error response; invalid params are the client's
    mistake, already answered with -32602, and not worth a traceback in the server log."""
    exc = record.exc_info[1] if record.exc_info else None
    return not (exc is not None and getattr(exc, "code", None) == -32602)


class ClientLogHandler(logging.Handler):
    """Forwards records to the editor (`window/logMessage`)."""

    def __init__(self, send: Callable[[int, str], None], level: int = logging.WARNING) -> None:
        super().__init__(level)
        self._send = send
        self._busy = False

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
