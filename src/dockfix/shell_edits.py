"""Edits of a RUN's shell script that keep its layout: the one module of
shell-edit helpers every rule uses (append a command, cut a command, add a
flag, add a mount).

A script's top-level chain is what ``&&``, ``||``, ``;`` and newlines
separate (:func:`chain`, :class:`Element`).  Edits are :class:`dockfix.rules.Edit`
in Dockerfile offsets (``Script.source`` / ``source_end`` map script offsets
back through line continuations).  A part that cannot be cut cleanly raises
:class:`CutError`; callers then leave the RUN alone (safe by default).

* cut: :func:`cut_elements` (whole commands of the chain, each with its
  ``|| true``), :func:`cut_arg` (one argument), :func:`cut_assignment` (an
  ``X=1`` prefix of a command);
* change: :func:`replace_arg`;
* add: :func:`add_flags` (``--mount=…`` and other flags right after ``RUN``);
* read the shapes these edits need: :func:`command_node`, :func:`assignments`
  (the ``X=1`` prefixes of a command), :func:`script_exports` (``export X=…``,
  ``declare -x``, ``X=…`` statements).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from msgspec import Struct

from . import shell
from .rules import Edit
from .shell import Arg, Command, Script, append_command, last_node_end, set_errexit

if TYPE_CHECKING:
    from .tree import Dockerfile, Instruction

__all__ = [
    "Assignment",
    "CutError",
    "Element",
    "Export",
    "add_flags",
    "append_edit",
    "assignments",
    "chain",
    "command_node",
    "cut_arg",
    "cut_assignment",
    "cut_elements",
    "element_of",
    "errexit_at",
    "insert_word",
    "remove_command",
    "replace_arg",
    "script_exports",
]


class CutError(Exception):
    """The part cannot be cut out cleanly."""


# ---------------------------------------------------------------------------
# the top-level chain of a script

_SEPARATORS = {";", "&", "\n", ";;"}
_REMOVABLE_OPS = {None, "&&", ";", "\n"}


class Element(Struct):
    """One element of the top-level chain of a script: its tree-sitter node,
    its script offsets and the operators around it (``&&``, ``||``, ``;``,
    ``"\\n"``; None at either end)."""

    node: Any  # tree-sitter node
    start: int
    end: int
    op_before: str | None = None
    op_after: str | None = None


def chain(script: Script) -> list[Element]:
    """The top-level elements of ``script`` (what ``&&``, ``||``, ``;`` and
    newlines separate), with the operators around each one.  Iterative:
    tree-sitter nests ``a && b && …`` as deep as the chain is long."""
    elems: list[Element] = []
    pending: list[str | None] = [None]

    def add(node: Any, end: int | None) -> None:
        e = Element(node, script._c(node.start_byte), end if end is not None else script._c(node.end_byte))
        e.op_before = pending[0] if elems or pending[0] is not None else None
        if elems:
            elems[-1].op_after = e.op_before
        elems.append(e)
        pending[0] = "\n"

    for child in script.tree.root_node.children:
        t = child.type
        if t == "comment":
            continue
        if t in _SEPARATORS:
            pending[0] = t
            continue
        # depth-first, left to right, without recursion: (node, end) or an operator
        stack: list[Any] = [(child, None)]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                pending[0] = item
                continue
            node, end = item
            if node.type == "list":
                kids = [k for k in node.children if k.type != "comment"]
                todo: list[Any] = []
                for k in kids:
                    if k.type in ("&&", "||"):
                        todo.append(k.type)
                    else:
                        todo.append((k, end if k is kids[-1] else None))
                stack.extend(reversed(todo))
            elif node.type == "redirected_statement" and node.children and node.children[0].type == "list":
                stack.append((node.children[0], script._c(node.end_byte)))
            else:
                add(node, end)
    return elems


def element_of(elems: list[Element], cmd: Command) -> int | None:
    """Index of the chain element that is exactly ``cmd`` (possibly with
    redirections), or None when the command is nested deeper."""
    for i, e in enumerate(elems):
        node = e.node
        if node.type == "redirected_statement" and node.children:
            node = node.children[0]
        if node.type in ("command", "declaration_command", "variable_assignment") and e.start == cmd.start:
            return i
    return None


def _unit(elems: list[Element], i: int) -> tuple[int, int]:
    """The removable unit starting at element i: the element itself, or
    ``X || true`` together."""
    e = elems[i]
    if e.op_after == "||" and i + 1 < len(elems):
        nxt = elems[i + 1].node
        if nxt.type == "command":
            names = [c for c in nxt.children if c.type == "command_name"]
            words = [c for c in nxt.children if c.type != "command_name"]
            if names and not words and names[0].text in (b"true", b":"):
                return i, i + 1
    return i, i


def _runs(elems: list[Element], indexes: Iterable[int]) -> list[list[int]]:
    """The removable units of ``indexes``, adjacent units grouped into runs
    ``[first, last]``.  CutError when one is not a plain ``&&`` / ``;``
    chain element."""
    units: list[tuple[int, int]] = []
    for i in sorted(set(indexes)):
        if units and units[-1][0] <= i <= units[-1][1]:
            continue
        a, b = _unit(elems, i)
        if elems[a].op_before not in _REMOVABLE_OPS or elems[b].op_after not in _REMOVABLE_OPS:
            raise CutError("not a plain && / ; chain element")
        units.append((a, b))
    runs: list[list[int]] = []
    for a, b in units:
        if runs and runs[-1][1] + 1 == a:
            runs[-1][1] = b
        else:
            runs.append([a, b])
    return runs


def cut_elements(script: Script, elems: list[Element], indexes: Iterable[int], heredoc: bool) -> list[Edit]:
    """Edits removing these chain elements (each with its ``|| true``) and
    the operator that joined them to the rest.  In a heredoc a command alone
    on its lines goes with its whole lines.  CutError when nothing would be
    left or an element is not a plain ``&&`` / ``;`` / newline element."""
    text = script.text
    edits = []
    for a, b in _runs(elems, indexes):
        prev = a - 1 if a > 0 else None
        nxt = b + 1 if b + 1 < len(elems) else None
        if prev is None and nxt is None:
            raise CutError("nothing would be left")
        first, last = elems[a], elems[b]
        op1, op2 = first.op_before, last.op_after
        if heredoc and op1 in (None, "\n") and op2 in (None, "\n"):
            ls = text.rfind("\n", 0, first.start) + 1
            le = text.find("\n", last.end)
            le = len(text) if le < 0 else le + 1
            if not text[ls : first.start].strip() and not text[last.end : le].strip():
                edits.append(Edit(script.source(ls), script.source_end(le) if le > ls else script.source(ls)))
                continue
        if prev is None:
            s, e = first.start, elems[nxt].start  # type: ignore[index]
            edits.append(Edit(script.source(s), script.source(e)))
        elif nxt is None or not (op1 in (";", "\n") and op2 == "&&"):
            s, e = elems[prev].end, last.end
            edits.append(Edit(script.source_end(s), script.source_end(e)))
        else:
            s, e = first.start, elems[nxt].start
            edits.append(Edit(script.source(s), script.source(e)))
    return edits


# ---------------------------------------------------------------------------
# arguments and prefixes of one command


def cut_arg(script: Script, cmd: Command, arg: Arg) -> Edit:
    """Remove one argument of ``cmd`` and the blank (or continuation) before it."""
    k = next(i for i, a in enumerate(cmd.args) if a is arg)
    prev_end = cmd.args[k - 1].end if k > 0 else cmd.name_end
    return Edit(script.source_end(prev_end), script.source_end(arg.end))


def replace_arg(script: Script, arg: Arg, text: str) -> Edit:
    """Replace the whole word ``arg`` with ``text`` (written as is)."""
    return Edit(script.source(arg.start), script.source_end(arg.end), text)


_NODES: weakref.WeakKeyDictionary[Script, dict[tuple[int, int], Any]] = weakref.WeakKeyDictionary()


def command_node(script: Script, cmd: Command) -> Any:
    """The tree-sitter node of ``cmd`` (one walk of the tree per script)."""
    nodes = _NODES.get(script)
    if nodes is None:
        nodes = {}
        stack = [script.tree.root_node]
        while stack:
            node = stack.pop()
            if node.type == "command":
                nodes[(script._c(node.start_byte), script._c(node.end_byte))] = node
            stack.extend(node.children)
        _NODES[script] = nodes
    return nodes.get((cmd.start, cmd.end))


class Assignment(Struct, frozen=True):
    """An ``X=1`` prefix of a command: the name, the raw value as written,
    and its script offsets."""

    name: str
    value: str
    start: int
    end: int


def assignments(script: Script, cmd: Command) -> list[Assignment]:
    """The ``X=1`` prefixes of a command, in order."""
    node = command_node(script, cmd)
    out: list[Assignment] = []
    if node is None:
        return out
    for child in node.children:
        if child.type == "variable_assignment":
            name, _, value = script.node_text(child).partition("=")
            out.append(Assignment(name, value, script._c(child.start_byte), script._c(child.end_byte)))
    return out


def cut_assignment(script: Script, cmd: Command, start: int) -> Edit:
    """Remove the ``X=1 `` prefix of ``cmd`` starting at ``start`` (with the
    blank after it).  CutError when no word follows it."""
    node = command_node(script, cmd)
    kids = list(node.children) if node is not None else []
    nxt = None
    for i, c in enumerate(kids):
        if script._c(c.start_byte) == start and i + 1 < len(kids):
            nxt = script._c(kids[i + 1].start_byte)
    if nxt is None:
        raise CutError("no word after the assignment")
    return Edit(script.source(start), script.source(nxt))


class Export(Struct, frozen=True):
    """A variable a script sets for the commands after it (``export X=…``,
    ``declare -x X=…``, a bare ``X=…`` statement): the name, the raw value,
    the script offset, whether it is in the top-level chain (not inside a
    subshell, function, ``if``...), and the statement's tree-sitter node."""

    name: str
    value: str
    at: int
    top: bool
    node: Any


