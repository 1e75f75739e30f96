"""The fix loop: run rules, apply non-overlapping edits, re-parse, repeat.

``fix(text) -> FixResult`` is a pure ``str -> str`` core (plus findings);
the command line and any parallel runner build on it.
"""

from __future__ import annotations

import os
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence

from msgspec import Struct, field

from . import shellcheck
from .context import BuildContext
from .parser import parse
from .rules import Context, Edit, Finding, Rule, Safety, may_find, registry
from .suppress import Suppressions
from .tree import Dockerfile, ParseError

MAX_PASSES = 16


class FixError(Exception):
    """A bug in a rule: its fix broke the file or never converged.  The
    file must be left as it was."""


class AppliedFix(Struct):
    """A fix that was applied.  ``line``/``col`` are in the original source;
    ``start``/``end`` and ``edits`` in the text of the pass that applied it."""

    code: str
    message: str
    safety: Safety
    line: int
    col: int
    start: int  # span in the text of the pass that applied it
    end: int
    edits: tuple[Edit, ...]
    pass_no: int

    @property
    def span(self) -> tuple[int, int]:
        return (self.start, self.end)

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "safety": str(self.safety),
            "line": self.line,
            "col": self.col,
        }


class FixResult(Struct, dict=True):
    source: str
    output: str
    fixes: list[AppliedFix] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    passes: int = 0
    touched: list[tuple[int, int]] = field(default_factory=list)  # ranges of `source`
    empty: bool = False  # the file has no instructions (empty or only comments)
    history: list[list[Edit]] = field(default_factory=list)  # the edits of each pass
    source_tree: Dockerfile | None = None
    #: other files of the build context the fixes change:
    #: path relative to ``context_root`` -> (old text or None if new, new text)
    side_files: dict[str, tuple[str | None, str]] = field(default_factory=dict)
    context_root: str | None = None
    #: ``dockfix: warning:`` lines for the user (ShellCheck could not run)
    warnings: list[str] = field(default_factory=list)
    # (not a field: the back maps of ``history``, built on first use, in
    # ``__dict__``, neither compared nor shown)

    def to_source(self, offset: int, after_pass: int | None = None) -> int:
        """Map an offset of the text after pass ``after_pass`` (default: the
        output) back to an offset of ``source``."""
        upto = len(self.history) if after_pass is None else after_pass
        for back in reversed(self._back_maps()[:upto]):
            offset = back.map(offset, end=False)
        return offset

    def _back_maps(self) -> list[_BackMap]:
        maps: list[_BackMap] = self.__dict__.setdefault("_maps", [])
        if len(maps) > len(self.history) or any(
            m.source is not h for m, h in zip(maps, self.history, strict=False)
        ):
            maps.clear()
        for edits in self.history[len(maps) :]:
            maps.append(_BackMap(edits))
        return maps

    def source_position(self, offset: int, after_pass: int | None = None) -> tuple[int, int]:
        """1-based (line, col) in ``source`` of an offset of a later text."""
        tree = self.source_tree if self.source_tree is not None else parse(self.source)
        return tree.position(self.to_source(offset, after_pass))

    @property
    def changed(self) -> bool:
        return self.output != self.source or bool(self.side_files)

    @property
    def unsafe_available(self) -> int:
        return sum(1 for f in self.findings if f.fix is not None and f.fix.safety is Safety.UNSAFE)


#: rule name -> the options the configuration sets for it
RuleOptions = Mapping[str, Mapping[str, object]]


