from __future__ import annotations

from typing import Any

from ... import shell
from ...rules import Context, Edit, Safety
from ...shell import Script
from ...shellcheck import Comment
from ...tree import Instruction
from ._shellcheck_rule import Decision, ShellCheckRule, sc_message
from ._shells import enclosing, node_at, shell_program

#: the builtins whose assignment ``A=$(cmd) && export A`` may split
_SPLIT_KEYWORDS = ("export", "readonly")
#: statements whose body a statement may be in (not a condition)
_BODIES = frozenset({"program", "compound_statement", "subshell", "do_group", "else_clause"})
#: expansions the shell splits when they are not in double quotes
_EXPANSIONS = frozenset({"command_substitution", "simple_expansion", "expansion", "arithmetic_expansion"})


def _unquoted_expansion(node: Any) -> bool:
    """An expansion in ``node`` that is not inside double quotes."""
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type in _EXPANSIONS:
            return True
        if n.type not in ("string", "raw_string"):
            stack.extend(n.children)
    return False


def _may_errexit(script: Script) -> bool:
    """Can ``set -e`` be on anywhere in the script: a ``-e`` on its ``#!``
    line, or a ``set`` with ``-e`` (``-eux``, ``-eo pipefail``) or ``-o
    errexit``, even in a condition or a function.  (``shell.errexit``
    misses ``set -eo pipefail``: it takes an ``o`` in the flags for a
    ``-o`` without ``e``.)"""
    if shell.errexit(script):
        return True
    for cmd in script.commands:
        if cmd.program != "set":
            continue
        words = [v or "" for v in cmd.values]
        for k, w in enumerate(words):
            if w.startswith("-") and not w.startswith("--") and "e" in w[1:]:
                return True
            if w == "-o" and words[k + 1 : k + 2] == ["errexit"]:
                return True
    return False


def _place(decl: Any) -> tuple[str | None, str]:
    """How the declaration is joined to the script: ``("&&", "")`` in an
    ``&&`` chain, ``(";", "")`` a statement of its own, or ``(None, why)``
    when the split cannot be written (``||``, a pipe, a redirect, a
    condition)."""
    node, op = decl, ";"
    parent = node.parent
    while parent is not None and parent.type == "list":
        if any(k.type == "||" for k in parent.children):
            return None, "it is joined with `||`"
        op = "&&"
        node, parent = parent, parent.parent
    if parent is None:
        return None, "its place in the script is not known"
    if parent.type in ("pipeline", "redirected_statement"):
        return None, "it is in a pipe or redirected"
    if parent.type in ("if_statement", "elif_clause"):
        kinds = [k.type for k in parent.children]
        then = kinds.index("then") if "then" in kinds else len(kinds)
        if next(i for i, k in enumerate(parent.children) if k.id == node.id) < then:
            return None, "it is a condition"
        return op, ""
    if parent.type not in _BODIES:
        return None, "it is a condition or a case of a compound command"
    return op, ""


class AssignThenExport(ShellCheckRule):
    """
    ## What it does
    Splits `export NAME="$(cmd)"` into `NAME="$(cmd)"; export NAME` (in an
    `&&` chain: `NAME="$(cmd)" && export NAME`), ShellCheck's SC2155;
    `readonly` likewise.

    ## Why
    The status of `export NAME="$(cmd)"` is `export`'s, always 0: when
    `cmd` fails, the build goes on with an empty or partial value, even
    under `set -e` or in an `&&` chain. The status of a plain assignment is
    the command substitution's, so a failing `cmd` stops the build where it
    happened.

    ## Example
    ```dockerfile
    RUN export GNUPGHOME="$(mktemp -d)"; \\
        gpg --batch --recv-keys "$KEY"
    ```
    becomes
    ```dockerfile
    RUN GNUPGHOME="$(mktemp -d)"; export GNUPGHOME; \\
        gpg --batch --recv-keys "$KEY"
    ```

    ## Fix safety
    Safe when nothing reads the assignment's status: a statement of its own
    (`;` or a new line), with no `set -e` in the script and no `-e` in the
    `SHELL`. Unsafe in an `&&` chain or under `set -e`: a failing `cmd`
    now stops the chain or fails the build (that is the point). Unsafe too
    when the value has an unquoted expansion and the shell is not bash:
    older dash versions split `export A=$(cmd)` into words, which the plain
    assignment does not. Reported without a fix when the declaration is
    joined with `||`, piped, redirected or a condition, declares more than
    one name, or is `local`, `declare` or `typeset`.
    """

    code = "DF706"
    name = "assign-then-export"
    summary = '`export A="$(cmd)"` hides a failing `cmd` → `A="$(cmd)"; export A`'
    safety = Safety.SAFE
    sc_codes = (2155,)

    def decide(self, ctx: Context, ins: Instruction, comment: Comment) -> Decision:
        script = ctx.model.script(ins)
        assert script is not None
        name = script.text[comment.script_start : comment.script_end]
        assign = enclosing(node_at(script, comment.script_start, comment.script_end), "variable_assignment")
        decl = assign.parent if assign is not None else None
        keyword = decl.children[0].type if decl is not None and decl.type == "declaration_command" else None
        if decl is None or keyword not in _SPLIT_KEYWORDS:
            why = f"`{keyword}` is not split" if keyword else "not a declaration dockfix can split"
            return Decision.report(why, comment)
        if len(decl.children) != 2:
            return Decision.report("more than one word is declared", comment)
        op, why = _place(decl)
        if op is None:
            return Decision.report(why, comment)
        c = script._c
        kw_start, assign_start, assign_end = c(decl.start_byte), c(assign.start_byte), c(assign.end_byte)
        cut = Edit(script.source(kw_start), script.source(assign_start))
        if cut.end - cut.start != assign_start - kw_start:
            return Decision.report("a line break follows the keyword", comment)
        add = shell.insert_after(
            script, assign_end, f" && {keyword} {name}" if op == "&&" else f"; {keyword} {name}"
        )
        if op == "&&":
            note = "a failing command now stops the `&&` chain"
        elif ctx.facts(ins).shell.errexit or _may_errexit(script):
            note = "under `set -e` a failing command now fails the build"
        elif _unquoted_expansion(assign.children[-1]) and shell_program(ctx, ins, script) != "bash":
            note = "the value is not quoted: older dash versions split it after `export`"
        else:
            return Decision((cut, add), Safety.SAFE)
        return Decision((cut, add), Safety.UNSAFE, f"{sc_message(comment)} ({note})")