def script_exports(script: Script) -> list[Export]:
    """The :class:`Export` s of a script."""
    out: list[Export] = []
    stack = [(script.tree.root_node, True)]
    while stack:
        node, top = stack.pop()
        t = node.type
        if t == "declaration_command":
            for c in node.children:
                if c.type == "variable_assignment":
                    name, _, value = script.node_text(c).partition("=")
                    out.append(Export(name, value, script._c(c.start_byte), top, node))
            continue
        if t == "variable_assignment" and node.parent is not None and node.parent.type != "command":
            name, _, value = script.node_text(node).partition("=")
            out.append(Export(name, value, script._c(node.start_byte), top, node))
            continue
        if t == "command":
            continue
        inner_top = top and t in ("program", "list", "redirected_statement")
        for c in node.children:
            stack.append((c, inner_top))
    return out


# ---------------------------------------------------------------------------
# flags of the instruction


def add_flags(ins: Instruction, flags: Sequence[str]) -> Edit:
    """Insert flags (``--mount=type=cache,target=/root/.cache``, ...) right
    after the keyword, before any flag already there.  The text goes in as
    `` --flag…`` right after the keyword, so the change is where a diff of
    the two texts puts it."""
    kw = ins.keyword_word
    assert kw is not None
    return Edit(kw.end, kw.end, " " + " ".join(flags))


