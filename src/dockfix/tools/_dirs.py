"""Where a tool keeps its cache: declared once, resolved for one command.

A :class:`CacheSpec` lists the places a tool reads its cache folder from,
*in the order the tool reads them*: a command-line option
(:class:`FromOption`), an environment variable (:class:`FromEnv`, with a
sub-folder when the variable names a parent: ``$XDG_CACHE_HOME`` +
``pip``), a Java system property (:class:`FromDefine`: ``-Dmaven.repo.local``
on the command line or in ``MAVEN_OPTS``), root's special place
(:class:`ForRoot`: yarn 1 uses ``/usr/local/share/.cache/yarn``), the
user's home (:class:`FromHome`; ``passwd=True`` for Java tools, which read
the home of ``/etc/passwd``, not ``$HOME``), or a fixed path
(:class:`Fixed`).  The first place that applies decides.

:func:`cache_dir` walks the list with what the caller knows, given as a
:class:`Facts` (the semantic model implements it; :class:`SimpleFacts` is a
plain one for tests and simple rules).  A variable that is set to a value
the Dockerfile does not show, an option whose value expands, a relative
path: the folder cannot be known, and the answer says why instead of
guessing.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from typing import Protocol

from msgspec import Struct, field

from ._grammar import Option, Parsed


class Facts(Protocol):
    """What a cache lookup needs to know about the command's environment.

    ``lookup(name)`` returns the variable's value (a str), None when it is
    not set, and any other object when it is set to something unknown (the
    semantic model's ``Unknown``).  ``expand(raw)`` gives the value of a word
    as written (variables, quotes, ``~``), None when it cannot be known.
    ``home``: ``$HOME`` as the command sees it; ``passwd_home``: the user's
    home in ``/etc/passwd`` (what Java reads); both a str, or anything else
    when unknown.  ``root``: the command runs as root (None: unknown)."""

    def lookup(self, name: str) -> object: ...

    def expand(self, raw: str) -> str | None: ...

    @property
    def home(self) -> object: ...

    @property
    def passwd_home(self) -> object: ...

    @property
    def root(self) -> bool | None: ...


class SimpleFacts(Struct, frozen=True):
    """A :class:`Facts` from a plain mapping: ``env`` holds the variables
    that are set (str values), ``unknown`` names those set to something
    unknown.  ``home``/``passwd_home`` default to ``$HOME`` / root's
    ``/root``.  ``expand`` only knows literal words and ``$NAME`` /
    ``${NAME}`` of ``env``."""

    env: Mapping[str, str] = field(default_factory=dict)
    unknown: frozenset[str] = frozenset()
    user_root: bool | None = True
    user_home: str | None = None  # the passwd home of a non-root user

    def lookup(self, name: str) -> object:
        if name in self.unknown:
            return _UNKNOWN
        return self.env.get(name)

    def expand(self, raw: str) -> str | None:
        if "`" in raw or "$(" in raw:
            return None
        bad = False

        def sub(m: re.Match[str]) -> str:
            nonlocal bad
            v = self.lookup(m.group(1) or m.group(2))
            if not isinstance(v, str):
                bad = True
                return ""
            return v

        out = re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)", sub, raw)
        if bad or "$" in out:
            return None
        if len(out) >= 2 and out[0] == out[-1] and out[0] in "'\"":
            out = out[1:-1]
        return out

    @property
    def home(self) -> object:
        h = self.lookup("HOME")
        if h is not None:
            return h
        return self.passwd_home

    @property
    def passwd_home(self) -> object:
        if self.user_root:
            return "/root"
        return self.user_home if self.user_home is not None else _UNKNOWN

    @property
    def root(self) -> bool | None:
        return self.user_root


class _Unknown:
    def __repr__(self) -> str:
        return "unknown"


_UNKNOWN = _Unknown()


# ---------------------------------------------------------------------------
# where the folder comes from


class FromOption(Struct, frozen=True):
    """A command-line option names the folder (``--cache-dir DIR``), or a
    parent of it when ``sub`` is given (``-g GRADLE_USER_HOME`` + caches)."""

    names: tuple[str, ...]
    sub: str = ""


class FromEnv(Struct, frozen=True):
    """An environment variable names the folder (or its parent: ``sub``).
    ``first_of_list``: a ``:``-separated list whose first entry counts
    (``GOPATH``); ``empty``: values that count as unset (PHP reads "0" as
    false)."""

    name: str
    sub: str = ""
    first_of_list: bool = False
    empty: tuple[str, ...] = ("",)


class FromDefine(Struct, frozen=True):
    """A Java system property (``-Dmaven.repo.local=DIR``): on the command
    line (option ``option``), or in one of the variables ``env`` that hold
    JVM or tool options."""

    prop: str
    env: tuple[str, ...] = ()
    option: str = "-D"
    sub: str = ""


class ForRoot(Struct, frozen=True):
    """A fixed folder used when the command runs as root (yarn 1)."""

    path: str


class FromHome(Struct, frozen=True):
    """A folder in the user's home.  ``passwd``: the home of the user's
    ``/etc/passwd`` entry (Java's ``user.home``), not ``$HOME``.
    ``caveat``: what the default assumes of the image."""

    sub: str
    passwd: bool = False
    caveat: str = ""


class Fixed(Struct, frozen=True):
    path: str


Source = FromOption | FromEnv | FromDefine | ForRoot | FromHome | Fixed


class CacheSpec(Struct, frozen=True):
    """One cache folder of a tool.  ``sources``: where the tool looks, in
    its order.  ``off_options`` / ``off_env``: what turns the cache off;
    ``config``: settings that may move it and are not read here (config
    files, ``pip config``) — a rule seeing one must treat the folder as
    unknown."""

    tool: str
    name: str
    sources: tuple[Source, ...]
    off_options: tuple[str, ...] = ()
    off_env: tuple[str, ...] = ()
    config: tuple[str, ...] = ()


class CacheDir(Struct, frozen=True):
    """Where one cache folder is for one command.  ``path``: absolute and
    normalised, None when it cannot be known (``reason`` says why);
    ``source``: the place that decided; ``option``: the option of the
    command that named it (its words mention the folder legitimately)."""

    spec: CacheSpec
    path: str | None
    source: Source | None = None
    option: Option | None = None
    reason: str = ""

    @property
    def known(self) -> bool:
        return self.path is not None

    @property
    def by_default(self) -> bool:
        """Decided by the tool's default (home, root's folder, fixed), not
        by anything the Dockerfile or the command set."""
        return isinstance(self.source, (FromHome, ForRoot, Fixed))

    @property
    def caveat(self) -> str:
        return self.source.caveat if isinstance(self.source, FromHome) else ""

    def set_by(self, *variables: str) -> bool:
        """Named by an option of the command or by one of ``variables``
        (not by a variable the tool reads only to find its default, like
        ``$XDG_CACHE_HOME``): what a config file of the tool would not
        override."""
        src = self.source
        return isinstance(src, (FromOption, FromDefine)) or (
            isinstance(src, FromEnv) and src.name in variables
        )


def norm(path: str) -> str | None:
    """An absolute path normalised; None when it is not absolute."""
    if not path.startswith("/"):
        return None
    p = posixpath.normpath(path)
    return "/" if p in ("/", "//") else p


def _join(base: str, sub: str) -> str:
    return posixpath.join(base, sub) if sub else base


class _Stop(Exception):
    def __init__(self, reason: str):
        self.reason = reason


def _absolute(value: str, facts: Facts, what: str, tilde: bool = True) -> str:
    """``value`` as an absolute normalised path; ``tilde``: a leading ``~``
    is the home (a word the shell expands, or an option value the tool
    expands).  A variable's value is no shell word: some tools expand its
    ``~`` (pip, npm), others take it as a relative path (uv, go, cargo)."""
    if value == "~" or value.startswith("~/"):
        if not tilde:
            raise _Stop(f"{what} starts with ~, which not every tool expands")
        home = facts.home
        if not isinstance(home, str):
            raise _Stop(f"{what} starts with ~ and HOME is not known")
        value = home + value[1:]
    p = norm(value)
    if p is None:
        raise _Stop(f"{what} is not an absolute path")
    return p


def _option_value(opt: Option, facts: Facts) -> str:
    value = opt.value if opt.value is not None else (facts.expand(opt.raw) if opt.raw is not None else None)
    if value is None:
        raise _Stop(f"the value of {opt.name} is not known")
    return value


def _from_option(src: FromOption, parsed: Parsed | None, facts: Facts) -> tuple[str, Option] | None:
    if parsed is None:
        return None
    opt = parsed.option(*src.names)
    if opt is None:
        return None
    return _join(_absolute(_option_value(opt, facts), facts, opt.name), src.sub), opt


def _from_env(src: FromEnv, facts: Facts) -> str | None:
    v = facts.lookup(src.name)
    if v is None:
        return None
    if not isinstance(v, str):
        raise _Stop(f"{src.name} is set to a value the Dockerfile does not show")
    if v in src.empty:
        return None
    if src.first_of_list:
        v = v.split(":", 1)[0]
    return _join(_absolute(v, facts, src.name, tilde=False), src.sub)


def _define_in(text: str, prop: str) -> str | None:
    m = re.search(rf"(?:^|\s)-D{re.escape(prop)}=(\S+)", text)
    return m.group(1).strip("'\"") if m else None


def _from_define(src: FromDefine, parsed: Parsed | None, facts: Facts) -> tuple[str, Option | None] | None:
    if parsed is not None:
        for opt in reversed(parsed.options_named(src.option)):
            raw = opt.value if opt.value is not None else opt.raw
            if raw is not None and raw.startswith(src.prop + "="):
                value = raw[len(src.prop) + 1 :]
                if opt.value is None:
                    expanded = facts.expand(value)
                    if expanded is None:
                        raise _Stop(f"the value of -D{src.prop} is not known")
                    value = expanded
                return _join(_absolute(value, facts, "-D" + src.prop, tilde=False), src.sub), opt
    for name in src.env:
        v = facts.lookup(name)
        if v is None:
            continue
        if not isinstance(v, str):
            raise _Stop(f"{name} is set to a value the Dockerfile does not show")
        if src.prop not in v:
            continue
        found = _define_in(v, src.prop)
        if found is None:
            raise _Stop(f"{name} sets {src.prop} in a way that is not understood")
        return _join(_absolute(found, facts, src.prop, tilde=False), src.sub), None
    return None


def cache_dir(spec: CacheSpec, facts: Facts, parsed: Parsed | None = None) -> CacheDir:
    """Where ``spec``'s folder is for the command ``parsed`` (None: the
    folder the tool would use without options) in the environment
    ``facts``."""
    try:
        for src in spec.sources:
            if isinstance(src, FromOption):
                found = _from_option(src, parsed, facts)
                if found is not None:
                    return CacheDir(spec, found[0], src, found[1])
            elif isinstance(src, FromEnv):
                path = _from_env(src, facts)
                if path is not None:
                    return CacheDir(spec, path, src)
            elif isinstance(src, FromDefine):
                hit = _from_define(src, parsed, facts)
                if hit is not None:
                    return CacheDir(spec, hit[0], src, hit[1])
            elif isinstance(src, ForRoot):
                if facts.root is None:
                    raise _Stop("whether the command runs as root is not known")
                if facts.root:
                    return CacheDir(spec, src.path, src)
            elif isinstance(src, FromHome):
                home = facts.passwd_home if src.passwd else facts.home
                if not isinstance(home, str):
                    raise _Stop("the user's home is not known")
                return CacheDir(spec, _join(_absolute(home, facts, "the home"), src.sub), src)
            else:
                return CacheDir(spec, src.path, src)
    except _Stop as stop:
        return CacheDir(spec, None, None, None, stop.reason)
    return CacheDir(spec, None, None, None, "no default")


def cache_off(spec: CacheSpec, facts: Facts, parsed: Parsed | None = None) -> bool | None:
    """Is the cache turned off for this command (``--no-cache-dir``, an
    ``*_NO_CACHE`` variable with a true value)?  None when a variable that
    would say is set to something unknown."""
    if parsed is not None and spec.off_options and parsed.has(*spec.off_options):
        return True
    unsure = False
    for name in spec.off_env:
        v = facts.lookup(name)
        if v is None:
            continue
        if not isinstance(v, str):
            unsure = True
        elif truthy(v):
            return True
    return None if unsure else False


_TRUE = frozenset({"1", "true", "yes", "on", "y"})
_FALSE = frozenset({"0", "false", "no", "off", "n", ""})


def truthy(value: str) -> bool:
    """How pip, uv, poetry and npm read a boolean variable."""
    return value.strip().lower() in _TRUE


def falsy(value: str) -> bool:
    return value.strip().lower() in _FALSE
