"""Helpers shared by the apt / apt-get and apk rules (DF101–DF106).

Not a rule module (the name starts with ``_``).  Everything here works on
the shell layer (:mod:`dockfix.shell`): commands, their subcommands and
options, where a command's failure goes, BuildKit cache mounts, and a
careful "remove this command and the operator that joins it" edit.
"""

from __future__ import annotations

import posixpath
import weakref
from collections.abc import Iterator

from msgspec import Struct

from ... import tools
from ...model import Family, SemanticModel
from ...mounts import parse_mount
from ...rules import Edit
from ...shell import Arg, Command, Script, script_of
from ...shell_edits import command_node, errexit_at
from ...tools import Parsed
from ...tools import apt as apt_tool
from ...tree import Dockerfile, Instruction, Stage

APT_LISTS = "/var/lib/apt/lists"
APK_CACHE = "/var/cache/apk"

# -- RUN instructions -----------------------------------------------------


_SCRIPTS: weakref.WeakKeyDictionary[Instruction, Script | None] = weakref.WeakKeyDictionary()


def script_for(ins: Instruction) -> Script | None:
    """``shell.script_of`` once per instruction (the rules of this family
    look at the same RUNs many times in one pass)."""
    try:
        return _SCRIPTS[ins]
    except KeyError:
        script = _SCRIPTS[ins] = script_of(ins)
        return script


class Run(Struct):
    """A RUN (or the RUN an ONBUILD wraps); its script is parsed on demand."""

    stage: Stage | None
    ins: Instruction  # the RUN itself (``outer.inner`` for ONBUILD RUN)
    outer: Instruction  # the top-level instruction (ONBUILD or the RUN)
    model: SemanticModel

    def cache_covers(self, *paths: str) -> bool:
        """Does a cache mount of this RUN hold any of ``paths``?"""
        return any(covers(t, p) for t in cache_mount_targets(self.model, self.ins) for p in paths)

    @property
    def onbuild(self) -> bool:
        return self.outer is not self.ins

    def mentions(self, *words: str) -> bool:
        """Does the RUN's text contain any of ``words``?  A cheap test before
        parsing the shell."""
        text = self.ins._text[self.outer.start : self.outer.end]
        return any(w in text for w in words)

    @property
    def script(self) -> Script | None:
        return script_for(self.ins)

    @property
    def usable(self) -> bool:
        script = self.script
        return script is not None and not script.has_error


def runs_of(instructions) -> Iterator[tuple[Instruction, Instruction]]:
    """(run, outer) for each RUN and ONBUILD RUN among ``instructions``."""
    for ins in instructions:
        target = ins.inner if ins.inner is not None else ins
        if target.keyword == "RUN":
            yield target, ins


def stage_runs(tree: Dockerfile, stage: Stage, *words: str) -> list[Run]:
    """The RUNs of a stage; only those whose text contains one of ``words``
    when given.  (Listed once per tree: the caller must not change the list.)"""
    key = ("_apt_apk.stage_runs", stage.index, words)
    if stage.index < len(tree.stages) and tree.stages[stage.index] is stage and key in tree.memo:
        return tree.memo[key]  # type: ignore[return-value]
    out = []
    model = SemanticModel.of(tree)
    for ins, outer in runs_of(stage.instructions):
        run = Run(stage, ins, outer, model)
        if not words or run.mentions(*words):
            out.append(run)
    if stage.index < len(tree.stages) and tree.stages[stage.index] is stage:
        tree.memo[key] = out
    return out


def run_position(tree: Dockerfile, stage: Stage, ins: Instruction | None, *words: str) -> int:
    """Index in ``stage_runs(tree, stage, *words)`` of the run just after
    the one of ``ins`` (0 for None, the length when ``ins`` is not there)."""
    runs = stage_runs(tree, stage, *words)
    if ins is None:
        return 0
    key = ("_apt_apk.run_position", stage.index, words)
    pos = tree.memo.get(key)
    if pos is None or pos[0] is not runs:  # type: ignore[index]
        pos = tree.memo[key] = (runs, {id(r.ins): k for k, r in enumerate(runs)})
    k = pos[1].get(id(ins))  # type: ignore[index]
    return len(runs) if k is None else k + 1


