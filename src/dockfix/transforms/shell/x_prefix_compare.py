from __future__ import annotations

from typing import Any

from ...rules import Context, Safety
from ...shellcheck import Comment
from ...tree import Instruction
from ._shellcheck_rule import INEXACT, Decision, ShellCheckRule, fix_edits, sc_message
from ._shells import enclosing, node_at

_OPERANDS_OF_EXPRESSIONS = frozenset({"binary_expression", "unary_expression", "parenthesized_expression"})


def _three_words(script: Any, node: Any) -> bool:
    """Is the test that holds ``node`` a plain ``A op B`` (three words), or
    a ``[[ ]]``?  POSIX fixes what ``test`` does with three arguments
    whatever they are; with more (``-a``, ``-o``, ``!``, parentheses) an
    operand such as ``!`` or ``(`` may be read as an operator."""
    test = enclosing(node, "test_command", "command")
    if test is None:
        return False
    kids = test.children
    if test.type == "test_command":
        if kids and kids[0].type == "[[":
            return True
        inner = [k for k in kids if k.type not in ("[", "]")]
        return (
            len(inner) == 1
            and inner[0].type == "binary_expression"
            and len(inner[0].children) == 3
            and not any(k.type in _OPERANDS_OF_EXPRESSIONS for k in inner[0].children)
        )
    words = [script.node_text(k) for k in kids]
    if words[:1] == ["test"]:
        return len(words) == 4
    return words[:1] == ["["] and words[-1:] == ["]"] and len(words) == 5


class XPrefixCompare(ShellCheckRule):
    """
    ## What it does
    Drops the `x` prefix of a string comparison (`[ "x$a" = "xfoo" ]` →
    `[ "$a" = "foo" ]`) with ShellCheck's own fix, SC2268.

    ## Why
    The prefix worked around shells of the 1980s whose `test` read a value
    such as `-n` or `!` as an operator. Every shell a container image
    ships follows POSIX, which fixes how `test` reads three arguments, so
    the prefix only makes the comparison harder to read.

    ## Example
    ```dockerfile
    RUN if [ "x$SKIP_FRONTEND" = "x" ]; then yarn build; fi
    ```
    becomes
    ```dockerfile
    RUN if [ "$SKIP_FRONTEND" = "" ]; then yarn build; fi
    ```

    ## Fix safety
    Safe for a comparison of three words (`[ A = B ]`, `test A != B`) and
    in `[[ ]]`: POSIX defines how `test` reads them, whatever the values.
    Unsafe in a test of more words (`-a`, `-o`, `!`, parentheses): there
    the prefix still keeps a value such as `(` or `!` from being read as
    an operator. Reported without a fix when ShellCheck's fix cannot be
    mapped onto the Dockerfile (a line continuation inside it).
    """

    code = "DF708"
    name = "x-prefix-compare"
    summary = '`[ "x$a" = "xfoo" ]` → `[ "$a" = "foo" ]`'
    safety = Safety.SAFE
    sc_codes = (2268,)

    def decide(self, ctx: Context, ins: Instruction, comment: Comment) -> Decision:
        edits = fix_edits(comment)
        script = ctx.model.script(ins)
        if edits is None or script is None:
            return Decision.report(INEXACT, comment)
        if _three_words(script, node_at(script, comment.script_start, comment.script_end)):
            return Decision(edits, Safety.SAFE)
        why = "in a test of more than three words a value such as `!` or `(` may be read as an operator"
        return Decision(edits, Safety.UNSAFE, f"{sc_message(comment)} ({why})")
