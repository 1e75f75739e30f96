"""What a rule is: findings, fixes as text edits, safety, and the registry.

A rule is a class in a module ``dockfix.transforms.<family>.<rule name>``.  It declares its
code, name, summary, safety and the hadolint / Docker build checks it
covers; its docstring has the sections *What it does*, *Why*, *Example* and
*Fix safety*; ``check(ctx)`` yields findings.  The registry finds every rule
by importing the modules of that package.
"""

from __future__ import annotations

import enum
import importlib
import pkgutil
import re
from collections.abc import Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from types import MappingProxyType
from typing import TYPE_CHECKING, ClassVar

from msgspec import Struct, field

if TYPE_CHECKING:
    from .context import BuildContext
    from .frontend import Frontend
    from .model import Facts, SemanticModel
    from .shellcheck import Comment as ShellCheckComment
    from .suppress import Suppressions
    from .tree import Dockerfile, Instruction, Node


class Safety(str, enum.Enum):
    SAFE = "safe"
    UNSAFE = "unsafe"
    REPORT_ONLY = "report-only"

    def __str__(self) -> str:
        return self.value


class Edit(Struct, frozen=True, order=True):
    """Replace ``text[start:end]`` with ``replacement``."""

    start: int
    end: int
    replacement: str = ""

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"bad edit range {self.start}:{self.end}")


class SideEdit(Struct, frozen=True):
    """Give another file of the build context (``path``, relative to the
    context root, ``/``-separated) the content ``text`` — e.g. a generated
    ``.dockerignore``."""

    path: str
    text: str


class Fix(Struct, frozen=True):
    edits: tuple[Edit, ...]
    safety: Safety = Safety.SAFE
    side: tuple[SideEdit, ...] = ()

    @property
    def start(self) -> int:
        return min((e.start for e in self.edits), default=0)

    @property
    def end(self) -> int:
        return max((e.end for e in self.edits), default=0)


class Finding(Struct):
    code: str
    message: str
    start: int
    end: int
    line: int
    col: int
    fix: Fix | None = None

    @property
    def safety(self) -> Safety:
        return self.fix.safety if self.fix else Safety.REPORT_ONLY

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "message": self.message,
            "line": self.line,
            "col": self.col,
            "safety": str(self.safety),
            "fixable": self.fix is not None,
        }


