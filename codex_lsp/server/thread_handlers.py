"""codex/thread/* handlers (free of pygls: the first `thread/list` is served before pygls
has loaded, see `first_requests`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.config.settings import ThreadRequest
from ..core.threads.index import InvalidCursor, ListQuery
from ..core.threads.loaded import LoadedThread
from ..core.threads.rollout import RolloutWriteError
from ..protocol import thread as t
from ..protocol.base import EmptyResult
from .requests import Handler, invalid_params, register, request_failed
from .session import Session

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer


def _request(p: t.ThreadOverrides) -> ThreadRequest:
    return ThreadRequest(
        model=p.model,
        model_provider=p.model_provider,
        cwd=p.cwd,
        approval_policy=p.approval_policy,
        sandbox=p.sandbox,
        base_instructions=p.base_instructions,
        developer_instructions=p.developer_instructions,
        config=p.config,
    )


def _result(thread: LoadedThread, include_turns: bool) -> t.ThreadStartResult:
    s = thread.settings
    return t.ThreadStartResult(
        thread=thread.view(include_turns),
        model=s.model,
        model_provider=s.model_provider,
        cwd=s.cwd,
        approval_policy=s.approval_policy,
        sandbox=s.sandbox,
        reasoning_effort=s.reasoning_effort,
    )


def register_thread_handlers(server: LanguageServer, session: Session) -> None:
    """Serve the thread methods."""
    for method, handler in thread_handlers(session).items():
        register(server, method, handler)


def thread_handlers(session: Session) -> dict[str, Handler]:
    """The thread methods' handlers."""
    manager = session.manager

    async def start(p: t.ThreadStartParams) -> t.ThreadStartResult:
        thread = await manager.start(_request(p), ephemeral=bool(p.ephemeral))
        thread.raw_events = bool(p.experimental_raw_events)
        return _result(thread, include_turns=False)

    async def resume(p: t.ThreadResumeParams) -> t.ThreadStartResult:
        given = [
            name
            for name, value in (("threadId", p.thread_id), ("path", p.path), ("history", p.history))
            if value is not None
        ]
        if len(given) != 1:
            field = given[-1] if given else "threadId"
            raise invalid_params(
                [field],
                "give exactly one of threadId, path and history"
                + (f" (got {', '.join(given)})" if given else ""),
            )
        if p.path is not None:
            thread = await manager.resume_path(p.path, _request(p))
        elif p.history is not None:
            thread = await manager.resume_history(p.history, _request(p))
        else:
            assert p.thread_id is not None
            thread = await manager.resume(p.thread_id, _request(p))
        thread.raw_events = bool(p.experimental_raw_events)
        return _result(thread, include_turns=True)

    async def fork(p: t.ThreadForkParams) -> t.ThreadStartResult:
        thread = await manager.fork(p.thread_id, p.last_turn_id, _request(p))
        return _result(thread, include_turns=True)

    async def read(p: t.ThreadReadParams) -> t.ThreadReadResult:
        return t.ThreadReadResult(thread=await manager.read(p.thread_id, p.include_turns))

    async def list_(p: t.ThreadListParams) -> t.ThreadListResult:
        query = ListQuery(
            cursor=p.cursor,
            limit=p.limit or 25,
            sort_key=p.sort_key or "created_at",
            model_providers=p.model_providers or None,
            archived=bool(p.archived),
            cwd=p.cwd,
            search_term=p.search_term or None,
        )
        await manager.open_index()
        try:
            data, cursor = manager.list_threads(query)
        except InvalidCursor as exc:
            raise invalid_params(["cursor"], str(exc) or "invalid cursor") from None
        return t.ThreadListResult(data=data, next_cursor=cursor)

    async def archive(p: t.ThreadIdParams) -> EmptyResult:
        await manager.archive(p.thread_id)
        return EmptyResult()

    async def unarchive(p: t.ThreadIdParams) -> t.ThreadUnarchiveResult:
        return t.ThreadUnarchiveResult(thread=await manager.unarchive(p.thread_id))

    async def set_name(p: t.ThreadSetNameParams) -> EmptyResult:
        try:
            await manager.set_name(p.thread_id, p.name)
        except RolloutWriteError as exc:
            raise request_failed(f"the name could not be saved: {exc}") from None
        return EmptyResult()

    async def shell_command(p: t.ThreadShellCommandParams) -> EmptyResult:
        if not p.command.strip():
            raise invalid_params(["command"], "the command is empty")
        await manager.start_shell_command(p.thread_id, p.command, p.timeout_ms)
        return EmptyResult()

    return {
        "codex/thread/shellCommand": shell_command,
        "codex/thread/start": start,
        "codex/thread/resume": resume,
        "codex/thread/fork": fork,
        "codex/thread/read": read,
        "codex/thread/list": list_,
        "codex/thread/archive": archive,
        "codex/thread/unarchive": unarchive,
        "codex/thread/name/set": set_name,
    }