# -- errexit, inserting, removing and appending a command ----------------------


def insert_word(script: Script, text: str, end: int, word: str) -> Edit:
    """An edit adding `` word`` right after what ends at script offset
    ``end`` (``text`` is the Dockerfile; kept for the callers' signature)."""
    at = script.source_end(end)
    return Edit(at, at, f" {word}")


def _contains(node, types) -> bool:
    return any(n.type in types for n in shell.walk(node))


def _is_set_errexit(script: Script, node) -> bool | None:
    """True for `set -e…` / `set -o errexit`, False for `set +e`, else None."""
    if node.type != "command":
        return None
    words = [script.node_text(c) for c in node.children]
    if not words or words[0] != "set":
        return None
    return set_errexit(words[1:])


def errexit_at(script: Script, top, shell_e: bool = False) -> bool:
    """Is `set -e` in effect when the top-level statement ``top`` runs?"""
    on = shell_e
    for child in script.tree.root_node.children:
        if child.id == top.id:
            break
        r = _is_set_errexit(script, child)
        if r is not None:
            on = r
    return on


# -- removing a command -------------------------------------------------------


def _has_comment_line(text: str) -> bool:
    lines = text.split("\n")
    return any(line.lstrip(" \t").startswith("#") for line in lines[1:])


def remove_command(script: Script, cmd: Command, src: str) -> Edit | None:
    """An edit that removes ``cmd`` and the operator joining it to its
    neighbour, keeping the layout of what is left:

    * ``cmd && next`` → ``next`` (the command, the ``&&`` and the space or
      line break up to the next command go);
    * ``prev && cmd`` (last of its chain) → ``prev``;
    * ``cmd; next`` / a statement on its own line → the statement and its
      separator.

    None when it cannot be done cleanly: the command is alone, joined by
    ``||`` or a pipe, inside a compound command, or a comment line sits in
    the range that would go (it would be lost).
    """
    node = command_node(script, cmd)
    if node is None:
        return None
    target = node
    if target.parent is not None and target.parent.type == "redirected_statement":
        target = target.parent
    parent = target.parent
    if parent is None:
        return None
    c = script._c
    kids = [k for k in parent.children if k.type != "comment"]
    i = next(k for k, s in enumerate(kids) if s.id == target.id)
    start = end = None  # script offsets of the range to delete
    keep_start_after = False  # start is "just after" a char (source_end)
    if parent.type == "list":
        if i == 0 and len(kids) == 3 and kids[1].type == "&&":
            # `cmd && next`: delete up to where the next command starts
            nxt = kids[2]
            while nxt.type in ("list", "redirected_statement", "pipeline") and nxt.children:
                nxt = nxt.children[0]
            start, end = c(target.start_byte), c(nxt.start_byte)
        elif i == 2 and kids[1].type == "&&":
            # `prev && cmd`: delete from the end of prev
            start, end = c(kids[0].end_byte), c(target.end_byte)
            keep_start_after = True
            outer = parent.parent
            if (
                outer is not None
                and outer.type == "redirected_statement"
                and outer.children[0].id == parent.id
            ):
                # tree-sitter hangs `a && cmd > f` as `(a && cmd) > f`; the
                # redirect is cmd's
                end = c(outer.end_byte)
        else:
            return None
    elif parent.type == "program":
        stmts = [k for k in kids if k.type not in (";", "\n")]
        if len(stmts) < 2 or any(k.type == "&" for k in kids):
            return None
        j = next(k for k, s in enumerate(stmts) if s.id == target.id)
        if j + 1 < len(stmts):
            start, end = c(target.start_byte), c(stmts[j + 1].start_byte)
        else:
            start, end = c(stmts[j - 1].end_byte), c(target.end_byte)
            keep_start_after = True
    else:
        return None
    a = script.source_end(start) if keep_start_after else script.source(start)
    b = script.source_end(end) if keep_start_after else script.source(end)
    if a > b or _has_comment_line(src[a:b]):
        return None
    return Edit(a, b, "")


