from __future__ import annotations

from ...rules import Context, Edit, Safety
from ...shellcheck import Comment
from ...tree import Instruction
from ._shellcheck_rule import Decision, ShellCheckRule, sc_message
from ._shells import bashism_note, node_at, shell_program


class DoubleEqualsInTest(ShellCheckRule):
    """
    ## What it does
    Rewrites `==` as `=` in a `[ ]` or `test` comparison of a script read
    as POSIX `sh`, ShellCheck's SC3014.

    ## Why
    `==` is bash's spelling; POSIX `test` compares strings with `=`. dash,
    the `/bin/sh` of Debian and Ubuntu, fails on `[ "$a" == b ]`
    (`unexpected operator`, status 2), so the test is false whatever the
    values.

    ## Example
    ```dockerfile
    FROM busybox:1.36
    RUN [ "$MODE" == "prod" ] || touch /dev-mode
    ```
    becomes
    ```dockerfile
    FROM busybox:1.36
    RUN [ "$MODE" = "prod" ] || touch /dev-mode
    ```

    ## Fix safety
    Safe where the shell is bash or BusyBox ash, whose `test` reads `==` as
    `=`. Unsafe where it is dash or not known: there the test now works
    instead of failing, which changes what the build does.
    """

    code = "DF710"
    name = "test-double-equals"
    summary = "`[ a == b ]` in a POSIX sh script → `[ a = b ]`"
    safety = Safety.SAFE
    sc_codes = (3014,)

    def decide(self, ctx: Context, ins: Instruction, comment: Comment) -> Decision:
        script = ctx.model.script(ins)
        assert script is not None
        s, e = comment.script_start, comment.script_end
        if script.text[s:e] != "==":
            # `test a == b`: ShellCheck flags the command; the operator is its word
            node = node_at(script, s, e)
            ops = [k for k in node.children if script.node_text(k) == "=="] if node is not None else []
            if node is None or node.type != "command" or len(ops) != 1:
                return Decision.report("the `==` is not one word of the test", comment)
            s, e = script._c(ops[0].start_byte), script._c(ops[0].end_byte)
        start, end = script.source(s), script.source_end(e)
        if end - start != 2:
            return Decision.report("a line break inside the word", comment)
        edits: tuple[Edit, ...] = (Edit(start, end, "="),)
        note = bashism_note(shell_program(ctx, ins, script), "`==`")
        if not note:
            return Decision(edits, Safety.SAFE)
        return Decision(edits, Safety.UNSAFE, f"{sc_message(comment)} ({note})")