class Context:
    """What a rule sees: the tree, the file's path, and helpers."""

    def __init__(
        self,
        tree: Dockerfile,
        path: str = "Dockerfile",
        rule: Rule | None = None,
        build_context: BuildContext | None = None,
        options: Mapping[str, object] | None = None,
        suppressions: Suppressions | None = None,
    ):
        self.tree = tree
        self.text = tree.text
        self.path = path
        self.rule = rule
        #: the files COPY can see (None when the Dockerfile is not on disk)
        self.build_context = build_context
        #: the rule's options (read-only): its ``option_defaults`` updated
        #: with what the configuration sets (``[tool.dockfix.lint.<name>]``)
        defaults = dict(rule.option_defaults) if rule is not None else {}
        self.options: Mapping[str, object] = MappingProxyType(defaults | dict(options or {}))
        #: the file's pragma comments, with the codes findings used (for the
        #: meta rules, which run after the others)
        self.suppressions = suppressions

    @property
    def newline(self) -> str:
        return self.tree.newline

    @property
    def frontend(self) -> Frontend:
        """What the Dockerfile frontend of the file (its ``# syntax=``)
        understands: a rule writes BuildKit-only syntax only when
        ``ctx.frontend.supports(...)`` says so (see :mod:`dockfix.frontend`)."""
        from .frontend import frontend

        return frontend(self.tree)

    @property
    def model(self) -> SemanticModel:
        """The file's semantic model (built once per pass, shared by every
        rule): ``ctx.model.at(ins).env("HOME")``, ``.user``, ``.workdir``,
        ``.shell``, ``.image``; ``ctx.model.mounts(ins)``, ``.script(ins)``,
        ``.stages``.  See :mod:`dockfix.model`."""
        from .model import SemanticModel

        return SemanticModel.of(self.tree)

    def facts(self, ins: Instruction) -> Facts:
        """What is true before ``ins`` runs: ``ctx.model.at(ins)``."""
        return self.model.at(ins)

    def shellcheck(self, ins: Instruction) -> list[ShellCheckComment]:
        """What ShellCheck says about the script of the RUN ``ins``, mapped
        to offsets of this file; ``[]`` for exec form, Windows stages and
        non-POSIX shells.  The file's RUNs are all checked at the first call
        of a pass (one ShellCheck process).  Raises
        ``dockfix.shellcheck.Unavailable`` when ShellCheck cannot run: the
        engine then skips the rule (see :mod:`dockfix.shellcheck`)."""
        from . import shellcheck

        return shellcheck.comments(self.tree, self.model, ins)

    def finding(
        self,
        at: Node | tuple[int, int],
        message: str,
        edits: Iterable[Edit] | None = None,
        safety: Safety | None = None,
        side: Iterable[SideEdit] | None = None,
    ) -> Finding:
        """A finding at ``at``; with ``edits`` (and/or ``side`` edits of
        other context files) it carries a fix, else it is report-only."""
        assert self.rule is not None
        start, end = at if isinstance(at, tuple) else (at.start, at.end)
        line, col = self.tree.position(start)
        fix = None
        edits = tuple(sorted(edits or ()))
        side = tuple(side or ())
        if edits or side:
            fix = Fix(edits, safety or self.rule.safety, side)
        return Finding(self.rule.code, message, start, end, line, col, fix)


_DOC_SECTIONS = ("What it does", "Why", "Example", "Fix safety")
_CODE_RE = re.compile(r"^DF[1-9]\d\d$")


class Rule:
    """Base class of every rule.  Subclasses set the class attributes."""

    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    safety: ClassVar[Safety] = Safety.SAFE
    covers: ClassVar[tuple[str, ...]] = ()  # hadolint DLxxxx / Docker build checks
    changes_stages: ClassVar[bool] = False
    #: codes whose fixes on the same instruction this rule's fix makes moot
    #: (a cache mount instead of `--no-cache-dir`): when both would apply in
    #: one pass, theirs waits, and is re-checked against the new text.
    supersedes: ClassVar[tuple[str, ...]] = ()
    #: the options a configuration file may set for this rule, with their
    #: defaults (the type of the default is the type a value must have);
    #: the rule reads them from ``ctx.options`` and documents them in its
    #: ``## Options`` docstring section
    option_defaults: ClassVar[Mapping[str, object]] = MappingProxyType({})
    #: a rule about the other rules' findings (unused suppressions): run
    #: once the others have no fix left, with ``ctx.suppressions`` filled
    meta: ClassVar[bool] = False
    #: the instruction keywords (``"RUN"``, ``"COPY"``...) whose presence
    #: the rule needs to find anything: on a file with none of them the rule
    #: is not run, and its module not even imported; ``()`` means any file
    looks_at: ClassVar[tuple[str, ...]] = ()

    def check(self, ctx: Context) -> Iterator[Finding]:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def doc(cls) -> str:
        import inspect

        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def doc_sections(cls) -> dict[str, str]:
        """The docstring split into its ``## Section`` parts."""
        sections: dict[str, str] = {}
        current = None
        for line in cls.doc().splitlines():
            m = re.match(r"^##\s+(.*?)\s*$", line)
            if m:
                current = m.group(1)
                sections[current] = ""
            elif current:
                sections[current] += line + "\n"
        return {k: v.strip("\n") for k, v in sections.items()}


def may_find(rule: Rule | LazyRule, keywords: AbstractSet[str]) -> bool:
    """Whether ``rule`` can find anything in a file whose instructions have
    these (upper-case) ``keywords``: not when it has none the rule
    ``looks_at``.  ONBUILD triggers are instructions too: a file with an
    ONBUILD runs every rule."""
    return not rule.looks_at or "ONBUILD" in keywords or not keywords.isdisjoint(rule.looks_at)


