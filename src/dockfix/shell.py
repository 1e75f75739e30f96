"""Shell analysis of RUN commands with tree-sitter-bash.

``script_of(ins)`` gives a :class:`Script` for a shell-form RUN (or the
heredoc body a ``RUN <<EOF`` runs): the simple commands it contains, each
with its program, arguments and how it is chained, and every position mapped
back to an offset in the Dockerfile — through line continuations, comment
lines inside them, the escape character and CRLF — so a rule can edit the
exact bytes.  Commands hidden in variables or ``sh -c '…'`` strings are not
looked into: no guessing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from msgspec import Struct, field

if TYPE_CHECKING:
    from .tree import Instruction

# Node types that are one argument word of a command.
_ARG_TYPES = frozenset(
    {
        "word",
        "string",
        "raw_string",
        "concatenation",
        "simple_expansion",
        "expansion",
        "number",
        "command_substitution",
        "process_substitution",
        "ansi_c_string",
        "translated_string",
        "arithmetic_expansion",
        "brace_expression",
    }
)
# Enclosing constructs that make a command conditional or repeated.
COMPOUND = frozenset(
    {
        "for_statement",
        "c_style_for_statement",
        "while_statement",
        "if_statement",
        "case_statement",
        "subshell",
        "compound_statement",
        "function_definition",
        "command_substitution",
        "process_substitution",
        "negated_command",
        "pipeline",
    }
)
_OPERATORS = frozenset({"&&", "||", ";", "&", "|", "|&", ";;", "\n"})
# Where a node sits: (type of the sibling before it or None, of the one after
# it or None, the parent's type, the parent's own place or None at the root).
_Place = tuple  # tuple[str | None, str | None, str, "_Place | None"]


@lru_cache(maxsize=1)
def _parser():
    import tree_sitter
    import tree_sitter_bash

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))


class Arg(Struct):
    """One argument word.  ``value`` is its literal value, or None when it
    contains an expansion (variable, command substitution, glob is fine)."""

    text: str
    value: str | None
    start: int  # script offsets
    end: int
    kind: str


class Command(Struct):
    name: str | None  # literal program name, None if it is an expansion
    args: list[Arg]  # arguments after the program name
    start: int
    end: int
    name_start: int
    name_end: int
    ancestors: tuple[str, ...]  # enclosing compound node types, innermost last
    assignments: list[str] = field(default_factory=list)  # `X=1 cmd`
    prev_op: str | None = None  # operator joining it to the previous command
    next_op: str | None = None
    redirected: bool = False
    index: int = 0

    @property
    def program(self) -> str | None:
        """The program's base name (`/usr/bin/apt-get` → `apt-get`)."""
        return self.name.rsplit("/", 1)[-1] if self.name else None

    @property
    def values(self) -> list[str | None]:
        return [a.value for a in self.args]

    def options(self) -> list[Arg]:
        return [a for a in self.args if a.value is not None and a.value.startswith("-") and a.value != "-"]

    def operands(self) -> list[Arg]:
        return [a for a in self.args if not (a.value or "").startswith("-")]

    def has_option(self, *names: str) -> bool:
        """Is any of ``names`` given?  Long options may carry ``=value``;
        short option letters may be grouped (``-yq`` has ``-y``)."""
        for a in self.options():
            v = a.value or ""
            for n in names:
                if n.startswith("--"):
                    if v == n or v.startswith(n + "="):
                        return True
                elif len(n) == 2 and not v.startswith("--") and n[1] in v[1:]:
                    return True
        return False

    @property
    def conditional(self) -> bool:
        """Inside a loop, condition, subshell, function or substitution."""
        return any(a in COMPOUND and a != "pipeline" for a in self.ancestors)


