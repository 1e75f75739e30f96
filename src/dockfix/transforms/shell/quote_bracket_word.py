from __future__ import annotations

from ... import tools
from ...rules import Context, Edit, Safety
from ...shellcheck import Comment
from ...tree import Instruction
from ._shellcheck_rule import Decision, ShellCheckRule, sc_message


class QuoteBracketWord(ShellCheckRule):
    """
    ## What it does
    Quotes a word whose `[...]` holds a repeated character
    (`pip install black[colorama,d,uvloop]` →
    `pip install 'black[colorama,d,uvloop]'`), ShellCheck's SC2102.

    ## Why
    To the shell `[colorama,d,uvloop]` is a glob matching ONE character:
    `black[colorama,d,uvloop]` stays as written only while no file in the
    working folder is named `blackc`, `blackd`, `black,`... When one is,
    the shell hands pip that file name instead of the package with its
    extras. Quoted, the word is always passed as written.

    ## Example
    ```dockerfile
    RUN pip install --no-cache-dir black[colorama,d,uvloop]
    ```
    becomes
    ```dockerfile
    RUN pip install --no-cache-dir 'black[colorama,d,uvloop]'
    ```

    ## Fix safety
    Unsafe: it changes the command when a file in the working folder
    matches the glob, which cannot be known from the Dockerfile (the build
    context and earlier steps decide it) — then the quoted word is what the
    author meant. Reported without a fix for a word that is not all literal
    (`"$P"[dev]`) or holds a quote.
    """

    code = "DF714"
    name = "quote-bracket-word"
    summary = "`pip install pkg[extra,dev]` (a glob to the shell) → `'pkg[extra,dev]'`"
    safety = Safety.UNSAFE
    sc_codes = (2102,)

    def decide(self, ctx: Context, ins: Instruction, comment: Comment) -> Decision:
        script = ctx.model.script(ins)
        assert script is not None
        s = comment.script_start
        found = [(c, a) for c in script.commands for a in c.args if a.start <= s < a.end]
        if not found:
            return Decision.report("not an argument of a command", comment)
        cmd, arg = max(found, key=lambda ca: ca[1].start)
        if arg.value is None or arg.value != arg.text or "'" in arg.text or "\\" in arg.text:
            return Decision.report("the word is not all literal", comment)
        start, end = script.source(arg.start), script.source_end(arg.end)
        if end - start != arg.end - arg.start:
            return Decision.report("a line break inside the word", comment)
        p = tools.parse(cmd, unwrap=True)
        what = f"a `{p.tool}` operand" if p is not None else "the word"
        why = f"{what} changes if a file in the working folder matches the glob"
        return Decision(
            (Edit(start, start, "'"), Edit(end, end, "'")), Safety.UNSAFE, f"{sc_message(comment)} ({why})"
        )
