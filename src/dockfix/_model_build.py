"""How the semantic model (:mod:`dockfix.model`) is built: one walk over the
file that computes the global ARGs, the stages and the chains they form, and
for each stage the timelines of ENV, ARG, USER, WORKDIR and SHELL (and, on
first use, of the users and groups its RUNs create).  The model answers
queries from these timelines; this module only fills them."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Final

from . import lexing
from ._model_values import Shell, StageInfo, Value, Variable, Workdir, _Timeline
from .images import HOLE, SCRATCH, UNKNOWN, ImageRef, Unknown, image_info, parse_ref
from .shell import script_of
from .users import Created, created_by

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
    """The users and groups the RUNs of one stage create (parsed once)."""
    if st._created is None:
        index: dict[tuple[str, str], _Timeline[Created]] = {}
        for pos, ins in enumerate(st.stage.instructions):
            if ins.keyword != "RUN":
                continue
            script = script_of(ins)
            if script is None:
                continue
            for cmd in script.commands:
                for c in created_by(cmd):
                    index.setdefault((c.kind, c.name), _Timeline()).add(pos, c)
        st._created = index
    return st._created


def _arg_pairs(ins: Instruction) -> Iterator[tuple[str, str | None]]:
    """(name, raw default or None) of each ``ARG`` word."""
    for w in ins.args:
        name, eq, raw = w.value.partition("=")
        yield name, (raw if eq else None)


def _clean(path: str) -> str:
    """Go's path.Clean for an absolute path."""
    p = posixpath.normpath(path)
    return "/" + p.lstrip("/") if p.startswith("//") else p
