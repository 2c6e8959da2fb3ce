"""What a shell command does, for display: `commandActions` of a commandExecution item
(`read` a file, `listFiles`, `search`, or `unknown`).

Scripts given as `bash -lc "<script>"` (or `sh -c`, `zsh -lc`, ...) are parsed with
bashlex; `parse_script` is shared with `command_safety`. The classification is lossy on
purpose: it only has to tell the user what the agent is looking at."""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from ...protocol.items import (
    CommandAction,
    ListFilesAction,
    ReadAction,
    SearchAction,
    UnknownAction,
)

SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh"})
# Flags accepted before the script in `bash -lc <script>` (`-c` last).
_SHELL_FLAG = re.compile(r"-[lceux]+")
_GLOB_CHARS = frozenset("*?[{")
# A `sed -n` script made only of line-range prints: `10p`, `1,80p`, `$p`, `5,+3p`; `;`.
_SED_PRINT = re.compile(r"\s*(?:\d+|\$)(?:\s*,\s*(?:\d+|\$|\+\d+))?\s*p\s*")


# --------------------------------------------------------------------------- scripts


def shell_script(argv: list[str]) -> str | None:
    """The script of `bash -lc <script>` / `sh -c <script>` (None: not such an argv)."""
    if len(argv) < 3 or os.path.basename(argv[0]) not in SHELLS:
        return None
    flags = argv[1:-1]
    if not all(_SHELL_FLAG.fullmatch(flag) for flag in flags) or "c" not in flags[-1]:
        return None
    return argv[-1]


def command_text(argv: list[str]) -> str:
    """The command as shown to the user: the script of `bash -lc <script>`, else the
    argv joined with shell quoting."""
    script = shell_script(argv)
    return script if script is not None else shlex.join(argv)


@dataclass(frozen=True)
class Redirect:
    """One redirection: `kind` is bash's operator (`>`, `>>`, `<`, `>&`, `&>`, `<<`,
    ...); `target` a file name (quotes removed) or a file descriptor."""

    kind: str
    target: str | int | None


@dataclass
class SimpleCommand:
    """One simple command of a script."""

    words: list[str]
    text: str
    # Per word: whether it has an unquoted glob or brace character (`*`, `?`, `[`, `{`).
    globbed: list[bool] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)
    assignments: list[str] = field(default_factory=list)
    # Some word or redirection target has `$var`, `$(...)`, backquotes or `<(...)`.
    expands: bool = False
    pipe_index: int = 0
    pipe_length: int = 1


@dataclass
class Script:
    """A script flattened into its simple commands, in order, and the operators between
    them (`&&`, `||`, `;`, `|`, `|&`, `&`; newlines count as `;`)."""

    commands: list[SimpleCommand]
    operators: set[str]


class _Unsupported(Exception):
    """A construct `parse_script` does not flatten (loops, subshells, functions, ...)."""


def parse_script(script: str) -> Script | None:
    """The script's simple commands, or None when bashlex cannot parse it or it uses
    anything beyond simple commands joined by lists and pipelines."""
    if not script.strip():
        return None
    import bashlex  # ~80 ms to import (it builds its parser tables): load on first use

    try:
        trees = bashlex.parse(script)
        out = Script(commands=[], operators=set())
        for tree in trees:
            _visit(tree, script, out, 0, 1)
    except _Unsupported:
        return None
    except Exception:  # bashlex raises many kinds (ParsingError, NotImplementedError, ...)
        return None
    return out


def _visit(node: Any, src: str, out: Script, pipe_index: int, pipe_length: int) -> None:
    kind = node.kind
    if kind == "list":
        for part in node.parts:
            if part.kind == "operator":
                out.operators.add(part.op)
            else:
                _visit(part, src, out, 0, 1)
    elif kind == "pipeline":
        members = [p for p in node.parts if p.kind not in ("pipe", "reservedword")]
        for part in node.parts:
            if part.kind == "pipe":
                out.operators.add(part.pipe)
            elif part.kind == "reservedword" and part.word != "!":
                raise _Unsupported(part.word)
        for index, member in enumerate(members):
            _visit(member, src, out, index, len(members))
    elif kind == "command":
        out.commands.append(_simple_command(node, src, pipe_index, pipe_length))
    else:
        raise _Unsupported(kind)


def _simple_command(node: Any, src: str, pipe_index: int, pipe_length: int) -> SimpleCommand:
    start, end = node.pos
    cmd = SimpleCommand(
        words=[], text=src[start:end].strip(), pipe_index=pipe_index, pipe_length=pipe_length
    )
    for part in node.parts:
        if part.kind == "word":
            cmd.words.append(part.word)
            cmd.globbed.append(_has_unquoted_glob(src[part.pos[0] : part.pos[1]]))
            cmd.expands |= _expands(part)
        elif part.kind == "assignment":
            cmd.assignments.append(part.word)
            cmd.expands |= _expands(part)
        elif part.kind == "redirect":
            target = part.output
            if hasattr(target, "kind"):
                cmd.expands |= _expands(target)
                target = target.word
            kind = "<<" if getattr(part, "heredoc", None) is not None else part.type
            cmd.redirects.append(Redirect(kind, target))
        else:
            raise _Unsupported(part.kind)
    return cmd


