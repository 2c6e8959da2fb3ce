"""Path fields of requests: a `cwd` must be an absolute path to an existing directory."""

from __future__ import annotations

import os
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError


def _existing_absolute_directory(value: str) -> str:
    if not os.path.isabs(value):
        raise PydanticCustomError(
            "path_not_absolute", "{path} is not an absolute path", {"path": value}
        )
    if not os.path.isdir(value):
        raise PydanticCustomError(
            "path_not_directory", "{path} is not an existing directory", {"path": value}
        )
    return value


# A request's working directory (`-32602` naming the field otherwise, PROTOCOL.md).
AbsoluteDirectory = Annotated[str, AfterValidator(_existing_absolute_directory)]
