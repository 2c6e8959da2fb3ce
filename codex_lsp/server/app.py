"""The pygls language server: initialize, the codex/ methods, logging to the client."""

from __future__ import annotations

import json
import logging
from collections.abc import Generator
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pydantic import BaseModel, ValidationError
from pygls.lsp.server import LanguageServer
from pygls.protocol import (
    JsonRPCNotification,
    JsonRPCRequestMessage,
    JsonRPCResponseMessage,
    LanguageServerProtocol,
    default_converter,
    lsp_method,
)

from .. import __version__
from ..core.tasks import cancel_all
from ..lazy import warm_up
from ..protocol.initialize import ClientCodexCapabilities, EditorSettings, ServerCodexCapabilities
from .account_handlers import register_account_handlers
from .approvals import LspApprovals
from .code_actions import register_code_actions
from .commands import register_commands
from .config_handlers import register_config_handlers
from .context_handlers import register_context_handlers
from .documents import Documents, register_documents
from .mcp_handlers import register_mcp_handlers
from .model_handlers import register_model_handlers
from .notifications import Notifier
from .progress import TurnProgress, register_progress
from .review_diagnostics import ReviewDiagnostics
from .review_handlers import register_review_handlers
from .session import Session
from .thread_handlers import register_thread_handlers
from .transcripts import Transcripts
from .transport import FrameWriter, dispatch
from .turn_handlers import register_turn_handlers

log = logging.getLogger(__name__)


class CodexProtocol(LanguageServerProtocol):
    """Adds `experimental.codex` to the server capabilities and reads the client's."""

    _server: CodexLanguageServer

    @lsp_method(lsp.INITIALIZE)
    def lsp_initialize(
        self, params: lsp.InitializeParams
    ) -> Generator[Any, Any, lsp.InitializeResult]:
        self._server.read_initialize(params)
        result: lsp.InitializeResult = yield from super().lsp_initialize(params)
        methods = sorted(m for m in self.fm.features if m.startswith("codex/"))
        result.capabilities.experimental = {
            "codex": ServerCodexCapabilities(methods=methods).wire()
        }
        return result

    def send_raw(self, message: dict[str, Any]) -> None:
        """Write a ready JSON-RPC message (the fast path for notifications)."""
        if isinstance(self.writer, FrameWriter):
            self.writer.send(message)