def _expands(node: Any) -> bool:
    for part in getattr(node, "parts", None) or []:
        if part.kind in ("parameter", "commandsubstitution", "processsubstitution"):
            return True
        if part.kind != "tilde" and _expands(part):
            return True
    return False


def _has_unquoted_glob(raw: str) -> bool:
    quote = ""
    escaped = False
    for ch in raw:
        if escaped:
            escaped = False
        elif quote == "'":
            if ch == "'":
                quote = ""
        elif ch == "\\":
            escaped = True
        elif quote == '"':
            if ch == '"':
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in _GLOB_CHARS:
            return True
    return False


def is_sed_print_script(script: str) -> bool:
    """True for a `sed -n` script that only prints line ranges (`1,80p`, `10p;20p`)."""
    pieces = [p for p in re.split(r"[;\n]", script) if p.strip()]
    return bool(pieces) and all(_SED_PRINT.fullmatch(p) for p in pieces)


def operands(args: Iterable[str], takes_value: Iterable[str] = ()) -> list[str]:
    """The non-option arguments, skipping the values of the options in `takes_value`
    (given separately: `-n 5`, `--lines 5`); everything after `--` is an operand."""
    with_value = set(takes_value)
    out: list[str] = []
    it = iter(args)
    for arg in it:
        if arg == "--":
            out.extend(it)
            break
        if arg.startswith("-") and arg != "-":
            if arg in with_value:
                next(it, None)
            continue
        out.append(arg)
    return out


def option_values(args: list[str], names: Iterable[str]) -> list[str]:
    """Values of the options `names` (`-e X`, `-eX` for one-letter short options,
    `--regexp=X`, `--regexp X`)."""
    wanted = set(names)
    out: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            break
        if arg in wanted and i + 1 < len(args):
            out.append(args[i + 1])
            i += 2
            continue
        key, eq, value = arg.partition("=")
        if eq and key in wanted and key.startswith("--"):
            out.append(value)
        elif not arg.startswith("--") and len(arg) > 2 and arg[:2] in wanted:
            out.append(arg[2:])
        i += 1
    return out


# --------------------------------------------------------------------------- actions

_CAT_LIKE = frozenset({"cat", "bat", "batcat", "less", "more", "nl", "head", "tail"})
_LIST_LIKE = frozenset({"ls", "tree", "exa", "eza", "dir"})
_SEARCH_LIKE = frozenset({"grep", "egrep", "fgrep", "rg", "ag", "ack"})
# Filters that only shape another command's output when they read a pipe.
_FILTERS = frozenset(
    {"head", "tail", "wc", "sort", "uniq", "cut", "tr", "column", "sed", "awk", "cat", "nl"}
    | {"less", "more", "fmt", "fold", "grep", "rg"}
)


def _opts(names: str) -> tuple[str, ...]:
    return tuple(names.split())


_VALUE_OPTS: dict[str, tuple[str, ...]] = {
    "cat": (),
    "bat": _opts("-l --language -r --line-range -H --highlight-line --style"),
    "less": _opts("-b -h -j -k -o -O -p -P -t -T -x -y -z"),
    "more": ("-n",),
    "nl": _opts("-b -d -f -h -i -l -n -s -v -w"),
    "head": ("-n", "-c", "--lines", "--bytes"),
    "tail": ("-n", "-c", "--lines", "--bytes", "--pid", "-s", "--sleep-interval"),
    "ls": _opts("-I --ignore -w --width -T --tabsize --hide --sort"),
    "tree": _opts("-L -P -I -o -H -T --charset --filelimit --timefmt"),
    "grep": _opts("""-e --regexp -f --file -m --max-count -A -B -C --after-context --before-context
        --context -d --directories -D --include --exclude --exclude-dir --label
        --binary-files"""),
    "rg": _opts("""-e --regexp -f --file -g --glob --iglob -t --type -T --type-not -A -B -C
        --after-context --before-context --context -m --max-count -M --max-columns -d
        --max-depth -j --threads -r --replace --sort --sortr --type-add --colors -E
        --encoding --max-filesize --ignore-file --pre --pre-glob --path-separator
        --context-separator"""),
    "ag": _opts("-A -B -C -m --depth -G --ignore --ignore-dir -p"),
    "fd": _opts("""-t --type -e --extension -E --exclude -d --max-depth --min-depth --exact-depth
        -j --threads -S --size -o --owner --base-directory --search-path -c --color
        --max-results --changed-within --changed-before --ignore-file"""),
    "git-grep": _opts("-e -f -A -B -C -m --max-count --max-depth -O"),
}
_VALUE_OPTS["batcat"] = _VALUE_OPTS["bat"]
_VALUE_OPTS["egrep"] = _VALUE_OPTS["fgrep"] = _VALUE_OPTS["grep"]
_VALUE_OPTS["ack"] = _VALUE_OPTS["ag"]
_VALUE_OPTS["fdfind"] = _VALUE_OPTS["fd"]
_VALUE_OPTS["exa"] = _VALUE_OPTS["eza"] = _VALUE_OPTS["dir"] = _VALUE_OPTS["ls"]