class Script:
    """A parsed shell script plus the map from script offsets to the
    Dockerfile text."""

    def __init__(self, text: str, to_source: Callable[[int], int], to_source_end: Callable[[int], int]):
        self.text = text
        self._to_source = to_source
        self._to_source_end = to_source_end
        data = text.encode("utf-8")
        self._ascii = len(data) == len(text)
        self._byte_to_char: list[int] | None = None
        if not self._ascii:
            table = []
            for i, ch in enumerate(text):
                table.extend([i] * len(ch.encode("utf-8")))
            table.append(len(text))
            self._byte_to_char = table
        self.tree = _parser().parse(data)
        self.has_error = self.tree.root_node.has_error
        self.commands: list[Command] = []
        self._collect(self.tree.root_node, ())
        for i, c in enumerate(self.commands):
            c.index = i

    # -- offsets --------------------------------------------------------
    def _c(self, byte: int) -> int:
        return byte if self._byte_to_char is None else self._byte_to_char[byte]

    def source(self, i: int) -> int:
        """Dockerfile offset of script offset ``i`` (to insert before it)."""
        return self._to_source(i)

    def source_end(self, i: int) -> int:
        """Dockerfile offset just after script char ``i - 1`` (to insert
        after what ends at ``i``)."""
        return self._to_source_end(i)

    def node_text(self, node) -> str:
        return self.text[self._c(node.start_byte) : self._c(node.end_byte)]

    # -- collection -----------------------------------------------------
    def _collect(self, root, ancestors: tuple[str, ...]) -> None:
        """Every command, in source order (an explicit stack: a RUN chaining
        thousands of commands nests that deep in tree-sitter's tree)."""
        # Each node goes with its place: (type of the sibling before it, of
        # the one after it, its parent's type, the parent's place), so that
        # no node's parent or siblings are looked up again (tree-sitter finds
        # a parent by descending from the root, siblings by listing them).
        stack: list[tuple[object, tuple[str, ...], _Place | None]] = [(root, ancestors, None)]
        while stack:
            node, anc, place = stack.pop()
            t = node.type  # type: ignore[attr-defined]
            if t == "heredoc_body":
                continue
            children = node.children  # type: ignore[attr-defined]
            if t == "command":
                self.commands.append(self._command(node, anc, place))
            elif t in COMPOUND:
                anc = anc + (t,)
            types = [c.type for c in children]
            last = len(children) - 1
            for i in range(last, -1, -1):
                if t == "command" and types[i] == "command_name":
                    continue  # commands inside substitutions in the arguments
                kid_place = (types[i - 1] if i else None, types[i + 1] if i < last else None, t, place)
                stack.append((children[i], anc, kid_place))

    def _command(self, node, ancestors: tuple[str, ...], place: _Place | None = None) -> Command:
        name = None
        name_start = name_end = self._c(node.start_byte)
        args: list[Arg] = []
        assigns: list[str] = []
        for child in node.children:
            if child.type == "command_name":
                inner = child.children[0] if child.children else child
                name = self._literal(inner)
                name_start, name_end = self._c(child.start_byte), self._c(child.end_byte)
            elif child.type == "variable_assignment":
                assigns.append(self.node_text(child))
            elif child.type in _ARG_TYPES:
                args.append(
                    Arg(
                        self.node_text(child),
                        self._literal(child),
                        self._c(child.start_byte),
                        self._c(child.end_byte),
                        child.type,
                    )
                )
        cmd = Command(
            name,
            args,
            self._c(node.start_byte),
            self._c(node.end_byte),
            name_start,
            name_end,
            ancestors,
            assigns,
        )
        cmd.prev_op, cmd.next_op = self._neighbours(place)
        cmd.redirected = place is not None and place[2] == "redirected_statement"
        return cmd

    @staticmethod
    def _neighbours(place: _Place | None) -> tuple[str | None, str | None]:
        """The operators right before and after this command, climbing out
        of wrappers (redirects, lists) whose edge the command is on."""
        prev_op = next_op = None
        while place is not None and (prev_op is None or next_op is None):
            before, after, parent_type, parent_place = place
            if prev_op is None and before is not None:
                if before in _OPERATORS:
                    prev_op = before
                elif before not in ("comment",):
                    prev_op = prev_op or (";" if parent_type == "program" else None)
            if next_op is None and after is not None and after in _OPERATORS:
                next_op = after
            if parent_type not in ("list", "redirected_statement", "pipeline"):
                break
            place = parent_place
        return prev_op, next_op

    def _literal(self, node) -> str | None:
        """The literal value of an argument node, or None if it expands."""
        t = node.type
        text = self.node_text(node)
        if t in ("word", "number"):
            if "$" in text or "`" in text:
                return None
            return _unescape(text)
        if t == "raw_string":
            return text[1:-1]
        if t == "string":
            parts = []
            for child in node.children:
                if child.type == '"':
                    continue
                if child.type != "string_content":
                    return None
                parts.append(self.node_text(child))
            body = "".join(parts)
            return _unescape(body, '"\\$`\n')
        if t == "concatenation":
            vals = [self._literal(c) for c in node.children]
            if any(v is None for v in vals):
                return None
            return "".join(v for v in vals if v is not None)
        return None

    # -- queries ----------------------------------------------------------
    def find(self, *programs: str) -> Iterator[Command]:
        for c in self.commands:
            if c.program in programs:
                yield c


