"""Errors the thread manager raises; the server maps them to JSON-RPC errors."""

from __future__ import annotations


class ThreadError(Exception):
    """A request about threads cannot be served; `field` names the offending param."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class UnknownThread(ThreadError):
    """No thread has this id."""

    def __init__(self, thread_id: str) -> None:
        super().__init__("threadId", f"unknown thread id {thread_id!r}")


class ThreadBusy(ThreadError):
    """The thread is already running a turn."""

    def __init__(self, thread_id: str, turn_id: str) -> None:
        super().__init__(
            "threadId",
            f"thread {thread_id} is already running turn {turn_id}; "
            "wait for turn/completed or interrupt it first",
        )
