"""Shared machinery of the BuildKit cache-mount rules (DF211-DF219).

Not a rule module (the name starts with ``_``).  It knows:

* what a RUN sees (:class:`Run`): the semantic model's facts before it
  (:mod:`dockfix.model`: ENV/ARG, user, ``HOME``, WORKDIR, the base image
  and its known ENV, the ``--mount`` flags) and, per command, what the
  script itself sets (``export X=…``, ``X=1 cmd``) — given to
  :func:`dockfix.tools.cache_dir` as :class:`CommandFacts`, which answers
  where a tool's cache folder is (``Run.cache_dir``);
* words and paths of the script: expansion, how a path relates to a
  mount target (globs too), the mounts a RUN has.

The rule side (:class:`._cache_rule.CacheMountRule`) works out which
targets are missing, what fights the cache, and whether another
instruction depends on the cache folder being in the image.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from fnmatch import fnmatchcase

from msgspec import Struct, field

from ... import lexing, tools
from ...analysis import Chain, per_instruction
from ...images import UNKNOWN, Unknown
from ...model import Facts, SemanticModel
from ...rules import Context
from ...shell import Arg, Command, Script
from ...shell_edits import (
    Element,
    Export,
    assignments,
    chain,
    script_exports,
)
from ...tools._dirs import norm
from ...tree import Dockerfile, Instruction, Stage

# ---------------------------------------------------------------------------
# words and variables

# A mount target written bare into `--mount=type=cache,target=…` must mean
# itself: no CSV quote or separator, no whitespace (the flag would end), and
# nothing BuildKit's expansion of the value would change (`$`, quotes, the
# escape characters `\` and `` ` ``).
_BARE_TARGET = re.compile(r"[^\s\"',$\\`\x00-\x1f\x7f]+")
# what a POSIX shell expands and BuildKit's Dockerfile lexer does not:
# command substitution, positional and special parameters
_SHELL_ONLY = re.compile(r"`|\$\(|\$[0-9@*#?$!-]|\$\{[0-9@*#?$!-]")

Lookup = Callable[[str], "str | None | Unknown"]


def expand(raw: str, lookup: Lookup, tilde_home: str | None | Unknown = None) -> str | None:
    """The value of one word of a RUN's shell script: quotes and escapes
    processed and ``$VAR`` / ``${VAR…}`` expanded through ``lookup(name)``
    (a str, None for unset, or UNKNOWN) with BuildKit's lexer
    (:func:`dockfix.lexing.expand_word`, which handles the forms a shell
    word shares with a Dockerfile word); ``~`` at the start becomes
    ``tilde_home`` when given.  None when the value cannot be known (an
    unknown variable, a command substitution, a positional parameter...)."""
    if _SHELL_ONLY.search(raw):
        return None
    if raw.startswith("~") and (len(raw) == 1 or raw[1] == "/"):
        if not isinstance(tilde_home, str):
            return None
        rest = expand(raw[1:], lookup)
        return None if rest is None else tilde_home + rest
    try:
        return lexing.expand_word(raw, lookup)
    except lexing.ShellError:
        return None


def truthy(value: object) -> bool:
    return isinstance(value, str) and value != "" and tools.truthy(value)


def falsy(value: object) -> bool:
    return isinstance(value, str) and value != "" and tools.falsy(value)


def file_value(facts: Facts, name: str) -> str | None | Unknown:
    """A variable as the cache rules read it: what an ENV/ARG of the file
    (or of a stage it builds on) sets, or the value the image table knows
    (``GOPATH=/go`` in ``golang``); None when neither sets it (a variable
    the image may set but the table does not know counts as unset: the
    rules then take the tool's default, and say what they assume)."""
    var = facts.variable(name)
    if var is None:
        return None
    if var.kind == "image" and not isinstance(var.value, str):
        return None
    return var.value


# ---------------------------------------------------------------------------
# paths


def relation(path: str, target: str) -> str | None:
    """How ``path`` relates to ``target``: ``"equal"``, ``"inside"`` (path
    is below target), ``"ancestor"`` (path is above target) or None."""
    if path == target:
        return "equal"
    if target == "/" or path.startswith(target + "/"):
        return "inside"
    if path == "/" or target.startswith(path + "/"):
        return "ancestor"
    return None


_GLOB = re.compile(r"[*?\[]")


def _component_matches(pattern: str, name: str) -> bool:
    if name.startswith(".") and not pattern.startswith("."):
        return False  # the shell's * does not match a leading dot
    return fnmatchcase(name, pattern)


def glob_relation(path: str, target: str) -> str | None:
    """Like :func:`relation` for a path that may hold shell globs:
    ``"inside"`` when everything it can match is inside the target (or the
    target's content: ``/target/*``), ``"ancestor"`` when a glob at the
    target's level or above can match the target or something in it — it
    matches other paths too, and removing it would remove the mount
    point —, else None."""
    if not _GLOB.search(path):
        return relation(path, target)
    parts = path.strip("/").split("/")
    k = next(i for i, p in enumerate(parts) if _GLOB.search(p))
    prefix = "/" + "/".join(parts[:k])
    rel = relation(prefix, target)
    if rel in ("equal", "inside"):
        return "inside"
    if rel != "ancestor":
        return None
    tparts = target.strip("/").split("/")
    for j in range(k, min(len(parts), len(tparts))):
        pat = parts[j]
        if _GLOB.search(pat):
            if not _component_matches(pat, tparts[j]):
                return None
        elif pat != tparts[j]:
            return None
    return "ancestor"


# ---------------------------------------------------------------------------
# who runs the RUN, and the mounts it has


class Identity(Struct, frozen=True):
    """Who RUN commands run as: root, or a user with a known uid (and gid
    when known)."""

    root: bool
    uid: int | None = None
    gid: int | None = None


def identity(facts: Facts) -> Identity | None:
    """Who RUN commands run as (from the model's USER), or None when it
    cannot be known.  Without a USER of the file, a known image runs as
    root unless it likely drops root (:attr:`Facts.probably_root`); an
    image the Dockerfile does not name (``FROM $BASE``) is not known."""
    user = facts.user
    if user.root is True:
        return Identity(True, 0, 0)
    if not user.explicit:
        ref = facts.stage.ref
        if ref is None or isinstance(ref.path, Unknown) or not facts.probably_root:
            return None
        return Identity(True, 0, 0)
    if not isinstance(user.uid, int):
        return None
    return Identity(user.uid == 0, user.uid, user.gid if isinstance(user.gid, int) else None)


class Mount(Struct, frozen=True):
    """A cache mount to add."""

    target: str
    sharing: str | None = None
    uid: int | None = None
    gid: int | None = None

    def text(self) -> str:
        out = f"--mount=type=cache,target={self.target}"
        if self.sharing:
            out += f",sharing={self.sharing}"
        if self.uid:
            out += f",uid={self.uid}"
        if self.gid:
            out += f",gid={self.gid}"
        return out


class ExistingMount(Struct, frozen=True):
    """A ``--mount`` the RUN has (from :meth:`SemanticModel.mounts`), its
    target absolute and normalised (None when it cannot be known)."""

    type: str
    target: str | None


def existing_mounts(facts: Facts, ins: Instruction) -> list[ExistingMount]:
    out = []
    for m in facts.model.mounts(ins):
        typ = m.type.lower() if isinstance(m.type, str) and m.error is None else "unknown"
        target = norm(m.target) if isinstance(m.target, str) else None
        out.append(ExistingMount(typ, target))
    return out


def chain_of(model: SemanticModel, ins: Instruction) -> Chain:
    """The instructions before ``ins`` in its stage and the stages it builds
    on (a persistent :class:`Chain`, built once per model)."""
    key = ("_cache.chains", id(model))
    chains = model.tree.memo.get(key)
    if not isinstance(chains, dict):
        chains = {}
        ends: dict[int, Chain] = {}
        own: dict[int, Chain] = chains
        for st in model.stages:
            c = ends[st.parent.index] if st.parent is not None else Chain()
            for i in st.stage.instructions:
                own[id(i)] = c
                c = c.then(i)
            ends[st.index] = c
        model.tree.memo[key] = chains
    found = chains[id(ins)]
    assert isinstance(found, Chain)
    return found


# ---------------------------------------------------------------------------
# one RUN, as the rules see it


class Run(Struct):
    """One shell-form RUN and what it sees."""

    ctx: Context
    ins: Instruction
    stage: Stage
    script: Script
    facts: Facts
    heredoc: bool
    _who: Identity | None | int = 0
    _elems: list[Element] | None = None
    _exports: list[Export] | None = None

    @property
    def tree(self) -> Dockerfile:
        return self.ctx.tree

    @property
    def who(self) -> Identity | None:
        if isinstance(self._who, int):
            self._who = identity(self.facts)
        return self._who

    @property
    def elems(self) -> list[Element]:
        if self._elems is None:
            self._elems = chain(self.script)
        return self._elems

    @property
    def exports(self) -> list[Export]:
        if self._exports is None:
            self._exports = script_exports(self.script)
        return self._exports

    @property
    def chain(self) -> Chain:
        """The instructions before this RUN (its stage and those it builds on)."""
        return chain_of(self.facts.model, self.ins)

    @property
    def base(self) -> str:
        """The repository of the image the stage builds on (``golang``,
        ``ghcr.io/x/y``), "" when not known."""
        ref = self.facts.stage.ref
        if ref is None or not isinstance(ref.path, str):
            return ""
        if ref.hub:
            return ref.path
        return f"{ref.registry}/{ref.path}" if isinstance(ref.registry, str) else ""

    @property
    def tag(self) -> str:
        ref = self.facts.stage.ref
        return ref.tag if ref is not None and isinstance(ref.tag, str) else ""

    def lookup(self, name: str, cmd: Command | None = None) -> str | None | Unknown:
        """A variable as ``cmd`` sees it: its own ``X=1`` prefix, else the
        last ``export``/assignment before it in this RUN (UNKNOWN when set
        inside a condition or loop), else ENV/ARG."""
        if cmd is not None:
            for asg in assignments(self.script, cmd):
                if asg.name == name:
                    val = expand(asg.value, self.word_lookup())
                    return UNKNOWN if val is None else val
        before = cmd.start if cmd is not None else len(self.script.text) + 1
        found: str | None = None  # the raw value of the last export before ``cmd``
        for ex in self.exports:
            if ex.name == name and ex.at < before:
                if not ex.top:
                    return UNKNOWN
                found = ex.value
        if found is not None:
            val = expand(found, self.word_lookup())
            return UNKNOWN if val is None else val
        return file_value(self.facts, name)

    def word_lookup(self, cmd: Command | None = None):
        """Variables as the shell sees them when it runs ``cmd``: what the
        file sets, HOME (set by the runtime), and UNKNOWN for anything else
        (the base image may set it)."""

        def look(name: str):
            v = self.lookup(name, cmd)
            if v is None:
                if name == "HOME":
                    return self.home(cmd) or UNKNOWN
                return UNKNOWN
            return v

        return look

    def home(self, cmd: Command | None = None) -> str | None:
        """``$HOME`` as the shell running ``cmd`` sees it (normalised), None
        when it cannot be known."""
        h = self.lookup("HOME", cmd)
        if h is UNKNOWN:
            return None
        if isinstance(h, str):
            return norm(h)
        who = self.who
        if who is not None and who.root:
            return "/root"
        # the home the model knows for a user the file creates or the image
        # ships (the package-hygiene rules, DF110-DF114, read the same one)
        home = self.facts.user.home
        return norm(home) if isinstance(home, str) else None

    def cache_dir(
        self,
        spec: tools.CacheSpec,
        cmd: Command | None = None,
        parsed: tools.Parsed | None = None,
        *,
        file_only: Iterable[str] = (),
        assume: Mapping[str, str] | None = None,
    ) -> tools.CacheDir:
        """Where ``spec``'s folder is for ``cmd`` (:func:`dockfix.tools.cache_dir`
        with :class:`CommandFacts`)."""
        facts = CommandFacts(self, cmd, frozenset(file_only), dict(assume or {}))
        return tools.cache_dir(spec, facts, parsed)

    def so_far(
        self,
        key: object,
        command: Callable[[Command], bool] | None = None,
        copies: Callable[[str], bool] | None = None,
    ) -> bool:
        """Does this RUN or an instruction before it (in its stage and the
        stages it builds on) run a command for which ``command`` holds, or
        COPY/ADD to a destination (as written) for which ``copies`` holds?
        Worked out once per instruction for the whole file: ``key`` must
        name the question."""
        model = self.facts.model

        def holds(ins: Instruction) -> bool:
            if copies is not None and ins.keyword in ("COPY", "ADD") and ins.args:
                if copies(ins.args[-1].value):
                    return True
            if command is None or ins.keyword != "RUN":
                return False
            script = model.script(ins)
            return script is not None and any(command(c) for c in script.commands)

        memo = per_instruction(self.tree, ("_cache.so_far", key), holds)
        return self.chain.any(("_cache.so_far", key), memo) or bool(memo(self.ins))

    def always_before(self, cmd: Command, pred: Callable[[Command], bool]) -> bool:
        """Does a command for which ``pred`` holds always run before ``cmd``
        in this RUN (not inside a condition, not after ``||``)?"""
        for c in self.script.commands:
            if c.start >= cmd.start:
                return False
            if pred(c) and not c.conditional and c.prev_op != "||":
                return True
        return False

    def mount(self, target: str, sharing: str | None = None) -> Mount:
        who = self.who
        if who is None or who.root:
            return Mount(target, sharing)
        return Mount(target, sharing, who.uid, who.gid)

    def source_span(self, cmd: Command) -> tuple[int, int]:
        return self.script.source(cmd.start), self.script.source_end(cmd.end)


class CommandFacts(Struct, frozen=True):
    """What :func:`dockfix.tools.cache_dir` needs to know
    (:class:`dockfix.tools.Facts`) as one command of a RUN sees it: the
    variables of :meth:`Run.lookup` (its own ``X=1`` prefix, the RUN's
    ``export``s, ENV/ARG), the shell's ``$HOME``, and who runs it.
    ``file_only``: variables read as the file sets them (a prefix or
    ``export`` the rule cuts); ``assume``: values the rule takes for
    variables that are not set (cargo's home from a ``~/.cargo/bin`` in
    ``PATH``)."""

    run: Run
    cmd: Command | None
    file_only: frozenset[str] = frozenset()
    assume: Mapping[str, str] = field(default_factory=dict)

    def lookup(self, name: str) -> object:
        if name in self.file_only:
            v = file_value(self.run.facts, name)
        else:
            v = self.run.lookup(name, self.cmd)
        return self.assume.get(name, v) if v is None or v == "" else v

    def expand(self, raw: str) -> str | None:
        return expand(raw, self.run.word_lookup(self.cmd), self.run.home(self.cmd))

    @property
    def home(self) -> object:
        home = self.run.home(self.cmd)
        return UNKNOWN if home is None else home

    @property
    def passwd_home(self) -> object:
        """The home of the user's ``/etc/passwd`` entry (what Java reads),
        not ``$HOME``: root's, or the one the model knows for a user the
        file creates or the image ships."""
        who = self.run.who
        if who is not None and who.root:
            return "/root"
        home = self.run.facts.user.home
        found = norm(home) if isinstance(home, str) else None
        return UNKNOWN if found is None else found

    @property
    def root(self) -> bool | None:
        who = self.run.who
        return None if who is None else who.root


def runs(ctx: Context) -> Iterator[Run]:
    """Every shell-form RUN of the file that the cache rules may look at."""
    for st in ctx.model.stages:
        if st.windows:
            continue
        for ins in st.stage.instructions:
            r = make_run(ctx, ins)
            if r is not None:
                yield r


def make_run(ctx: Context, ins: Instruction) -> Run | None:
    """The RUN ``ins`` as the cache rules see it; None when it is not a
    shell-form RUN of a Linux stage run by a POSIX shell."""
    if ins.keyword != "RUN":
        return None
    model = ctx.model
    if model.stage_of(ins) is None:
        return None
    facts = model.at(ins)
    if facts.windows or not facts.shell.posix:
        return None
    script = model.script(ins)
    if script is None or script.has_error:
        return None
    heredoc = any(h.body_start <= script.source(0) <= h.body_end for h in ins.heredocs)
    return Run(ctx, ins, facts.stage.stage, script, facts, heredoc)


# ---------------------------------------------------------------------------
# what the RUN's words name


def arg_mentions(run: Run, cmd: Command, a: Arg, targets: list[str]) -> bool:
    """Does the argument name a cache target or a path inside it (also as
    ``--opt=/path`` or ``-Dx=/path``)?"""
    text = a.text
    if "/" not in text and "~" not in text:
        return False
    val = expand(text, run.word_lookup(cmd), run.home(cmd))
    if val is None:
        return False
    # `--opt=/path` or `-Dx=/path`
    cands = [val]
    if "=" in val:
        cands.append(val.split("=", 1)[1])
    for c in cands:
        p = norm(c)
        if p is None:
            continue
        for t in targets:
            if glob_relation(p, t) in ("equal", "inside"):
                return True
    return False


__all__ = [
    "UNKNOWN",
    "CommandFacts",
    "ExistingMount",
    "Identity",
    "Mount",
    "Run",
    "Unknown",
    "arg_mentions",
    "chain_of",
    "existing_mounts",
    "expand",
    "file_value",
    "glob_relation",
    "identity",
    "make_run",
    "norm",
    "relation",
    "runs",
]
