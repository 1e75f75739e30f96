"""Tool knowledge in one place: command grammars, cache folders, project files.

One module per tool family — :mod:`.pip` (pip, uv, poetry, pdm, pipenv,
pipx), :mod:`.node` (npm, npx, yarn, pnpm, bun), :mod:`.go`, :mod:`.cargo`,
:mod:`.jvm` (maven, gradle), :mod:`.bundler` (bundle, gem),
:mod:`.composer`, :mod:`.apt`, :mod:`.apk`, :mod:`.rpm` (yum, dnf,
microdnf, tdnf, zypper), :mod:`.posix` (useradd & co, rm, wget, curl, cd,
sudo & other wrappers).  Each holds the tool's grammar (program names,
subcommands and aliases, global and subcommand options, which take a value),
its cache folders (:class:`CacheSpec`: in the order the tool reads them),
its manifests and lock files (:class:`Install`), and small questions
(``fills_cache``, ``is_cache_clean``...).  No rule keeps an option table.

How a rule asks::

    from dockfix import tools

    p = tools.parse(cmd)                # a shell.Command (or a list of words)
    if p is None:                       # not a tool dockfix knows, or the program expands
        ...
    p.tool, p.sub, p.label              # "npm", "ci", "npm ci" (aliases resolved: `npm ic` → "ci")
    p.has("-y")                         # any spelling: -y, --yes, --assume-yes, in a cluster -qy
    p.value("--cache-dir")              # the literal value (last one wins), None
    p.option("-r")                      # Option: name, key, value, raw, spans, before_sub
    p.operands                          # Tokens with spans; p.insert_at: where to add a flag

    d = tools.cache_dir(tools.pip.PIP_CACHE, facts, p)
    d.path, d.source, d.reason          # "/root/.cache/pip", FromHome(...), ""

``facts`` is anything with ``lookup``/``expand``/``home``/``passwd_home``/
``root`` (:class:`Facts`) — the semantic model provides one per RUN;
:class:`SimpleFacts` is a plain one.  ``parse(cmd, unwrap=True)`` looks
through ``sudo``/``env``/``exec``/``time``/``xargs``/... (``p.via``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..shell import Command
from . import apk, apt, bundler, cargo, composer, go, jvm, node, pip, posix, rpm
from ._dirs import (
    CacheDir,
    CacheSpec,
    Facts,
    Fixed,
    ForRoot,
    FromDefine,
    FromEnv,
    FromHome,
    FromOption,
    SimpleFacts,
    cache_dir,
    cache_off,
    falsy,
    truthy,
)
from ._files import Install, OnPath, ProjectFiles
from ._grammar import (
    DashDash,
    Grammar,
    Option,
    Opts,
    Parsed,
    Sub,
    Syntax,
    Token,
    WordLike,
    opts,
    sub,
    tokens,
    words,
)
from ._parser import parse_tokens

#: every grammar, by module.
GRAMMARS: tuple[Grammar, ...] = (
    *pip.GRAMMARS,
    *node.GRAMMARS,
    *go.GRAMMARS,
    *cargo.GRAMMARS,
    *jvm.GRAMMARS,
    *bundler.GRAMMARS,
    *composer.GRAMMARS,
    *apt.GRAMMARS,
    *apk.GRAMMARS,
    *rpm.GRAMMARS,
    *posix.GRAMMARS,
)
_BY_TOOL = {g.tool: g for g in GRAMMARS}
_BY_PROGRAM = {name: g for g in GRAMMARS for name in g.programs}

#: ``python -m pip``, ``corepack yarn``, ``php composer.phar``, ``sh ./gradlew``, ``cargo +nightly``.
Launcher = Callable[[str, "tuple[Token, ...]"], "tuple[str, int, str] | None"]
LAUNCHERS: tuple[Launcher, ...] = (pip.launch, node.launch, composer.launch, jvm.launch, cargo.launch)

#: cache folders per tool.
CACHES: dict[str, tuple[CacheSpec, ...]] = {
    **pip.CACHES,
    **node.CACHES,
    **go.CACHES,
    **cargo.CACHES,
    **jvm.CACHES,
    **bundler.CACHES,
    **composer.CACHES,
    **apt.CACHES,
    **apk.CACHES,
    **rpm.CACHES,
}
#: subcommands (or goals) that delete files, per tool.
REMOVES: dict[str, frozenset[str]] = {
    **pip.REMOVES,
    **node.REMOVES,
    **go.REMOVES,
    **cargo.REMOVES,
    **jvm.REMOVES,
    **bundler.REMOVES,
    **composer.REMOVES,
    **apt.REMOVES,
    **apk.REMOVES,
    **rpm.REMOVES,
}
#: installs from project manifests per tool.
INSTALLS: dict[str, Install] = {
    **pip.INSTALLS,
    **node.INSTALLS,
    **go.INSTALLS,
    **cargo.INSTALLS,
    **jvm.INSTALLS,
    **bundler.INSTALLS,
    **composer.INSTALLS,
}


def grammar(name: str) -> Grammar | None:
    """The grammar of a tool (``"npm"``) or of a program (``"pip3.12"``)."""
    found = _BY_TOOL.get(name) or _BY_PROGRAM.get(name)
    if found is None:
        if name in _BY_PATTERN:
            return _BY_PATTERN[name]
        # a versioned name (``python3.12``) or one no grammar knows (``echo``):
        # every grammar's pattern is tried once per name and run
        found = next((g for g in GRAMMARS if g.runs(name)), None)
        if len(_BY_PATTERN) >= _BY_PATTERN_SIZE:
            _BY_PATTERN.clear()
        _BY_PATTERN[name] = found
    return found


#: program name -> its grammar (or None), for names the tables do not hold
_BY_PATTERN: dict[str, Grammar | None] = {}
_BY_PATTERN_SIZE = 4096


def _program(words: Command | Sequence[WordLike]) -> tuple[str | None, tuple[Token, ...], int]:
    """(program base name, its argument tokens, offset where its name ends)."""
    if isinstance(words, Command):
        return words.program, tokens(words), words.name_end
    toks = tokens(words)
    if not toks or toks[0].value is None:
        return None, (), 0
    head = toks[0]
    rest = tokens(list(toks[1:]))
    return (head.value or "").rsplit("/", 1)[-1], rest, head.end


def parse(
    words: Command | Sequence[WordLike], *, unwrap: bool = False, tool: str | None = None
) -> Parsed | None:
    """Read a command with its tool's grammar.

    ``words``: a :class:`shell.Command`, or the words of a command line
    (program first: ``["npm", "ci"]``, an exec-form RUN's words).
    ``unwrap``: look through ``sudo``, ``env``, ``exec``... first.
    ``tool``: read it with this tool's grammar only (None when the command
    is another one).  None when the program is not one dockfix knows, or
    is not a literal word."""
    if isinstance(words, Command):
        # the rules ask about the same commands again and again (about 16
        # times each on real files): read each once per ``unwrap``
        key = (id(words), unwrap)
        got = _PARSED.get(key)
        if got is None or got[0] is not words:
            if len(_PARSED) >= _PARSED_SIZE:
                _PARSED.clear()
            got = _PARSED[key] = (words, _parse(words, unwrap))
        p = got[1]
    else:
        p = _parse(words, unwrap)
    if p is not None and tool is not None and p.tool != tool:
        return None
    return p


#: (id of a Command, unwrap) -> (the Command, kept alive so that its id is
#: not reused while the entry lives; what :func:`parse` gave)
_PARSED: dict[tuple[int, bool], tuple[Command, Parsed | None]] = {}
_PARSED_SIZE = 4096


def _parse(words: Command | Sequence[WordLike], unwrap: bool) -> Parsed | None:
    program, args, name_end = _program(words)
    if program is None:
        return None
    cmd = words if isinstance(words, Command) else None
    via: list[str] = []
    assigns: list[str] = list(cmd.assignments) if cmd is not None else []
    start = 0
    if unwrap and program in posix.WRAPPERS:
        inner = posix.unwrap(program, args, name_end)
        if inner is None:
            return None
        via.extend(inner.wrappers)
        assigns.extend(inner.assignments)
        program, start, name_end = inner.program, inner.start, inner.name_end
    found = _launch(program, args[start:])
    if found is not None:
        tool_name, skip, how = found
        g = _BY_TOOL[tool_name]
        first = start + skip
        name_end = args[first - 1].end if first > 0 else name_end
        via.append(how)
        start = first
    else:
        g_or_none = grammar(program)
        if g_or_none is None:
            return None
        g = g_or_none
    return parse_tokens(
        g,
        args,
        start=start,
        program=program,
        via=" ".join(via),
        name_end=name_end,
        cmd=cmd,
        assignments=tuple(assigns),
    )


def _launch(program: str, args: tuple[Token, ...]) -> tuple[str, int, str] | None:
    for launcher in LAUNCHERS:
        found = launcher(program, args)
        if found is not None:
            return found
    return None


def fills_cache(p: Parsed) -> bool:
    """Does the command download into its tool's cache?"""
    if p.tool in pip.FILLS_CACHE:
        return pip.fills_cache(p)
    if p.tool in node.FILLS_CACHE:
        return node.fills_cache(p)
    if p.tool in apt.APT:
        return p.sub in apt.FILLS_CACHE
    if p.tool == "apk":
        return p.sub in apk.INSTALL
    if p.tool in rpm.FAMILY:
        return rpm.fills_cache(p)
    checks: dict[str, Callable[[Parsed], bool]] = {
        "go": go.fills_cache,
        "cargo": cargo.fills_cache,
        "composer": composer.fills_cache,
    }
    check = checks.get(p.tool)
    if check is not None:
        return check(p)
    return p.tool in ("mvn", "gradle") or (p.tool in ("bundle", "gem") and p.is_sub("install", "update"))