_FIND_WRITES = frozenset(
    {"-exec", "-execdir", "-ok", "-okdir", "-delete", "-fls", "-fprint", "-fprint0"} | {"-fprintf"}
)
_FIND_NAME = ("-name", "-iname", "-path", "-ipath", "-wholename", "-iwholename", "-regex")
_FIND_NAME_ALL = (*_FIND_NAME, "-iregex", "-lname", "-ilname")
_GIT_GLOBAL_VALUE = frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace"})

Strength = Literal["drop", "weak", "strong"]


@dataclass
class _State:
    cwd: str
    base: str
    moved: bool = False

    def resolve(self, path: str) -> str:
        return os.path.normpath(os.path.join(self.base, os.path.expanduser(path)))

    def here(self) -> str | None:
        """The directory a command without a path argument works in, when a `cd`
        changed it (None: the command's own working directory)."""
        return self.base if self.moved else None


def parse_command_actions(argv: list[str], cwd: str) -> list[CommandAction]:
    """What the command does, one action per meaningful command of a script (noise such
    as `cd dir &&`, `| head`, `| wc -l`, `|| true` dropped). Never raises."""
    display = command_text(argv) if argv else ""
    try:
        actions = _actions(argv, cwd)
    except Exception:
        actions = None
    return actions or [UnknownAction(command=display)]


def _actions(argv: list[str], cwd: str) -> list[CommandAction] | None:
    if not argv:
        return None
    script = shell_script(argv)
    if script is None:
        commands = [SimpleCommand(words=list(argv), text=shlex.join(argv))]
    else:
        parsed = parse_script(script)
        if parsed is None:
            return None
        commands = parsed.commands
    state = _State(cwd=cwd, base=cwd)
    results = [_classify(cmd, state) for cmd in commands]
    strong = any(strength == "strong" for strength, _ in results)
    out: list[CommandAction] = []
    for strength, actions in results:
        if strength == "strong" or (strength == "weak" and not strong):
            for action in actions:
                if not out or out[-1] != action:
                    out.append(action)
    return out


def _writes_file(cmd: SimpleCommand) -> bool:
    return any(
        r.kind in (">", ">>", ">|", "&>", ">&", "&>>")
        and isinstance(r.target, str)
        and r.target != "/dev/null"
        for r in cmd.redirects
    )


def _classify(cmd: SimpleCommand, state: _State) -> tuple[Strength, list[CommandAction]]:
    text = cmd.text
    unknown: tuple[Strength, list[CommandAction]] = ("strong", [UnknownAction(command=text)])
    if not cmd.words:
        return unknown if _writes_file(cmd) else ("drop", [])
    name = os.path.basename(cmd.words[0])
    args = cmd.words[1:]
    if name in ("cd", "pushd"):
        target = operands(args)
        if target and target[0] != "-":
            state.base = state.resolve(target[0])
            state.moved = True
        elif not target:
            state.base = os.path.expanduser("~")
            state.moved = True
        return "drop", []
    if _writes_file(cmd):
        return unknown
    if name in ("true", ":") and not args:
        return "drop", []
    if name in ("echo", "printf"):
        return "weak", [UnknownAction(command=text)]
    in_pipe = cmd.pipe_index > 0
    actions = _classify_known(name, args, text, state, in_pipe)
    if actions is None:
        return unknown
    if not actions:
        return ("drop", []) if in_pipe and name in _FILTERS else unknown
    return "strong", actions


def _classify_known(
    name: str, args: list[str], text: str, state: _State, in_pipe: bool
) -> list[CommandAction] | None:
    """The actions of a known command ([]: it reads its input only, a filter), or None
    (not a command we recognise)."""
    if name in _CAT_LIKE:
        files = [f for f in operands(args, _VALUE_OPTS[name]) if f != "-"]
        return [_read(text, f, state) for f in files]
    if name == "sed":
        return _sed(args, text, state)
    if name in _LIST_LIKE:
        if name == "tree" and any(a == "-o" or a.startswith("-o") for a in args):
            return None
        paths = operands(args, _VALUE_OPTS[name])
        if not paths:
            return [ListFilesAction(command=text, path=state.here())]
        return [ListFilesAction(command=text, path=state.resolve(p)) for p in paths]
    if name == "find":
        return _find(args, text, state)
    if name in ("fd", "fdfind"):
        return _fd(args, text, state)
    if name in _SEARCH_LIKE:
        return _search(name, args, text, state, in_pipe)
    if name == "git":
        return _git(args, text, state)
    if name in _FILTERS:
        return [] if in_pipe else None
    return None


