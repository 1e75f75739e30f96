from __future__ import annotations

import json
import re

from ...model import StageInfo
from ...rules import Context, Edit, Rule, Safety
from ._shell_rules import merged_edit

# Characters that are literal in an unquoted shell word.  Anything else
# (`$`, quotes handled apart, globs, `~`, braces, `!`, `#`, `^`, `\`,
# operators, redirects, parentheses) needs the shell, or might.
_PLAIN = frozenset("_-./:,@%+=")

# Reserved words and builtins that have no program of the same name to
# run without a shell.  (`echo`, `printf`, `test`, `[`, `true`, `false`,
# `kill`, `pwd` exist as programs too.)
_SHELL_ONLY_WORDS = (
    "! { } [[ ]] if then else elif fi case esac for select while until do done in function time "
    "coproc . : source alias unalias bg bind break builtin caller cd command compgen complete "
    "compopt continue declare dirs disown enable eval exec exit export fc fg getopts hash help "
    "history jobs let local logout mapfile popd pushd read readarray readonly return set shift "
    "shopt suspend times trap type typeset ulimit umask unset wait"
)
_SHELL_ONLY = frozenset(_SHELL_ONLY_WORDS.split())


def plain_words(text: str) -> tuple[list[str] | None, str]:
    """Split a shell-form command into words when it uses no shell feature:
    only plain characters, and quotes around text without `$`, backquotes
    or backslashes.  Returns (words, "") or (None, why not)."""
    words: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in " \t":
            i += 1
            continue
        word: list[str] = []
        while i < n and text[i] not in " \t":
            ch = text[i]
            if ch in "'\"":
                end = text.find(ch, i + 1)
                if end < 0:
                    return None, "an unterminated quote"
                inner = text[i + 1 : end]
                if ch == '"' and any(c in inner for c in "$`\\"):
                    return None, "an expansion or escape inside double quotes"
                word.append(inner)
                i = end + 1
                continue
            if ch.isalnum() or ch in _PLAIN or (ord(ch) > 127 and ch.isprintable()):
                word.append(ch)
                i += 1
                continue
            return None, _why(text, ch)
        words.append("".join(word))
    return words, ""


# `["a", ...` that BuildKit could not parse as JSON (so it runs as a shell
# command); `[ -e x ]` and `[ "$x" = y ]` are the test command.
_JSONISH = re.compile(r'\s*\[\s*"[^"]*"\s*[,\]]')

_REASONS = (
    ("$`", "a variable or command substitution"),
    ("&|;", "shell operators"),
    ("<>", "a redirection"),
    ("()", "a subshell or grouping"),
    ("\\", "a backslash escape"),
    ("#", "a shell comment"),
    ("*?[]", "a glob"),
    ("~", "a tilde expansion"),
    ("{}", "braces"),
)


def _why(text: str, ch: str) -> str:
    """The most telling shell feature of ``text`` (quoted parts aside)."""
    bare = re.sub(r"'[^']*'|\"(?:[^\"\\]|\\.)*\"", "", text)
    if "$" in text or "`" in text:
        return _REASONS[0][1]
    for chars, why in _REASONS[1:]:
        if any(c in bare for c in chars):
            return why
    return f"the character {ch!r}"