def _unescape(text: str, escapable: str | None = None) -> str:
    """Drop the backslash of ``\\x`` (only for x in ``escapable``, if given:
    inside double quotes only ``"\\$`'' and newline are escapable)."""
    out = []
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and (escapable is None or text[i + 1] in escapable):
            out.append(text[i + 1])
            i += 2
            continue
        out.append(text[i])
        i += 1
    return "".join(out)


def script_of(ins: Instruction) -> Script | None:
    """The shell script a RUN executes, or None (exec form, no script, or a
    heredoc whose interpreter is not a POSIX shell).  Parsed once per
    instruction object (every rule of a pass shares it)."""
    cached = ins.__dict__.get("_script", _MISSING)
    if cached is _MISSING:
        cached = ins.__dict__["_script"] = _script_of(ins)
    return cached


_MISSING = object()


def _script_of(ins: Instruction) -> Script | None:
    if ins.keyword != "RUN" or ins.json or ins.rest is None:
        return None
    heredocs = ins.heredocs
    rest = ins.rest.value
    if len(heredocs) == 1 and rest.strip() == str(heredocs[0]).strip():
        # `RUN <<EOF` runs the body as the script.
        h = heredocs[0]
        body = h.content
        if body.startswith("#!") and not any(
            s in body.split("\n", 1)[0] for s in ("sh", "bash", "ash", "dash")
        ):
            return None
        base = h.body_start
        return Script(body, lambda i: base + i, lambda i: base + i)
    mapping = ins.rest_map
    if mapping is None:
        return None
    return Script(rest, mapping.src, mapping.src_end)


# -- edits ----------------------------------------------------------------
# Helpers that turn "add this to the script" into Dockerfile edits that keep
# the author's layout.  Rules should use these rather than computing offsets.


def insert_after(script: Script, end: int, text: str):
    """Insert ``text`` right after whatever ends at script offset ``end``
    (e.g. ``" -y"`` after the ``install`` word)."""
    from .rules import Edit

    at = script.source_end(end)
    return Edit(at, at, text)


def insert_before(script: Script, start: int, text: str):
    """Insert ``text`` right before script offset ``start`` (e.g.
    ``"apt-get update && "`` before a command)."""
    from .rules import Edit

    at = script.source(start)
    return Edit(at, at, text)


