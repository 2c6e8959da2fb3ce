"""Serving codex/ requests: params validated in the handler, errors named (-32602 naming the
field). Free of pygls, so that the first requests can be served before pygls has loaded
(see `first_requests`); `register` hands a handler to pygls."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import ValidationError

from ..core.config.settings import SettingsError
from ..core.threads.errors import ThreadError
from ..core.turns.user_input import InputError
from ..protocol.base import WireModel
from ..protocol.methods import REQUESTS

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer

log = logging.getLogger(__name__)

INVALID_PARAMS = -32602
# LSP `RequestFailed`: a valid request the server cannot serve.
REQUEST_FAILED = -32803

P = TypeVar("P", bound=WireModel)
Handler = Callable[[Any], Awaitable[WireModel]]


class RequestError(Exception):
    """The error answer to a request (JSON-RPC `error`: code, message, data)."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def wire(self) -> dict[str, Any]:
        """The response's `error` member."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error

    def for_pygls(self) -> Exception:
        """The same error as pygls raises it (pygls answers its exceptions' code)."""
        from pygls.exceptions import JsonRpcException

        return JsonRpcException(message=self.message, code=self.code, data=self.data)


def invalid_params(loc: list[str | int], message: str, kind: str = "value_error") -> RequestError:
    """A -32602 error whose data names the offending field."""
    return RequestError(
        INVALID_PARAMS,
        f"invalid params: {'.'.join(str(p) for p in loc) or 'params'}: {message}",
        {"errors": [{"loc": loc, "msg": message, "type": kind}]},
    )


def request_failed(message: str) -> RequestError:
    """LSP `RequestFailed` (-32803): a valid request the server cannot serve."""
    return RequestError(REQUEST_FAILED, message)


def _from_validation(exc: ValidationError) -> RequestError:
    errors = [
        {"loc": list(err["loc"]), "msg": err["msg"], "type": err["type"]} for err in exc.errors()
    ]
    first = errors[0]
    where = ".".join(str(p) for p in first["loc"]) or "params"
    return RequestError(
        INVALID_PARAMS, f"invalid params: {where}: {first['msg']}", {"errors": errors}
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


Serve = Callable[[Any], Awaitable[dict[str, Any]]]


def serving(method: str, handler: Handler) -> Serve:
    """`handler(params_model) -> result_model` as `serve(raw params) -> result dict` for
    `method` (from the method table); errors are `RequestError`s."""
    spec = REQUESTS[method]

    async def serve(raw: Any) -> dict[str, Any]:
        with core_errors():
            params = parse_params(spec.params, raw) if spec.params is not None else None
            result = await handler(params)
        return result.wire()

    return serve


def pygls_errors(run: Callable[..., Awaitable[Any]], name: str) -> Callable[..., Awaitable[Any]]:
    """`run` as a pygls handler named `name`: its `RequestError`s become pygls' exceptions."""

    async def handle(*args: Any) -> Any:
        try:
            return await run(*args)
        except RequestError as exc:
            raise exc.for_pygls() from None

    handle.__name__ = name
    return handle


def register(server: LanguageServer, method: str, handler: Handler) -> None:
    """Serve `method` through pygls with `handler(params_model) -> result_model`."""
    name = f"codex_{method.replace('/', '_')}"
    server.feature(method)(pygls_errors(serving(method, handler), name))
