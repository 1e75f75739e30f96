from __future__ import annotations

from ...rules import Context, Edit, Safety
from ...shellcheck import Comment
from ...tree import Instruction
from ._shellcheck_rule import Decision, ShellCheckRule, command_with_arg_at, sc_message


class UselessEcho(ShellCheckRule):
    """
    ## What it does
    Rewrites `echo $(cmd)` and `echo "$(cmd)"` as `cmd`, ShellCheck's
    SC2005.

    ## Why
    The command already writes to standard output: capturing its output
    only to print it again costs a subshell, and `echo $(cmd)` also splits
    and globs what `cmd` prints (`*` in the output becomes file names).

    ## Example
    ```dockerfile
    RUN (cd /opt/nvm && echo $(git log -n 1 --pretty=format:%H -- .)) > /opt/nvm/.commit
    ```
    becomes
    ```dockerfile
    RUN (cd /opt/nvm && git log -n 1 --pretty=format:%H -- .) > /opt/nvm/.commit
    ```

    ## Fix safety
    Unsafe: the output may differ. `echo "$(cmd)"` drops every trailing
    newline of the output and adds one (`git log --pretty=format:%H` prints
    none, so the file loses its last newline); `echo $(cmd)` also joins the
    words of the output with single spaces and expands globs in them.
    Reported without a fix for `echo` with options or more than one
    argument, and for backticks (DF701 turns them into `$(...)` first).
    """

    code = "DF713"
    name = "useless-echo"
    summary = "`echo $(cmd)` → `cmd`"
    safety = Safety.UNSAFE
    sc_codes = (2005,)

    def decide(self, ctx: Context, ins: Instruction, comment: Comment) -> Decision:
        script = ctx.model.script(ins)
        assert script is not None
        cmd = command_with_arg_at(script, comment.script_start)
        if cmd is None or cmd.name != "echo" or len(cmd.args) != 1:
            return Decision.report("`echo` with options or more than one argument", comment)
        arg = cmd.args[0]
        text = arg.text
        quoted = text.startswith('"$(') and text.endswith(')"')
        if not (quoted or (text.startswith("$(") and text.endswith(")"))):
            return Decision.report("not one `$(...)`", comment)
        open_end = arg.start + (3 if quoted else 2)
        close_start = arg.end - (2 if quoted else 1)
        inner = script.text[open_end:close_start]
        if not inner.strip() or inner.lstrip().startswith("("):
            return Decision.report("not one `$(...)`", comment)
        cut1 = Edit(script.source(cmd.name_start), script.source(open_end))
        cut2 = Edit(script.source_end(close_start), script.source_end(arg.end))
        if (
            cut1.end - cut1.start != open_end - cmd.name_start
            or cut2.end - cut2.start != arg.end - close_start
        ):
            return Decision.report("a line break inside the command", comment)
        why = "the output may change: `echo` drops its trailing newlines and adds one"
        if not quoted:
            why += ", and joins its words with single spaces and globs them"
        return Decision((cut1, cut2), Safety.UNSAFE, f"{sc_message(comment)} ({why})")
