"""codex/model/list and codex/account/rateLimits/read handlers."""

from __future__ import annotations

from pygls.exceptions import JsonRpcInternalError
from pygls.lsp.server import LanguageServer

from ..core.config.settings import ThreadRequest
from ..core.model.catalog import InvalidModelCursor, ModelCatalog, ModelCatalogError, paginate
from ..protocol.account import RateLimitsReadResult
from ..protocol.model_catalog import ModelListParams, ModelListResult
from .requests import invalid_params, register
from .session import Session


def register_model_handlers(server: LanguageServer, session: Session) -> None:
    """Serve the model list and the rate-limit snapshot."""
    catalog = ModelCatalog(lambda: session.openai_key())

    async def list_models(p: ModelListParams) -> ModelListResult:
        settings = session.resolve(ThreadRequest())
        try:
            models = await catalog.models(
                settings.model_provider,
                settings.provider,
                settings.model,
                include_hidden=bool(p.include_hidden),
            )
        except ModelCatalogError as exc:
            raise JsonRpcInternalError(
                message=str(exc), data={"modelProvider": settings.model_provider}
            ) from None
        try:
            page, next_cursor = paginate(models, p.cursor, p.limit)
        except InvalidModelCursor as exc:
            raise invalid_params(["cursor"], str(exc)) from None
        return ModelListResult(data=page, next_cursor=next_cursor)

    async def read_rate_limits(_p: None) -> RateLimitsReadResult:
        session.rate_limits = session.rate_limit_store.latest()
        return RateLimitsReadResult(rate_limits=session.rate_limits)

    register(server, "codex/model/list", list_models)
    register(server, "codex/account/rateLimits/read", read_rate_limits)