class ExecFormCmd(Rule):
    """
    ## What it does
    Rewrites a shell-form `CMD`, `ENTRYPOINT` or `HEALTHCHECK CMD` in JSON
    (exec) form when the command is only plain words:

    `CMD node server.js` → `CMD ["node", "server.js"]`.

    Words may be quoted (`"a b"`, `'x'`) as long as nothing inside double
    quotes expands. A leading `exec` (`CMD exec gunicorn app:app`) is dropped:
    exec form already runs the program without a shell. Anything the shell
    would interpret is reported without a fix: variables (`$PORT`), command
    substitutions, globs, `~`, braces, operators (`&&`, `||`, `;`, `|`, `&`),
    redirections, subshells, backslash escapes, comments, variable
    assignments, and shell builtins or keywords as the program (`cd`, `.`,
    `source`, `export`, `while`…).

    ## Why
    In shell form Docker runs `/bin/sh -c "…"`: the shell is PID 1, does not
    forward `SIGTERM` to the program, so `docker stop` waits for the timeout
    and then kills it; and the image needs a shell. In exec form the program
    itself is PID 1 and gets the signals (hadolint DL3025, and Docker's build
    check *JSONArgsRecommended*).

    ## Example
    ```dockerfile
    CMD gunicorn --bind 0.0.0.0:8000 app:app
    ```

    Use instead:
    ```dockerfile
    CMD ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]
    ```

    ## Fix safety
    Unsafe: the program becomes PID 1 without `sh -c` in front, so it now
    receives `SIGTERM` from `docker stop` itself (the reason for the change,
    but a program that does not handle it behaves differently), and no shell
    is started (no profile, no `$0`). For `CMD` under an exec-form
    `ENTRYPOINT` (say `docker-entrypoint.sh`), the entrypoint now gets
    `node server.js` as its arguments instead of `/bin/sh -c "node
    server.js"`. For `ENTRYPOINT`, the shell form ignores `CMD` and the
    arguments of `docker run`; the exec form appends them. So an `ENTRYPOINT`
    is only fixed when no `CMD` is set in its stage nor in a later stage of
    this file built on it (an `ENTRYPOINT` resets the `CMD` inherited from
    the base image); `docker run image args` and images built on this one
    may still pass arguments that used to be ignored.

    Reported without a fix: commands that use shell features (the message
    says which), an `ENTRYPOINT` while a `CMD` is set (see above), Windows
    images and stages whose `SHELL` is PowerShell or cmd (their shell form is
    not `sh -c`), commands whose continuation lines hold comment lines (they
    would be lost), a `CMD`, `ENTRYPOINT` or `HEALTHCHECK` that a later one
    of the same stage overrides (it has no effect), and a JSON array that
    does not parse
    (`CMD ["app"] # comment` runs as `/bin/sh -c '["app"] # comment'`: what
    was meant cannot be told for sure). `ONBUILD CMD` is not looked at
    (hadolint does not either); hadolint's DL3025 also covers
    `HEALTHCHECK CMD`, Docker's *JSONArgsRecommended* only `CMD` and
    `ENTRYPOINT`.
    """

    code = "DF513"
    looks_at = ("CMD", "ENTRYPOINT", "HEALTHCHECK")
    name = "exec-form-cmd"
    summary = "Shell-form `CMD`/`ENTRYPOINT`/`HEALTHCHECK CMD` → JSON exec form when no shell feature is used"
    safety = Safety.UNSAFE
    covers = ("DL3025", "JSONArgsRecommended")

    def check(self, ctx: Context):
        tree = ctx.tree
        for info in ctx.model.stages:
            stage = info.stage
            for ins in stage.instructions:
                if ins.json or ins.rest is None:
                    continue
                if ins.keyword in ("CMD", "ENTRYPOINT"):
                    word = ins.rest
                    what = ins.keyword
                elif (
                    ins.keyword == "HEALTHCHECK" and len(ins.args) >= 2 and ins.args[0].value.upper() == "CMD"
                ):
                    word = ins.args[1]
                    what = "HEALTHCHECK CMD"
                else:
                    continue
                at = ins.keyword_word or ins
                head = f"Use JSON (exec) form for {what}"
                later = self._overridden_by(stage, ins)
                if later is not None:
                    yield ctx.finding(
                        at,
                        f"{head} (not fixed: the {ins.keyword} on line {later.start_line} overrides this one)",
                    )
                    continue
                facts = ctx.facts(ins)
                if facts.windows or not facts.shell.posix:
                    yield ctx.finding(at, f"{head} (Windows or non-POSIX SHELL: not fixed)")
                    continue
                if _JSONISH.match(word.value):
                    yield ctx.finding(
                        at,
                        f"{head} (not fixed: it looks like JSON but does not parse, so it runs with /bin/sh -c)",
                    )
                    continue
                words, why = plain_words(word.value)
                if words and words[0] == "exec":
                    words = words[1:]
                    if words and words[0].startswith("-"):
                        words, why = None, "`exec` with options"
                if words is not None:
                    if not words:
                        continue
                    first = words[0]
                    if "=" in first and first.split("=", 1)[0].isidentifier():
                        words, why = None, "a variable assignment"
                    elif first in _SHELL_ONLY:
                        words, why = None, f"the shell builtin or keyword `{first}`"
                if words is not None and any(
                    line.lstrip(" \t").startswith("#") for line in str(word).splitlines()[1:]
                ):
                    words, why = None, "comment lines inside its continuation lines"
                if words is None:
                    yield ctx.finding(at, f"{head} (not fixed: the command uses {why})")
                    continue
                if ins.keyword == "ENTRYPOINT" and self._cmd_set(info):
                    yield ctx.finding(
                        at,
                        f"{head} (not fixed: a CMD is set, and exec form would pass it to the entrypoint as arguments)",
                    )
                    continue
                text = json.dumps(words, ensure_ascii=False)
                yield ctx.finding(
                    at, f"{head}: {text}", [merged_edit(tree.text, [Edit(word.start, word.end, text)])]
                )

    @staticmethod
    def _overridden_by(stage, ins):
        """A later instruction of the stage with the same keyword: only the
        last CMD / ENTRYPOINT / HEALTHCHECK of a stage counts."""
        after = stage.instructions[stage.instructions.index(ins) + 1 :]
        return next((i for i in after if i.keyword == ins.keyword), None)

    @staticmethod
    def _cmd_set(info: StageInfo) -> bool:
        """A CMD in the stage or in a later stage built on it."""
        for st in [info, *info.descendants]:
            if any(i.keyword == "CMD" for i in st.stage.instructions):
                return True
        return False
