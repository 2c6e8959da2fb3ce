"""The effective configuration and where each value came from.

Layers, lowest first: built-in defaults < `config.toml` < the selected profile < the
editor's settings < per-thread overrides. Tables merge key by key; any other value (lists
included) replaces what a lower layer had. Every leaf value is recorded with its origin
under its dotted key path (`model_providers.mock.base_url`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from ...protocol.initialize import EditorSettings
from ..model.presets import known_auto_compact_limit, known_context_window
from .loader import split_dotted
from .model import CodexConfig
from .settings import (
    BUILTIN_PROVIDERS,
    DEFAULT_APPROVAL,
    DEFAULT_MODEL,
    DEFAULT_PROVIDER,
    DEFAULT_SANDBOX,
    ThreadRequest,
)

Layer = Literal["default", "file", "profile", "editor", "thread"]


@dataclass(frozen=True)
class Origin:
    """The layer a value came from, and the file for the file and profile layers."""

    layer: Layer
    file: str | None = None


@dataclass
class LayeredConfig:
    """The effective config (Codex's snake_case keys) and each leaf's origin."""

    effective: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, Origin] = field(default_factory=dict)

    def overlay(self, values: Mapping[str, Any], origin: Origin) -> None:
        """Put one layer on top: tables merge, other values replace."""
        _merge(self.effective, self.origins, values, origin, "")

    def origin_of(self, key_path: str) -> Origin | None:
        """Where the value at `key_path` (a leaf or a table) came from; a table answers with
        its highest-layer leaf."""
        if key_path in self.origins:
            return self.origins[key_path]
        under = [o for k, o in self.origins.items() if k.startswith(key_path + ".")]
        return max(under, key=lambda o: _RANK[o.layer], default=None)


_RANK: dict[Layer, int] = {"default": 0, "file": 1, "profile": 2, "editor": 3, "thread": 4}


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _forget(origins: dict[str, Origin], path: str) -> None:
    for key in [k for k in origins if k == path or k.startswith(path + ".")]:
        del origins[key]


def _merge(
    target: dict[str, Any],
    origins: dict[str, Origin],
    values: Mapping[str, Any],
    origin: Origin,
    prefix: str,
) -> None:
    for key, value in values.items():
        path = _join(prefix, key)
        if isinstance(value, Mapping):
            current = target.get(key)
            if not isinstance(current, dict):
                _forget(origins, path)
                current = target[key] = {}
            _merge(current, origins, value, origin, path)
        elif value is not None:
            _forget(origins, path)
            target[key] = value
            origins[path] = origin


def leaf_paths(values: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every non-table value with its dotted key path."""
    for key, value in values.items():
        path = _join(prefix, key)
        if isinstance(value, Mapping):
            yield from leaf_paths(value, path)
        else:
            yield path, value


def nest_dotted(flat: Mapping[str, Any]) -> dict[str, Any]:
    """`{"a.b": 1}` -> `{"a": {"b": 1}}` (per-thread overrides use dotted key paths)."""
    nested: dict[str, Any] = {}
    for dotted, value in flat.items():
        *parents, last = split_dotted(dotted)
        node = nested
        for part in parents:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        if isinstance(value, Mapping) and isinstance(node.get(last), dict):
            node[last].update(value)
        else:
            node[last] = value
    return nested


def _defaults(file_providers: Mapping[str, Any]) -> dict[str, Any]:
    # A provider defined in the file replaces the built-in one of the same id entirely.
    builtins = {
        pid: p.model_dump(mode="json")
        for pid, p in BUILTIN_PROVIDERS.items()
        if pid not in file_providers
    }
    return {
        "model": DEFAULT_MODEL,
        "model_provider": DEFAULT_PROVIDER,
        "approval_policy": DEFAULT_APPROVAL,
        "sandbox_mode": DEFAULT_SANDBOX,
        "sandbox_workspace_write": {"writable_roots": [], "network_access": False},
        "model_providers": builtins,
    }


def _editor_layer(editor: EditorSettings, file_roots: list[Any]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "model": editor.model,
        "model_provider": editor.model_provider,
        "model_reasoning_effort": editor.reasoning_effort,
        "model_reasoning_summary": editor.reasoning_summary,
        "approval_policy": editor.approval_policy,
        "sandbox_mode": editor.sandbox_mode,
        "profile": editor.profile,
    }
    sandbox: dict[str, Any] = {}
    if editor.network_access is not None:
        sandbox["network_access"] = editor.network_access
    if editor.writable_roots:
        # The editor's roots are added to the file's (see settings.sandbox_policy).
        sandbox["writable_roots"] = [*file_roots, *editor.writable_roots]
    if sandbox:
        values["sandbox_workspace_write"] = sandbox
    return values


def _thread_layer(request: ThreadRequest) -> dict[str, Any]:
    values = nest_dotted(request.config or {})
    for key, value in (
        ("model", request.model),
        ("model_provider", request.model_provider),
        ("approval_policy", request.approval_policy),
        ("sandbox_mode", request.sandbox),
    ):
        if value is not None:
            values[key] = value
    return values


def build_layers(
    config: CodexConfig,
    file: str | None,
    editor: EditorSettings,
    request: ThreadRequest | None = None,
) -> LayeredConfig:
    """The effective config of `config` (the validated file) under the other layers."""
    file_values = config.model_dump(mode="json", exclude_unset=True)
    layered = LayeredConfig()
    layered.overlay(_defaults(file_values.get("model_providers") or {}), Origin("default"))
    layered.overlay(file_values, Origin("file", file))
    thread_values = _thread_layer(request) if request is not None else {}
    profile_name = thread_values.get("profile") or editor.profile or config.profile
    profile = (file_values.get("profiles") or {}).get(profile_name) if profile_name else None
    if isinstance(profile, Mapping):
        layered.overlay(profile, Origin("profile", file))
    file_roots = list(layered.effective["sandbox_workspace_write"].get("writable_roots") or [])
    layered.overlay(_editor_layer(editor, file_roots), Origin("editor"))
    layered.overlay(thread_values, Origin("thread"))
    _derived_defaults(layered)
    _fill_schema_defaults(layered)
    return layered


def _derived_defaults(layered: LayeredConfig) -> None:
    """Context window and auto-compact limit of the effective model, unless configured."""
    model = layered.effective.get("model")
    if not isinstance(model, str):
        return
    derived = {
        "model_context_window": known_context_window(model),
        "model_auto_compact_token_limit": known_auto_compact_limit(model),
    }
    layered.overlay(
        {k: v for k, v in derived.items() if layered.effective.get(k) is None}, Origin("default")
    )


def _fill_schema_defaults(layered: LayeredConfig) -> None:
    """Complete the view with the schema's defaults (nulls for unset optional keys)."""
    try:
        full = CodexConfig.model_validate(layered.effective).model_dump(mode="json")
    except ValidationError:
        return  # a per-thread override of the wrong type: show the layers as they are
    for path, value in leaf_paths(full):
        if value is not None and path not in layered.origins:
            layered.origins[path] = Origin("default")
    layered.effective = _merged_view(full, layered.effective)


def _merged_view(full: dict[str, Any], layered: dict[str, Any]) -> dict[str, Any]:
    """`full` (validated, complete) with any layered key the schema dropped put back."""
    view = dict(full)
    for key, value in layered.items():
        if key not in view:
            view[key] = value
        elif isinstance(value, dict) and isinstance(view[key], dict):
            view[key] = _merged_view(view[key], value)
    return view
