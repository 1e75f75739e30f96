"""The lossless syntax tree.

Every node knows its exact span ``[start, end)`` in the source text, so
``str(node)`` is the source it came from and ``str(tree) == text`` always.
The top-level children (trivia and instructions) tile the whole text.
"""

from __future__ import annotations

from bisect import bisect_right
from functools import cached_property


class LogicalLine:
    """A logical line as BuildKit builds it (continuations joined, comment
    lines inside them dropped), with the map back to source offsets.

    Most lines are one piece of one physical line: the text is that piece
    and the map one start (``_s0``); the tables of pieces (``_lstarts``,
    ``_sstarts``) exist only from the second piece on (a tree keeps one
    logical line per instruction)."""

    __slots__ = ("_text", "_parts", "_len", "_s0", "_lstarts", "_sstarts", "_send")

    def __init__(self, start: int = 0) -> None:
        self._text = ""
        self._parts: list[str] | None = None  # pieces added since ``_text`` was joined
        self._len = 0
        self._s0: int | None = None  # source offset of the first piece
        self._lstarts: list[int] | None = None  # logical start of each piece (from the second on)
        self._sstarts: list[int] | None = None  # source start of each piece
        self._send = start  # where an empty logical line "is"

    @property
    def text(self) -> str:
        if self._parts:
            # joined once, not piece by piece: a RUN of thousands of
            # continuation lines would copy its text once per line
            self._text = "".join([self._text, *self._parts])
            self._parts = None
        return self._text

    def add(self, src: str, start: int, end: int) -> None:
        if end <= start:
            return
        if self._s0 is None:
            self._s0 = start
            self._text = src[start:end]
        else:
            if self._lstarts is None or self._sstarts is None:
                self._lstarts, self._sstarts = [0], [self._s0]
            self._lstarts.append(self._len)
            self._sstarts.append(start)
            if self._parts is None:
                self._parts = []
            self._parts.append(src[start:end])
        self._len += end - start
        self._send = end

    def src(self, i: int) -> int:
        """Source offset of logical index i (i may equal len: end of line)."""
        if self._s0 is None or i >= self._len:
            return self._send
        if self._lstarts is None or self._sstarts is None:
            return self._s0 + i
        k = bisect_right(self._lstarts, i) - 1
        return self._sstarts[k] + (i - self._lstarts[k])

    def src_end(self, j: int) -> int:
        """Source offset just after logical index j-1 (exclusive end)."""
        if j <= 0 or self._s0 is None:
            return self.src(0)
        return self.src(j - 1) + 1


class OffsetMap:
    """Offsets of a string cut from a logical line (an instruction's argument
    text) mapped to source offsets."""

    __slots__ = ("logical", "base")

    def __init__(self, logical: LogicalLine, base: int):
        self.logical, self.base = logical, base

    def src(self, i: int) -> int:
        """Source offset of char i (to insert before it)."""
        return self.logical.src(self.base + i)

    def src_end(self, j: int) -> int:
        """Source offset just after char j-1 (to insert after it)."""
        return self.logical.src_end(self.base + j)


class ParseError(ValueError):
    """The text is not a Dockerfile BuildKit would accept."""

    def __init__(self, message: str, line: int, col: int = 1):
        self.message = message
        self.line = line
        self.col = col
        super().__init__(f"{line}:{col}: {message}")


class Node:
    """A span ``[start, end)`` of the source text.  The node classes are
    plain classes with ``__slots__`` (not dataclasses): a tree has one node
    per word, and a large file has hundreds of thousands of them."""

    __slots__ = ("_text", "start", "end")

    def __init__(self, _text: str, start: int, end: int) -> None:
        self._text = _text
        self.start = start
        self.end = end

    def __str__(self) -> str:
        return self._text[self.start : self.end]

    @property
    def span(self) -> tuple[int, int]:
        return (self.start, self.end)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.start}:{self.end} {str(self)!r}>"


class Word(Node):
    """One argument as BuildKit splits it; ``value`` is BuildKit's value."""

    __slots__ = ("value",)

    def __init__(self, _text: str, start: int, end: int, value: str = "") -> None:
        self._text = _text
        self.start = start
        self.end = end
        self.value = value


class Flag(Node):
    """A ``--name=value`` flag; ``value`` is None for a bare ``--name``."""

    __slots__ = ("name", "value")

    def __init__(self, _text: str, start: int, end: int, name: str = "", value: str | None = None) -> None:
        self._text = _text
        self.start = start
        self.end = end
        self.name = name
        self.value = value


