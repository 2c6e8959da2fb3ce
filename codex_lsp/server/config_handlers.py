"""codex/config/* handlers: read the layered config, edit `config.toml`."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pygls.exceptions import JsonRpcInternalError
from pygls.lsp.server import LanguageServer

from ..protocol import config as c
from .requests import invalid_params, register
from .session import Session

if TYPE_CHECKING:
    from ..core.config.writer import ConfigEdit, ConfigWriteError


def _loc(exc: ConfigWriteError, batch: bool) -> list[str | int]:
    """Where in the request the problem is: `expectedVersion`, `value`, `edits.N.keyPath`..."""
    if exc.field == "expectedVersion":
        return ["expectedVersion"]
    if batch and exc.index is not None:
        return ["edits", exc.index, exc.field or "value"]
    return [exc.field] if exc.field else []


def register_config_handlers(server: LanguageServer, session: Session) -> None:
    """Serve the codex/config/* methods."""
    service = session.config_service

    async def read(_p: c.ConfigReadParams) -> c.ConfigReadResult:
        # `cwd` is accepted for compatibility: there are no per-project config layers.
        service.refresh()
        layered = service.read(session.editor)
        origins = {
            key: c.ConfigOrigin(layer=origin.layer, file=origin.file)
            for key, origin in sorted(layered.origins.items())
        }
        return c.ConfigReadResult(config=layered.effective, origins=origins)

    async def write(
        edits: Sequence[ConfigEdit], expected_version: str | None, batch: bool
    ) -> c.ConfigWriteResult:
        from ..core.config.writer import ConfigWriteError  # tomlkit: on first use

        try:
            outcome = await asyncio.to_thread(
                service.write, edits, expected_version, session.editor
            )
        except ConfigWriteError as exc:
            raise invalid_params(_loc(exc, batch), str(exc), exc.kind) from None
        except OSError as exc:
            raise JsonRpcInternalError(
                message=f"cannot write {service.path}: {exc.strerror or exc}"
            ) from None
        return c.ConfigWriteResult(
            status=outcome.status, version=outcome.version, file_path=str(outcome.path)
        )

    async def value_write(p: c.ConfigValueWriteParams) -> c.ConfigWriteResult:
        from ..core.config.writer import ConfigEdit

        edit = ConfigEdit(p.key_path, p.value, p.merge_strategy)
        return await write([edit], p.expected_version, batch=False)

    async def batch_write(p: c.ConfigBatchWriteParams) -> c.ConfigWriteResult:
        from ..core.config.writer import ConfigEdit

        edits = [ConfigEdit(e.key_path, e.value, e.merge_strategy) for e in p.edits]
        return await write(edits, p.expected_version, batch=True)

    register(server, "codex/config/read", read)
    register(server, "codex/config/value/write", value_write)
    register(server, "codex/config/batchWrite", batch_write)