def all_runs(tree: Dockerfile, *words: str) -> Iterator[Run]:
    """Every RUN of the file (stages in order, then instructions), ONBUILD
    RUNs included; RUNs before the first FROM cannot exist."""
    for stage in tree.stages:
        yield from stage_runs(tree, stage, *words)


# -- cache mounts ---------------------------------------------------------


def cache_mount_targets(model: SemanticModel, ins: Instruction) -> list[str]:
    """Normalised targets of the ``--mount=type=cache`` flags of a RUN, as
    the model reads them (targets whose variables are unknown are left out)."""
    return [
        _norm(m.target)
        for m in model.mounts(ins)
        if m.type == "cache" and isinstance(m.target, str) and m.target
    ]


def _norm(path: str) -> str:
    path = path.strip().strip("'\"")
    if not path.startswith("/"):
        path = "/" + path
    n = posixpath.normpath(path)
    return "/" if n == "//" else n


def covers(target: str, path: str) -> bool:
    """Does a mount at ``target`` hold ``path``?"""
    target, path = _norm(target), _norm(path)
    return target == "/" or path == target or path.startswith(target + "/")


# -- apt / apt-get ----------------------------------------------------------

APT = apt_tool.APT


def literal_sub(cmd: Command) -> Parsed | None:
    """``tools.parse(cmd)`` when the command's subcommand is a literal word
    (a known one, or an unknown one such as ``dist-clean``); None when a
    word that expands stands where the subcommand is, or there is none.
    ``p.sub`` is the canonical name (``auto-remove`` is ``autoremove``),
    ``p.sub_tokens[0]`` the word as written."""
    p = tools.parse(cmd)
    if p is None or not p.sub_tokens or p.sub_tokens[0].value is None:
        return None
    return p


def is_lists_cleanup(cmd: Command) -> bool:
    """``rm`` of the apt package lists (`rm -rf /var/lib/apt/lists/*` and
    spellings of it)."""
    if cmd.program != "rm":
        return False
    for a in cmd.operands():
        v = a.value
        if v is None:
            continue
        p = v.rstrip("*").rstrip("/") or "/"
        if p in ("/var/lib/apt", "/var/lib/apt/lists") or v.startswith(APT_LISTS + "/"):
            return True
    return False


# -- apk --------------------------------------------------------------------


# -- where a command's failure goes -----------------------------------------


def failure_stops_build(script: Script, cmd: Command, shell_e: bool = False) -> bool:
    """Does a failure of ``cmd`` make the RUN fail?  False when the script
    goes on regardless (`cmd || true`, `cmd; next` without `set -e`, the
    left side of a pipe, a condition) or when it cannot be told (inside a
    loop, a condition or a function)."""
    node = command_node(script, cmd)
    if node is None:
        return False
    and_left = False  # the failure comes out of the left side of `&&`
    cur = node
    while True:
        parent = cur.parent
        if parent is None:
            return False
        kids = [k for k in parent.children if k.type != "comment"]
        t = parent.type
        if t == "redirected_statement":
            cur = parent
            continue
        if t == "list":
            i = next(k for k, s in enumerate(kids) if s.id == cur.id)
            if i + 1 < len(kids):  # left operand
                if kids[i + 1].type == "||":
                    return False
                and_left = True
            cur = parent
            continue
        if t == "pipeline":
            if kids[-1].id != cur.id:
                return False
            cur = parent
            continue
        if t == "program":
            stmts = [k for k in kids if k.type not in (";", "&", "\n")]
            if stmts and stmts[-1].id == cur.id:
                # the last statement: its status is the RUN's, unless it is
                # sent to the background
                i = next(k for k, s in enumerate(kids) if s.id == cur.id)
                return not (i + 1 < len(kids) and kids[i + 1].type == "&")
            return errexit_at(script, cur, shell_e) and not and_left
        return False  # loops, conditions, subshells, functions: not analysed