class Heredoc(Node):
    """``start:end`` is the ``<<EOF`` marker; the body and terminator have
    their own spans.  ``content`` is the raw body (BuildKit's Content)."""

    __slots__ = (
        "name",
        "chomp",
        "expand",
        "fd",
        "body_start",
        "body_end",
        "terminator_start",
        "terminator_end",
    )

    def __init__(
        self,
        _text: str,
        start: int,
        end: int,
        name: str = "",
        chomp: bool = False,
        expand: bool = True,
        fd: int = 0,
        body_start: int = 0,
        body_end: int = 0,
        terminator_start: int = 0,
        terminator_end: int = 0,
    ) -> None:
        self._text = _text
        self.start = start
        self.end = end
        self.name = name
        self.chomp = chomp
        self.expand = expand
        self.fd = fd
        self.body_start = body_start
        self.body_end = body_end
        self.terminator_start = terminator_start
        self.terminator_end = terminator_end

    @property
    def content(self) -> str:
        return self._text[self.body_start : self.body_end]


class Directive(Node):
    """A parser directive such as ``# syntax=docker/dockerfile:1``."""

    __slots__ = ("name", "value", "line")

    def __init__(
        self, _text: str, start: int, end: int, name: str = "", value: str = "", line: int = 0
    ) -> None:
        self._text = _text
        self.start = start
        self.end = end
        self.name = name
        self.value = value
        self.line = line


class Trivia(Node):
    """Lines between instructions: ``blank``, ``comment``, ``directive`` or
    the ``bom``."""

    __slots__ = ("kind", "line")

    def __init__(self, _text: str, start: int, end: int, kind: str = "blank", line: int = 0) -> None:
        self._text = _text
        self.start = start
        self.end = end
        self.kind = kind
        self.line = line


class Instruction(Node):
    """One instruction.  ``start:end`` covers its whole physical lines,
    indentation and final line break included (heredoc bodies too).

    ``args`` are the arguments as BuildKit splits them (for ENV and LABEL:
    key, value, key, value...).  ``rest`` is the argument text after the
    flags.  For ONBUILD, ``inner`` is the wrapped instruction.
    """

    __slots__ = (
        "keyword",
        "keyword_word",
        "start_line",
        "end_line",
        "flags",
        "args",
        "rest",
        "json",
        "legacy_format",
        "heredocs",
        "inner",
        "original",
        "content_end",
        "logical",
        "rest_index",
        # analyses cache facts per instruction: in weak dictionaries, or
        # in the instance's ``__dict__`` (``shell.script``)
        "__weakref__",
        "__dict__",
    )

    def __init__(
        self,
        _text: str,
        start: int,
        end: int,
        keyword: str = "",
        keyword_word: Word | None = None,
        start_line: int = 0,
        end_line: int = 0,
        flags: list[Flag] | None = None,
        args: list[Word] | None = None,
        rest: Word | None = None,
        json: bool = False,
        legacy_format: bool = False,  # ENV/LABEL written as `KEY name value`
        heredocs: list[Heredoc] | None = None,
        inner: Instruction | None = None,
        original: str = "",
        content_end: int = 0,  # end of the last line, without its line break
        logical: LogicalLine | None = None,  # the joined line, with its source map
        rest_index: int = 0,  # where ``rest`` starts in the logical line
    ) -> None:
        self._text = _text
        self.start = start
        self.end = end
        self.keyword = keyword
        self.keyword_word = keyword_word
        self.start_line = start_line
        self.end_line = end_line
        self.flags: list[Flag] = [] if flags is None else flags
        self.args: list[Word] = [] if args is None else args
        self.rest = rest
        self.json = json
        self.legacy_format = legacy_format
        self.heredocs: list[Heredoc] = [] if heredocs is None else heredocs
        self.inner = inner
        self.original = original
        self.content_end = content_end
        self.logical = logical
        self.rest_index = rest_index

    @property
    def arguments(self) -> list[str]:
        return [w.value for w in self.args]

    def flag(self, name: str) -> Flag | None:
        for f in self.flags:
            if f.name == name:
                return f
        return None

    @property
    def rest_map(self) -> OffsetMap | None:
        """Source offsets of the characters of ``rest.value``."""
        if self.logical is None or self.rest is None:
            return None
        return OffsetMap(self.logical, self.rest_index)

    @property
    def line_break(self) -> str:
        return self._text[self.content_end : self.end]

    def pairs(self) -> list[tuple[Word, Word]]:
        """ENV / LABEL key-value pairs."""
        return list(zip(self.args[0::2], self.args[1::2], strict=False))


