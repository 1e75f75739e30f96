from __future__ import annotations

from ...rules import Context, Edit, Safety
from ...shell import Script
from ...shellcheck import Comment
from ...tree import Instruction
from ._shellcheck_rule import INEXACT, Decision, ShellCheckRule, fix_edits

#: what a backslash escapes inside `...` (POSIX: "backslash shall retain its
#: literal meaning, except when followed by: '$', '`', or <backslash>")
_ESCAPED = "$`\\"


class LegacyBackticks(ShellCheckRule):
    """
    ## What it does
    Rewrites a command substitution in backticks as `$(...)` (ShellCheck's
    SC2006), with ShellCheck's own fix: the two backticks are replaced,
    and a backslash that only escaped `$`, `` ` `` or `\\` inside the
    backticks is dropped.

    ## Why
    Backticks do not nest without escaping, treat backslashes specially and
    are easy to misread; `$(...)` nests, reads the same everywhere and is
    what POSIX recommends. hadolint reports every backtick substitution in
    a RUN (SC2006).

    ## Example
    ```dockerfile
    RUN echo "built on `date -u`" > /build-info && cp app-`uname -m` /usr/local/bin/app
    ```
    becomes
    ```dockerfile
    RUN echo "built on $(date -u)" > /build-info && cp app-$(uname -m) /usr/local/bin/app
    ```

    ## Fix safety
    Safe: the shell runs the same command. Inside backticks the shell
    first drops the backslash before `$`, `` ` `` and `\\` and then parses
    the rest; inside `$(...)` the text is parsed as written, so those
    backslashes are dropped by the fix (ShellCheck's fix keeps them, which
    would turn `` `echo \\$HOME` `` into one printing `$HOME`). Nested
    backticks (`` `a \\`b\\`` ``) become `$(a `b`)`, whose inner backticks
    are fixed on the next pass. A substitution that starts with `(` gets a
    space (`$( (cd x; ls))`, not the arithmetic `$((`). Reported, not
    fixed: backticks inside double quotes whose text escapes a `"` (shells
    differ on what `\\"` means there), and spans a fix cannot edit exactly.
    Windows stages, non-POSIX `SHELL`s and exec-form RUNs are not checked.
    """

    code = "DF701"
    name = "legacy-backticks"
    summary = "Use $(...) instead of legacy backticks in RUN (ShellCheck SC2006)"
    safety = Safety.SAFE
    sc_codes = (2006,)

    def decide(self, ctx: Context, ins: Instruction, comment: Comment) -> Decision | None:
        script = ctx.model.script(ins)
        edits = fix_edits(comment)
        if script is None or edits is None:
            return Decision.report(INEXACT, comment)
        s, e = comment.script_start, comment.script_end
        text = script.text
        if e - s < 2 or text[s] != "`" or text[e - 1] != "`":
            return Decision.report("not a backtick substitution", comment)
        inner = text[s + 1 : e - 1]
        if "\\" in inner and _in_double_quotes(script, s) and '\\"' in inner:
            return Decision.report('backticks inside double quotes escape a `"`', comment)
        out = list(edits)
        if inner.startswith("("):
            opening = [x for x in out if x.start == script.source(s) and x.replacement == "$("]
            if len(opening) != 1:
                return Decision.report(INEXACT, comment)
            out[out.index(opening[0])] = Edit(opening[0].start, opening[0].end, "$( ")
        k = 0
        while k < len(inner):
            if inner[k] == "\\" and k + 1 < len(inner):
                if inner[k + 1] in _ESCAPED:
                    at = script.source(s + 1 + k)
                    if ctx.text[at : at + 1] != "\\":
                        return Decision.report("an escape inside cannot be edited exactly", comment)
                    out.append(Edit(at, at + 1))
                k += 2
                continue
            k += 1
        return Decision(tuple(sorted(out)))


def _in_double_quotes(script: Script, at: int) -> bool:
    """Is script offset ``at`` inside a double-quoted string?"""
    byte = len(script.text[:at].encode("utf-8"))
    node = script.tree.root_node.descendant_for_byte_range(byte, byte)
    while node is not None:
        if node.type == "string":
            return True
        node = node.parent
    return False