class CodexLanguageServer(LanguageServer):
    """codex-lsp."""

    protocol: CodexProtocol

    def __init__(self, home: Path, session: Session | None = None) -> None:
        super().__init__(
            name="codex-lsp",
            version=__version__,
            protocol_cls=CodexProtocol,
            converter_factory=codex_converter,
            text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental,
        )
        self.shutdown_requested = False
        self._session_stopped = False
        self._warmed_up = False
        self.notifier = Notifier(self.protocol.send_raw)
        self.documents = Documents(self)
        # A session made before pygls loaded (see `first_requests`) is handed over.
        self.session = session or Session(home)
        self.session.attach_editor(
            self.notifier,
            approvals=LspApprovals(self),
            buffers=self.documents.path_text,
            read_document=self.documents.text,
        )
        register_thread_handlers(self, self.session)
        register_turn_handlers(self, self.session)
        register_account_handlers(self, self.session)
        register_config_handlers(self, self.session)
        register_model_handlers(self, self.session)
        register_review_handlers(self, self.session)
        register_context_handlers(self, self.session)
        register_mcp_handlers(self, self.session)
        # Standard LSP features: documents, progress, commands, code actions.
        register_documents(self, self.documents)
        self.turn_progress = TurnProgress(self)
        register_progress(self, self.turn_progress)
        self.review_diagnostics = ReviewDiagnostics(self, self.documents)
        # Clients without the Codex UI read each thread in a transcript document.
        self.transcripts = Transcripts(self, home)
        self.notifier.listeners += [
            self.turn_progress,
            self.documents.on_event,
            self.review_diagnostics.on_event,
            self.transcripts.on_event,
        ]
        self.commands = register_commands(self)
        register_code_actions(self, self.documents)
        self._register_lifecycle()

    def buffer_text(self, path: Path) -> str | None:
        """The text of an open editor buffer (synced through didOpen/didChange), if any."""
        return self.documents.path_text(path)

    def _client_pulls_configuration(self) -> bool:
        caps = self.protocol.client_capabilities
        return bool(
            caps is not None and caps.workspace is not None and caps.workspace.configuration
        )

    def read_initialize(self, params: lsp.InitializeParams) -> None:
        """Client capabilities (`experimental.codex`) and editor settings."""
        session = self.session
        experimental = params.capabilities.experimental
        raw_caps = experimental.get("codex") if isinstance(experimental, dict) else None
        try:
            session.client_caps = ClientCodexCapabilities.model_validate(raw_caps or {})
        except ValidationError:
            log.warning("ignoring malformed experimental.codex client capabilities")
        self.notifier.deltas = session.client_caps.deltas
        session.client_name = params.client_info.name if params.client_info else None
        options = params.initialization_options
        raw_settings = options.get("codex") if isinstance(options, dict) else None
        try:
            session.editor = EditorSettings.model_validate(raw_settings or {})
        except ValidationError as exc:
            log.warning("ignoring invalid initializationOptions.codex: %s", _brief(exc))
        root = params.root_uri or (params.root_path and Path(params.root_path).as_uri())
        folders = params.workspace_folders or []
        uri = folders[0].uri if folders else root
        if uri and uri.startswith("file://"):
            from ..core.turns.user_input import uri_to_path

            session.default_cwd = str(uri_to_path(uri))

    def replay_initialize(self, message: dict[str, Any]) -> dict[str, Any]:
        """Hand pygls an `initialize` request the server has answered already (see
        `early`): pygls and the session take in the client's capabilities, folders and
        settings; pygls' response is returned, not sent.

        When pygls refuses params that `early` let through (a wrong type deep inside
        `capabilities`), that is logged and the request is handed on without the client's
        capabilities, so that the server still serves.
        """
        response = self._initialize_quietly(message)
        if "error" in response:
            log.error(
                "the client's initialize params are invalid (%s); serving without the "
                "client's capabilities",
                response["error"].get("message"),
            )
            params = {**message.get("params", {}), "capabilities": {}}
            response = self._initialize_quietly({**message, "params": params})
        return response

    def _initialize_quietly(self, message: dict[str, Any]) -> dict[str, Any]:
        sent: list[bytes] = []
        capture = FrameWriter(sent.append, lambda: None)
        writer = self.protocol.writer
        self.protocol.set_writer(capture)
        try:
            dispatch(json.dumps(message).encode("utf-8"), self.protocol, capture)
        finally:
            if writer is not None:
                self.protocol.set_writer(writer)
        # pygls answers `initialize` synchronously: its one response is written by now.
        frame = b"".join(sent)
        response: dict[str, Any] = json.loads(frame[frame.index(b"\r\n\r\n") + 4 :])
        return response

    def _warm_up(self) -> None:
        """What the first turn needs loads in the background, once (see `codex_lsp.lazy`)."""
        if not self._warmed_up:
            self._warmed_up = True
            warm_up()

    def _register_lifecycle(self) -> None:
        @self.feature(lsp.INITIALIZED)
        async def initialized(_params: lsp.InitializedParams) -> None:
            for warning in self.session.loaded_config.warnings:
                self.window_show_message(
                    lsp.ShowMessageParams(type=lsp.MessageType.Warning, message=warning)
                )
            # MCP servers connect in the background: nothing waits for them (started
            # before anything is awaited, so every later request sees them).
            self.session.mcp.start()
            await self.session.manager.open_index()
            # After the index: the first thread/list must not share the CPU with the imports.
            self._warm_up()

        @self.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
        async def configuration_changed(params: lsp.DidChangeConfigurationParams) -> None:
            # Pushed settings ({"codex": {...}}), else pulled from the client. They apply to
            # threads started or resumed from now on; running threads keep theirs.
            settings = params.settings.get("codex") if isinstance(params.settings, dict) else None
            if settings is None and self._client_pulls_configuration():
                pulled = await self.workspace_configuration_async(
                    lsp.ConfigurationParams(items=[lsp.ConfigurationItem(section="codex")])
                )
                settings = pulled[0] if pulled else None
            if not isinstance(settings, dict):
                return
            try:
                self.session.editor = EditorSettings.model_validate(settings)
            except ValidationError as exc:
                log.warning("ignoring invalid codex settings: %s", _brief(exc))

        @self.feature(lsp.SHUTDOWN)
        async def shutdown(_params: Any) -> None:
            self.shutdown_requested = True
            await self.stop_session()

    async def stop_session(self) -> None:
        """Interrupt running turns (their commands die), close rollouts and the index, cancel
        background work. Runs once, whether `shutdown`, `exit`, a signal or end of input
        came first."""
        if self._session_stopped:
            return
        self._session_stopped = True
        await self.session.manager.shutdown()
        await self.session.mcp.close()
        await cancel_all()


def codex_converter() -> Any:
    """pygls' converter, handing custom-method params to handlers as the JSON dicts they are.

    pygls turns unknown-method params into namedtuples, renaming keys that are not Python
    identifiers (lossy for `config` overrides); handlers validate dicts with pydantic instead.
    The same holds for the results of the custom requests the server sends (approvals).
    """
    converter: Any = default_converter()  # type: ignore[no-untyped-call]
    # JSON-RPC lets a request or notification omit `params`.
    converter.register_structure_hook(
        JsonRPCRequestMessage, lambda obj, cls: cls(**{"params": None, **obj})
    )
    converter.register_structure_hook(
        JsonRPCNotification, lambda obj, cls: cls(**{"params": None, **obj})
    )
    converter.register_structure_hook(JsonRPCResponseMessage, lambda obj, cls: cls(**obj))
    converter.register_unstructure_hook_func(
        lambda cls: isinstance(cls, type) and issubclass(cls, BaseModel),
        lambda model: model.model_dump(mode="json", by_alias=True),
    )
    return converter


def _brief(exc: ValidationError) -> str:
    return json.dumps([{"loc": e["loc"], "msg": e["msg"]} for e in exc.errors()])


def create_server(home: Path, session: Session | None = None) -> CodexLanguageServer:
    """A server whose threads live under `home` ($CODEX_HOME), on `session` if one was
    made before it."""
    return CodexLanguageServer(home, session)
