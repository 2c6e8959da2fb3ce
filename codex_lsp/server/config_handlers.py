"""codex/config/* handlers: read the layered config, edit `config.toml`.

The remembered command rules are part of what they show and write, under the key path
`approvals.rules` (a list of `{cwd, prefix}`), though they live in their own file under
`$CODEX_HOME` (see `core.approvals.rules`): a write of that key path replaces them
(`upsert` adds to them; `null` removes them all); its `expectedVersion` and result name
that file.
"""

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
    from ..core.approvals.rules import RuleStore
    from ..core.config.writer import ConfigEdit, ConfigWriteError

RULES_KEY = "approvals.rules"


def _loc(exc: ConfigWriteError, batch: bool) -> list[str | int]:
    """Where in the request the problem is: `expectedVersion`, `value`, `edits.N.keyPath`..."""
    if exc.field == "expectedVersion":
        return ["expectedVersion"]
    if batch and exc.index is not None:
        return ["edits", exc.index, exc.field or "value"]
    return [exc.field] if exc.field else []


def _write_rules(
    store: RuleStore, edits: Sequence[ConfigEdit], expected_version: str | None, batch: bool
) -> c.ConfigWriteResult:
    """Apply `approvals.rules` edits to the rules file."""
    from ..core.approvals.rules import Rule, RulesError, parse_rules

    def change(rules: list[Rule]) -> list[Rule]:
        if expected_version is not None and expected_version != store.version():
            raise invalid_params(
                ["expectedVersion"],
                f"{store.path} changed since version {expected_version} (it is now "
                f"{store.version()}); read it again and retry",
                "config_version_conflict",
            )
        for index, edit in enumerate(edits):
            try:
                value = parse_rules([] if edit.value is None else edit.value)
            except RulesError as exc:
                loc: list[str | int] = ["edits", index, "value"] if batch else ["value"]
                raise invalid_params(loc, str(exc)) from None
            rules = [*rules, *value] if edit.merge == "upsert" else value
        return rules

    try:
        store.update(change)
    except OSError as exc:
        raise JsonRpcInternalError(
            message=f"cannot write {store.path}: {exc.strerror or exc}"
        ) from None
    return c.ConfigWriteResult(status="ok", version=store.version(), file_path=str(store.path))


def _rule_store(session: Session) -> RuleStore:
    from ..core.approvals.rules import RuleStore

    return RuleStore(session.home)


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
        rules = _rule_store(session)
        config = layered.effective
        approvals = config.get("approvals")
        config["approvals"] = {
            **(approvals if isinstance(approvals, dict) else {}),
            "rules": [rule.wire() for rule in rules.load()],
        }
        stored = rules.path.exists()
        origins[RULES_KEY] = c.ConfigOrigin(
            layer="file" if stored else "default", file=str(rules.path) if stored else None
        )
        return c.ConfigReadResult(config=config, origins=origins)

    async def write(
        edits: Sequence[ConfigEdit], expected_version: str | None, batch: bool
    ) -> c.ConfigWriteResult:
        rule_edits = [e for e in edits if e.key_path.strip() == RULES_KEY]
        if rule_edits:
            if len(rule_edits) != len(edits):
                index = next(i for i, e in enumerate(edits) if e.key_path.strip() != RULES_KEY)
                raise invalid_params(
                    ["edits", index, "keyPath"],
                    f"{RULES_KEY} is written on its own, not with config.toml keys",
                )
            return await asyncio.to_thread(
                _write_rules, _rule_store(session), rule_edits, expected_version, batch
            )
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