_ON_PATH: tuple[Callable[[Parsed], OnPath | None], ...] = (
    pip.on_path,
    node.on_path,
    go.on_path,
    cargo.on_path,
    bundler.on_path,
    composer.on_path,
    apt.on_path,
    apk.on_path,
    rpm.on_path,
)


def on_path(p: Parsed) -> OnPath | None:
    """What the command may put on PATH or take off it (``pip install``,
    ``npm i -g``, ``go install``, ``apt-get install``...), None when it
    installs no programs (``npm ci``, ``pip download``)."""
    for question in _ON_PATH:
        found = question(p)
        if found is not None:
            return found
    return None


def removes(p: Parsed) -> bool:
    """Does the command delete files (``apt-get purge``, ``npm prune``,
    ``pip uninstall``, ``mvn clean``...)?  Any word of the tool's arguments
    naming a deleting subcommand counts (:meth:`Parsed.mentions`)."""
    return p.mentions(REMOVES.get(p.tool, frozenset()))


def is_cache_clean(p: Parsed) -> bool:
    """Is the command one that empties its tool's cache?"""
    checks: dict[str, Callable[[Parsed], bool]] = {
        "go": go.is_cache_clean,
        "composer": composer.is_cache_clean,
        "apk": apk.is_cache_clean,
    }
    if p.tool in pip.CLEANS_CACHE:
        return pip.is_cache_clean(p)
    if p.tool in node.CLEANS_CACHE:
        return node.is_cache_clean(p)
    if p.tool in apt.APT:
        return apt.is_cache_clean(p)
    if p.tool in rpm.FAMILY:
        return rpm.is_cache_clean(p)
    check = checks.get(p.tool)
    return check(p) if check is not None else False


__all__ = [
    "CACHES",
    "GRAMMARS",
    "INSTALLS",
    "LAUNCHERS",
    "REMOVES",
    "CacheDir",
    "CacheSpec",
    "DashDash",
    "Facts",
    "Fixed",
    "ForRoot",
    "FromDefine",
    "FromEnv",
    "FromHome",
    "FromOption",
    "Grammar",
    "Install",
    "OnPath",
    "Option",
    "Opts",
    "Parsed",
    "ProjectFiles",
    "SimpleFacts",
    "Sub",
    "Syntax",
    "Token",
    "apk",
    "apt",
    "bundler",
    "cache_dir",
    "cache_off",
    "cargo",
    "composer",
    "falsy",
    "fills_cache",
    "go",
    "grammar",
    "is_cache_clean",
    "jvm",
    "node",
    "on_path",
    "opts",
    "parse",
    "parse_tokens",
    "pip",
    "posix",
    "removes",
    "rpm",
    "sub",
    "tokens",
    "truthy",
    "words",
]
