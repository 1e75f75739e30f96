"""The generic part of every cache-mount rule (DF211-DF219).

A rule says, per command of a RUN, how it uses a tool's cache
(:meth:`CacheMountRule.use` → :class:`Use`): the folders, which it asks
:func:`dockfix.tools.cache_dir` (:meth:`._cache.Run.cache_dir`, then
:func:`with_dirs` makes them :class:`._cache.Mount` targets), and what in
the RUN fights the cache (:data:`Fight`, :func:`off_fights`,
:meth:`CacheMountRule.cleaners`).  :class:`CacheMountRule` then works out
the :class:`Plan`: the mounts that are missing, the edits that drop what
fights them (:mod:`dockfix.shell_edits`), and whether anything else in the
RUN, before it or after it needs the folder's content in the image
(:mod:`._cache_conflicts`), in which case the RUN is left alone.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator

from msgspec import Struct, field
from msgspec.structs import replace

from ... import tools
from ...frontend import MOUNT_CACHE, MOUNT_CACHE_IDS
from ...rules import Context, Edit, Finding, Rule, Safety
from ...shell import Arg, Command
from ...shell_edits import (
    CutError,
    add_flags,
    assignments,
    cut_arg,
    cut_assignment,
    cut_elements,
    element_of,
    replace_arg,
)
from ...tools._dirs import norm
from ...tree import Instruction
from .._util import syntax_directive_edit
from ._cache import (
    _BARE_TARGET,
    _GLOB,
    Mount,
    Run,
    arg_mentions,
    existing_mounts,
    expand,
    glob_relation,
    relation,
    runs,
)

# ---------------------------------------------------------------------------
# what fights the cache


class CutArg(Struct, frozen=True, eq=False):
    """Drop an argument (``--no-cache-dir``)."""

    cmd: Command
    arg: Arg


class ReplaceArg(Struct, frozen=True, eq=False):
    """Replace an argument (apk's ``--no-cache`` → ``--update-cache``)."""

    cmd: Command
    arg: Arg
    text: str


class CutAssignment(Struct, frozen=True, eq=False):
    """Drop an ``X=1`` prefix of a command (script offsets)."""

    cmd: Command
    start: int
    end: int


class CutCommand(Struct, frozen=True, eq=False):
    """Drop a whole command of the chain (``pip cache purge``)."""

    cmd: Command


class CutStatement(Struct, frozen=True):
    """Drop an ``export X=1`` statement (its script offset)."""

    start: int


Fight = CutArg | ReplaceArg | CutAssignment | CutCommand | CutStatement


class Use(Struct, frozen=True, eq=False):
    """One command of the RUN that uses the cache.  ``targets``: the cache
    folders to mount (None: they cannot be known, and the RUN is left
    alone); ``fights``: what in the RUN defeats the cache; ``option_args``:
    ``id()`` of the arguments naming the folder (they mention it
    legitimately)."""

    cmd: Command
    label: str  # e.g. "pip install"
    targets: tuple[Mount, ...] | None = None
    fights: tuple[Fight, ...] = ()
    option_args: frozenset[int] = frozenset()
    tool: str = ""  # the tool (``tools.Parsed.tool``) when the rule serves several

    def known(
        self, targets: Iterable[Mount], fights: Iterable[Fight] = (), option_args: Iterable[int] = ()
    ) -> Use:
        """This use with its cache folders known."""
        return replace(
            self,
            targets=tuple(targets),
            fights=self.fights + tuple(fights),
            option_args=self.option_args | set(option_args),
        )

    def unknown(self) -> Use:
        """This use with its cache folders unknown (the RUN is left alone)."""
        return replace(self, targets=None)

    def fighting(self, fights: Iterable[Fight]) -> Use:
        """This use with more fights."""
        return replace(self, fights=self.fights + tuple(fights))


class Plan(Struct, frozen=True, eq=False):
    """What a rule does to one RUN: mounts to add (``missing``), the cache
    folders (``targets``), all edits, and the text of what it drops."""

    run: Run
    uses: tuple[Use, ...]
    missing: tuple[Mount, ...]
    targets: tuple[str, ...]
    edits: tuple[Edit, ...]
    fight_texts: tuple[str, ...]


def filling(cmd: Command, tool: str | None = None) -> tools.Parsed | None:
    """``cmd`` read with its tool's grammar (only ``tool``'s, when given)
    when it downloads into the tool's cache (:func:`dockfix.tools.fills_cache`)."""
    p = tools.parse(cmd, tool=tool)
    return p if p is not None and tools.fills_cache(p) else None


def with_dirs(
    run: Run,
    use: Use,
    dirs: Iterable[tools.CacheDir],
    fights: Iterable[Fight] = (),
    sharing: str | None = None,
) -> Use:
    """``use`` with the folders :func:`dockfix.tools.cache_dir` found as
    its mount targets (with ``uid``/``gid`` for another user), ``fights``,
    and the words of the options that named a folder; unknown when one
    folder is not known, or who runs the RUN is not."""
    dirs = list(dirs)
    if run.who is None or any(d.path is None for d in dirs):
        return use.unknown()
    args = {id(t.arg) for d in dirs if d.option is not None for t in d.option.tokens if t.arg is not None}
    return use.known([run.mount(d.path, sharing) for d in dirs if d.path is not None], fights, args)


def off_fights(
    run: Run, p: tools.Parsed, spec: tools.CacheSpec, env: Iterable[str] | None = None
) -> list[Fight] | None:
    """What in the RUN turns ``spec``'s cache off for the command ``p``: its
    options (``--no-cache-dir``), and the ``X=1`` prefixes and ``export``s
    of the variables ``env`` (default: the spec's ``off_env``); None when an
    ``export`` cannot be cut."""
    assert p.cmd is not None
    names = tuple(spec.off_env if env is None else env)
    exports = _export_fights(run, names) if names else []
    if exports is None:
        return None
    wanted = set(names)
    options = [
        CutArg(p.cmd, t.arg)
        for o in p.options_named(*spec.off_options)
        for t in o.tokens
        if t.arg is not None
    ]
    prefixes = [
        CutAssignment(p.cmd, a.start, a.end) for a in assignments(run.script, p.cmd) if a.name in wanted
    ]
    return [*options, *prefixes, *exports]


def _export_fights(run: Run, names: Iterable[str]) -> list[Fight] | None:
    """``export X=1`` statements of the RUN setting one of ``names`` and
    nothing else, as statements to cut; None when one cannot be cut
    (inside a condition, or exporting other variables too)."""
    wanted = set(names)
    out: list[Fight] = []
    for ex in run.exports:
        if ex.name not in wanted:
            continue
        if not ex.top:
            return None
        node = ex.node
        if node.type == "declaration_command":
            assigns = [c for c in node.children if c.type == "variable_assignment"]
            words = [c for c in node.children if c.type not in ("variable_assignment", "export")]
            if len(assigns) != 1 or words:
                return None
        out.append(CutStatement(run.script._c(node.start_byte)))
    return out


# ---------------------------------------------------------------------------
# the plan of one RUN

_RM_OPTS = re.compile(r"^-[rRfv]+$")
_RM_LONG = {"--recursive", "--force", "--verbose", "--"}
_SYSTEM = ("/", "/dev", "/proc", "/sys", "/tmp")


def _targets(uses: list[Use]) -> list[Mount] | None:
    """The distinct mounts of the uses; None when one cannot be known or
    cannot be mounted as written."""
    out: list[Mount] = []
    for u in uses:
        if u.targets is None:
            return None
        for m in u.targets:
            if m.target in _SYSTEM or m.target.startswith(("/dev/", "/proc/", "/sys/")):
                return None
            if not _BARE_TARGET.fullmatch(m.target):
                return None  # it cannot be written as is (e.g. a HOME with quotes in it)
            if all(t.target != m.target for t in out):
                out.append(m)
    return out


def _missing(run: Run, targets: list[Mount]) -> list[Mount] | None:
    """The mounts the RUN does not have yet; None when a mount it has is
    in the way (another mount there, a cache mount below: the author
    chose) or cannot be read."""
    existing = existing_mounts(run.facts, run.ins)
    out = []
    for m in targets:
        covered = False
        for ex in existing:
            if ex.target is None:
                return None
            rel = relation(m.target, ex.target)
            if rel is None:
                continue
            if ex.type != "cache" or rel == "ancestor":
                return None
            covered = True
        if not covered:
            out.append(m)
    return out


class _Cuts(Struct):
    """The edits that drop what fights the cache, being built."""

    edits: list[Edit] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    commands: set[int] = field(default_factory=set)  # script offsets of whole commands/statements to cut


def _fight_cuts(run: Run, uses: list[Use], paths: list[str]) -> _Cuts | None:
    """Edits dropping the fights and the rm of cache content; None when one
    cannot be done cleanly."""
    cuts = _Cuts()
    for u in uses:
        for f in u.fights:
            if isinstance(f, CutCommand):
                cuts.commands.add(f.cmd.start)
            elif isinstance(f, CutStatement):
                cuts.commands.add(f.start)
    try:
        rm_cut, rm_args = _rm_fights(run, paths, cuts.commands)
    except CutError:
        return None
    cuts.commands |= rm_cut
    for u in uses:
        for f in u.fights:
            if isinstance(f, (CutCommand, CutStatement)) or f.cmd.start in cuts.commands:
                continue
            if isinstance(f, CutArg):
                cuts.edits.append(cut_arg(run.script, f.cmd, f.arg))
                cuts.texts.append(f.arg.text)
            elif isinstance(f, ReplaceArg):
                cuts.edits.append(replace_arg(run.script, f.arg, f.text))
                cuts.texts.append(f.arg.text)
            else:
                try:
                    cuts.edits.append(cut_assignment(run.script, f.cmd, f.start))
                except CutError:
                    return None
                cuts.texts.append(run.script.text[f.start : f.end])
    for cmd, arg in rm_args:
        cuts.edits.append(cut_arg(run.script, cmd, arg))
        opts = " ".join(a.text for a in cmd.args if (a.value or a.text).startswith("-"))
        cuts.texts.append(f"rm {opts} {arg.text}" if opts else f"rm {arg.text}")
    return cuts if _cut_commands(run, cuts) else None


def _cut_commands(run: Run, cuts: _Cuts) -> bool:
    """Add the edits cutting whole commands; False when one cannot go."""
    if not cuts.commands:
        return True
    idx = []
    by_start = {c.start: c for c in run.script.commands}
    for start in sorted(cuts.commands):
        cmd = by_start.get(start)
        i = element_of(run.elems, cmd) if cmd is not None else None
        if i is None:  # an `export X=1` statement
            i = next((k for k, e in enumerate(run.elems) if e.start == start), None)
        if i is None:
            return False
        idx.append(i)
        cuts.texts.append(run.script.text[run.elems[i].start : run.elems[i].end])
    try:
        cuts.edits.extend(cut_elements(run.script, run.elems, idx, run.heredoc))
    except CutError:
        return False
    return True


def _rm_fights(
    run: Run, targets: list[str], cut_cmds: set[int]
) -> tuple[set[int], list[tuple[Command, Arg]]]:
    """rm commands that remove cache content: whole commands to cut and
    arguments to cut.  CutError when an rm would remove a mount point
    (it would fail with EBUSY) and cannot be dropped."""
    cut: set[int] = set()
    args: list[tuple[Command, Arg]] = []
    for cmd in run.script.commands:
        if cmd.program != "rm" or cmd.start in cut_cmds:
            continue
        opts_ok = all(
            a.value is not None and (_RM_OPTS.match(a.value) or a.value in _RM_LONG)
            for a in cmd.args
            if (a.value or a.text).startswith("-")
        )
        operands = [a for a in cmd.args if not (a.value or a.text).startswith("-")]
        hits = []
        for a in operands:
            p = _glob_path(run, cmd, a)
            if p is None:
                if _relative_may_hit(a, targets):
                    raise CutError(f"rm {a.text}: cannot tell what it removes")
                continue
            kinds = {glob_relation(p, t) for t in targets} - {None}
            if not kinds:
                continue
            if "ancestor" in kinds:
                raise CutError(f"rm {a.text} would remove the mount point")
            hits.append(a)
        if not hits:
            continue
        if not opts_ok:
            raise CutError("rm with unusual options on the cache directory")
        if len(hits) == len(operands):
            cut.add(cmd.start)
        else:
            args.extend((cmd, a) for a in hits)
    return cut, args


def _glob_path(run: Run, cmd: Command, a: Arg) -> str | None:
    """The absolute path (globs kept) an rm operand names, resolving a
    relative one against WORKDIR when no `cd` ran before it."""
    val = expand(a.text, run.word_lookup(cmd), run.home(cmd))
    if val is None:
        return None
    if not val.startswith("/") and val:
        if any(c.program in ("cd", "pushd", "popd") and c.start < cmd.start for c in run.script.commands):
            return None
        cwd = run.facts.workdir.path
        if not isinstance(cwd, str):
            return None
        val = posixpath.join(cwd, val)
    return norm(val)


def _relative_may_hit(a: Arg, targets: list[str]) -> bool:
    """An rm operand we cannot resolve: could it remove a mount point?"""
    text = a.text.strip("'\"")
    if text.startswith("/") and "$" not in text:
        return False
    comps = {c for t in targets for c in t.strip("/").split("/")}
    words = {c for c in re.split(r"[/$}{]+", text) if c and c not in (".", "..")}
    return (
        bool(words & comps) or any(_GLOB.fullmatch(w) is not None for w in words) or text in ("*", ".", "..")
    )


def _mentions(run: Run, targets: list[str], cut_cmds: set[int], uses: list[Use]) -> bool:
    """Does anything else in the RUN read or write the cache folder?"""
    skip_args: set[int] = set()
    for u in uses:
        skip_args |= u.option_args
    for cmd in run.script.commands:
        if cmd.start in cut_cmds or cmd.program == "rm":
            continue
        if any(id(a) not in skip_args and arg_mentions(run, cmd, a, targets) for a in cmd.args):
            return True
    return False


# ---------------------------------------------------------------------------
# the rule


class CacheMountRule(Rule):
    """Base class of the cache-mount rules (not registered: no code)."""

    safety = Safety.SAFE
    covers = ()
    #: the cache is a store later steps may read offline or at run time
    store: bool = False
    #: programs that read the store when the container runs (CMD/ENTRYPOINT)
    runtime_tools: tuple[str, ...] = ()

    # -- to implement -----------------------------------------------------
    def use(self, run: Run, cmd: Command) -> Use | None:  # pragma: no cover - abstract
        """How ``cmd`` uses the cache (None: it does not)."""
        raise NotImplementedError

    def cleaners(self, run: Run, uses: list[Use]) -> list[Fight] | None:
        """Commands of the RUN that empty the cache of the tools ``uses``
        run, to cut; None when one cannot go (the RUN is left alone)."""
        return []

    def reads_offline_at(self, run: Run, cmd: Command) -> bool:
        """``cmd`` reads the cache directory without filling it (an offline
        install, an install without fetching the index first)."""
        return False

    def reads_offline(self, run: Run) -> bool:
        """A command of the RUN reads the cache offline
        (:meth:`reads_offline_at`).  Such a RUN never gets the mount, and an
        earlier RUN whose cache it reads keeps writing it into the image."""
        return any(self.reads_offline_at(run, cmd) for cmd in run.script.commands)

    def exec_reads_offline(self, ins: Instruction) -> bool:
        """Same as reads_offline for an exec-form RUN (``RUN ["mvn", "-o"]``)."""
        return False

    # -- generic ------------------------------------------------------------
    def uses(self, run: Run) -> list[Use]:
        """The commands of the RUN that use the cache; the first one also
        carries the :meth:`cleaners` to cut."""
        out = [u for cmd in run.script.commands if (u := self.use(run, cmd)) is not None]
        if out:
            cleaners = self.cleaners(run, out)
            out[0] = out[0].unknown() if cleaners is None else out[0].fighting(cleaners)
        return out

    def check(self, ctx: Context) -> Iterator[Finding]:
        for run in runs(ctx):
            plan = self.plan(run)
            if plan is None:
                continue
            if self.conflicts(run, list(plan.targets)):
                continue
            yield self.finding(ctx, plan)
            yield from self.extra_findings(run, plan)

    def extra_findings(self, run: Run, plan: Plan) -> Iterable[Finding]:
        return ()

    def finding(self, ctx: Context, plan: Plan) -> Finding:
        use = plan.uses[0]
        span = plan.run.source_span(use.cmd)
        syntax = syntax_directive_edit(ctx.tree)
        edits = list(plan.edits)
        if syntax is not None:
            edits.append(syntax)
        if plan.missing:
            mounts = ", ".join(f"`{m.text()}`" for m in plan.missing)
            msg = f"`{use.label}` downloads again on every build: add {mounts}"
            if plan.fight_texts:
                msg += " and drop " + ", ".join(f"`{t}`" for t in plan.fight_texts)
            # never write a mount the file's pinned frontend cannot parse
            needs = [MOUNT_CACHE] + ([MOUNT_CACHE_IDS] if any(m.uid or m.gid for m in plan.missing) else [])
            if not ctx.frontend.supports(*needs):
                return ctx.finding(span, f"{msg} (not fixed: {ctx.frontend.why_not(*needs)})")
        else:
            msg = (
                ", ".join(f"`{t}`" for t in plan.fight_texts)
                + f" keeps `{use.label}` from using the cache mount on {', '.join(plan.targets)}: remove it"
            )
        return ctx.finding(span, msg, edits)

    def plan(self, run: Run) -> Plan | None:
        """What to do to the RUN, or None: nothing to do, or nothing safe."""
        uses = self.uses(run)
        if not uses or self.reads_offline(run):
            return None
        targets = _targets(uses)
        if targets is None:
            return None
        missing = _missing(run, targets)
        if missing is None:
            return None
        paths = [t.target for t in targets]
        cuts = _fight_cuts(run, uses, paths)
        if cuts is None or _mentions(run, paths, cuts.commands, uses):
            return None
        edits = cuts.edits
        if not missing and not edits:
            return None
        if missing:
            edits.append(add_flags(run.ins, [m.text() for m in missing]))
        edits.sort()
        for a, b in zip(edits, edits[1:], strict=False):
            if a.end > b.start or (a.start == a.end == b.start == b.end):
                return None
        texts = tuple(dict.fromkeys(" ".join(t.split()) for t in cuts.texts))
        return Plan(run, tuple(uses), tuple(missing), tuple(paths), tuple(edits), texts)

    # -- later instructions -------------------------------------------------
    def conflicts(self, run: Run, targets: list[str]) -> bool:
        """Does another instruction depend on the cache directory's content
        being in the image?  (:func:`._cache_conflicts.conflicts`)"""
        from ._cache_conflicts import conflicts

        return conflicts(self, run, targets)


__all__ = [
    "CacheMountRule",
    "CutArg",
    "CutAssignment",
    "CutCommand",
    "CutStatement",
    "Fight",
    "Plan",
    "ReplaceArg",
    "Use",
    "filling",
    "off_fights",
    "with_dirs",
]
