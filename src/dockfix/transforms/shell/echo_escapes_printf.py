from __future__ import annotations

from ...rules import Context, Edit, Safety
from ...shellcheck import Comment
from ...tree import Instruction
from ._shellcheck_rule import Decision, ShellCheckRule, command_with_arg_at
from ._shells import shell_program

_PRINTF = "printf '%b\\n'"


class EchoEscapesPrintf(ShellCheckRule):
    """
    ## What it does
    Rewrites `echo 'a\\tb'` (one argument holding a backslash escape) as
    `printf '%b\\n' 'a\\tb'` where the shell that runs it is dash — the
    `/bin/sh` of Debian and Ubuntu images — ShellCheck's SC2028.

    ## Why
    What `echo` does with `\\n`, `\\t` or `\\c` depends on the shell: dash's
    `echo` interprets them, bash's and BusyBox's print them as they are.
    The same line writes a different file once the `SHELL` or the base
    image changes. `printf '%b\\n'` interprets them in every shell, exactly
    as dash's `echo` does.

    ## Example
    ```dockerfile
    FROM debian:bookworm-slim
    RUN echo "[main]\\nenabled=1" > /etc/app.conf
    ```
    becomes
    ```dockerfile
    FROM debian:bookworm-slim
    RUN printf '%b\\n' "[main]\\nenabled=1" > /etc/app.conf
    ```

    ## Fix safety
    Safe: applied only where the shell is dash (the default `SHELL` on a
    Debian or Ubuntu base, a `SHELL` or `#!` line naming `sh` there, or
    `dash`), whose `echo` prints what `printf '%b\\n'` prints for one
    argument — escapes, `\\c` and octal `\\0nnn` alike. Reported without a
    fix where the shell's `echo` prints escapes as they are (bash, BusyBox
    ash, the `/bin/sh` of RHEL-like, SUSE and Arch images; `printf '%b\\n'`
    would change the output there, as the author may well have meant),
    where the shell is not known (also when an earlier `RUN` may have put
    another shell at `/bin/sh`: `ln -sf /bin/bash /bin/sh`, `dpkg-reconfigure
    dash`), for `echo` with options (`-n`, `-e`) or
    more than one argument, and for `/bin/echo` (an external program).
    """

    code = "DF707"
    name = "echo-escapes-printf"
    summary = "`echo 'a\\tb'` depends on the shell → `printf '%b\\n' 'a\\tb'` (dash)"
    safety = Safety.SAFE
    sc_codes = (2028,)

    def decide(self, ctx: Context, ins: Instruction, comment: Comment) -> Decision:
        script = ctx.model.script(ins)
        assert script is not None
        cmd = command_with_arg_at(script, comment.script_start)
        if cmd is None or cmd.name != "echo":
            return Decision.report("not the shell's own `echo`", comment)
        if len(cmd.args) != 1 or cmd.args[0].text.startswith("-"):
            return Decision.report("`echo` with options or more than one argument", comment)
        prog = shell_program(ctx, ins, script)
        if prog is None:
            return Decision.report("which shell runs it is not known", comment)
        if prog != "dash":
            name = "BusyBox" if prog == "busybox" else prog
            why = f"{name}'s `echo` prints the escape as it is; `{_PRINTF}` would interpret it"
            return Decision.report(why, comment)
        start, end = script.source(cmd.name_start), script.source_end(cmd.name_end)
        if end - start != cmd.name_end - cmd.name_start:
            return Decision.report("a line break inside the word", comment)
        return Decision((Edit(start, end, _PRINTF),), Safety.SAFE)
