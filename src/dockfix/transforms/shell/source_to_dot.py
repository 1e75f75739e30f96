from __future__ import annotations

from ...rules import Context, Edit, Safety
from ...shellcheck import Comment
from ...tree import Instruction
from ._shellcheck_rule import Decision, ShellCheckRule, sc_message
from ._shells import bashism_note, shell_program


class SourceToDot(ShellCheckRule):
    """
    ## What it does
    Rewrites `source FILE` as `. FILE` in a script read as POSIX `sh`,
    ShellCheck's SC3046.

    ## Why
    `source` is a bash name for the POSIX `.`; dash, the `/bin/sh` of
    Debian and Ubuntu, has no `source` (`source: not found`). `.` works in
    every shell, so the script no longer depends on which shell `/bin/sh`
    is, or on a `SHELL` set in another stage.

    ## Example
    ```dockerfile
    FROM python:3.12-alpine
    RUN source .venv/bin/activate && pip install .
    ```
    becomes
    ```dockerfile
    FROM python:3.12-alpine
    RUN . .venv/bin/activate && pip install .
    ```

    ## Fix safety
    Safe where the shell that runs the script is bash (a `SHELL`, a
    `#!` line, or the `/bin/sh` of RHEL-like, SUSE and Arch images) or
    BusyBox ash (Alpine, Wolfi, BusyBox): their `source` is `.`, the same
    builtin. Unsafe where it is dash or not known: there `source` fails
    and `.` works, so the build does something else.
    """

    code = "DF709"
    name = "source-to-dot"
    summary = "`source FILE` in a POSIX sh script → `. FILE`"
    safety = Safety.SAFE
    sc_codes = (3046,)

    def decide(self, ctx: Context, ins: Instruction, comment: Comment) -> Decision:
        script = ctx.model.script(ins)
        assert script is not None
        cmd = next((c for c in script.commands if c.name_start == comment.script_start), None)
        if cmd is None or cmd.name != "source":
            return Decision.report("not a `source` command", comment)
        start, end = script.source(cmd.name_start), script.source_end(cmd.name_end)
        if end - start != len("source"):
            return Decision.report("a line break inside the word", comment)
        edits: tuple[Edit, ...] = (Edit(start, end, "."),)
        note = bashism_note(shell_program(ctx, ins, script), "`source`")
        if not note:
            return Decision(edits, Safety.SAFE)
        return Decision(edits, Safety.UNSAFE, f"{sc_message(comment)} ({note})")
