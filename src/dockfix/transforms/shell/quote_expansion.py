from __future__ import annotations

from ...rules import Context, Safety
from ...shellcheck import Comment
from ...tree import Instruction
from . import _quoting
from ._shellcheck_rule import INEXACT, Decision, ShellCheckRule, fix_edits, sc_message


class QuoteExpansion(ShellCheckRule):
    """
    ## What it does
    Puts double quotes around an unquoted `$VAR` or `${VAR…}` in a RUN
    script that ShellCheck flags (SC2086), with ShellCheck's own fix
    (`cp $HOME/x .` → `cp "$HOME"/x .`), when dockfix can tell what the
    value is. A variable meant to be split into several words is reported
    and never quoted: a package list passed to a package manager
    (`apt-get install $PKGS`, `apk add $deps`, `pip install $extras`),
    the list of a `for` loop, the operands of `rm`/`kill`/`chmod`…, an
    options string (a name ending in `FLAGS`, `OPTS`, `OPTIONS`, `ARGS`,
    `PKGS`, `PACKAGES`, `DEPS`, `LIST`: `$CFLAGS`, `$JAVA_OPTS`), or a
    value with blanks (`files="a b"; cat $files`).

    ## Why
    The shell splits an unquoted expansion on blanks, expands glob
    characters in it and drops it when it is empty: `cd $DIR` with a
    `DIR` holding a space, a `*` or nothing does something else than
    intended, silently. hadolint runs ShellCheck on every RUN and reports
    each one (SC2086); like hadolint, dockfix tells ShellCheck that the
    file's ARG and ENV names are set, so those are not flagged.

    ## Example
    ```dockerfile
    FROM debian:bookworm
    RUN arch=$(dpkg --print-architecture) \
     && mkdir -p $HOME/.cache \
     && wget -q -O /tmp/tool.tgz https://example.com/tool-$arch.tgz
    ```

    Use instead:
    ```dockerfile
    FROM debian:bookworm
    RUN arch=$(dpkg --print-architecture) \
     && mkdir -p "$HOME"/.cache \
     && wget -q -O /tmp/tool.tgz https://example.com/tool-"$arch".tgz
    ```

    ## Fix safety
    Quoting changes nothing when the value is one word: not empty, no
    blank, no glob character (`*?[` or a backslash), and IFS is not
    changed (by the script or an ENV). The fix is safe when dockfix proves
    that from its own model, never from ShellCheck's: `$HOME` of a known
    user; a variable the script sets before the use, on every path, to a
    literal word, an arithmetic `$((…))`, a command printing one word
    (`$(uname -m)`, `$(dpkg --print-architecture)`: the table in
    `dockfix.tools.posix`), or words of ENV values; the variable of a
    `for` loop over literal words, in its body; `${VAR:-word}` of such
    values; `$#`, `$?`, `$$` and `${#VAR}` (numbers). The value of an ARG
    is never known (`--build-arg` can change it, unless a later ENV sets
    the name), nor one a base image sets unless dockfix's image table
    knows it, nor one a secret mount (`env=`) sets. Otherwise the fix is
    unsafe (applied with `--unsafe-fixes`): a glob pattern, an empty or
    unknown value, a positional parameter (`$1`), a script running `eval`
    or `source`. The split-on-purpose cases above are only reported, even
    with `--unsafe-fixes`. Windows stages (and files with the `` ` ``
    escape), non-POSIX `SHELL`s and exec-form RUNs are not checked.
    """

    code = "DF703"
    name = "quote-expansion"
    summary = "Double-quote `$VAR` in RUN when its value is one word (ShellCheck SC2086)"
    safety = Safety.SAFE
    sc_codes = (2086,)

    def decide(self, ctx: Context, ins: Instruction, comment: Comment) -> Decision | None:
        script = ctx.model.script(ins)
        edits = fix_edits(comment)
        if script is None or edits is None:
            return Decision.report(INEXACT, comment)
        verdict = _quoting.expansion(ctx, ins, script, comment.script_start, comment.script_end)
        return decision(comment, verdict, edits)


def decision(comment: Comment, verdict: _quoting.Verdict, edits: tuple) -> Decision:
    """The finding for a quoting verdict (DF703, DF704)."""
    if verdict.safety is Safety.REPORT_ONLY:
        return Decision.report(verdict.why, comment)
    if verdict.safety is Safety.SAFE:
        return Decision(edits, Safety.SAFE, f"{sc_message(comment)} (quoting changes nothing: {verdict.why})")
    return Decision(
        edits, Safety.UNSAFE, f"{sc_message(comment)} (quoting may change the command: {verdict.why})"
    )