def walk(node):
    """Every node below ``node`` (itself included), in document order,
    without recursion: tree-sitter nests a long ``a && b && …`` chain as
    deep as it is long."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def errexit(script: Script) -> bool:
    """Does the script stop at the first failing command (``set -e``, or a
    ``-e`` on its ``#!`` line)?  (Worked out once per script.)"""
    cached = script.__dict__.get("_errexit")
    if cached is None:
        cached = script.__dict__["_errexit"] = _errexit(script)
    return cached


def _errexit(script: Script) -> bool:
    import re

    first = script.text.split("\n", 1)[0]
    if first.startswith("#!") and re.search(r"\s-[a-z]*e", first):
        return True
    return any(c.program == "set" and not c.conditional and set_errexit(c.values) for c in script.commands)


def set_errexit(args: Sequence[str | None]) -> bool | None:
    """What ``set ARGS`` does to errexit: True (``-e``, ``-eo pipefail``,
    ``-o errexit``), False (``+e``, ``+o errexit``), None (nothing; words
    after ``--`` are positional parameters)."""
    result = None
    for i, w in enumerate(args):
        if w is None:
            continue
        if w == "--":
            break
        if w.startswith("-") and not w.startswith("--") and "e" in w[1:]:
            result = True
        elif w.startswith("+") and "e" in w[1:]:
            result = False
        elif w in ("-o", "+o") and i + 1 < len(args) and args[i + 1] == "errexit":
            result = w == "-o"
    return result


def last_node_end(script: Script) -> int:
    """Script offset where the last top-level statement ends (comments and
    a trailing ``;`` excluded)."""
    root = script.tree.root_node
    for node in reversed(root.children):
        if node.type not in ("comment", ";", "&", "\n"):
            return script._c(node.end_byte)
    return 0


def append_command(ins: Instruction, script: Script, command: str, newline: str = "\n", escape: str = "\\"):
    """An edit that runs ``command`` after everything the RUN already does,
    in the same layout: `` && cmd`` on one-line RUNs; a new continuation line
    ``&& cmd`` (or ``... && \\`` then ``cmd``) when the RUN puts one command
    per line; a new line in a heredoc script."""
    from .rules import Edit

    end = last_node_end(script)
    for h in ins.heredocs:
        if h.body_start <= script.source(0) <= h.body_end:
            if errexit(script):  # `set -e`: a new last line runs only on success
                indent = h.content[: len(h.content) - len(h.content.lstrip("\t"))] if h.chomp else ""
                return Edit(h.body_end, h.body_end, f"{indent}{command}{newline}")
            # Without `set -e` a new last line would hide the failure of the
            # old one: chain it with ` && ` to the last statement instead.
            at = script.source_end(end)
            return Edit(at, at, f" && {command}")
    at = script.source_end(end)
    src = ins._text
    # Where the last operator and the last command of the chain sit tells
    # the style: `\` + newline + `&& cmd`, or `&& \` + newline + `cmd`.
    op, elem = _last_chain(script)
    if op is not None:
        op_at, elem_at = script.source(op), script.source(elem)
        op_line, op_head = _line_head(src, op_at)
        elem_line, elem_head = _line_head(src, elem_at)
        first_line = _line_head(src, ins.start)[0]
        if op_line != first_line and not op_head.strip(" \t"):
            return Edit(at, at, f" {escape}{newline}{op_head}&& {command}")
        if elem_line != op_line and not elem_head.strip(" \t"):
            between = src[op_at + 2 : src.find(escape, op_at + 2)]
            return Edit(at, at, f" &&{between}{escape}{newline}{elem_head}{command}")
    return Edit(at, at, f" && {command}")


def _line_head(src: str, at: int) -> tuple[int, str]:
    """(start offset of the line holding ``at``, the text before ``at``)."""
    start = src.rfind("\n", 0, at) + 1
    return start, src[start:at]


def _last_chain(script: Script) -> tuple[int | None, int]:
    """Script offsets of the last ``&&``/``||`` of the last top-level chain
    and of the element after it (``c`` in ``a && b && c``)."""
    root = script.tree.root_node
    nodes = [n for n in root.children if n.type not in ("comment", ";", "&", "\n")]
    if not nodes:
        return None, 0
    node = nodes[-1]
    while node.type in ("list", "redirected_statement") and node.children:
        kids = [k for k in node.children if k.type != "comment"]
        if node.type == "list" and len(kids) >= 3 and kids[-2].type in ("&&", "||"):
            return script._c(kids[-2].start_byte), script._c(kids[-1].start_byte)
        node = kids[0] if node.type == "redirected_statement" else kids[-1]
    return None, script._c(node.start_byte)
