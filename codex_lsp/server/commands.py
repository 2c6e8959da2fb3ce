"""`workspace/executeCommand`: drive the agent from any editor, no plugin needed.

Every command takes at most one argument, a JSON object (LSP `arguments: [obj]`; `[]` or
no arguments mean `{}`). Bad arguments get -32602 naming the field. The connection keeps
a "current thread": `codex.newThread`, `codex.resumeThread` and `codex.ask` set it, and
`codex.ask`, `codex.interrupt`, `codex.review`, `codex.compact`, `codex.revert` and
`codex.undoTurn` use it when no `threadId` is given. `codex.review` with neither starts a
thread in the git work tree of `uri` (else the workspace folder) once the target proves
reviewable; the reviewed thread becomes the current one. `codex.undoTurn` with nothing
left to undo answers `{threadId, turnId: null, undone: false, restored: [], deleted: [],
refused: [], notes: [why]}` (unknown thread or turn ids are still -32602).

| command | argument | result |
| --- | --- | --- |
| `codex.newThread` | `{cwd?, model?}` | the new thread's id (a string) |
| `codex.ask` | `{text, uri?, range?, threadId?}` | `{threadId, turnId}` |
| `codex.interrupt` | `{threadId?}` | `{threadId, turnId}` of the interrupted turn, or null |
| `codex.resumeThread` | `{threadId}` | the thread (`Thread`, turns included) |
| `codex.review` | `{threadId?, target?, delivery?, uri?}` | `codex/review/start`'s result |
| `codex.clearReview` | `{threadId?}` | how many review diagnostics were cleared |
| `codex.compact` | `{threadId?}` | `{threadId}` (the compaction runs as a turn) |
| `codex.revert` | `{threadId?, numTurns?, beforeTurnId?, restoreFiles?}` | `{thread}` |
| `codex.login` | `{apiKey}` | `{type: "apiKey"}` (as `codex/account/login/start`) |
| `codex.undoTurn` | `{threadId?, turnId?}` | what the thread manager's `undo_turn` returns |
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import Field

from ..core.config.settings import ThreadRequest
from ..core.threads.errors import UnknownThread
from ..core.threads.manager import TurnOverrides
from ..core.turns.user_input import InputError, uri_to_path
from ..protocol.base import WireModel
from ..protocol.paths import AbsoluteDirectory
from ..protocol.review import ReviewStartResult, ReviewTarget
from ..protocol.user_input import DocumentInput, Range, TextInput, UserInput
from .requests import core_errors, invalid_params, parse_params, pygls_errors, request_failed

if TYPE_CHECKING:
    from .app import CodexLanguageServer

log = logging.getLogger(__name__)

NEW_THREAD = "codex.newThread"
ASK = "codex.ask"
INTERRUPT = "codex.interrupt"
RESUME_THREAD = "codex.resumeThread"
REVIEW = "codex.review"
CLEAR_REVIEW = "codex.clearReview"
COMPACT = "codex.compact"
REVERT = "codex.revert"
LOGIN = "codex.login"
UNDO_TURN = "codex.undoTurn"
COMMANDS = (
    NEW_THREAD,
    ASK,
    INTERRUPT,
    RESUME_THREAD,
    REVIEW,
    CLEAR_REVIEW,
    COMPACT,
    REVERT,
    LOGIN,
    UNDO_TURN,
)

A = TypeVar("A", bound=WireModel)


class NewThreadArgs(WireModel):
    """`codex.newThread`."""

    cwd: AbsoluteDirectory | None = None
    model: str | None = None


class AskArgs(WireModel):
    """`codex.ask`."""

    text: str
    uri: str | None = None
    range: Range | None = None
    thread_id: str | None = None


class ThreadArgs(WireModel):
    """`codex.interrupt`."""

    thread_id: str | None = None


class ResumeArgs(WireModel):
    """`codex.resumeThread`."""

    thread_id: str


class ReviewArgs(WireModel):
    """`codex.review`."""

    thread_id: str | None = None
    target: dict[str, Any] = Field(default_factory=lambda: {"type": "uncommittedChanges"})
    delivery: str | None = None
    uri: str | None = None


class ReviewStartArgs(WireModel):
    """What `codex/review/start` takes besides the thread (validated the same way)."""

    target: ReviewTarget
    delivery: str | None = None


class RevertArgs(WireModel):
    """`codex.revert`."""

    thread_id: str | None = None
    before_turn_id: str | None = None
    num_turns: int | None = Field(default=None, ge=1)
    restore_files: bool | None = None


class LoginArgs(WireModel):
    """`codex.login`."""

    api_key: str


class UndoArgs(WireModel):
    """`codex.undoTurn`."""

    thread_id: str | None = None
    turn_id: str | None = None


def parse_args(model: type[A], args: tuple[Any, ...]) -> A:
    """The command's one argument object, validated (-32602 naming the field)."""
    if len(args) > 1:
        raise invalid_params([], f"expected one argument object, got {len(args)} arguments")
    return parse_params(model, args[0] if args else None)


