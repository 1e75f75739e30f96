from __future__ import annotations

import re

from ...rules import Context, Edit, Safety
from ...shell import Arg, Script
from ...shellcheck import Comment
from ...tree import Instruction
from ._shellcheck_rule import Decision, ShellCheckRule
from ._shells import node_at, shell_program

_FLAGS = re.compile(r"-[neE]+\Z")
#: nodes whose text is not literal
_EXPANSIONS = frozenset({"simple_expansion", "expansion", "command_substitution", "arithmetic_expansion"})


def _format(prog: str, flags: str) -> str | None:
    """The ``printf`` format that prints one argument as ``echo FLAGS``
    does in ``prog`` (None: it cannot be told or written)."""
    if prog in ("bash", "busybox"):
        # both read -n, -e and -E; escapes off unless the last of e/E is e
        interpret = flags.rfind("e") > flags.rfind("E")
    elif prog == "dash" and flags == "n":
        interpret = True  # dash's echo always interprets escapes and knows only -n
    else:
        return None
    return ("%b" if interpret else "%s") + ("" if "n" in flags else "\\n")


def _never_a_flag(script: Script, arg: Arg) -> bool:
    """Can the word ``arg`` never be read as more flags (``-n``, ``-e``...;
    bash and BusyBox read every leading word that is one)?  True when it
    holds a literal character other than ``-``, ``n``, ``e``, ``E``."""
    if arg.value is not None:
        return not _FLAGS.match(arg.value)
    # the word's text without its expansions: what is left is literal
    root = node_at(script, arg.start, arg.end)
    cuts = []
    stack = [root]
    while stack:
        n = stack.pop()
        if n.type in _EXPANSIONS:
            # tree-sitter-bash counts the blank before a `$(` in the node
            body = script.node_text(n)
            start = script._c(n.start_byte) + len(body) - len(body.lstrip())
            cuts.append((start - arg.start, script._c(n.end_byte) - arg.start))
        else:
            stack.extend(n.children)
    text, keep, at = arg.text, [], 0
    for s, e in sorted(cuts):
        keep.append(text[at:s])
        at = max(at, e)
    keep.append(text[at:])
    return any(ch not in "-neE\"'\\" for ch in "".join(keep))


class EchoFlagsPrintf(ShellCheckRule):
    """
    ## What it does
    Rewrites `echo -n ARG` and `echo -e ARG` (one argument) as the `printf`
    that prints the same in the shell that runs the script — `printf '%s'
    ARG` for `echo -n` under bash or BusyBox ash — ShellCheck's SC3037.

    ## Why
    POSIX leaves `echo` options undefined, and shells disagree: dash prints
    `-e` as text and always interprets backslash escapes, bash interprets
    them only with `-e`. `printf` behaves the same everywhere, so the
    output no longer depends on which shell `/bin/sh` is.

    ## Example
    ```dockerfile
    FROM golang:1.22-alpine
    RUN echo -n "$BUILDTAGS" | tee /tmp/.buildtags
    ```
    becomes
    ```dockerfile
    FROM golang:1.22-alpine
    RUN printf '%s' "$BUILDTAGS" | tee /tmp/.buildtags
    ```

    ## Fix safety
    Safe: applied only where the shell is known (from the `SHELL`, a `#!`
    line or the base image's `/bin/sh`) and the `printf` format is what its
    `echo` does with the flags: bash and BusyBox ash read `-n`, `-e`, `-E`
    (`%s` or `%b`, and a `\\n` unless `-n`); dash reads `-n` only and
    always interprets escapes (`%b`). Reported without a fix in dash for
    `-e`/`-E` (dash prints them), where the shell is not known (an
    unknown image, or an earlier `RUN` that may have replaced `/bin/sh`),
    when the argument may expand to a flag itself (`echo -n "$A"`), and for
    more than one argument after the flags.
    """

    code = "DF712"
    name = "echo-flags-printf"
    summary = "`echo -n ARG` in a POSIX sh script → `printf '%s' ARG` (per shell)"
    safety = Safety.SAFE
    sc_codes = (3037,)

    def decide(self, ctx: Context, ins: Instruction, comment: Comment) -> Decision:
        script = ctx.model.script(ins)
        assert script is not None
        cmd = next((c for c in script.commands if c.args and c.args[0].start == comment.script_start), None)
        if cmd is None or cmd.name != "echo" or not _FLAGS.match(cmd.args[0].text):
            return Decision.report("not `echo` with flags dockfix knows", comment)
        if len(cmd.args) != 2 or _FLAGS.match(cmd.args[1].text):
            return Decision.report("not one argument after the flags", comment)
        if not _never_a_flag(script, cmd.args[1]):
            return Decision.report("the argument may expand to an `echo` flag", comment)
        prog = shell_program(ctx, ins, script)
        fmt = _format(prog, cmd.args[0].text[1:]) if prog is not None else None
        if fmt is None:
            why = "which shell runs it is not known" if prog is None else f"{prog}'s `echo` prints the flag"
            return Decision.report(why, comment)
        s, e = cmd.name_start, cmd.args[0].end
        start, end = script.source(s), script.source_end(e)
        if end - start != e - s:
            return Decision.report("a line break inside the command", comment)
        return Decision((Edit(start, end, f"printf '{fmt}'"),), Safety.SAFE)