class RegistryError(Exception):
    pass


class Registry(Struct):
    rules: dict[str, Rule] = field(default_factory=dict)

    def add(self, rule: Rule) -> None:
        code = rule.code
        if not _CODE_RE.match(code):
            raise RegistryError(f"{type(rule).__name__}: bad rule code {code!r}")
        if code in self.rules:
            raise RegistryError(f"duplicate rule code {code}")
        missing = [s for s in _DOC_SECTIONS if s not in rule.doc_sections()]
        if missing or not rule.name or not rule.summary:
            raise RegistryError(f"{code}: incomplete documentation (missing {missing or 'name/summary'})")
        if rule.option_defaults and "Options" not in rule.doc_sections():
            raise RegistryError(
                f"{code}: options {sorted(rule.option_defaults)} without an `## Options` section"
            )
        self.rules[code] = rule

    def select(
        self,
        select: Iterable[str] | None = None,
        ignore: Iterable[str] | None = None,
        extend_select: Iterable[str] | None = None,
    ) -> list[Rule]:
        """Rules chosen by code prefixes (``ALL`` or ``DF`` mean all)."""
        sel = list(select) if select else ["ALL"]
        sel += list(extend_select or ())
        ign = list(ignore or ())

        def match(code: str, prefixes: list[str]) -> int:
            best = -1
            for p in prefixes:
                p = p.strip().upper()
                if p == "ALL":
                    best = max(best, 0)
                elif p and code.startswith(p):
                    best = max(best, len(p))
            return best

        out = []
        for code in sorted(self.rules):
            s, i = match(code, sel), match(code, ign)
            if s >= 0 and s > i:
                out.append(self.rules[code])
        return out

    def unknown_codes(self, codes: Iterable[str]) -> list[str]:
        bad = []
        for p in codes:
            p = p.strip().upper()
            if p != "ALL" and not any(c.startswith(p) for c in self.rules):
                bad.append(p)
        return bad


#: the metadata the rule index records for each rule (see ``_rule_index``)
INDEX_FIELDS = (
    "code",
    "name",
    "summary",
    "safety",
    "covers",
    "changes_stages",
    "supersedes",
    "option_defaults",
    "meta",
    "looks_at",
)


class LazyRule:
    """A rule known from the index: its metadata without its module, which
    is imported the first time the rule is checked or its docs are read."""

    def __init__(self, module: str, cls: str, meta: Mapping[str, object]) -> None:
        self.module = module
        self.cls = cls
        self._rule: Rule | None = None
        for k in INDEX_FIELDS:
            v = meta[k]
            if k == "safety":
                v = Safety(v)
            elif k == "option_defaults":
                v = MappingProxyType(dict(v))  # type: ignore[call-overload]
            setattr(self, k, v)

    # the index's attributes, for type checkers
    code: str
    name: str
    summary: str
    safety: Safety
    covers: tuple[str, ...]
    changes_stages: bool
    supersedes: tuple[str, ...]
    option_defaults: Mapping[str, object]
    meta: bool
    looks_at: tuple[str, ...]

    def load(self) -> Rule:
        if self._rule is None:
            # ``__import__``, not ``importlib.import_module``: the latter
            # bypasses ``python -X importtime``, which the start-up test reads
            module = __import__(self.module, fromlist=[self.cls])
            self._rule = getattr(module, self.cls)()
        return self._rule

    def check(self, ctx: Context) -> Iterator[Finding]:
        return self.load().check(ctx)

    def doc(self) -> str:
        return self.load().doc()

    def doc_sections(self) -> dict[str, str]:
        return self.load().doc_sections()

    def __getattr__(self, attr: str) -> object:
        if attr.startswith("__") or attr == "_rule":
            raise AttributeError(attr)
        return getattr(self.load(), attr)

    def __repr__(self) -> str:
        return f"<rule {self.code} {self.name} ({self.module})>"


