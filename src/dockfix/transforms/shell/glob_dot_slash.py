from __future__ import annotations

from ... import tools
from ...rules import Context, Edit, Safety
from ...shell import Command, Script
from ...shellcheck import Comment
from ...tree import Instruction
from ._shellcheck_rule import Decision, ShellCheckRule, sc_message


def _word_at(script: Script, at: int) -> tuple[Command, int] | None:
    """The command that has a word starting at script offset ``at`` as an
    argument, and the word's index (the innermost command: one inside a
    ``$(...)`` of another's argument)."""
    found = None
    for cmd in script.commands:
        for k, arg in enumerate(cmd.args):
            if arg.start == at and (found is None or cmd.start >= found[0].start):
                found = (cmd, k)
    return found


def _program(cmd: Command, index: int) -> str | None:
    """The program that gets argument ``index`` of ``cmd``: the command run
    through ``sudo``, ``xargs``... (None: it expands, or the word belongs
    to the wrapper)."""
    prog = cmd.program
    if prog is None or prog not in tools.posix.WRAPPERS:
        return prog
    inner = tools.posix.unwrap(prog, tools.tokens(cmd), cmd.name_end)
    if inner is None or index < inner.start:
        return None
    return inner.program


class GlobDotSlash(ShellCheckRule):
    """
    ## What it does
    Writes `./` before a glob that starts a command argument (`rm *.tmp` →
    `rm ./*.tmp`), ShellCheck's SC2035, where the command reads `./name`
    as the same file as `name`.

    ## Why
    A file whose name starts with `-` (`-rf`, `--help`) matches `*.tmp`,
    and the command reads it as an option: `rm *` in a folder holding a
    file named `-rf` removes more than the files. With `./` every match is
    a path.

    ## Example
    ```dockerfile
    RUN rm -f *.tmp && cp *.conf /etc/nginx/
    ```
    becomes
    ```dockerfile
    RUN rm -f ./*.tmp && cp ./*.conf /etc/nginx/
    ```

    ## Fix safety
    Safe for the commands that take such words as paths only and do not
    keep their text (`rm`, `cp`, `mv`, `mkdir`, `touch`, `chmod`, `chown`,
    `chgrp`, `cat`, `install`, `gzip`, `gunzip`, `bzip2`, `xz`,
    `dos2unix`, `strip`, also behind `sudo`, `xargs` and the like): the
    same files are read and written. Unsafe for the other commands: the
    name may be printed or stored with its `./` (`tar czf a.tgz *.log`
    stores `./a.log`, `echo *` prints `./a`). Reported without a fix where
    `./` changes what is found: `find . -name *.bak` (a pattern: quote it
    instead), `. *.env` and `source` (a name without `/` is looked up in
    PATH), `unzip a.zip *.txt` (member names), and where the program is
    not a literal word.
    """

    code = "DF705"
    name = "glob-dot-slash"
    summary = "Glob that starts an argument (`rm *.tmp`) → `rm ./*.tmp`"
    safety = Safety.SAFE
    sc_codes = (2035,)

    def decide(self, ctx: Context, ins: Instruction, comment: Comment) -> Decision:
        script = ctx.model.script(ins)
        found = _word_at(script, comment.script_start) if script is not None else None
        if found is None:
            return Decision.report("not an argument of a command", comment)
        cmd, index = found
        prog = _program(cmd, index)
        if prog is None:
            return Decision.report("the command is not a literal word", comment)
        if prog == "find":
            return Decision.report("`find` reads it as a pattern: quote it", comment)
        if prog in tools.posix.DOT_SLASH_CHANGES:
            return Decision.report(f"`./` changes what `{prog}` looks for", comment)
        edits = (Edit(comment.start, comment.start, "./"),)
        if prog in tools.posix.DOT_SLASH_ALIKE:
            return Decision(edits, Safety.SAFE)
        return Decision(edits, Safety.UNSAFE, f"{sc_message(comment)} (`{prog}` may print or store the `./`)")
