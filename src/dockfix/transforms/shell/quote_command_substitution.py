from __future__ import annotations

from ...rules import Context, Safety
from ...shellcheck import Comment
from ...tree import Instruction
from . import _quoting
from ._shellcheck_rule import Decision, ShellCheckRule
from .quote_expansion import decision


class QuoteCommandSubstitution(ShellCheckRule):
    """
    ## What it does
    Puts double quotes around an unquoted command substitution in a RUN
    script that ShellCheck flags (SC2046): `make -j$(nproc)` →
    `make -j"$(nproc)"`. ShellCheck offers no fix for this one; dockfix
    adds the two quotes. A substitution used as a list of words is
    reported and never quoted: a package list (`apt-get install $(cat
    packages.txt)`, `pip install $(…)`), the list of a `for` loop, the
    operands of `rm`/`kill`/`chmod`… (`rm $(find …)`, `kill $(pidof …)`),
    or the output of a command that prints lists (`find`, `ls`, `pidof`,
    `pgrep`, `seq`, `xargs`…).

    ## Why
    The shell splits the output of an unquoted `$(…)` on blanks and
    expands glob characters in it: a path with a space, or a line with a
    `*`, becomes several arguments. hadolint reports each one (SC2046).

    ## Example
    ```dockerfile
    FROM debian:bookworm
    RUN wget -q https://example.com/$(uname -m)/tool.tgz && make -j$(nproc)
    ```

    Use instead:
    ```dockerfile
    FROM debian:bookworm
    RUN wget -q https://example.com/"$(uname -m)"/tool.tgz && make -j"$(nproc)"
    ```

    ## Fix safety
    Safe when the command prints one word: a command of the table in
    `dockfix.tools.posix` (`uname -m`, `nproc`, `id -u`, `dpkg
    --print-architecture`, `lsb_release -cs`, `date +%s`…), or `pwd` with
    a WORKDIR of one word and no `cd` in the script; and IFS is not
    changed. (Should such a command fail and print nothing, the quoted
    form passes an empty argument where the unquoted one passed none; the
    command has failed either way.) Any other substitution may print
    several words or none: the fix is unsafe (applied with
    `--unsafe-fixes`). The list cases above are only reported, even with
    `--unsafe-fixes`; so is a backquoted command holding a `"` or a
    backslash (quoting it changes how they are read: DF701 turns it into
    `$(…)` first). Windows stages (and files with the `` ` `` escape),
    non-POSIX `SHELL`s and exec-form RUNs are not checked.
    """

    code = "DF704"
    name = "quote-command-substitution"
    summary = "Double-quote `$(cmd)` in RUN when its output is one word (ShellCheck SC2046)"
    safety = Safety.SAFE
    sc_codes = (2046,)

    def decide(self, ctx: Context, ins: Instruction, comment: Comment) -> Decision | None:
        script = ctx.model.script(ins)
        if script is None:
            return Decision.report("the script cannot be read", comment)
        s, e = comment.script_start, comment.script_end
        text = script.text[s:e]
        if not (text.startswith("$(") and text.endswith(")")) and not (
            len(text) > 1 and text[0] == text[-1] == "`"
        ):
            return Decision.report("not a command substitution", comment)
        verdict = _quoting.substitution(ctx, ins, script, s, e)
        return decision(comment, verdict, _quoting.quote(script, s, e))