# -- appending a command ----------------------------------------------------


def append_edit(
    ins: Instruction, script: Script, command: str, tree: Dockerfile, shell_e: bool = False
) -> Edit | None:
    """``shell.append_command`` with two guards: None when the script ends
    in a way after which an appended command would not run as the last
    step (``exit``/``exec``, a background ``&``); and in a heredoc script
    without ``set -e`` the command goes after the last statement with
    ``&&`` (a new line would hide a failure of that statement: a heredoc
    script's status is its last command's)."""
    root = script.tree.root_node
    kids = [k for k in root.children if k.type not in ("comment", "\n")]
    if not kids or kids[-1].type == "&":
        return None
    end = last_node_end(script)
    if any(c.program in ("exit", "exec") and not c.ancestors and c.end == end for c in script.commands):
        return None
    stmts = [k for k in kids if k.type not in (";", "&")]
    if not stmts or _contains(stmts[-1], ("heredoc_redirect", "heredoc_body")):
        return None
    heredoc = any(h.body_start <= script.source(0) <= h.body_end for h in ins.heredocs)
    if heredoc and not errexit_at(script, stmts[-1], shell_e):
        at = script.source_end(last_node_end(script))
        return Edit(at, at, f" && {command}")
    return append_command(ins, script, command, tree.newline, tree.escape)
