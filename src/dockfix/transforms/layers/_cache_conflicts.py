"""Does an instruction other than the RUN need what a cache mount would keep
out of the image?  (Part of :class:`._cache.CacheMountRule`.)

A cache mount hides the cache directory's content from the layer.  That is
wrong when files put there before the RUN would be hidden (a COPY into it),
when a later RUN reads the cache offline, when ``CMD``/``ENTRYPOINT`` runs
the tool (it would download at run time), or when another stage copies or
mounts the directory from this stage (``COPY --from``, ``--mount=…,from=``).

Each question is an "any" over instructions: worked out once per
instruction (and stage) for the whole file and these targets, not once per
RUN asking, so that a file of many RUNs does not cost its square.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from msgspec import Struct

from ...images import Unknown
from ...model import SemanticModel, StageInfo
from ...tools._dirs import norm
from ...tree import Instruction
from . import _cache

if TYPE_CHECKING:
    from ._cache import Run
    from ._cache_rule import CacheMountRule


class _Ref(Struct, frozen=True):
    """A reference to a stage: a ``--from=`` flag (``source`` None: every
    source path of the instruction counts) or a ``--mount=…,from=`` (its
    source path, UNKNOWN when a variable hides it)."""

    ins: Instruction
    source: str | Unknown | None


def conflicts(rule: CacheMountRule, run: Run, targets: list[str]) -> bool:
    """Does a later instruction depend on the cache directory's content
    being in the image (or an earlier one put content there that this RUN
    reads)?"""
    tree = run.tree
    model = run.facts.model
    st = run.facts.stage
    key = ("_cache.conflicts", rule.code, tuple(targets))
    memo = tree.memo.get(key)
    if not isinstance(memo, _ConflictMemo):
        memo = _ConflictMemo(model)
        tree.memo[key] = memo
    # files put into the cache directory before this RUN are hidden by the mount
    if run.chain.any(key, lambda ins: _earlier_conflict(run, ins, targets)):
        return True

    def later(ins: Instruction) -> bool:
        return _later_conflict(rule, run, ins, targets)

    # later instructions of this stage, then the stages built on it
    pos = memo.position(st, run.ins)
    if pos is not None and memo.suffix(st, later, pos + 1):
        return True
    # COPY --from / RUN --mount from= of this stage or a stage built on it
    return memo.family_any(
        st,
        lambda s: memo.suffix(s, later, 0),
        lambda s: _refers(rule.store, memo.refs(s), targets),
    )


def _earlier_conflict(run: Run, ins: Instruction, targets: list[str]) -> bool:
    if ins.keyword not in ("COPY", "ADD") or len(ins.args) < 2:
        return False
    val = run.facts.model.at(ins).expand(ins.args[-1].value)
    dest = norm(val) if isinstance(val, str) else None
    if dest is None:
        return False
    for t in targets:
        rel = _cache.relation(dest, t)
        if rel in ("equal", "inside"):
            return True
        if rel == "ancestor" and _copy_reaches(run, ins, dest, t):
            return True
    return False


def _later_conflict(rule: CacheMountRule, run: Run, ins: Instruction, targets: list[str]) -> bool:
    kw = ins.keyword
    if kw == "RUN":
        other = _cache.make_run(run.ctx, ins)
        if other is None:
            if ins.json and rule.exec_reads_offline(ins):
                return True
            return any(t in str(ins) for t in targets)
        if rule.reads_offline(other):
            return True
        for cmd in other.script.commands:
            if cmd.program == "rm":
                continue
            if any(_cache.arg_mentions(other, cmd, a, targets) for a in cmd.args):
                return True
    elif kw in ("CMD", "ENTRYPOINT", "HEALTHCHECK"):
        words = [posixpath.basename(w.value) for w in ins.args]
        text = str(ins)
        if any(w in rule.runtime_tools for w in words):
            return True
        if any(re.search(rf"(^|[\s/\"']){re.escape(t)}([\s\"']|$)", text) for t in rule.runtime_tools):
            return True
        if any(t in text for t in targets):
            return True
    return False


def _reads(store: bool, path: str | None, targets: list[str]) -> bool:
    """Does reading ``path`` from the stage read a cache target?  (A store
    is also read through a parent folder.)"""
    if path is None:
        return True
    for t in targets:
        rel = _cache.relation(path, t)
        if rel in ("equal", "inside") or (rel == "ancestor" and store and path != "/"):
            return True
    return False


def _refers(store: bool, refs: list[_Ref], targets: list[str]) -> bool:
    """Does one of these references to the stage read the cache directory?"""
    for ref in refs:
        if ref.source is None:
            sources = [norm(src.value) for src in ref.ins.args[:-1]]
            if any(p is not None and _reads(store, p, targets) for p in sources):
                return True
        elif _reads(store, norm(ref.source) if isinstance(ref.source, str) else None, targets):
            return True
    return False


def _copy_reaches(run: Run, ins: Instruction, dest: str, target: str) -> bool:
    """Can a COPY into a parent of the cache directory put files into
    it?  From another stage or image: assume it can.  From the build
    context: only if the context holds that sub-directory."""
    if ins.flag("from") is not None:
        return True
    bc = run.ctx.build_context
    if bc is None:
        return False
    sub = target[len(dest) :].lstrip("/")
    for src in ins.args[:-1]:
        v = src.value.rstrip("/")
        if v in ("", "."):
            base = ""
        elif bc.exists(v) and not bc.is_file(v):
            base = v + "/"
        else:
            continue
        if bc.exists(base + sub):
            return True
    return False


class _ConflictMemo:
    """What :func:`conflicts` works out once per tree, rule and cache
    targets: "any" over the instructions of a stage from an index on, over
    the stages built on a stage, and the ``from=`` references to each
    stage."""

    def __init__(self, model: SemanticModel):
        self.model = model
        self._suffix: dict[int, list[bool]] = {}  # stage -> any from index k on (computed from the end)
        self._positions: dict[int, dict[int, int]] = {}
        self._family: dict[int, bool] = {}
        self._refs: dict[str, list[_Ref]] | None = None

    def position(self, st: StageInfo, ins: Instruction) -> int | None:
        pos = self._positions.get(st.index)
        if pos is None:
            pos = self._positions[st.index] = {id(i): k for k, i in enumerate(st.stage.instructions)}
        return pos.get(id(ins))

    def suffix(self, st: StageInfo, pred: Callable[[Instruction], bool], k: int) -> bool:
        """Does ``pred`` hold for one of the stage's instructions from ``k`` on?"""
        ins = st.stage.instructions
        done = self._suffix.setdefault(st.index, [False])  # done[j]: any of the last j
        while len(done) <= len(ins) - k:
            j = len(done)
            done.append(done[-1] or bool(pred(ins[len(ins) - j])))
        return done[max(len(ins) - k, 0)]

    def refs(self, st: StageInfo) -> list[_Ref]:
        """The ``--from=`` flags and ``--mount=…,from=`` naming the stage."""
        if self._refs is None:
            self._refs = {}
            for ins in self.model.tree.instructions:
                for flag in ins.flags:
                    if flag.name == "from" and flag.value is not None:
                        self._refs.setdefault(flag.value.lower(), []).append(_Ref(ins, None))
                if ins.keyword == "RUN" and self.model.stage_of(ins) is not None:
                    for m in self.model.mounts(ins):
                        if isinstance(m.from_, str):
                            source = "/" if m.source is None else m.source
                            self._refs.setdefault(m.from_.lower(), []).append(_Ref(ins, source))
        names = {str(st.index)}
        if st.name:
            names.add(st.name)
        return [r for n in sorted(names) for r in self._refs.get(n, [])]

    def family_any(
        self, st: StageInfo, own_later: Callable[[StageInfo], bool], own_refs: Callable[[StageInfo], bool]
    ) -> bool:
        """``own_refs`` of the stage, or ``own_later``/``own_refs`` of a stage
        built on it (directly or not)."""
        if own_refs(st):
            return True
        if st.index in self._family:
            return self._family[st.index]
        # the stages below ``st`` not worked out yet, parents before children
        order, stack = [], [st]
        while stack:
            s = stack.pop()
            order.append(s)
            stack.extend(c for c in s.children if c.index not in self._family)
        for s in reversed(order):
            self._family[s.index] = any(
                self._family[c.index] or own_later(c) or own_refs(c) for c in s.children
            )
        return self._family[st.index]
