"""The command-line grammar engine shared by every tool module.

A tool's grammar is data: :class:`Grammar` (program names, global options,
subcommands with aliases and their own options, the option syntax) built
from :class:`Opts` tables.  :func:`parse_tokens` reads a command's words
with it and returns a :class:`Parsed` — the tool, the subcommand path in
canonical spelling, every option with its value and span, the operands —
so a rule never walks ``cmd.args`` itself.

Three option syntaxes exist among the tools dockfix reads:

* ``Syntax.GNU`` (getopt_long and look-alikes: pip, npm, apt-get, apk,
  dnf, useradd, curl...): ``--name=value``, ``--name value`` for options
  that take one, short options clustered (``-yq``), a short option's value
  attached (``-rfile``, ``-u1000``) or in the next word, ``--`` ends the
  options (before the subcommand, the grammar's :class:`DashDash` says
  whether the subcommand may still follow).  With ``short_equals`` (apt) ``-q=2`` is ``-q`` with value 2.
* ``Syntax.SINGLE_DASH`` (Go's flag package): ``-name`` and ``--name``
  alike, ``-name=value`` or ``-name value``, no clusters.
* ``Syntax.MAVEN`` (commons-cli): short names of several letters
  (``-pl``, ``-amd``), a value attached to a short name (``-Dk=v``,
  ``-Pprod``, ``-T4``), long options as in GNU.

A word that expands (``$X``) cannot be placed for sure: as an option's value
it gives an :class:`Option` whose ``value`` is None (``raw`` keeps the text,
for a caller that knows the variables); where a subcommand is expected it
stops the subcommand search (``Parsed.sub_known`` is False).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from enum import Enum
from typing import TYPE_CHECKING

from msgspec import Struct, field

from .._records import compare_without
from ..shell import Arg, Command

if TYPE_CHECKING:
    from ..tree import Word as TreeWord


# ---------------------------------------------------------------------------
# words


@compare_without("arg")
class Token(Struct, frozen=True):
    """One word of a command line.  ``value`` is its literal value (quotes
    and escapes removed), None when it expands; ``start``/``end`` are the
    offsets it came with (script offsets for a shell command); ``index`` is
    its position among the command's arguments (the program word is not
    counted); ``arg`` is the :class:`shell.Arg` it came from, if any."""

    text: str
    value: str | None
    start: int
    end: int
    index: int
    arg: Arg | None = None  # left out of ==/hash (compare_without)


if TYPE_CHECKING:
    WordLike = str | Arg | Token | TreeWord
else:
    WordLike = object


def tokens(words: Command | Sequence[WordLike]) -> tuple[Token, ...]:
    """The arguments of a command (the program word excluded) as tokens.
    A sequence of plain strings gets offsets as if joined by one blank."""
    if isinstance(words, Command):
        return tuple(Token(a.text, a.value, a.start, a.end, i, a) for i, a in enumerate(words.args))
    out: list[Token] = []
    pos = 0
    for i, w in enumerate(words):
        if isinstance(w, Token):
            out.append(Token(w.text, w.value, w.start, w.end, i, w.arg))
        elif isinstance(w, Arg):
            out.append(Token(w.text, w.value, w.start, w.end, i, w))
        elif isinstance(w, str):
            out.append(Token(w, w, pos, pos + len(w), i))
            pos += len(w) + 1
        else:  # a tree.Word of an exec-form instruction
            value = str(getattr(w, "value", ""))
            start = int(getattr(w, "start", pos))
            end = int(getattr(w, "end", start + len(value)))
            out.append(Token(str(w), value, start, end, i))
    return tuple(out)


# ---------------------------------------------------------------------------
# option tables


class Syntax(Enum):
    GNU = "gnu"
    SINGLE_DASH = "single-dash"
    MAVEN = "maven"


class DashDash(Enum):
    """What a ``--`` before the subcommand means.

    * ``OPERANDS``: every word after it is an operand, the subcommand too
      (clap: ``uv -- pip install`` is an error, "to use it, remove the
      '--'"; getopt tools without subcommands).
    * ``SUBCOMMAND``: the words after it name the subcommand, and every
      word after that is an operand (Python's optparse/argparse and apt's
      parser: ``dnf -- install x`` and ``apt-get -- install x`` install,
      ``dnf -- install -y x`` is an error, ``apt-get -- install -y x``
      looks for a package ``-y``).
    * ``GLOBALS``: it ends the global options only; the subcommand that
      follows reads its own options (zypper: ``zypper -- in -y x``)."""

    OPERANDS = "operands"
    SUBCOMMAND = "subcommand"
    GLOBALS = "globals"


def _spellings(groups: Iterable[str]) -> dict[str, str]:
    """``"-r --requirement"`` → {"-r": "--requirement", "--requirement":
    "--requirement"}: each group is the spellings of one option, the first
    long one (else the first) is its canonical name."""
    out: dict[str, str] = {}
    for group in groups:
        names = group.split()
        canon = next((n for n in names if n.startswith("--")), names[0])
        for n in names:
            out[n] = canon
    return out


class Opts(Struct, frozen=True):
    """One table of options.  ``values``: spellings of options that take a
    value; ``flags``: known options that do not; ``optional``: options
    whose value is only ever attached (``--color=always``, ``-q=2``);
    ``canon``: spelling → canonical name (aliases)."""

    values: frozenset[str] = frozenset()
    flags: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()
    canon: Mapping[str, str] = field(default_factory=dict)

    def takes_value(self, name: str) -> bool:
        return name in self.values

    def canonical(self, name: str) -> str:
        return self.canon.get(name, name)

    def known(self, name: str) -> bool:
        return name in self.canon

    def merge(self, other: Opts) -> Opts:
        """``other`` wins where both define a spelling."""
        if not other.canon:
            return self
        if not self.canon:
            return other
        canon = dict(self.canon)
        canon.update(other.canon)
        mine = set(other.canon)
        return Opts(
            frozenset(v for v in self.values if v not in mine) | other.values,
            frozenset(v for v in self.flags if v not in mine) | other.flags,
            frozenset(v for v in self.optional if v not in mine) | other.optional,
            canon,
        )


def _groups(spec: str | Iterable[str]) -> list[str]:
    if isinstance(spec, str):
        return [g.strip() for g in spec.split(",") if g.strip()]
    return list(spec)


def opts(
    values: str | Iterable[str] = (), flags: str | Iterable[str] = (), optional: str | Iterable[str] = ()
) -> Opts:
    """An :class:`Opts` from groups of spellings, separated by commas:
    ``opts(values="-r --requirement, --cache-dir", flags="-y --yes
    --assume-yes")``; in a group, the first long spelling is the canonical
    name."""
    v, f, o = _spellings(_groups(values)), _spellings(_groups(flags)), _spellings(_groups(optional))
    canon = {**f, **o, **v}
    return Opts(frozenset(v), frozenset(f), frozenset(o), canon)


def words(text: str) -> tuple[str, ...]:
    """A table of names written as one blank-separated string."""
    return tuple(text.split())


NO_OPTS = Opts()


class Sub(Struct, frozen=True):
    """A subcommand: its canonical name, its aliases (``i``, ``isntall``),
    its own options and its own subcommands (``uv pip install``)."""

    name: str
    aliases: tuple[str, ...] = ()
    options: Opts = NO_OPTS
    subs: tuple[Sub, ...] = ()

    def find(self, word: str) -> Sub | None:
        return _find(self.subs, word)


def _find(subs: Sequence[Sub], word: str) -> Sub | None:
    for s in subs:
        if word == s.name or word in s.aliases:
            return s
    return None


def sub(name: str, *aliases: str, options: Opts = NO_OPTS, subs: Sequence[Sub] = ()) -> Sub:
    return Sub(name, tuple(aliases), options, tuple(subs))


class Grammar(Struct, frozen=True):
    """How one tool reads its command line.

    ``programs``: program base names that run it (``pip3``); ``pattern``: a
    regular expression for versioned names (``pip3.12``).  ``globals_after``:
    the global options are accepted after the subcommand too (pip, npm,
    apt); False for zypper, whose ``-n`` means another thing after it.
    ``stop_at_operand``: the first operand after the subcommand ends the
    options (Go's flag package, sudo, env).  ``default``: the subcommand a
    bare call runs (``yarn``, ``bundle`` → install), not when one of
    ``info_flags`` (``--version``) is given.  ``after_dashdash``: what a
    ``--`` before the subcommand means (:class:`DashDash`)."""

    tool: str
    programs: tuple[str, ...]
    options: Opts = NO_OPTS
    subs: tuple[Sub, ...] = ()
    syntax: Syntax = Syntax.GNU
    short_equals: bool = False
    globals_after: bool = True
    stop_at_operand: bool = False
    default: tuple[str, ...] = ()
    info_flags: frozenset[str] = frozenset({"--version", "-v", "-V", "--help", "-h"})
    pattern: str | None = None
    after_dashdash: DashDash = DashDash.OPERANDS

    def runs(self, program: str) -> bool:
        return program in self.programs or (
            self.pattern is not None and re.fullmatch(self.pattern, program) is not None
        )

    def find(self, word: str) -> Sub | None:
        return _find(self.subs, word)

    def path(self, *words: str) -> tuple[Sub, ...] | None:
        """The subcommands a path of words names (aliases allowed)."""
        out: list[Sub] = []
        subs: Sequence[Sub] = self.subs
        for w in words:
            s = _find(subs, w)
            if s is None:
                return None
            out.append(s)
            subs = s.subs
        return tuple(out)


# ---------------------------------------------------------------------------
# results


class Option(Struct, frozen=True):
    """One option as given.  ``name``: the spelling used (``-r``), ``key``:
    its canonical name (``--requirement``); ``value``: its literal value
    (None for a flag, or when the value expands: then ``expands`` is True
    and ``raw`` is the value as written); ``attached``: the value was in
    the same word (``--x=v``, ``-rFILE``); ``token``: the option's word,
    ``value_token``: the next word when it held the value; ``before_sub``:
    given before the subcommand (a global option)."""

    name: str
    key: str
    value: str | None
    raw: str | None
    token: Token
    value_token: Token | None = None
    attached: bool = False
    takes_value: bool = False
    expands: bool = False
    before_sub: bool = False

    @property
    def start(self) -> int:
        return self.token.start

    @property
    def end(self) -> int:
        return (self.value_token or self.token).end

    @property
    def tokens(self) -> tuple[Token, ...]:
        return (self.token,) if self.value_token is None else (self.token, self.value_token)


@compare_without("grammar", "global_table", "sub_table", "cmd")
class Parsed(Struct, frozen=True):
    """A command line read with a tool's grammar.

    ``tool``: the grammar's tool (``pip``, ``npm``, ``apt-get``);
    ``program``: the program word's base name (``pip3``, ``python3``);
    ``via``: how the tool was reached (``python3 -m pip``, ``corepack``,
    ``sudo``), empty when called directly; ``subcommand``: the canonical
    path (``("install",)`` for ``npm i``, ``("pip", "install")``), with
    ``sub_tokens`` the words as written; ``sub_known``: every word of the
    path is a subcommand the grammar knows (False also when a word that
    expands stood where the subcommand is); ``implicit``: the path is the
    grammar's default (bare ``yarn``); ``operands``: the other non-option
    words (those after ``--`` included); ``expands``: some word of the
    tool's arguments expands."""

    tool: str
    program: str
    via: str
    subcommand: tuple[str, ...]
    sub_tokens: tuple[Token, ...]
    sub_known: bool
    implicit: bool
    options: tuple[Option, ...]
    operands: tuple[Token, ...]
    expands: bool
    dashdash: Token | None
    args: tuple[Token, ...]
    start: int  # index in ``args`` of the tool's first own word
    name_end: int  # offset where the program word (or launcher words) end
    # ``grammar``, ``global_table``, ``sub_table`` and ``cmd`` are left out of ==/hash
    grammar: Grammar
    global_table: Opts = NO_OPTS
    sub_table: Opts = NO_OPTS
    cmd: Command | None = None
    assignments: tuple[str, ...] = ()  # `X=1 cmd` prefixes and `env X=1` words, in order

    # -- subcommand -------------------------------------------------------
    @property
    def sub(self) -> str:
        """The subcommand path joined by blanks (``"pip install"``), ''."""
        return " ".join(self.subcommand)

    def is_sub(self, *paths: str) -> bool:
        """Is the subcommand one of ``paths`` (``"install"``, ``"group
        install"``)?  Aliases are resolved: compare canonical names."""
        return self.sub_known and self.sub in paths

    @property
    def label(self) -> str:
        """The command for messages: ``npm ci``, ``python3 -m pip install``."""
        head = self.via or self.program
        if self.via and self.program not in self.via.split():
            head = f"{self.via} {self.program}"  # wrappers only (``sudo``): the program follows them
        return " ".join([head, *(t.value or t.text for t in self.sub_tokens)])

    @property
    def written(self) -> str:
        """The program and the subcommand words as written, without wrappers
        or launchers: ``dnf5 group install``, ``zypper in``, ``npm i``."""
        return " ".join([self.program, *(t.value or t.text for t in self.sub_tokens)])

    @property
    def sub_after_dashdash(self) -> bool:
        """The subcommand follows a ``--`` (``dnf -- install x``)."""
        return (
            self.dashdash is not None
            and bool(self.sub_tokens)
            and self.dashdash.index < self.sub_tokens[0].index
        )

    @property
    def insert_at(self) -> int:
        """Offset right after the subcommand word (after the program or
        launcher words when there is none): where an option like ``-y``
        goes.  Before the ``--`` when the subcommand follows one and reads
        no options (:attr:`DashDash.SUBCOMMAND`: ``dnf -y| -- install x``)."""
        if not self.sub_tokens:
            return self.name_end
        if self.sub_after_dashdash and self.grammar.after_dashdash is DashDash.SUBCOMMAND:
            assert self.dashdash is not None
            k = self.dashdash.index
            return self.args[k - 1].end if k > self.start else self.name_end
        return self.sub_tokens[-1].end

    def after_leading_options(self) -> int:
        """Offset after the subcommand and the literal options that follow
        it directly (``install -y -o X=Y|``), stopping at the first operand
        or word that expands: where a new option reads naturally."""
        end = self.insert_at
        if not self.sub_tokens or end != self.sub_tokens[-1].end:
            return end
        after = self.sub_tokens[-1].index
        by_token = {o.token.index: o for o in self.options}
        i = after + 1
        while i < len(self.args):
            opt = by_token.get(i)
            if opt is None or opt.expands:
                break
            end = opt.end
            i = (opt.value_token or opt.token).index + 1
        return end

    # -- options ------------------------------------------------------------
    def _matches(self, opt: Option, names: Iterable[str]) -> bool:
        table = self.global_table if opt.before_sub else self.sub_table
        for n in names:
            if opt.name == n or opt.key == n or opt.key == table.canonical(n):
                return True
        return False

    def options_named(self, *names: str) -> tuple[Option, ...]:
        """The options given as any of ``names`` (any spelling: ``-r`` finds
        ``--requirement`` too), in order."""
        return tuple(o for o in self.options if self._matches(o, names))

    def has(self, *names: str) -> bool:
        return any(self._matches(o, names) for o in self.options)

    def option(self, *names: str) -> Option | None:
        """The last of these options (the one the tool uses)."""
        found = self.options_named(*names)
        return found[-1] if found else None

    def value(self, *names: str) -> str | None:
        opt = self.option(*names)
        return opt.value if opt is not None else None

    def values(self, *names: str) -> tuple[str | None, ...]:
        return tuple(o.value for o in self.options_named(*names))

    def count(self, *names: str) -> int:
        return len(self.options_named(*names))

    @property
    def operand_values(self) -> tuple[str | None, ...]:
        return tuple(t.value for t in self.operands)

    def mentions(self, names: Collection[str]) -> bool:
        """Does a word of the tool's own arguments, as written or as the
        canonical name of a subcommand (``npm un`` → ``uninstall``), name one
        of ``names``?  Loose on purpose: ``yarn workspace a remove b``, ``mvn
        clean install``."""
        return any(s in names for s in self.subcommand) or any(
            t.value in names for t in self.args[self.start :] if t.value is not None
        )


__all__ = [
    "NO_OPTS",
    "DashDash",
    "Grammar",
    "Option",
    "Opts",
    "Parsed",
    "Sub",
    "Syntax",
    "Token",
    "WordLike",
    "opts",
    "sub",
    "tokens",
    "words",
]