def rule_classes() -> list[tuple[str, type[Rule]]]:
    """Every rule class in ``dockfix.transforms`` with its module name,
    found by importing every module (the index generator and its test)."""
    from . import transforms

    # transforms/<family>/<rule>.py; modules starting with "_" are helpers
    names = [
        m.name
        for m in pkgutil.walk_packages(transforms.__path__, transforms.__name__ + ".")
        if not m.ispkg and not any(part.startswith("_") for part in m.name.split(".")[2:])
    ]
    out = []
    for name in sorted(names):
        mod = importlib.import_module(name)
        for obj in vars(mod).values():
            if (
                isinstance(obj, type)
                and issubclass(obj, Rule)
                and obj is not Rule
                and obj.__module__ == mod.__name__
                and obj.code
            ):
                out.append((name, obj))
    return out


def _literal(v: object) -> str:
    """``repr`` with double quotes (as ruff formats), for the index."""
    import json

    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, tuple):
        items = [_literal(x) for x in v]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(v, list):
        return "[" + ", ".join(_literal(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(x)}" for k, x in v.items()) + "}"
    if isinstance(v, bool | int | float) or v is None:
        return repr(v)
    raise RegistryError(f"cannot write {v!r} into the rule index")


def build_index_source() -> str:
    """The text of ``_rule_index.py``, from the rule modules; checks each
    rule as the registry did (codes, docs, options)."""
    reg = Registry()
    entries = []
    for module, cls in rule_classes():
        reg.add(cls())
        meta: dict[str, object] = {}
        for k in INDEX_FIELDS:
            v = getattr(cls, k)
            if k == "safety":
                v = Safety(v).value
            elif k == "option_defaults":
                v = dict(v)
            elif isinstance(v, list | tuple):
                v = tuple(v)
            meta[k] = v
        entries.append((cls.code, module, cls.__name__, meta))
    lines = [
        '"""The rule index: each rule\'s metadata, so that the registry knows the',
        "rules without importing their modules.  GENERATED by",
        "``python -m dockfix.rules --index`` from the rule classes; do not edit",
        '(tests/test_startup.py checks it matches them)."""',
        "",
        "# fmt: off",
        "RULES = (",
    ]
    for _code, module, clsname, meta in sorted(entries, key=lambda e: e[0]):
        lines.append(f"    ({_literal(module)}, {_literal(clsname)}, {_literal(meta)}),")
    lines += [")", ""]
    return "\n".join(lines)


def index_path() -> str:
    import os

    return os.path.join(os.path.dirname(__file__), "_rule_index.py")


_REGISTRY: Registry | None = None


def registry() -> Registry:
    """Every rule in ``dockfix.transforms``, from the rule index (no rule
    module is imported until its rule runs)."""
    global _REGISTRY
    if _REGISTRY is None:
        from ._rule_index import RULES

        reg = Registry()
        for module, cls, meta in RULES:
            # a stand-in class per rule, named and placed as the rule's class
            # (``type(rule).__module__`` is still the rule's module)
            stand_in = type(cls, (LazyRule,), {"__module__": module, "__qualname__": cls})
            reg.rules[str(meta["code"])] = stand_in(module, cls, meta)  # type: ignore[assignment]
        _REGISTRY = reg
    return _REGISTRY


def main(argv: list[str] | None = None) -> int:
    import sys

    args = sys.argv[1:] if argv is None else argv
    if args != ["--index"]:
        print("usage: python -m dockfix.rules --index", file=sys.stderr)
        return 2
    text = build_index_source()
    with open(index_path(), "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    print(f"wrote {index_path()}")
    return 0


if __name__ == "__main__":
    # run as a script, this file is ``__main__``: the rule classes subclass
    # the ``Rule`` of the real ``dockfix.rules``
    from dockfix.rules import main as _main

    raise SystemExit(_main())
