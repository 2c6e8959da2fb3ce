"""Base class for every wire model: camelCase on the wire, nulls sent, unknown keys ignored."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class WireModel(BaseModel):
    """A JSON object on the wire. Field names are snake_case in Python, camelCase in JSON."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        frozen=False,
        json_schema_serialization_defaults_required=True,
        defer_build=True,
    )

    def wire(self) -> dict[str, Any]:
        """The JSON-ready dict sent to clients: aliases, and `None` kept as `null`."""
        return self.model_dump(mode="json", by_alias=True)


class EmptyResult(WireModel):
    """A result with no fields: `{}`."""