class Commands:
    """The commands of one editor connection and its current thread."""

    def __init__(self, server: CodexLanguageServer) -> None:
        self.server = server
        self.current_thread: str | None = None

    @property
    def _manager(self) -> Any:
        return self.server.session.manager

    async def _call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Serve a `codex/` request through its registered handler (same validation,
        same errors, same notifications)."""
        handler = self.server.protocol.fm.features[method]
        result: dict[str, Any] = await handler(params)
        return result

    def _thread_id(self, given: str | None) -> str:
        thread_id = given or self.current_thread
        if thread_id is None:
            raise invalid_params(
                ["threadId"], "no current thread: run codex.newThread or codex.ask first"
            )
        return thread_id

    # ---- commands --------------------------------------------------------------------

    async def new_thread(self, *args: Any) -> str:
        """Start a thread; it becomes the current one."""
        a = parse_args(NewThreadArgs, args)
        params = {k: v for k, v in (("cwd", a.cwd), ("model", a.model)) if v is not None}
        result = await self._call("codex/thread/start", params)
        thread_id: str = result["thread"]["id"]
        self.current_thread = thread_id
        return thread_id

    async def ask(self, *args: Any) -> dict[str, str]:
        """Start a turn on the given or current thread (a new one if there is none)."""
        a = parse_args(AskArgs, args)
        if not a.text.strip() and a.uri is None:
            raise invalid_params(["text"], "the text is empty")
        if a.range is not None and a.uri is None:
            raise invalid_params(["uri"], "a range needs the uri of its document")
        inputs: list[UserInput] = [TextInput(text=a.text)]
        if a.uri is not None:
            inputs.append(DocumentInput(uri=a.uri, range=a.range))
        manager = self._manager
        with core_errors():
            thread_id = a.thread_id or self.current_thread
            if thread_id is None:
                thread_id = (await manager.start(ThreadRequest())).id
            try:
                turn = await manager.start_turn(thread_id, inputs, TurnOverrides())
            except InputError as exc:
                raise invalid_params(["uri"], str(exc)) from None
            except UnknownThread:
                if a.thread_id is not None:
                    raise
                # The current thread is gone (archived or deleted elsewhere): start afresh.
                thread_id = (await manager.start(ThreadRequest())).id
                turn = await manager.start_turn(thread_id, inputs, TurnOverrides())
        self.current_thread = thread_id
        return {"threadId": thread_id, "turnId": turn.id}

    async def interrupt(self, *args: Any) -> dict[str, str] | None:
        """Interrupt the running turn of the given or current thread (null: none ran)."""
        a = parse_args(ThreadArgs, args)
        thread_id = self._thread_id(a.thread_id)
        thread = self._manager.loaded.get(thread_id)
        if thread is None or thread.active is None:
            return None
        turn_id: str = thread.active.turn.id
        with core_errors():
            self._manager.interrupt(thread_id, turn_id)
        return {"threadId": thread_id, "turnId": turn_id}

    async def resume_thread(self, *args: Any) -> dict[str, Any]:
        """Resume a thread; it becomes the current one. Returns the thread."""
        a = parse_args(ResumeArgs, args)
        result = await self._call("codex/thread/resume", {"threadId": a.thread_id})
        self.current_thread = a.thread_id
        thread: dict[str, Any] = result["thread"]
        return thread

    async def review(self, *args: Any) -> dict[str, Any]:
        """Review on the given or current thread (a new one in `uri`'s work tree if none);
        the reviewed thread becomes the current one."""
        a = parse_args(ReviewArgs, args)
        thread_id = a.thread_id or self.current_thread
        params: dict[str, Any] = {"target": a.target}
        if a.delivery is not None:
            params["delivery"] = a.delivery
        if thread_id is not None:
            result = await self._call("codex/review/start", {"threadId": thread_id, **params})
        else:
            # No thread yet: one starts only if the target can be reviewed.
            p = parse_params(ReviewStartArgs, params)
            cwd = work_tree_of(a.uri) if a.uri is not None else None
            with core_errors():
                turn, thread_id = await self._manager.start_review(
                    ThreadRequest(cwd=cwd), p.target, detached=False
                )
            result = ReviewStartResult(turn=turn, review_thread_id=thread_id).wire()
        self.current_thread = result["reviewThreadId"]
        return result

    async def compact(self, *args: Any) -> dict[str, str]:
        """Compact the given or current thread's history (a turn of its own)."""
        a = parse_args(ThreadArgs, args)
        thread_id = self._thread_id(a.thread_id)
        await self._call("codex/thread/compact/start", {"threadId": thread_id})
        return {"threadId": thread_id}

    async def revert(self, *args: Any) -> dict[str, Any]:
        """Drop the last `numTurns` turns (default 1), or `beforeTurnId` and the turns
        after it, with their file changes unless `restoreFiles` is false."""
        a = parse_args(RevertArgs, args)
        params: dict[str, Any] = {"threadId": self._thread_id(a.thread_id)}
        if a.restore_files is not None:
            params["restoreFiles"] = a.restore_files
        if a.before_turn_id is not None:
            return await self._call(
                "codex/thread/revert", {**params, "beforeTurnId": a.before_turn_id}
            )
        return await self._call("codex/thread/rollback", {**params, "numTurns": a.num_turns or 1})

    async def clear_review(self, *args: Any) -> int:
        """Clear the review diagnostics of one thread (of every thread without `threadId`)."""
        a = parse_args(ThreadArgs, args)
        return self.server.review_diagnostics.clear(a.thread_id)

    async def login(self, *args: Any) -> dict[str, Any]:
        """Log in with an API key, exactly as `codex/account/login/start`."""
        a = parse_args(LoginArgs, args)
        return await self._call(
            "codex/account/login/start", {"type": "apiKey", "apiKey": a.api_key}
        )

    async def undo_turn(self, *args: Any) -> Any:
        """Undo a turn's file changes (the thread manager's `undo_turn`)."""
        a = parse_args(UndoArgs, args)
        undo: Callable[[str, str | None], Awaitable[Any]] | None = getattr(
            self._manager, "undo_turn", None
        )
        if undo is None:
            raise request_failed("codex.undoTurn is not available in this server build")
        thread_id = self._thread_id(a.thread_id)
        # The workspace snapshots load with the first turn or undo, not at start-up.
        from ..core.workspace.undo import NothingToUndo, nothing_to_undo

        with core_errors():
            try:
                result = await undo(thread_id, a.turn_id)
            except NothingToUndo as exc:
                # A valid request with nothing left to do: a result that says why.
                return nothing_to_undo(thread_id, exc.message)
        if result is None:
            return {}
        wire = getattr(result, "wire", None)
        return wire() if callable(wire) else result


def work_tree_of(uri: str) -> str | None:
    """The git work tree holding the file or folder `uri` names (its folder if none)."""
    if not uri.startswith("file:"):
        return None
    path = uri_to_path(uri)
    folder = path if path.is_dir() else path.parent
    if not folder.is_dir():
        return None
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return str(candidate)
    return str(folder)


def register_commands(server: CodexLanguageServer) -> Commands:
    """Register every command (pygls advertises them in `executeCommandProvider`)."""
    commands = Commands(server)
    table: dict[str, Callable[..., Awaitable[Any]]] = {
        NEW_THREAD: commands.new_thread,
        ASK: commands.ask,
        INTERRUPT: commands.interrupt,
        RESUME_THREAD: commands.resume_thread,
        REVIEW: commands.review,
        CLEAR_REVIEW: commands.clear_review,
        COMPACT: commands.compact,
        REVERT: commands.revert,
        LOGIN: commands.login,
        UNDO_TURN: commands.undo_turn,
    }
    for name, handler in table.items():
        server.command(name)(pygls_errors(handler, name.replace(".", "_")))
    return commands