def _read(text: str, file: str, state: _State) -> ReadAction:
    return ReadAction(
        command=text, name=os.path.basename(file.rstrip("/")) or file, path=state.resolve(file)
    )


def _sed(args: list[str], text: str, state: _State) -> list[CommandAction] | None:
    if any(a.startswith("--in-place") or (re.fullmatch(r"-[a-zA-Z]*i.*", a)) for a in args):
        return None
    quiet = any(
        a in ("-n", "--quiet", "--silent") or re.fullmatch(r"-[a-zA-Z]*n[a-zA-Z]*", a) for a in args
    )
    scripts = option_values(args, ("-e", "--expression"))
    rest = operands(args, ("-e", "--expression", "-f", "--file", "-l", "--line-length"))
    if not scripts:
        if not rest:
            return None
        scripts, rest = [rest[0]], rest[1:]
    if not rest:
        return []  # a filter
    if quiet and all(is_sed_print_script(s) for s in scripts):
        return [_read(text, f, state) for f in rest]
    return None


def _find(args: list[str], text: str, state: _State) -> list[CommandAction] | None:
    if any(a in _FIND_WRITES for a in args):
        return None
    roots: list[str] = []
    for arg in args:
        if arg.startswith(("-", "(", "!", ")")):
            break
        roots.append(arg)
    path = state.resolve(roots[0]) if roots else state.here()
    query = next(iter(option_values(args, _FIND_NAME_ALL)), None)
    if query is not None:
        return [SearchAction(command=text, query=query, path=path)]
    return [ListFilesAction(command=text, path=path)]


def _fd(args: list[str], text: str, state: _State) -> list[CommandAction] | None:
    if any(a in ("-x", "-X", "--exec", "--exec-batch") for a in args):
        return None
    found = operands(args, _VALUE_OPTS["fd"])
    pattern = found[0] if found else None
    path = state.resolve(found[1]) if len(found) > 1 else state.here()
    if pattern in (None, "", ".", "^"):
        return [ListFilesAction(command=text, path=path)]
    return [SearchAction(command=text, query=pattern, path=path)]


def _search(
    name: str, args: list[str], text: str, state: _State, in_pipe: bool
) -> list[CommandAction]:
    if name == "rg" and "--files" in args:
        paths = operands(args, _VALUE_OPTS["rg"])
        return [
            ListFilesAction(command=text, path=state.resolve(paths[0]) if paths else state.here())
        ]
    value_opts = _VALUE_OPTS[name]
    explicit = option_values(args, ("-e", "--regexp"))
    found = operands(args, value_opts)
    if explicit:
        query: str | None = explicit[0]
    else:
        query = found[0] if found else None
        found = found[1:]
    if found:
        path: str | None = state.resolve(found[0])
    else:
        path = None if in_pipe else state.here()
    return [SearchAction(command=text, query=query, path=path)]


def _git(args: list[str], text: str, state: _State) -> list[CommandAction] | None:
    i = 0
    local = _State(cwd=state.cwd, base=state.base, moved=state.moved)
    while i < len(args) and args[i].startswith("-"):
        if args[i] == "-C" and i + 1 < len(args):
            local.base = local.resolve(args[i + 1])
            local.moved = True
        i += 2 if args[i] in _GIT_GLOBAL_VALUE else 1
    if i >= len(args):
        return None
    sub, rest = args[i], args[i + 1 :]
    if sub == "grep":
        before, sep, after = _split_dashdash(rest)
        explicit = option_values(before, ("-e",))
        found = operands(before, _VALUE_OPTS["git-grep"])
        if explicit:
            query: str | None = explicit[0]
        else:
            query = found[0] if found else None
            found = found[1:]
        paths = found + after if sep else found
        where = local.resolve(paths[0]) if paths else local.here()
        return [SearchAction(command=text, query=query, path=where)]
    if sub == "ls-files":
        before, _, after = _split_dashdash(rest)
        paths = operands(before) + after
        return [
            ListFilesAction(command=text, path=local.resolve(paths[0]) if paths else local.here())
        ]
    return None


def _split_dashdash(args: list[str]) -> tuple[list[str], bool, list[str]]:
    if "--" in args:
        i = args.index("--")
        return args[:i], True, args[i + 1 :]
    return args, False, []
