from __future__ import annotations

from ...rules import Context, Safety
from ...shellcheck import Comment
from ...tree import Instruction
from ._shellcheck_rule import INEXACT, Decision, ShellCheckRule, fix_edits


class CdOrExit(ShellCheckRule):
    """
    ## What it does
    Adds `|| exit` after a `cd` whose failure the script would not notice
    (ShellCheck's SC2164): `cd /src; make` becomes `cd /src || exit; make`.
    Only where ShellCheck flags it: not `cd dir && make`, not in a script
    that runs with `set -e`.

    ## Why
    When `cd` fails, the commands after it run in the wrong folder: `make`
    builds something else, `rm -rf *` deletes the wrong files, and the RUN
    may still succeed, leaving a broken image. hadolint reports it (SC2164).

    ## Example
    ```dockerfile
    RUN cd /usr/src/app; make install
    ```
    becomes
    ```dockerfile
    RUN cd /usr/src/app || exit; make install
    ```

    ## Fix safety
    Safe: when `cd` succeeds nothing changes; when it fails the RUN now
    stops there with `cd`'s error status, and the build fails at that
    step instead of running the rest of the script in the wrong folder
    (a build that was already broken). In `make && cd out; ls` the
    `|| exit` also stops the RUN when `make` fails, which went unnoticed
    before in the same way. Unsafe when the `cd` hides its own
    errors (`cd /opt/x 2>/dev/null; ...`): the author may expect it to fail
    and the build to go on. Windows stages, non-POSIX `SHELL`s and
    exec-form RUNs are not checked.
    """

    code = "DF702"
    name = "cd-or-exit"
    summary = "Add `|| exit` after a cd whose failure would go unnoticed in RUN (ShellCheck SC2164)"
    safety = Safety.SAFE
    sc_codes = (2164,)

    def decide(self, ctx: Context, ins: Instruction, comment: Comment) -> Decision | None:
        edits = fix_edits(comment)
        script = ctx.model.script(ins)
        if edits is None or script is None:
            return Decision.report(INEXACT, comment)
        cmd = next(
            (c for c in script.commands if c.start == comment.script_start and c.program == "cd"), None
        )
        if cmd is not None and cmd.redirected:
            return Decision(edits, Safety.UNSAFE)
        return Decision(edits)
