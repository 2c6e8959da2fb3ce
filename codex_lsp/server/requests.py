"""Registering codex/ request handlers: params validated in the handler, errors as -32602."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from pydantic import ValidationError
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer

from ..core.config.settings import SettingsError
from ..core.threads.errors import ThreadError
from ..core.turns.user_input import InputError
from ..protocol.base import WireModel
from ..protocol.methods import REQUESTS

log = logging.getLogger(__name__)

P = TypeVar("P", bound=WireModel)
Handler = Callable[[Any], Awaitable[WireModel]]


def invalid_params(loc: list[str | int], message: str, kind: str = "value_error") -> Exception:
    """A -32602 error whose data names the offending field."""
    return JsonRpcInvalidParams(
        message=f"invalid params: {'.'.join(str(p) for p in loc) or 'params'}: {message}",
        data={"errors": [{"loc": loc, "msg": message, "type": kind}]},
    )


def _from_validation(exc: ValidationError) -> Exception:
    errors = [
        {"loc": list(err["loc"]), "msg": err["msg"], "type": err["type"]} for err in exc.errors()
    ]
    first = errors[0]
    where = ".".join(str(p) for p in first["loc"]) or "params"
    return JsonRpcInvalidParams(
        message=f"invalid params: {where}: {first['msg']}", data={"errors": errors}
    )


def parse_params(model: type[P], raw: Any) -> P:
    """Validate raw params (a dict from pygls) into `model`, or raise -32602."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise invalid_params([], "params must be a JSON object", "dict_type")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise _from_validation(exc) from None


@contextmanager
def core_errors() -> Iterator[None]:
    """Errors of the core about the caller's input, as -32602 naming the field."""
    try:
        yield
    except (ThreadError, SettingsError) as exc:
        raise invalid_params([exc.field], str(exc)) from None
    except InputError as exc:
        raise invalid_params(["input", exc.index], str(exc)) from None


def register(server: LanguageServer, method: str, handler: Handler) -> None:
    """Serve `method` (from the method table) with `handler(params_model) -> result_model`."""
    spec = REQUESTS[method]

    async def serve(raw: Any) -> dict[str, Any]:
        with core_errors():
            params = parse_params(spec.params, raw) if spec.params is not None else None
            result = await handler(params)
        return result.wire()

    serve.__name__ = f"codex_{method.replace('/', '_')}"
    server.feature(method)(serve)