def _go_fold_ascii(s: str) -> str:
    """Lower-case s for comparing with an ASCII word the way Go's
    strings.EqualFold does (long s and the Kelvin sign fold to s and k)."""
    return "".join(ch.lower() if ch < "\x80" else {"\u017f": "s", "\u212a": "k"}.get(ch, ch) for ch in s)


class Stage:
    def __init__(self, index: int, from_: Instruction, instructions: list[Instruction]) -> None:
        self.index = index
        self.from_ = from_
        self.instructions = instructions

    @property
    def base(self) -> Word | None:
        return self.from_.args[0] if self.from_.args else None

    @cached_property
    def name(self) -> str | None:
        a = self.from_.args
        if len(a) >= 3 and _go_fold_ascii(a[1].value) == "as":
            return a[2].value
        return None


class Dockerfile:
    """The root of the tree: ``children`` tile the text, in order."""

    def __init__(self, text: str, children: list[Node], directives: list[Directive], escape: str):
        self.text = text
        self.children = children
        self.directives = directives
        self.escape = escape
        self.instructions: list[Instruction] = [c for c in children if isinstance(c, Instruction)]
        self._line_starts: list[int] | None = None
        self._stages: list[Stage] | None = None
        self._stage_by_ins: dict[int, Stage] | None = None
        self._parents: list[Stage | None] | None = None
        #: facts analyses compute once per tree and share (keyed by the
        #: analysis); the tree is never changed after parsing
        self.memo: dict[object, object] = {}

    def __str__(self) -> str:
        return "".join(str(c) for c in self.children)

    def __repr__(self) -> str:
        return f"<Dockerfile {len(self.instructions)} instructions>"

    @property
    def bom(self) -> bool:
        return self.text.startswith("\ufeff")

    @property
    def newline(self) -> str:
        """The file's line-break style, for inserted lines."""
        i = self.text.find("\n")
        return "\r\n" if i > 0 and self.text[i - 1] == "\r" else "\n"

    def directive(self, name: str) -> Directive | None:
        for d in self.directives:
            if d.name == name:
                return d
        return None

    @property
    def stages(self) -> list[Stage]:
        if self._stages is None:
            stages: list[Stage] = []
            for ins in self.instructions:
                if ins.keyword == "FROM":
                    stages.append(Stage(len(stages), ins, []))
                elif stages:
                    stages[-1].instructions.append(ins)
            self._stages = stages
        return self._stages

    @cached_property
    def preamble(self) -> list[Instruction]:
        """Instructions before the first FROM (global ARGs)."""
        out = []
        for ins in self.instructions:
            if ins.keyword == "FROM":
                break
            out.append(ins)
        return out

    def stage_of(self, ins: Instruction) -> Stage | None:
        if self._stage_by_ins is None:
            by_ins: dict[int, Stage] = {}
            for st in self.stages:
                by_ins[id(st.from_)] = st
                for i in st.instructions:
                    by_ins[id(i)] = st
            self._stage_by_ins = by_ins
        return self._stage_by_ins.get(id(ins))

    def stage_parent(self, stage: Stage) -> Stage | None:
        """The earlier stage of this file that ``stage`` is built FROM, if
        any: the first one named like its base (case-insensitively) or
        whose index its base is."""
        if self._parents is None:
            stages = self.stages
            parents: list[Stage | None] = []
            first_named: dict[str, int] = {}
            for st in stages:
                base = st.base.value if st.base else ""
                cands = []
                k = first_named.get(base.lower())
                if k is not None:
                    cands.append(k)
                if base.isdigit() and base.isascii() and str(int(base)) == base and int(base) < st.index:
                    cands.append(int(base))
                parents.append(stages[min(cands)] if cands else None)
                if st.name:
                    first_named.setdefault(st.name.lower(), st.index)
            self._parents = parents
        if stage.index < len(self._parents) and self.stages[stage.index] is stage:
            return self._parents[stage.index]
        base = stage.base.value if stage.base else ""
        for st in self.stages[: stage.index]:
            if (st.name and st.name.lower() == base.lower()) or base == str(st.index):
                return st
        return None

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a text offset."""
        if self._line_starts is None:
            starts = [0]
            t = self.text
            i = t.find("\n")
            while i >= 0:
                starts.append(i + 1)
                i = t.find("\n", i + 1)
            self._line_starts = starts
        line = bisect_right(self._line_starts, offset)
        col = offset - self._line_starts[line - 1] + 1
        if line == 1 and offset > 0 and self.text.startswith("\ufeff"):
            col -= 1  # a byte-order mark is no column
        return line, col