def run_rules(
    tree: Dockerfile,
    rules: Sequence[Rule],
    path: str = "Dockerfile",
    build_context: BuildContext | None = None,
    rule_options: RuleOptions | None = None,
    suppressions: Suppressions | None = None,
    warnings: list[str] | None = None,
) -> list[Finding]:
    """The findings of ``rules`` on ``tree``; with ``suppressions``, those
    its pragmas silence are left out (and the pragma codes that silenced
    them recorded as used).  ``warnings`` collects what the user must be
    told (ShellCheck could not run: its rules were skipped); without it,
    that goes to stderr."""
    findings: list[Finding] = []
    if suppressions is not None:
        suppressions.ran.update(r.code for r in rules if not r.meta)
    keywords = {ins.keyword.upper() for ins in tree.instructions}
    rules = [r for r in rules if may_find(r, keywords)]  # the others: not even their modules are imported
    if "RUN" in keywords and any(c.startswith("SC") for r in rules for c in r.covers):
        # ShellCheck's rules will ask for it: start it now, on another core,
        # while the rules before them import and run
        from .model import SemanticModel

        shellcheck.start(tree, SemanticModel.of(tree))
    try:
        for rule in rules:
            ctx = Context(tree, path, rule, build_context, (rule_options or {}).get(rule.name), suppressions)
            try:
                findings.extend(list(rule.check(ctx)))
            except shellcheck.Unavailable as e:  # no ShellCheck: its rules are skipped, the run goes on
                if warnings is None:
                    shellcheck.report(e, path)
                elif shellcheck.warning(e, path) not in warnings:
                    warnings.append(shellcheck.warning(e, path))
    finally:
        shellcheck.settle(tree)
    if suppressions is not None:
        findings = suppressions.filter(findings, {r.code: r for r in rules})
    findings.sort(key=lambda f: (f.start, f.code))
    return findings


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply non-overlapping edits (the text is built once, in order)."""
    ordered = sorted(edits, key=lambda e: (e.start, e.end), reverse=True)
    prev_start = len(text) + 1
    for e in ordered:
        if e.end > prev_start or e.end > len(text):
            raise FixError(f"overlapping or out-of-range edit {e}")
        prev_start = e.start
    pieces: list[str] = []
    pos = 0
    for e in reversed(ordered):
        pieces.append(text[pos : e.start])
        pieces.append(e.replacement)
        pos = e.end
    pieces.append(text[pos:])
    return "".join(pieces)


def _overlaps(a: Edit, b: Edit) -> bool:
    """Edits that cannot both apply in one pass: intersecting ranges, two
    insertions at one point (ambiguous order), or an insertion inside or at
    either end of a replaced range (the text it was meant to sit next to
    may be gone: `RUN` removed by a merge, a flag added after it)."""
    if a.start == a.end and b.start == b.end:
        return a.start == b.start
    if max(a.start, b.start) < min(a.end, b.end):
        return True
    return (a.start == a.end and b.start <= a.start <= b.end) or (
        b.start == b.end and a.start <= b.start <= a.end
    )


def _superseded(candidates: list[Finding], by_code: dict[str, Rule], tree: Dockerfile) -> list[Finding]:
    """Drop (for this pass) the fixes another candidate supersedes on the
    same instruction."""
    starts = [ins.start for ins in tree.instructions]

    def owner(offset: int) -> int:
        return bisect_right(starts, offset) - 1

    moot: set[tuple[str, int]] = set()
    for f in candidates:
        for code in getattr(by_code.get(f.code), "supersedes", ()):
            moot.add((code, owner(f.start)))
    if not moot:
        return candidates
    return [f for f in candidates if (f.code, owner(f.start)) not in moot]


class _Taken:
    """The edits chosen so far in a pass, sorted; they overlap each other
    nowhere, so their ends are sorted too and the few that touch a new
    edit's closed range ``[start, end]`` (every edit ``_overlaps`` can
    reject does) are found by bisection."""

    def __init__(self) -> None:
        self.keys: list[tuple[int, int]] = []  # (start, end), sorted
        self.ends: list[int] = []  # the same edits' ends (sorted as well)
        self.edits: list[Edit] = []

    def clashes(self, e: Edit) -> bool:
        k = bisect_left(self.ends, e.start)
        while k < len(self.edits) and self.keys[k][0] <= e.end:
            if _overlaps(e, self.edits[k]):
                return True
            k += 1
        return False

    def add(self, e: Edit) -> None:
        k = bisect_right(self.keys, (e.start, e.end))
        self.keys.insert(k, (e.start, e.end))
        self.ends.insert(k, e.end)
        self.edits.insert(k, e)


def _choose(candidates: list[Finding]) -> list[Finding]:
    """Pick fixes whose edits overlap no edit already chosen; the rest wait
    for the next pass."""
    chosen: list[Finding] = []
    taken = _Taken()
    taken_files: set[str] = set()
    for f in candidates:
        assert f.fix is not None
        edits = f.fix.edits
        if any(taken.clashes(e) for e in edits):
            continue
        if any(s.path in taken_files for s in f.fix.side):
            continue
        chosen.append(f)
        for e in edits:
            taken.add(e)
        taken_files.update(s.path for s in f.fix.side)
    return chosen


class _BackMap:
    """Maps offsets of the text after one pass's edits to the text before
    them, by bisection (the edits are sorted once)."""

    def __init__(self, edits: list[Edit]):
        self.source = edits
        self.edits = sorted(edits)
        self.new_starts: list[int] = []
        self.new_ends: list[int] = []
        self.shifts: list[int] = []  # the shift before each edit
        shift = 0
        for e in self.edits:
            self.new_starts.append(e.start + shift)
            self.new_ends.append(e.start + shift + len(e.replacement))
            self.shifts.append(shift)
            shift += len(e.replacement) - (e.end - e.start)
        self.shift = shift

    def map(self, offset: int, end: bool) -> int:
        # the first edit the offset lies before (for an end: strictly)
        k = (bisect_right if end else bisect_left)(self.new_starts, offset)
        # an edit before it whose new text holds the offset
        j = bisect_left(self.new_ends, offset, 0, k)
        if j < k:
            e = self.edits[j]
            return e.end if end else e.start
        return offset - (self.shifts[k] if k < len(self.edits) else self.shift)


def _map_back(offset: int, edits: list[Edit], end: bool) -> int:
    """Map an offset of the text after ``edits`` to the text before them."""
    return _BackMap(edits).map(offset, end)


def fix(
    text: str,
    path: str = "Dockerfile",
    select: Iterable[str] | None = None,
    unsafe: bool = False,
    ignore: Iterable[str] | None = None,
    extend_select: Iterable[str] | None = None,
    rules: Sequence[Rule] | None = None,
    apply: bool = True,
    context: str | None = None,
    proposed: dict[str, str] | None = None,
    side_files: bool = True,
    rule_options: RuleOptions | None = None,
) -> FixResult:
    """Fix ``text``.  Raises ParseError for invalid input and FixError when a
    rule misbehaves (the caller keeps the original text then).  With
    ``side_files=False``, fixes that change other files of the build context
    are not applied (they stay findings).  ``rule_options``: rule name ->
    its options (``ctx.options``).

    Findings a pragma comment suppresses (see :mod:`dockfix.suppress`) are
    neither reported nor fixed.  Meta rules (unused suppressions) run once
    the other rules have no fix left to apply, so a pragma counts as used
    when it silences a finding of the fixed file."""
    if rules is None:
        rules = registry().select(select, ignore, extend_select)
    meta = [r for r in rules if r.meta]
    rules = [r for r in rules if not r.meta]
    build_context, overlay = _build_context(path, context, proposed)
    allowed = {Safety.SAFE, Safety.UNSAFE} if unsafe else {Safety.SAFE}
    by_code = {r.code: r for r in [*rules, *meta]}
    current = text
    tree = parse(text)
    result = FixResult(source=text, output=text, empty=not tree.instructions, source_tree=tree)
    result.context_root = str(build_context.root) if build_context is not None else None
    for pass_no in range(1, MAX_PASSES + 2):
        supp = Suppressions(tree)
        findings = run_rules(tree, rules, path, build_context, rule_options, supp, result.warnings)
        candidates = _fixable(findings, allowed, side_files)
        if meta and (not candidates or not apply):
            findings += run_rules(tree, meta, path, build_context, rule_options, supp, result.warnings)
            findings.sort(key=lambda f: (f.start, f.code))
            candidates = _fixable(findings, allowed, side_files)
        if not apply or not candidates:
            result.findings = findings
            break
        if pass_no > MAX_PASSES:
            raise FixError(f"fixes did not converge after {MAX_PASSES} passes (rules: {_codes(candidates)})")
        chosen = _choose(_superseded(candidates, by_code, tree))
        edits = [e for f in chosen if f.fix is not None for e in f.fix.edits]
        new_text = apply_edits(current, edits)
        replaced, tree = tree, _checked_tree(new_text, current, tree, chosen, by_code)
        if replaced is not tree:
            # the tree and its model refer to each other: drop the model and
            # the shell parses now rather than at the next cycle collection
            replaced.memo.clear()
        build_context = _apply_side_edits(result, chosen, build_context, overlay, path)
        _record_pass(result, chosen, edits, pass_no)
        current = new_text
    result.output = current
    result.touched.sort()
    result.side_files = {k: v for k, v in result.side_files.items() if v[0] != v[1]}
    return result


def _fixable(findings: list[Finding], allowed: set[Safety], side_files: bool) -> list[Finding]:
    return [
        f
        for f in findings
        if f.fix is not None and f.fix.safety in allowed and (side_files or not f.fix.side)
    ]


def _build_context(
    path: str, context: str | None, proposed: dict[str, str] | None
) -> tuple[BuildContext | None, dict[str, str]]:
    """The build context -- ``context`` if given, else the Dockerfile's
    folder when the Dockerfile is a file on disk -- and its overlay: the
    context files earlier fixes of this run propose but did not write
    (``--diff`` of several Dockerfiles sharing a context), path relative to
    the context -> text."""
    if context is None and os.path.isfile(path):
        context = os.path.dirname(os.path.abspath(path))
    build_context = BuildContext(context, path) if context is not None else None
    overlay: dict[str, str] = {}
    if build_context is not None and proposed:
        for abs_path, text in proposed.items():
            rel = os.path.relpath(abs_path, build_context.root)
            if not rel.startswith(".."):
                overlay[rel.replace(os.sep, "/")] = text
        build_context = BuildContext(build_context.root, path, overlay)
    return build_context, overlay


def _codes(findings: Iterable[Finding]) -> str:
    return ", ".join(sorted({f.code for f in findings}))


def _checked_tree(
    new_text: str, current: str, tree: Dockerfile, chosen: list[Finding], by_code: dict[str, Rule]
) -> Dockerfile:
    """The tree of ``new_text``, the text after the ``chosen`` fixes of a
    pass; FixError when they broke the file, changed its stages without
    saying so, or changed nothing at all."""
    try:
        new_tree = parse(new_text)
    except ParseError as e:
        raise FixError(
            f"fix by {_codes(chosen)} produced an invalid Dockerfile ({e}); file left unchanged"
        ) from None
    if len(new_tree.stages) != len(tree.stages) and not any(by_code[f.code].changes_stages for f in chosen):
        raise FixError(f"fix by {_codes(chosen)} changed the stages; file left unchanged")
    if new_text == current and not any(f.fix is not None and f.fix.side for f in chosen):
        raise FixError(f"fix by {_codes(chosen)} reported a change but changed nothing")
    return new_tree


def _apply_side_edits(
    result: FixResult,
    chosen: list[Finding],
    build_context: BuildContext | None,
    overlay: dict[str, str],
    path: str,
) -> BuildContext | None:
    """Record the edits the ``chosen`` fixes make to other files of the
    build context (in ``result.side_files`` and the ``overlay`` the next
    passes read them from); the build context of the next pass."""
    side = [e for f in chosen if f.fix is not None for e in f.fix.side]
    if not side:
        return build_context
    if build_context is None:
        raise FixError(f"fix by {_codes(chosen)} edits build-context files but there is no build context")
    for side_edit in side:
        rel = side_edit.path
        old = result.side_files[rel][0] if rel in result.side_files else build_context.read_text(rel)
        result.side_files[rel] = (old, side_edit.text)
        overlay[rel] = side_edit.text
    return BuildContext(build_context.root, path, overlay)


def _record_pass(result: FixResult, chosen: list[Finding], edits: list[Edit], pass_no: int) -> None:
    """Add pass ``pass_no`` to ``result``: its fixes (positioned in the
    source), the ranges of the source its edits touched, and its edits."""
    for f in chosen:
        assert f.fix is not None
        line, col = result.source_position(f.start, after_pass=pass_no - 1)
        result.fixes.append(
            AppliedFix(f.code, f.message, f.fix.safety, line, col, f.start, f.end, f.fix.edits, pass_no)
        )
    older_maps = result._back_maps()[::-1]
    for edit in edits:
        a, b = edit.start, edit.end
        for back in older_maps:
            a, b = back.map(a, end=False), back.map(b, end=True)
        result.touched.append((a, b))
    result.history.append(edits)
    result.passes = pass_no
