"""The exporter's headers: `${VAR}` taken from the environment, values kept secret."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from ..redact import register_secret, register_secrets, secret_header_values

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def expand_headers(
    headers: Mapping[str, str], environ: Mapping[str, str] | None = None
) -> tuple[dict[str, str], list[str]]:
    """`headers` with every `${VAR}` replaced by the variable's value, names lower-cased
    (gRPC metadata must be); and a problem per header left out because a variable it
    names is not set. Values from the environment, and those of headers whose name says
    they carry a credential, are registered as secrets (redacted wherever they appear)."""
    env = os.environ if environ is None else environ
    expanded: dict[str, str] = {}
    problems: list[str] = []
    for name, template in headers.items():
        missing: list[str] = []

        def value_of(match: re.Match[str], missing: list[str] = missing) -> str:
            value = env.get(match[1])
            if value is None:
                missing.append(match[1])
                return ""
            register_secret(value)
            return value

        value = _VARIABLE.sub(value_of, template)
        if missing:
            problems.append(
                f"otel header {name!r} is not sent: environment variable {missing[0]} is not set"
            )
            continue
        if value != template:
            register_secret(value)
        expanded[name.lower()] = value
    register_secrets(secret_header_values(expanded))
    return expanded, problems
