"""Inline suppression: the pragma comments that silence findings.

- ``# dockfix: ignore=DF103,DF104`` in the comment block attached to an
  instruction (the comment lines right before it, no blank line between)
  suppresses those codes (or prefixes) for that instruction;
- ``# dockfix: global ignore=DF5`` anywhere (as a comment line) for the file;
- ``# hadolint ignore=DL3042`` and ``# hadolint global ignore=…`` suppress
  the dockfix rules whose ``covers`` include DL3042;
- BuildKit's ``# check=skip=JSONArgsRecommended`` parser directive (or
  ``skip=all``) suppresses the rules covering those build checks.

:class:`Suppressions` is parsed once per tree; the engine asks
``suppresses(finding, rule)`` for each finding (which records the pragma
code as used), and the meta rule DF900 reports the codes no finding used.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping
from typing import TYPE_CHECKING

from msgspec import Struct, field

from .tree import Instruction, Trivia

if TYPE_CHECKING:
    from .rules import Finding, Rule
    from .tree import Dockerfile

_CODES = r"([A-Za-z0-9_]+(?:[ \t]*,[ \t]*[A-Za-z0-9_]+)*)"
_DOCKFIX = re.compile(
    r"[ \t]*#[ \t]*dockfix[ \t]*:[ \t]*(global[ \t]+)?ignore[ \t]*=[ \t]*" + _CODES + r"[ \t]*"
)
_HADOLINT = re.compile(r"[ \t]*#[ \t]*hadolint[ \t]+(global[ \t]+)?ignore[ \t]*=[ \t]*" + _CODES, re.I)


class Pragma(Struct):
    """One suppression comment.  ``kind``: ``dockfix``, ``hadolint`` or
    ``check``; ``target``: the instruction it applies to (None: the whole
    file when ``scope`` is ``global``, nothing when a line pragma is attached
    to no instruction).  ``start``/``end`` span the comment line (its line
    break included); ``codes_start``/``codes_end`` the code list."""

    kind: str
    scope: str
    codes: list[str]
    start: int
    end: int
    codes_start: int
    codes_end: int
    target: Instruction | None = None
    used: set[str] = field(default_factory=set)
    index: int = -1  # its position in the tree's children (-1: the check directive)

    def matches(self, code: str, finding_code: str, covers: tuple[str, ...]) -> bool:
        if self.kind == "dockfix":
            return code == "ALL" or finding_code.startswith(code)
        if self.kind == "hadolint":
            return code in {c.upper() for c in covers}
        # BuildKit check names: compared as BuildKit does (case-insensitively)
        checks = {c.lower() for c in covers if not re.match(r"^(DL|SC)\d+$", c)}
        return bool(checks) if code.lower() == "all" else code.lower() in checks


def _split(codes: str) -> list[str]:
    return [c.strip() for c in codes.split(",") if c.strip()]


class Suppressions:
    """The pragmas of one tree."""

    def __init__(self, tree: Dockerfile):
        self.tree = tree
        self.pragmas: list[Pragma] = []
        #: the codes of the rules that ran (only their pragma codes can be
        #: judged unused)
        self.ran: set[str] = set()
        self._by_target: dict[int, list[Pragma]] = {}  # id(instruction) -> its line pragmas
        self._global: list[Pragma] = []
        self._starts = [ins.start for ins in tree.instructions]
        children = tree.children
        for k, node in enumerate(children):
            if not isinstance(node, Trivia) or node.kind != "comment":
                continue
            text = str(node)
            body = text.rstrip("\r\n")
            m = _DOCKFIX.fullmatch(body)
            kind = "dockfix"
            if m is None:
                m = _HADOLINT.match(body)
                kind = "hadolint"
            if m is None:
                continue
            codes = _split(m.group(2))
            scope = "global" if m.group(1) else "line"
            pragma = Pragma(
                kind, scope, [c.upper() for c in codes], node.start, node.end,
                node.start + m.start(2), node.start + m.end(2),
            )  # fmt: skip
            pragma.index = k
            if scope == "line":
                pragma.target = _attached_to(children, k)
                if pragma.target is not None:
                    self._by_target.setdefault(id(pragma.target), []).append(pragma)
            else:
                self._global.append(pragma)
            self.pragmas.append(pragma)
        check = tree.directive("check")
        if check is not None:
            for part in check.value.split(";"):
                key, eq, value = part.partition("=")
                if eq and key.strip().lower() == "skip":
                    # the directive's own text: positions are for reports only
                    pragma = Pragma(
                        "check", "global", _split(value), check.start, check.end, check.start, check.end
                    )
                    self._global.append(pragma)
                    self.pragmas.append(pragma)

    def instruction_at(self, offset: int) -> Instruction | None:
        k = bisect_right(self._starts, offset) - 1
        if k < 0:
            return None
        ins = self.tree.instructions[k]
        return ins if offset < ins.end else None

    def suppresses(self, finding: Finding, rule: Rule | None) -> bool:
        """Whether a pragma silences ``finding`` (each matching pragma code
        is recorded as used)."""
        if not self.pragmas:
            return False
        covers = rule.covers if rule is not None else ()
        ins = self.instruction_at(finding.start)
        hit = False
        mine = self._by_target.get(id(ins), []) if ins is not None else []
        for p in [*mine, *self._global]:
            for code in p.codes:
                if p.matches(code, finding.code, covers):
                    p.used.add(code)
                    hit = True
        return hit

    def filter(self, findings: list[Finding], by_code: Mapping[str, Rule]) -> list[Finding]:
        return [f for f in findings if not self.suppresses(f, by_code.get(f.code))]


def _attached_to(children: list, k: int) -> Instruction | None:
    """The instruction right after the comment block holding child ``k``."""
    for node in children[k + 1 :]:
        if isinstance(node, Instruction):
            return node
        if not (isinstance(node, Trivia) and node.kind == "comment"):
            return None
    return None
