"""Loading late: the one pattern codex-lsp uses to keep start-up and the terminal fast.

Python pays for every module at import time (and pydantic builds each model's validator
then), so what a process imports decides how fast it starts. Three rules:

1. **Import on first use.** A module imports at its top only what importing it needs. A
   heavy dependency (aiohttp, the MCP SDK, tomlkit, sqlite3, the tools
   and their parsers, sandbox backends, OpenTelemetry) is imported inside the function that
   uses it; names needed only in annotations are imported under ``if TYPE_CHECKING:`` (with
   ``from __future__ import annotations``). Nothing else: no import hooks, no module proxies,
   so tracebacks, mypy and "go to definition" stay plain.

2. **Answer first, then load.** The server answers ``initialize`` from a snapshot of its
   capabilities before it imports pygls, lsprotocol, pydantic or its own session
   (`codex_lsp.server.early`; see `AT_INITIALIZE`). It then builds the session (pydantic,
   the core, the thread index in a worker thread) and answers the thread reads that come
   first (`codex_lsp.server.first_requests`), holding other messages; only then does it
   load pygls (~350 ms), hand it the same ``initialize`` and the held messages. **Warm up
   after answering:** once pygls handled ``initialized`` and the thread index is open,
   `warm_up` imports `WARM_UP` (what the first thread and turn need) on the event loop, one
   module per loop iteration, so requests are served in between (a thread would take the
   interpreter lock from a streaming turn; see `warm_up`). The model client's HTTP stack
   stays on first use (see `WARM_UP`). The terminal commands
   (`exec`, `login`, `--help`) never warm up: they import what they run, and never pygls or
   lsprotocol.

3. **No garbage collection while importing.** A block of start-up imports runs inside
   `with importing():` (the server's start, `exec`'s, the model client's first import): the
   collector is paused for it, then what it built is frozen (`gc.freeze`: modules and
   classes live as long as the process) and the collector resumes. Imports allocate
   hundreds of thousands of long-lived objects, and the collector scanning them again and
   again while they are created cost 8-10 % of the import time (`import openai` 454 -> 409
   ms of CPU, the server's start-up imports ~40-60 ms). The price: the reference cycles
   those imports leave behind (~17,000 objects) are frozen with the rest instead of
   collected, ~10 MiB more resident memory (idle RSS 60 -> 70 MiB); collecting them before
   freezing costs the time saved (56 ms) and gives no memory back to the system.

4. **A listed set at `initialize`.** `AT_INITIALIZE` is the list of modules (prefixes) the
   server may have imported when its ``initialize`` response is written.
   ``CODEX_LSP_MODULES_AT_INITIALIZE=<file>`` makes the server write ``sorted(sys.modules)``
   to that file at that moment; ``tests/perf/test_imports.py`` fails when a module outside
   the list appears. Growing the list is a decision (say why in the commit), not a side
   effect.

`benchmarks/bench_core.py` measures the result (spawn -> ``InitializeResult`` beside the
``import pygls.lsp.server`` floor, the first ``thread/list`` and ``thread/start``, a
one-turn ``exec``).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import logging
import os
import sys
from collections.abc import Iterable, Iterator

log = logging.getLogger(__name__)

DUMP_ENV = "CODEX_LSP_MODULES_AT_INITIALIZE"
# `CODEX_LSP_WARM_UP=0` turns the warm-up off (for A/B measurements).
WARM_UP_ENV = "CODEX_LSP_WARM_UP"

# What the first thread and turn need (tools, sandbox, the model's wire translators) and the
# config writer, imported in the background once the index is open. aiohttp is not here:
# its import is one ~150 ms block that would hold the loop, and servers that never run a
# turn should not pay for it; the model client imports it on the first request.
WARM_UP: tuple[str, ...] = (  # leaves first: each step (one import) stays short
    "codex_lsp.core.sandbox",
    "codex_lsp.core.text",
    "codex_lsp.core.tools.apply_patch",
    "codex_lsp.core.workspace.snapshots",
    "codex_lsp.core.turns.runner",
    "codex_lsp.core.model.responses_wire",
    "codex_lsp.core.model.chat_wire",
    "codex_lsp.core.telemetry.model_stream",
    "codex_lsp.core.tools.defaults",
    "codex_lsp.core.config.writer",
)

# Modules (a name stands for itself and its submodules) the server may have imported when
# its `initialize` response is written: the answer comes from a snapshot of the capabilities
# (`codex_lsp.server.early`), so neither pygls, lsprotocol nor pydantic is loaded yet.
AT_INITIALIZE: tuple[str, ...] = (
    # The standard library's public modules (what asyncio and the command line load, and
    # ours; its private `_x` modules are allowed without a list).
    "abc",
    "argparse",
    "array",
    "ast",
    "asyncio",
    "atexit",
    "base64",
    "binascii",
    "bisect",
    "builtins",
    "bz2",
    "codecs",
    "collections",
    "concurrent",
    "contextlib",
    "contextvars",
    "copyreg",
    "dis",
    "encodings",
    "enum",
    "errno",
    "fcntl",
    "fnmatch",
    "functools",
    "gc",
    "genericpath",
    "gettext",
    "heapq",
    "importlib",
    "inspect",
    "io",
    "ipaddress",
    "itertools",
    "json",
    "keyword",
    "linecache",
    "locale",
    "logging",
    "lzma",
    "marshal",
    "math",
    "ntpath",
    "opcode",
    "operator",
    "os",
    "pathlib",
    "posix",
    "posixpath",
    "random",
    "re",
    "reprlib",
    "runpy",
    "select",
    "selectors",
    "shutil",
    "signal",
    "site",
    "socket",
    "ssl",
    "stat",
    "string",
    "struct",
    "subprocess",
    "sys",
    "tempfile",
    "textwrap",
    "threading",
    "time",
    "token",
    "tokenize",
    "traceback",
    "types",
    "typing",
    "urllib",
    "warnings",
    "weakref",
    "zipfile",
    "zipimport",
    "zlib",
    # Ours: the command line, logging, and the serving loop with its early answer.
    "codex_lsp",
    "codex_lsp.cli",
    "codex_lsp.cli.commands",
    "codex_lsp.core",
    "codex_lsp.core.home",
    "codex_lsp.core.private_files",
    "codex_lsp.core.redact",
    "codex_lsp.lazy",
    "codex_lsp.logs",
    "codex_lsp.server",
    "codex_lsp.server.early",
    "codex_lsp.server.serve",
    "codex_lsp.server.transport",
)

# Modules of the environment rather than of the program (editable installs, site hooks).
_ENVIRONMENT = ("__main__", "__editable__", "_sysconfigdata", "_distutils_hack")


def allowed_at_initialize() -> frozenset[str]:
    """The names of `AT_INITIALIZE`."""
    return frozenset(AT_INITIALIZE)


def unexpected_at_initialize(modules: Iterable[str]) -> list[str]:
    """The modules of `modules` that `AT_INITIALIZE` does not list, sorted."""
    allowed = allowed_at_initialize()
    out = []
    for name in modules:
        parts = name.split(".")
        top = parts[0]
        if top.startswith(_ENVIRONMENT) or _private_stdlib(top):
            continue
        if not any(".".join(parts[:i]) in allowed for i in range(1, len(parts) + 1)):
            out.append(name)
    return sorted(out)


def _private_stdlib(top: str) -> bool:
    """A C accelerator or private helper of the standard library (`_json`, `_ssl`): they
    come with the public modules and change between Python versions."""
    return top.startswith("_") and (
        top in sys.stdlib_module_names or top in sys.builtin_module_names
    )


def record_modules_at_initialize() -> None:
    """Write `sorted(sys.modules)` to `$CODEX_LSP_MODULES_AT_INITIALIZE`, if it is set."""
    path = os.environ.get(DUMP_ENV)
    if not path:
        return
    names = sorted(sys.modules)
    with open(path, "w", encoding="utf-8") as f:
        f.write('["' + '",\n"'.join(names) + '"]\n')


@contextlib.contextmanager
def importing() -> Iterator[None]:
    """Pause the garbage collector while a block of imports runs; if it imported anything,
    freeze what exists (start-up state: modules, classes, registries), then resume the
    collector as it was. A block whose modules are all loaded already (a later turn) freezes
    nothing, so per-request objects are never made permanent beyond that first time. Safe
    to nest and to overlap between threads (the last one out restores it)."""
    enabled = gc.isenabled()
    loaded = len(sys.modules)
    gc.disable()
    try:
        yield
    finally:
        if len(sys.modules) != loaded:
            gc.freeze()
        if enabled:
            gc.enable()


def warm_up(modules: Iterable[str] = WARM_UP) -> None:
    """Import `modules` on the running event loop, one per loop iteration (whatever the
    loop has to do runs in between), each `with importing()`.

    Not in a thread: a thread importing while a turn streams takes the interpreter lock
    from the event loop for up to a switch interval (5 ms) at a time; measured, the paced
    delta stream's p99 went from 0.4-0.5 ms to 2.3 ms and its max to 4-5 ms.
    """
    if os.environ.get(WARM_UP_ENV) == "0":
        return
    loop = asyncio.get_running_loop()
    pending = list(modules)

    def step() -> None:
        if not pending:
            return
        name = pending.pop(0)
        try:
            with importing():
                importlib.import_module(name)
        except Exception:  # a broken optional module fails where it is used, not here
            log.debug("warm-up: could not import %s", name, exc_info=True)
        loop.call_soon(step)

    loop.call_soon(step)
