from __future__ import annotations

from ... import shell
from ...rules import Context, Edit, Safety
from ...shellcheck import Comment
from ...tree import Instruction
from ._shellcheck_rule import Decision, ShellCheckRule, sc_message
from ._shells import bashism_note, enclosing, node_at, shell_program


class RedirectBothStreams(ShellCheckRule):
    """
    ## What it does
    Rewrites `cmd &> FILE` as `cmd > FILE 2>&1` in a script read as POSIX
    `sh`, ShellCheck's SC3020.

    ## Why
    `&>` is bash's shorthand. dash, the `/bin/sh` of Debian and Ubuntu,
    reads `cmd &> FILE` as `cmd &` (run in the background) followed by
    `> FILE` (empty the file): the command's output is not redirected, its
    status is lost, and it may still run when the next command starts.

    ## Example
    ```dockerfile
    FROM nginx:1.27-alpine
    RUN if bash -c true &> /dev/null; then exit 1; fi
    ```
    becomes
    ```dockerfile
    FROM nginx:1.27-alpine
    RUN if bash -c true > /dev/null 2>&1; then exit 1; fi
    ```

    ## Fix safety
    Safe where the shell is bash or BusyBox ash, which read `&> FILE` as
    `> FILE 2>&1`. Unsafe where it is dash or not known: the command then
    runs in the foreground with its output redirected, which changes what
    the build does.
    """

    code = "DF711"
    name = "redirect-both-streams"
    summary = "`cmd &> FILE` in a POSIX sh script → `cmd > FILE 2>&1`"
    safety = Safety.SAFE
    sc_codes = (3020,)

    def decide(self, ctx: Context, ins: Instruction, comment: Comment) -> Decision:
        script = ctx.model.script(ins)
        assert script is not None
        redirect = enclosing(node_at(script, comment.script_start, comment.script_end), "file_redirect")
        kids = redirect.children if redirect is not None else []
        if len(kids) != 2 or kids[0].type != "&>":
            return Decision.report("not a `&> FILE` redirect", comment)
        c = script._c
        op_start, op_end, dest_end = c(kids[0].start_byte), c(kids[0].end_byte), c(kids[1].end_byte)
        start, end = script.source(op_start), script.source_end(op_end)
        if end - start != 2:
            return Decision.report("a line break inside the operator", comment)
        edits: tuple[Edit, ...] = (Edit(start, end, ">"), shell.insert_after(script, dest_end, " 2>&1"))
        note = bashism_note(shell_program(ctx, ins, script), "`&>`")
        if not note:
            return Decision(edits, Safety.SAFE)
        return Decision(edits, Safety.UNSAFE, f"{sc_message(comment)} ({note})")