# -- stages and base images ---------------------------------------------------


def descendants(tree: Dockerfile, stage: Stage) -> list[Stage]:
    """Stages built FROM ``stage`` (directly)."""
    return [child.stage for child in SemanticModel.of(tree).stages[stage.index].children]


def non_apk_base(model: SemanticModel, stage: Stage) -> str | None:
    """The base image (as the FROM names it, global ARGs substituted) when
    the model's image table knows it does not use apk (Debian, Ubuntu,
    RHEL-like, distroless...), else None (Alpine-like, scratch or unknown)."""
    info = model.stages[stage.index].root
    image = info.image
    if image.family in (Family.UNKNOWN, Family.SCRATCH) or image.family.apk or image.package_manager == "apk":
        return None
    return info.base.lower() if isinstance(info.base, str) else None


# -- what hadolint would say about apt-get commands -------------------------
# hadolint checks `apt-get` only (not `apt`).  Turning `apt` into `apt-get`
# must not give hadolint a finding the file did not have: these helpers
# mirror its per-RUN checks DL3008, DL3009, DL3014 and DL3015.


def _hl_text(a: Arg) -> str:
    return a.value if a.value is not None else a.text


def _hl_flags(a: Arg) -> list[str]:
    t = _hl_text(a)
    if t in ("-", "--") or not t.startswith("-"):
        return []
    if t.startswith("--"):
        return [t[2:].split("=", 1)[0]]
    return list(t[1:])


def _hl_install_codes(cmd: Command) -> set[str]:
    """hadolint codes an `apt-get install` with these arguments fails."""
    flags = {f for a in cmd.args for f in _hl_flags(a)}
    texts = [_hl_text(a) for a in cmd.args]
    codes = set()
    if not flags & {"y", "yes", "q", "assume-yes"}:
        codes.add("DL3014")
    if "no-install-recommends" not in flags and "APT::Install-Recommends=false" not in texts:
        codes.add("DL3015")
    drop_next = False
    for a in cmd.args:
        fl = _hl_flags(a)
        if fl:
            drop_next = "t" in fl or "target-release" in fl
            continue
        if drop_next:
            drop_next = False
            continue
        t = _hl_text(a)
        if t == "install":
            continue
        if not ("=" in t or "/" in t or t.endswith(".deb")):
            codes.add("DL3008")
    return codes


def _hl_cache_mount_ok(ins: Instruction) -> bool:
    # hadolint reads the flags as written (no variable expansion)
    mounts = (parse_mount(f.value) for f in ins.flags if f.name == "mount" and f.value and "$" not in f.value)
    targets = [
        _norm(m.target) for m in mounts if m.type == "cache" and isinstance(m.target, str) and m.target
    ]
    if any(t.startswith(APT_LISTS) for t in targets):
        return True
    return any(t.startswith("/var/lib/apt") for t in targets) and any(
        t.startswith("/var/cache/apt") for t in targets
    )


def _hl_has_cleanup(script: Script) -> bool:
    return any(
        c.program == "rm" and any(_hl_text(a) in ("-rf", APT_LISTS + "/*") for a in c.args)
        for c in script.commands
    )


def hadolint_apt_get_codes(
    ins: Instruction, script: Script, commands: list[Command], shipped: bool
) -> set[str]:
    """The hadolint rules (DL3008/9/14/15) a RUN fails when ``commands`` are
    its `apt-get` commands."""
    codes: set[str] = set()
    has_update = False
    for cmd in commands:
        if not any(_hl_text(a) == "install" for a in cmd.args):
            if any(_hl_text(a) == "update" for a in cmd.args):
                has_update = True
            continue
        if any(_hl_text(a) == "update" for a in cmd.args):
            has_update = True
        codes |= _hl_install_codes(cmd)
    if has_update and shipped and not _hl_cache_mount_ok(ins) and not _hl_has_cleanup(script):
        codes.add("DL3009")
    return codes


def canonical_edits(edits, src: str) -> list[Edit]:
    """The edits of one fix, sorted."""
    return sorted(edits)
