"""The first requests, served while pygls is still to be loaded.

After the early `initialize` answer (`early`), an editor's first useful question is the
list of past threads. Answering it needs the session and the thread index, not pygls:
so the server builds the session first, answers the thread reads that arrive right away
(`EARLY_METHODS`), holds every other message, and only then loads pygls (~350 ms), which
takes over the session and handles the held messages in their order.

Serving a read ahead of held notifications is what LSP allows for requests that do not
depend on them: the thread list and a thread's history read the disk, not the editor's
documents or settings. Free of pygls (a test holds that).
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

from .requests import RequestError, Serve, serving
from .session import Session
from .thread_handlers import thread_handlers
from .transport import NOT_JSON, FrameWriter, invalid_request

log = logging.getLogger(__name__)

# Requests answered before pygls is loaded: reads of the threads on disk.
EARLY_METHODS = frozenset({"codex/thread/list", "codex/thread/read"})


class FirstRequests:
    """The session, built before pygls, and the requests it answers on its own."""

    def __init__(self, home: Path) -> None:
        self.session = Session(home)
        handlers = thread_handlers(self.session)
        self._serve: dict[str, Serve] = {
            method: serving(method, handler)
            for method, handler in handlers.items()
            if method in EARLY_METHODS
        }
        # The index opens in a worker thread while the next messages are read.
        self._index = asyncio.ensure_future(self.session.manager.open_index())
        self._index.add_done_callback(_log_failure)

    async def answer(self, body: bytes, writer: FrameWriter) -> bool:
        """Answer `body` if it is one of `EARLY_METHODS` (True); False leaves it to pygls."""
        try:
            message = json.loads(body)
        except NOT_JSON:
            return False
        if invalid_request(message) is not None or "id" not in message:
            return False
        serve = self._serve.get(message.get("method"))
        if serve is None:
            return False
        response: dict[str, Any] = {"jsonrpc": "2.0", "id": message["id"]}
        try:
            response["result"] = await serve(message.get("params"))
        except RequestError as exc:
            response["error"] = exc.wire()
        except Exception as exc:
            log.exception("%s failed", message["method"])
            response["error"] = {"code": -32603, "message": f"{message['method']}: {exc}"}
        writer.send(response)
        log.debug("answered %s before pygls was loaded", message["method"])
        return True


def _log_failure(task: asyncio.Future[None]) -> None:
    # A failed index open is reported again by the request that needs the index.
    if not task.cancelled() and task.exception() is not None:
        log.debug("opening the thread index failed", exc_info=task.exception())
