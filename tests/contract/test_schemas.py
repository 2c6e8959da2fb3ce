"""`schemas/` is generated from the protocol models: it must not drift."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from codex_lsp.protocol.schema import render

ROOT = Path(__file__).resolve().parents[2]


def test_schemas_are_up_to_date() -> None:
    expected = render()
    on_disk = {
        str(p.relative_to(ROOT / "schemas")): p.read_text(encoding="utf-8")
        for p in (ROOT / "schemas").rglob("*.json")
    }
    stale = sorted(set(on_disk) - set(expected))
    missing = sorted(set(expected) - set(on_disk))
    changed = sorted(k for k in expected if k in on_disk and on_disk[k] != expected[k])
    hint = "run `codex-lsp schema --out schemas/`"
    assert not missing, f"missing schema files {missing[:5]}: {hint}"
    assert not stale, f"stale schema files {stale[:5]}: {hint}"
    assert not changed, f"schema files out of date {changed[:5]}: {hint}"


def test_bundle_lists_every_method() -> None:
    import json

    from codex_lsp.protocol.methods import NOTIFICATIONS, REQUESTS

    bundle = json.loads(render()["codex_lsp.schema.json"])
    assert set(bundle["requests"]) == set(REQUESTS)
    assert set(bundle["notifications"]) == set(NOTIFICATIONS)
    thread = bundle["$defs"]["Thread"]
    # Server-sent shapes declare every field required (nulls are sent, never omitted).
    assert set(thread["required"]) == set(thread["properties"])


def test_schema_command_writes_files(tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    result = subprocess.run(
        [sys.executable, "-m", "codex_lsp", "schema", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (out / "codex_lsp.schema.json").is_file()
    assert (out / "types" / "Thread.json").is_file()
