"""How the semantic model (:mod:`dockfix.model`) is built: one walk over the
file that computes the global ARGs, the stages and the chains they form, and
for each stage the timelines of ENV, ARG, USER, WORKDIR and SHELL (and, on
first use, of the users and groups its RUNs create).  The model answers
queries from these timelines; this module only fills them (and, on first
use, the facts of the whole file: the stages that may be run as an image,
the users RUNs create and add to groups)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Final

from msgspec.structs import replace

from . import lexing
from ._model_values import Shell, StageInfo, Value, Variable, Workdir, _Timeline
from .images import HOLE, SCRATCH, UNKNOWN, ImageRef, Unknown, image_info, parse_ref
from .shell import script_of
from .users import ACCOUNT_TOOLS, Created, created_by, members, num

if TYPE_CHECKING:
    from .model import SemanticModel
    from .tree import Instruction, Stage

#: ARGs BuildKit does not put in the build environment
_NON_ENV_ARGS: Final = frozenset({"BUILDKIT_SBOM_SCAN_CONTEXT", "BUILDKIT_SBOM_SCAN_STAGE"})
_WINDOWS_ABS = re.compile(r"^([A-Za-z]:|\\\\|\\)")


def build_model(model: SemanticModel) -> None:
    """Fill ``model`` (its global ARGs, stages, positions and timelines) in
    one pass over its file."""
    for ins in model.tree.preamble:
        if ins.keyword != "ARG":
            continue
        for name, raw in _arg_pairs(ins):
            value = _arg_value(model, name, raw, model._global, {})
            if value is not None:
                model.global_args[name] = value
    by_name: dict[str, StageInfo] = {}
    for st in model.tree.stages:
        info = _stage_info(model, st, by_name)
        if info.name:
            by_name[info.name] = info
        model.stages.append(info)
        model._where[id(st.from_)] = (info, -1)
        for pos, ins in enumerate(st.instructions):
            model._where[id(ins)] = (info, pos)
            if ins.inner is not None:
                model._where[id(ins.inner)] = (info, len(st.instructions))
            _step(model, info, pos, ins)
    if model.stages:
        model.stages[-1].is_final = True


def _stage_info(model: SemanticModel, st: Stage, by_name: dict[str, StageInfo]) -> StageInfo:
    """A stage's place: the stage it builds on (by name, after the global
    ARGs) or the image, and whether it is a Windows one."""
    raw_base = st.base.value if st.base is not None else ""
    base = model._expand(raw_base, model._global) if raw_base else UNKNOWN
    if base == "":
        base = UNKNOWN  # BuildKit: "base name should not be blank"
    info = StageInfo(st.index, st, st.name.lower() if st.name else None, base)
    parent = by_name.get(base.lower()) if isinstance(base, str) else None
    if parent is not None:
        info.parent = parent
        parent.children.append(info)
        info.ref, info.image, info.windows = parent.ref, parent.image, parent.windows
    else:
        info.ref = _ref(model, raw_base)
        info.image = SCRATCH if info.ref is not None and info.ref.scratch else image_info(info.ref)
        platform = st.from_.flag("platform")
        info.windows = (
            info.image.windows
            or model.tree.escape == "`"
            or (platform is not None and (platform.value or "").lower().startswith("windows"))
        )
    return info


def _arg_value(
    model: SemanticModel,
    name: str,
    raw: str | None,
    lookup: Callable[[str], str | None | Unknown],
    scope: dict[str, Value],
) -> str | None | Unknown:
    """The value an ARG gets (None: it stays unset).  ``scope``: the
    global ARGs when it is declared in a stage (``ARG NAME`` takes the
    global value), else empty."""
    if model.build_args is not None:  # one concrete build, as BuildKit
        if name in model.build_args:
            return model.build_args[name]
        if raw is not None:
            return model._expand(raw, lookup)
        return scope.get(name)
    if not model.assume_defaults:
        return UNKNOWN
    if raw is None:
        return scope.get(name, UNKNOWN)
    return model._expand(raw, lookup)


def _ref(model: SemanticModel, raw: str) -> ImageRef:
    """The image reference of a FROM, variables the global ARGs cannot
    tell left as holes."""

    def holes(name: str) -> str | None | Unknown:
        v = model.global_args.get(name)
        return HOLE if isinstance(v, Unknown) else v

    try:
        text = lexing.expand_word(raw, holes, model.escape)
    except lexing.ShellError:
        text = None
    return parse_ref(text or HOLE)


def _step(model: SemanticModel, st: StageInfo, pos: int, ins: Instruction) -> None:
    """Record what ``ins`` changes (it runs at position ``pos``)."""
    kw = ins.keyword
    before = model.at(ins)
    if kw == "ENV":
        values = [(k.value, model._expand(v.value, before.env)) for k, v in ins.pairs()]
        for key, value in values:
            var = Variable(key, value, "env", ins)
            st._vars.setdefault(key, _Timeline()).add(pos, var)
            st._image_vars.setdefault(key, _Timeline()).add(pos, var)
            model._defined.add(key)
    elif kw == "ARG":
        for name, raw in _arg_pairs(ins):
            if name in _NON_ENV_ARGS:
                continue
            now = model.after(ins)  # sees the pairs before it
            got = _arg_value(model, name, raw, now.env, model.global_args)
            prev = now.variable(name)
            if got is not None and prev is not None and prev.kind == "env" and prev.value != got:
                # An ARG after an ENV of the same name: Docker's docs say the
                # ENV wins, BuildKit's dispatcher lets the later ARG win
                # (docker/cli#3344; kaniko followed BuildKit).  Builders
                # disagree, so a fix must not rely on either: unknown.
                got = UNKNOWN
            if got is not None:
                st._vars.setdefault(name, _Timeline()).add(pos, Variable(name, got, "arg", ins))
                model._defined.add(name)
    elif kw == "USER" and ins.args:
        st._user.add(pos, (model._expand(ins.args[0].value, before.env), ins))
    elif kw == "WORKDIR" and ins.args:
        st._workdir.add(pos, _next_workdir(before.workdir, model._expand(ins.args[0].value, before.env), st))
    elif kw == "SHELL":
        argv: tuple[str, ...] | Unknown = tuple(a.value for a in ins.args) if ins.json else UNKNOWN
        st._shell.add(pos, Shell(argv, False, ins))


def _next_workdir(cur: Workdir, value: Value, st: StageInfo) -> Workdir:
    """BuildKit's dispatchWorkdir: an absolute path replaces, a relative
    one is joined to the current directory; the result is cleaned."""
    if isinstance(value, Unknown) or st.windows or _WINDOWS_ABS.match(value):
        return Workdir(UNKNOWN, True)
    if value.startswith("/"):
        return Workdir(_clean(value), True)
    if isinstance(cur.path, str):
        return Workdir(_clean("/" + cur.path + "/" + value), True, from_image=cur.from_image)
    if cur.under_image is None:
        return Workdir(UNKNOWN, True)
    rel = posixpath.normpath(posixpath.join(cur.under_image, value))
    return Workdir(UNKNOWN, True, None if rel == ".." or rel.startswith("../") else rel)


def created_index(st: StageInfo) -> dict[tuple[str, str], _Timeline[Created]]:
    """The users and groups the RUNs of one stage create (parsed once), by
    (kind, name); also kept in order in ``st._created_order``."""
    if st._created is None:
        index: dict[tuple[str, str], _Timeline[Created]] = {}
        order: list[Created] = []
        for pos, ins in enumerate(st.stage.instructions):
            if ins.keyword != "RUN":
                continue
            script = script_of(ins)
            if script is None:
                continue
            for cmd in script.commands:
                for c in created_by(cmd):
                    index.setdefault((c.kind, c.name), _Timeline()).add(pos, c)
                    order.append(replace(c, ins=ins))
        st._created = index
        st._created_order = order
    return st._created


def created_in_chain(stage: StageInfo, kind: str) -> list[Created]:
    """The users (``kind="user"``) or groups the RUNs of the chain of
    ``stage`` create, in order, with ``gid`` set: a group's own id, a
    user's primary group's (a number, or a group created before it)."""
    gids: dict[str, int | Unknown] = {}
    out: list[Created] = []
    for st in stage.chain:
        created_index(st)
        for c in st._created_order:
            if c.kind == "group":
                gids[c.name] = c.id
                got = replace(c, gid=c.id)
            else:
                gid: int | Unknown = UNKNOWN
                if isinstance(c.group, str):
                    gid = num(c.group)
                    if isinstance(gid, Unknown):
                        gid = gids.get(c.group, UNKNOWN)
                got = replace(c, gid=gid)
            if got.kind == kind:
                out.append(got)
    return out


def file_accounts(model: SemanticModel) -> tuple[frozenset[str], frozenset[str]]:
    """(the users the RUNs of the file create, the users they add to a
    group other than their own — with ``*`` when a RUN that may do so
    cannot be read): one pass over every RUN of the file."""
    made: set[str] = set()
    added: set[str] = set()
    for st in model.stages:
        for ins in st.stage.instructions:
            if ins.keyword != "RUN":
                continue
            script = script_of(ins)
            if script is None:
                if ACCOUNT_TOOLS.search(str(ins)):
                    added.add("*")
                continue
            for cmd in script.commands:
                made.update(c.name for c in created_by(cmd) if c.kind == "user")
                added.update(members(cmd))
    return frozenset(made), frozenset(added)


def output_stages(model: SemanticModel) -> tuple[StageInfo, ...]:
    """The stages that may be built as an image: the final stage, and every
    stage no other stage uses (``FROM``, ``COPY --from``, ``RUN
    --mount=from=``) — such a stage is only built as a ``--target``."""
    by_name: dict[str, StageInfo] = {}
    for st in model.stages:
        if st.name:
            by_name.setdefault(st.name, st)
    used: set[int] = set()

    def use(ref: Value | None) -> None:
        if not isinstance(ref, str):
            return
        st = by_name.get(ref.lower())
        if st is None and ref.isdigit() and int(ref) < len(model.stages):
            st = model.stages[int(ref)]
        if st is not None:
            used.add(st.index)

    for st in model.stages:
        if st.parent is not None:
            used.add(st.parent.index)
        for ins in st.stage.instructions:
            if ins.keyword in ("COPY", "ADD"):
                flag = ins.flag("from")
                if flag is not None and flag.value is not None:
                    use(model.at(ins).expand(flag.value))
            elif ins.keyword == "RUN":
                for m in model.mounts(ins):
                    use(m.from_)
    return tuple(st for st in model.stages if st.index not in used or st.is_final)


def _arg_pairs(ins: Instruction) -> Iterator[tuple[str, str | None]]:
    """(name, raw default or None) of each ``ARG`` word."""
    for w in ins.args:
        name, eq, raw = w.value.partition("=")
        yield name, (raw if eq else None)


def _clean(path: str) -> str:
    """Go's path.Clean for an absolute path."""
    p = posixpath.normpath(path)
    return "/" + p.lstrip("/") if p.startswith("//") else p
